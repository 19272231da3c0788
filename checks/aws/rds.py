"""RDS: databases are encrypted at rest and not reachable from the internet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vigil.model import Outcome, fail, ok
from vigil.registry import check


@check(
    id="aws.rds.storage_encrypted",
    title="RDS databases encrypt their storage",
    severity="high",
    domain="technical",
    needs=["aws.rds.instances"],
    tags=["aws", "rds", "encryption"],
)
def storage_encrypted(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Databases hold the personal data itself: unencrypted storage leaves it readable in snapshots,
    backups and on retired disks.

    Remediation: restore an encrypted copy from a snapshot copied with encryption, then switch over.
    """
    for db in evidence["aws.rds.instances"]:
        if db["storage_encrypted"]:
            yield ok(db["arn"], "storage encrypted", cite=db)
        else:
            yield fail(db["arn"], "storage not encrypted", cite=db)


@check(
    id="aws.rds.not_public",
    title="No RDS database is publicly accessible",
    severity="critical",
    domain="technical",
    needs=["aws.rds.instances"],
    tags=["aws", "rds", "exposure"],
)
def not_public(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A publicly accessible database gets an internet-resolvable address: only its password stands
    between the data and everyone, against the promise that only authorised employees reach it.

    Remediation: modify the instance to not be publicly accessible; reach it through the VPC, a VPN or
    a bastion.
    """
    for db in evidence["aws.rds.instances"]:
        if db["publicly_accessible"]:
            yield fail(db["arn"], "publicly accessible", cite=db)
        else:
            yield ok(db["arn"], "private", cite=db)

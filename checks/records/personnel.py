"""Personnel access: only current employees keep access to personal data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vigil.model import Outcome, fail, ok
from vigil.registry import check

from .common import roster


@check(
    id="records.personnel.access_only_active",
    title="Only current employees hold access to personal data",
    severity="high",
    domain="administrative",
    needs=["records.personnel"],
    references=("https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",),
    tags=["access", "people"],
)
def access_only_active(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The policy lets only authorised employees reach personal data. A person who has left (any status
    other than active) and still has personal-data access in the roster is an unauthorised account.

    Remediation: revoke the leaver's access in every system that holds personal data, then update the
    roster export so that it reflects the revocation.
    """
    people, problems = roster(evidence["records.personnel"])
    yield from problems
    for pid, person in people.items():
        if not person["personal_data_access"]:
            continue
        if person["status"] == "active":
            yield ok(f"person:{pid}", "active employee with personal-data access", cite=person)
        else:
            message = f"status {person['status']!r} but still has personal-data access"
            yield fail(f"person:{pid}", message, cite=person)

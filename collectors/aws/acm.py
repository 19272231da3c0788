"""ACM evidence per region: certificates with their expiry and whether they are in use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import aws_unit, expander, paginate, unit_session

TTL = timedelta(hours=24)


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


@collector(
    name="aws.acm.certificates",
    kind="aws.acm.certificates",
    source="aws",
    ttl=TTL,
    expand=expander("acm", regional=True),
)
@aws_unit("aws.acm.certificates")
def certificates(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Certificates with status, expiry and use (acm:ListCertificates; acm:DescribeCertificate only for
    a certificate whose summary lacks its expiry)."""
    with unit_session(unit, "acm") as (session, _):
        client = session.client("acm", unit["region"])
        account, _ = session.account_id()
        items = []
        for cert in paginate(client, "list_certificates", "CertificateSummaryList"):
            if "NotAfter" not in cert:
                cert = {
                    **cert,
                    **client.describe_certificate(CertificateArn=cert["CertificateArn"])["Certificate"],
                }
            items.append(
                {
                    "arn": cert["CertificateArn"],
                    "domain_name": cert.get("DomainName"),
                    "account_id": account,
                    "region": unit["region"],
                    "status": cert.get("Status"),
                    "not_after": _iso(cert.get("NotAfter")),
                    "in_use": bool(cert.get("InUse", cert.get("InUseBy"))),
                }
            )
        return items

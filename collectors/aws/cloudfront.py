"""CloudFront evidence (global): distributions with their viewer protocol policies and minimum TLS."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import aws_unit, expander, unit_session

TTL = timedelta(hours=24)


@collector(
    name="aws.cloudfront.distributions",
    kind="aws.cloudfront.distributions",
    source="aws",
    ttl=TTL,
    expand=expander("cloudfront", regional=False),
)
@aws_unit("aws.cloudfront.distributions")
def distributions(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Distributions with each cache behaviour's viewer protocol policy and the viewer certificate's
    minimum protocol version (cloudfront:ListDistributions)."""
    with unit_session(unit, "cloudfront") as (session, _):
        client = session.client("cloudfront", unit["region"])
        account, _ = session.account_id()
        items = []
        for page in client.get_paginator("list_distributions").paginate():
            for dist in (page.get("DistributionList") or {}).get("Items", ()):
                behaviours = [dict(dist.get("DefaultCacheBehavior") or {}, PathPattern="*")]
                behaviours += (dist.get("CacheBehaviors") or {}).get("Items", [])
                cert = dist.get("ViewerCertificate") or {}
                items.append(
                    {
                        "arn": dist["ARN"],
                        "domain_name": dist.get("DomainName"),
                        "aliases": (dist.get("Aliases") or {}).get("Items", []),
                        "account_id": account,
                        "enabled": bool(dist.get("Enabled")),
                        "viewer_protocol_policies": {
                            b.get("PathPattern", "*"): b.get("ViewerProtocolPolicy") for b in behaviours
                        },
                        # the *.cloudfront.net certificate: no certificate of the customer's is named
                        "default_certificate": not (
                            cert.get("ACMCertificateArn") or cert.get("IAMCertificateId")
                        ),
                        "minimum_protocol_version": cert.get("MinimumProtocolVersion"),
                    }
                )
        return items

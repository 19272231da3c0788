"""CloudTrail evidence per region: the trails defined there, multi-region or not, with log file
validation and whether they are logging now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import botocore.exceptions

from vigil.registry import collector

from .api import aws_unit, describe, expander, unit_session

TTL = timedelta(hours=24)


@collector(
    name="aws.cloudtrail.trails",
    kind="aws.cloudtrail.trails",
    source="aws",
    ttl=TTL,
    expand=expander("cloudtrail", regional=True),
)
@aws_unit("aws.cloudtrail.trails")
def trails(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Trails whose home is this region (cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus). One item
    of type "region" records that the region was read, so "no trail" is evidence, not silence."""
    with unit_session(unit, "cloudtrail") as (session, _):
        client = session.client("cloudtrail", unit["region"])
        account, _ = session.account_id()
        items: list[dict[str, Any]] = [{"type": "region", "account_id": account, "region": unit["region"]}]
        for trail in client.describe_trails(includeShadowTrails=False).get("trailList", ()):
            item: dict[str, Any] = {
                "type": "trail",
                "arn": trail["TrailARN"],
                "name": trail["Name"],
                "account_id": account,
                "region": unit["region"],
                "multi_region": bool(trail.get("IsMultiRegionTrail")),
                "organization_trail": bool(trail.get("IsOrganizationTrail")),
                "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
                "kms_key_id": trail.get("KmsKeyId"),
                "logging": None,
                "unreadable": {},
            }
            try:
                item["logging"] = bool(client.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"))
            except botocore.exceptions.ClientError as exc:
                item["unreadable"]["logging"] = describe(exc, "cloudtrail")
            items.append(item)
        return items

"""GuardDuty evidence per region: the detector and whether it is enabled."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import aws_unit, expander, paginate, unit_session

TTL = timedelta(hours=24)


@collector(
    name="aws.guardduty.detectors",
    kind="aws.guardduty.detectors",
    source="aws",
    ttl=TTL,
    expand=expander("guardduty", regional=True),
)
@aws_unit("aws.guardduty.detectors")
def detectors(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """One item per scanned region, with the region's detectors and their status
    (guardduty:ListDetectors, guardduty:GetDetector)."""
    with unit_session(unit, "guardduty") as (session, _):
        client = session.client("guardduty", unit["region"])
        account, partition = session.account_id()
        found = []
        for detector_id in paginate(client, "list_detectors", "DetectorIds"):
            detail = client.get_detector(DetectorId=detector_id)
            found.append(
                {
                    "arn": f"arn:{partition}:guardduty:{unit['region']}:{account}:detector/{detector_id}",
                    "status": detail.get("Status"),
                }
            )
        return [{"account_id": account, "region": unit["region"], "detectors": found}]

"""CloudWatch Logs evidence per region: log groups and their retention."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import aws_unit, expander, paginate, unit_session
from .s3 import datasets_of

TTL = timedelta(hours=24)


@collector(
    name="aws.logs.groups",
    kind="aws.logs.groups",
    source="aws",
    ttl=TTL,
    expand=expander("logs", regional=True),
)
@aws_unit("aws.logs.groups")
def log_groups(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Log groups with their retention in days (None: kept forever) (logs:DescribeLogGroups)."""
    with unit_session(unit, "logs") as (session, _):
        client = session.client("logs", unit["region"])
        account, partition = session.account_id()
        return [
            {
                "arn": f"arn:{partition}:logs:{unit['region']}:{account}:log-group:{group['logGroupName']}",
                "name": group["logGroupName"],
                "account_id": account,
                "region": unit["region"],
                "retention_days": group.get("retentionInDays"),
                "datasets": datasets_of("log_groups", group["logGroupName"], unit.get("datasets", {})),
            }
            for group in paginate(client, "describe_log_groups", "logGroups")
        ]

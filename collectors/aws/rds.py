"""RDS evidence per region: database instances with storage encryption, public accessibility and
backup retention, as DescribeDBInstances returns them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import aws_unit, expander, paginate, unit_session

TTL = timedelta(hours=24)


@collector(
    name="aws.rds.instances",
    kind="aws.rds.instances",
    source="aws",
    ttl=TTL,
    expand=expander("rds", regional=True),
)
@aws_unit("aws.rds.instances")
def instances(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """RDS database instances (rds:DescribeDBInstances)."""
    with unit_session(unit, "rds") as (session, _):
        client = session.client("rds", unit["region"])
        account, _ = session.account_id()
        return [
            {
                "arn": db["DBInstanceArn"],
                "identifier": db["DBInstanceIdentifier"],
                "engine": db.get("Engine"),
                "account_id": account,
                "region": unit["region"],
                "storage_encrypted": bool(db.get("StorageEncrypted")),
                "publicly_accessible": bool(db.get("PubliclyAccessible")),
                "backup_retention_days": db.get("BackupRetentionPeriod", 0),
            }
            for db in paginate(client, "describe_db_instances", "DBInstances")
        ]

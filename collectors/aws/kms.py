"""KMS evidence per region: customer-managed keys and whether their automatic rotation is on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import botocore.exceptions

from vigil.registry import collector

from .api import aws_unit, describe, expander, paginate, unit_session

TTL = timedelta(hours=24)


@collector(
    name="aws.kms.keys", kind="aws.kms.keys", source="aws", ttl=TTL, expand=expander("kms", regional=True)
)
@aws_unit("aws.kms.keys")
def keys(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Enabled customer-managed symmetric keys with their rotation status (kms:ListKeys, kms:DescribeKey,
    kms:GetKeyRotationStatus). ListKeys names keys only, so each key costs two more calls; AWS-managed
    keys rotate by themselves and are left out."""
    with unit_session(unit, "kms") as (session, _):
        client = session.client("kms", unit["region"])
        account, _ = session.account_id()
        items = []
        for key in paginate(client, "list_keys", "Keys"):
            meta = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") != "Enabled":
                continue
            item: dict[str, Any] = {
                "arn": meta["Arn"],
                "key_id": meta["KeyId"],
                "account_id": account,
                "region": unit["region"],
                "key_spec": meta.get("KeySpec", meta.get("CustomerMasterKeySpec")),
                "rotation_enabled": None,
                "unreadable": {},
            }
            if item["key_spec"] == "SYMMETRIC_DEFAULT":
                try:
                    item["rotation_enabled"] = bool(
                        client.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled")
                    )
                except botocore.exceptions.ClientError as exc:
                    item["unreadable"]["rotation_enabled"] = describe(exc, "kms")
            items.append(item)
        return items

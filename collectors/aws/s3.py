"""S3 evidence: the account's public access block, and per bucket (listed by region, split into shards
so large accounts collect in parallel) its public access block, ACL, policy and default encryption;
versioning and lifecycle rules for the buckets that hold a data set the config names."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import botocore.exceptions

from vigil.registry import collector

from .api import (
    DEFAULT_S3_SHARDS,
    aws_unit,
    describe,
    error_code,
    expander,
    in_shard,
    paginate,
    unit_session,
)

TTL = timedelta(hours=24)
bucket_units = expander(
    "s3", regional=True, shards=lambda entry: entry.get("budgets", {}).get("s3_shards", DEFAULT_S3_SHARDS)
)
account_units = expander("s3", regional=False)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
# replies that mean "not configured", which is an answer, not a failure
ABSENT = {
    "NoSuchBucketPolicy",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration",
}


def datasets_of(kind: str, name: str, datasets: Mapping[str, Any]) -> list[str]:
    """The data sets (sources.aws[].datasets) that the config says live in this bucket or log group."""
    return sorted(ds for ds, where in datasets.items() if name in (where or {}).get(kind, ()))


def _grants(acl: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "grantee_type": g["Grantee"].get("Type"),
            "uri": g["Grantee"].get("URI"),
            "id": g["Grantee"].get("ID"),
            "permission": g.get("Permission"),
        }
        for g in acl.get("Grants", ())
    ]


def _lifecycle(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    rules = []
    for rule in config.get("Rules", ()):
        filt = rule.get("Filter") or {}
        narrowed = bool(filt.get("Tag") or filt.get("And") or filt.get("ObjectSizeGreaterThan"))
        narrowed = narrowed or bool(filt.get("ObjectSizeLessThan"))
        rules.append(
            {
                "id": rule.get("ID"),
                "status": rule.get("Status"),
                "prefix": filt.get("Prefix", rule.get("Prefix", ""))
                or (filt.get("And") or {}).get("Prefix", ""),
                "narrowed": narrowed,  # limited to tags or object sizes: does not cover the whole prefix
                "expiration_days": (rule.get("Expiration") or {}).get("Days"),
                "noncurrent_expiration_days": (rule.get("NoncurrentVersionExpiration") or {}).get(
                    "NoncurrentDays"
                ),
            }
        )
    return rules


def _policy(reply: Mapping[str, Any]) -> Any:
    try:
        return json.loads(reply["Policy"])
    except (KeyError, ValueError):
        return reply.get("Policy")


# attribute -> (call, how to read its reply)
ATTRIBUTES: dict[str, tuple[str, Callable[[Mapping], Any]]] = {
    "public_access_block": ("get_public_access_block", lambda r: r["PublicAccessBlockConfiguration"]),
    "acl_grants": ("get_bucket_acl", _grants),
    "policy": ("get_bucket_policy", _policy),
    "encryption": (
        "get_bucket_encryption",
        lambda r: [
            rule.get("ApplyServerSideEncryptionByDefault", {})
            for rule in r["ServerSideEncryptionConfiguration"]["Rules"]
        ],
    ),
}
# read only for the buckets the config names as a data set: the retention checks judge nothing else, and
# on a large account these two calls would be two fifths of the scan's requests
RETENTION_ATTRIBUTES: dict[str, tuple[str, Callable[[Mapping], Any]]] = {
    "versioning": ("get_bucket_versioning", lambda r: r.get("Status", "Disabled")),
    "lifecycle_rules": ("get_bucket_lifecycle_configuration", _lifecycle),
}


def read_bucket(client: Any, name: str, retention: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"unreadable": {}}
    attributes = {**ATTRIBUTES, **(RETENTION_ATTRIBUTES if retention else {})}
    for attribute, (call, read) in attributes.items():
        try:
            item[attribute] = read(getattr(client, call)(Bucket=name))
        except botocore.exceptions.ClientError as exc:
            item[attribute] = None
            if error_code(exc) not in ABSENT:
                item["unreadable"][attribute] = describe(exc, "s3")
    return item


@collector(name="aws.s3.buckets", kind="aws.s3.buckets", source="aws", ttl=TTL, expand=bucket_units)
@aws_unit("aws.s3.buckets")
def buckets(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """S3 buckets of one region (and shard) with their public access block, ACL grants, policy and default
    encryption, and for data-set buckets their versioning and lifecycle rules (s3:ListAllMyBuckets,
    s3:GetBucketPublicAccessBlock, s3:GetBucketAcl, s3:GetBucketPolicy, s3:GetEncryptionConfiguration,
    s3:GetBucketVersioning, s3:GetLifecycleConfiguration)."""
    with unit_session(unit, "s3") as (session, _):
        region = unit["region"]
        client = session.client("s3", region)
        account, partition = session.account_id()
        items = []
        for bucket in paginate(client, "list_buckets", "Buckets", BucketRegion=region):
            name = bucket["Name"]
            if not in_shard(unit, name):
                continue
            item = {
                "arn": f"arn:{partition}:s3:::{name}",
                "name": name,
                "account_id": account,
                "region": region,
                "datasets": datasets_of("buckets", name, unit.get("datasets", {})),
            }
            item.update(read_bucket(client, name, retention=bool(item["datasets"])))
            items.append(item)
        return items


@collector(name="aws.s3.account", kind="aws.s3.account", source="aws", ttl=TTL, expand=account_units)
@aws_unit("aws.s3.account")
def account_block(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """The account-wide S3 public access block (s3:GetAccountPublicAccessBlock)."""
    with unit_session(unit, "s3control") as (session, _):
        account, _ = session.account_id()
        client = session.client("s3control", unit["region"])
        item: dict[str, Any] = {"account_id": account, "unreadable": {}}
        try:
            reply = client.get_public_access_block(AccountId=account)
            item["public_access_block"] = reply["PublicAccessBlockConfiguration"]
        except botocore.exceptions.ClientError as exc:
            item["public_access_block"] = None
            if error_code(exc) not in ABSENT:
                item["unreadable"]["public_access_block"] = describe(exc, "s3control")
        return [item]

"""IAM evidence: users, roles, groups and policies from GetAccountAuthorizationDetails, the credential
report for passwords, keys and MFA, and the account's password policy and root account summary."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import botocore.exceptions

from vigil.model import UserError
from vigil.registry import collector

from .api import aws_unit, describe, error_code, expander, unit_session

TTL = timedelta(hours=24)
iam_units = expander("iam", regional=False)


def document(value: Any) -> Any:
    """Policy documents arrive decoded from boto3, or URL-encoded JSON from other clients."""
    if isinstance(value, str):
        try:
            return json.loads(unquote(value))
        except ValueError:
            return value
    return value


def _policies(items: list[Mapping] | None) -> list[dict[str, Any]]:
    return [{"name": p["PolicyName"], "document": document(p.get("PolicyDocument"))} for p in items or ()]


def _attached(items: list[Mapping] | None) -> list[str]:
    return [p["PolicyArn"] for p in items or ()]


def _tags(items: list[Mapping] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or ()}


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def authorization_details(client: Any, *filters: str) -> dict[str, list[Mapping]]:
    found: dict[str, list[Mapping]] = {"users": [], "roles": [], "groups": [], "policies": []}
    paginator = client.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=list(filters), PaginationConfig={"PageSize": 1000}):
        found["users"] += page.get("UserDetailList", [])
        found["roles"] += page.get("RoleDetailList", [])
        found["groups"] += page.get("GroupDetailList", [])
        found["policies"] += page.get("Policies", [])
    return found


def credential_report(client: Any, timeout: float = 60.0) -> dict[str, dict[str, str]]:
    """The credential report's rows by user ARN, keeping only the columns the checks read (never the
    raw CSV: it names certificates and key usage we have no business storing)."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while client.generate_credential_report()["State"] != "COMPLETE":
        if time.monotonic() > deadline:
            raise UserError("iam:GenerateCredentialReport did not complete in time")
        time.sleep(delay)
        delay = min(delay * 2, 5)
    content = client.get_credential_report()["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return {row["arn"]: row for row in csv.DictReader(io.StringIO(text))}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _date(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value in ("", "N/A", "no_information", "not_supported") else value


def _keys(row: Mapping[str, str]) -> list[dict[str, Any]]:
    keys = []
    for n in (1, 2):
        if _flag(row.get(f"access_key_{n}_active")) or _date(row.get(f"access_key_{n}_last_rotated")):
            keys.append(
                {
                    "number": n,
                    "active": _flag(row.get(f"access_key_{n}_active")),
                    "last_rotated": _date(row.get(f"access_key_{n}_last_rotated")),
                    "last_used": _date(row.get(f"access_key_{n}_last_used_date")),
                }
            )
    return keys


@collector(name="aws.iam.users", kind="aws.iam.users", source="aws", ttl=TTL, expand=iam_units)
@aws_unit("aws.iam.users")
def iam_users(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """IAM users with their inline and attached policies, groups, tags, and from the credential report
    their console password, MFA and access keys (iam:GetAccountAuthorizationDetails,
    iam:GenerateCredentialReport, iam:GetCredentialReport)."""
    with unit_session(unit, "iam") as (session, _):
        client = session.client("iam", unit["region"])
        account, _ = session.account_id()
        details = authorization_details(client, "User")
        try:
            report: dict[str, dict[str, str]] | None = credential_report(client)
            report_problem = None
        except botocore.exceptions.ClientError as exc:
            report, report_problem = None, describe(exc, "iam")
        users = []
        for user in details["users"]:
            row = (report or {}).get(user["Arn"], {})
            item: dict[str, Any] = {
                "arn": user["Arn"],
                "user_name": user["UserName"],
                "account_id": account,
                "path": user.get("Path", "/"),
                "tags": _tags(user.get("Tags")),
                "create_date": _iso(user.get("CreateDate")),
                "groups": list(user.get("GroupList", ())),
                "inline_policies": _policies(user.get("UserPolicyList")),
                "attached_policies": _attached(user.get("AttachedManagedPolicies")),
                "password_enabled": _flag(row.get("password_enabled")),
                "password_last_used": _date(row.get("password_last_used")),
                "mfa_active": _flag(row.get("mfa_active")),
                "access_keys": _keys(row),
                "unreadable": {},
            }
            if report is None:
                item["unreadable"]["credentials_report"] = report_problem
            elif not row:
                item["unreadable"]["credentials_report"] = "user missing from the credential report"
            users.append(item)
        return users


@collector(name="aws.iam.roles", kind="aws.iam.roles", source="aws", ttl=TTL, expand=iam_units)
@aws_unit("aws.iam.roles")
def iam_roles(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """IAM roles with their trust policy, inline and attached policies and last use
    (iam:GetAccountAuthorizationDetails)."""
    with unit_session(unit, "iam") as (session, _):
        client = session.client("iam", unit["region"])
        account, _ = session.account_id()
        return [
            {
                "arn": role["Arn"],
                "role_name": role["RoleName"],
                "account_id": account,
                "path": role.get("Path", "/"),
                "tags": _tags(role.get("Tags")),
                "create_date": _iso(role.get("CreateDate")),
                "trust_policy": document(role.get("AssumeRolePolicyDocument")),
                "inline_policies": _policies(role.get("RolePolicyList")),
                "attached_policies": _attached(role.get("AttachedManagedPolicies")),
                "last_used": _iso((role.get("RoleLastUsed") or {}).get("LastUsedDate")),
            }
            for role in authorization_details(client, "Role")["roles"]
        ]


@collector(name="aws.iam.policies", kind="aws.iam.policies", source="aws", ttl=TTL, expand=iam_units)
@aws_unit("aws.iam.policies")
def iam_policies(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Groups (with their policies) and the managed policies attached to anything, with the document of
    their default version (iam:GetAccountAuthorizationDetails)."""
    with unit_session(unit, "iam") as (session, _):
        client = session.client("iam", unit["region"])
        account, _ = session.account_id()
        details = authorization_details(client, "Group", "LocalManagedPolicy", "AWSManagedPolicy")
        items: list[dict[str, Any]] = [
            {
                "type": "group",
                "arn": group["Arn"],
                "group_name": group["GroupName"],
                "account_id": account,
                "inline_policies": _policies(group.get("GroupPolicyList")),
                "attached_policies": _attached(group.get("AttachedManagedPolicies")),
            }
            for group in details["groups"]
        ]
        for policy in details["policies"]:
            if not policy.get("AttachmentCount"):
                continue  # an unattached policy grants nothing; AWS ships about a thousand of them
            default = next(
                (v for v in policy.get("PolicyVersionList", ()) if v.get("IsDefaultVersion")), None
            )
            items.append(
                {
                    "type": "managed_policy",
                    "arn": policy["Arn"],
                    "name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1],
                    "account_id": account,
                    "aws_managed": policy["Arn"].split(":")[4] == "aws",
                    "attachment_count": policy.get("AttachmentCount", 0),
                    "document": document(default.get("Document")) if default else None,
                }
            )
        return items


@collector(name="aws.iam.account", kind="aws.iam.account", source="aws", ttl=TTL, expand=iam_units)
@aws_unit("aws.iam.account")
def iam_account(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """The account's password policy and its root user's access keys and MFA
    (iam:GetAccountPasswordPolicy, iam:GetAccountSummary)."""
    with unit_session(unit, "iam") as (session, _):
        client = session.client("iam", unit["region"])
        account, partition = session.account_id()
        item: dict[str, Any] = {"account_id": account, "partition": partition, "unreadable": {}}
        try:
            item["password_policy"] = client.get_account_password_policy()["PasswordPolicy"]
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                item["unreadable"]["password_policy"] = describe(exc, "iam")
            item["password_policy"] = None
        summary = client.get_account_summary()["SummaryMap"]
        item["root_access_keys"] = bool(summary.get("AccountAccessKeysPresent"))
        item["root_mfa"] = bool(summary.get("AccountMFAEnabled"))
        return [item]

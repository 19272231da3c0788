"""S3 exposure and protection: public access blocks, public ACLs and policies, TLS-only access,
default encryption."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .policy import as_list, narrowing_condition, public_principal, statements

BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "everyone",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "every AWS user",
}


def _accounts(evidence: Mapping) -> dict[str, Mapping]:
    return {a["account_id"]: a for a in evidence.get("aws.s3.account", ())}


def _setting(bucket: Mapping, account: Mapping | None, name: str) -> bool:
    own = bucket.get("public_access_block") or {}
    whole = (account or {}).get("public_access_block") or {}
    return bool(own.get(name) or whole.get(name))


@check(
    id="aws.s3.account_public_access_block",
    title="S3 Block Public Access is on for the whole account",
    severity="high",
    domain="technical",
    needs=["aws.s3.account"],
    tags=["aws", "s3", "exposure"],
)
def account_public_access_block(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """With all four account-level Block Public Access settings on, no bucket of the account can be made
    public by a mistaken ACL or policy: only authorised people reach the data.

    Remediation: turn on all four settings under S3 > Block Public Access settings for this account,
    after moving any intentionally public content behind CloudFront.
    """
    for account in evidence["aws.s3.account"]:
        resource = f"aws:{account['account_id']}"
        problem = (account.get("unreadable") or {}).get("public_access_block")
        if problem:
            yield error(resource, problem, cite=account)
            continue
        block = account.get("public_access_block") or {}
        off = [name for name in BLOCK_SETTINGS if not block.get(name)]
        if off:
            yield fail(resource, f"account-level Block Public Access off: {', '.join(off)}", cite=account)
        else:
            yield ok(resource, "all four account-level settings on", cite=account)


def public_policy_statements(policy: Any) -> list[str]:
    found = []
    for statement in statements(policy):
        if (
            statement.get("Effect") == "Allow"
            and public_principal(statement)
            and not narrowing_condition(statement)
        ):
            actions = ", ".join(str(a) for a in as_list(statement.get("Action"))) or "NotAction"
            found.append(f"policy allows {actions} to anyone")
    return found


@check(
    id="aws.s3.bucket_not_public",
    title="No S3 bucket is public through its ACL or policy",
    severity="critical",
    domain="technical",
    needs=["aws.s3.buckets", "aws.s3.account"],
    tags=["aws", "s3", "exposure"],
)
def bucket_not_public(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A bucket whose ACL grants AllUsers or AuthenticatedUsers, or whose policy allows `*` without a
    condition confining it to known accounts or networks, is readable by anyone. A grant that Block
    Public Access neutralises (IgnorePublicAcls, RestrictPublicBuckets, on the bucket or the account)
    is not public.

    Remediation: remove the public grant or statement; serve public content through CloudFront with an
    origin access control, and turn on Block Public Access.
    """
    accounts = _accounts(evidence)
    for bucket in evidence["aws.s3.buckets"]:
        account = accounts.get(bucket["account_id"])
        unreadable = bucket.get("unreadable") or {}
        problems, missing = [], []
        if not _setting(bucket, account, "IgnorePublicAcls"):
            if "acl_grants" in unreadable:
                missing.append(unreadable["acl_grants"])
            for grant in bucket.get("acl_grants") or ():
                if grant.get("uri") in PUBLIC_GROUPS:
                    problems.append(f"ACL grants {grant['permission']} to {PUBLIC_GROUPS[grant['uri']]}")
        if not _setting(bucket, account, "RestrictPublicBuckets"):
            if "policy" in unreadable:
                missing.append(unreadable["policy"])
            problems += public_policy_statements(bucket.get("policy"))
        if problems:
            yield fail(bucket["arn"], "; ".join(problems), cite=bucket)
        elif missing:
            yield error(bucket["arn"], "; ".join(missing), cite=bucket)
        else:
            yield ok(bucket["arn"], "not public", cite=bucket)


@check(
    id="aws.s3.bucket_public_access_block",
    title="Every S3 bucket has Block Public Access on, itself or through its account",
    severity="medium",
    domain="technical",
    needs=["aws.s3.buckets", "aws.s3.account"],
    tags=["aws", "s3", "exposure"],
)
def bucket_public_access_block(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Block Public Access keeps a bucket private even when someone later adds a public ACL or policy by
    mistake; each of the four settings counts when it is on for the bucket or for its account.

    Remediation: turn on all four Block Public Access settings for the bucket, or for the account.
    """
    accounts = _accounts(evidence)
    for bucket in evidence["aws.s3.buckets"]:
        problem = (bucket.get("unreadable") or {}).get("public_access_block")
        if problem:
            yield error(bucket["arn"], problem, cite=bucket)
            continue
        off = [n for n in BLOCK_SETTINGS if not _setting(bucket, accounts.get(bucket["account_id"]), n)]
        if off:
            yield fail(bucket["arn"], f"Block Public Access off: {', '.join(off)}", cite=bucket)
        else:
            yield ok(bucket["arn"], "Block Public Access on", cite=bucket)


def denies_insecure_transport(policy: Any) -> bool:
    for statement in statements(policy):
        if statement.get("Effect") != "Deny" or not public_principal(statement):
            continue
        actions = {str(a).lower() for a in as_list(statement.get("Action"))}
        if not actions & {"*", "s3:*"}:
            continue
        for operator, clauses in (statement.get("Condition") or {}).items():
            values = {k.lower(): as_list(v) for k, v in (clauses or {}).items()}
            if operator in ("Bool", "BoolIfExists") and "false" in [
                str(v).lower() for v in values.get("aws:securetransport", ())
            ]:
                return True
            if operator == "NumericLessThan" and "s3:tlsversion" in values:
                return True
    return False


@check(
    id="aws.s3.bucket_tls_only",
    title="S3 bucket policies refuse requests that are not over TLS",
    severity="medium",
    domain="technical",
    needs=["aws.s3.buckets"],
    tags=["aws", "s3", "tls"],
)
def bucket_tls_only(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """S3 accepts plain HTTP unless the bucket policy denies it: the policy promises encrypted
    transmission, so each bucket needs a Deny for all principals and s3 actions when
    `aws:SecureTransport` is false (or when `s3:TlsVersion` is too low).

    Remediation: add a statement {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource":
    [bucket ARN, bucket ARN/*], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}.
    """
    for bucket in evidence["aws.s3.buckets"]:
        problem = (bucket.get("unreadable") or {}).get("policy")
        if problem:
            yield error(bucket["arn"], problem, cite=bucket)
        elif denies_insecure_transport(bucket.get("policy")):
            yield ok(bucket["arn"], "policy denies requests without TLS", cite=bucket)
        else:
            yield fail(bucket["arn"], "no policy statement denies requests without TLS", cite=bucket)


@check(
    id="aws.s3.default_encryption",
    title="S3 buckets encrypt objects by default",
    severity="medium",
    domain="technical",
    needs=["aws.s3.buckets"],
    tags=["aws", "s3", "encryption"],
)
def default_encryption(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Objects stored without server-side encryption are readable from any copy of the disks; default
    encryption (SSE-S3 or SSE-KMS) covers every object written without its own setting.

    Remediation: set default encryption on the bucket (SSE-KMS with a customer key for personal data).
    """
    for bucket in evidence["aws.s3.buckets"]:
        problem = (bucket.get("unreadable") or {}).get("encryption")
        rules = [r for r in bucket.get("encryption") or () if r.get("SSEAlgorithm")]
        if problem:
            yield error(bucket["arn"], problem, cite=bucket)
        elif rules:
            yield ok(bucket["arn"], f"default encryption {rules[0]['SSEAlgorithm']}", cite=bucket)
        else:
            yield fail(bucket["arn"], "no default encryption", cite=bucket)

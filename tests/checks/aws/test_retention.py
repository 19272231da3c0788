"""Retention of the data sets a config names: S3 lifecycle rules and log group retention (mock_aws)."""

from __future__ import annotations

from .conftest import ACCOUNT, REGIONS, client, collect, judge, status

KINDS = ("aws.s3.buckets", "aws.logs.groups")
LOGS = f"arn:aws:logs:{REGIONS[0]}:{ACCOUNT}:log-group:"


def bucket(name: str, versioned: bool = False, *rules: dict) -> str:
    s3 = client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": list(rules)})
    return f"arn:aws:s3:::{name}"


def rule(days: int, prefix: str = "", noncurrent: int | None = None, status: str = "Enabled") -> dict:
    found = {
        "ID": f"r{days}{prefix}",
        "Status": status,
        "Filter": {"Prefix": prefix},
        "Expiration": {"Days": days},
    }
    if noncurrent is not None:
        found["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent}
    return found


def log_group(name: str, days: int | None) -> str:
    logs = client("logs")
    logs.create_log_group(logGroupName=name)
    if days:
        logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    return LOGS + name


def test_support_records_must_be_deleted_within_the_period(aws):
    ok_plain = bucket("tickets", False, rule(30))
    ok_versioned = bucket("chats", True, rule(20, noncurrent=7))
    versions_linger = bucket("calls", True, rule(20))
    only_a_prefix = bucket("mail", False, rule(10, prefix="tmp/"))
    disabled = bucket("notes", False, rule(10, status="Disabled"))
    short_logs = log_group("helpdesk", 14)
    forever = log_group("helpdesk-audit", None)
    bucket("unrelated")
    datasets = {
        "support": {
            "buckets": ["tickets", "chats", "calls", "mail", "notes"],
            "log_groups": ["helpdesk", "helpdesk-audit"],
        }
    }

    found = judge("aws.retention.support", collect(*KINDS, datasets=datasets))

    assert status(found, ok_plain) == "pass" and status(found, ok_versioned) == "pass"
    for arn in (versions_linger, only_a_prefix, disabled, forever):
        assert status(found, arn) == "fail", arn
    assert status(found, short_logs) == "pass"
    assert "arn:aws:s3:::unrelated" not in found
    assert (
        status(
            judge(
                "aws.retention.support",
                collect(*KINDS, datasets=datasets),
                **{"retention.support_max_days": 20},
            ),
            ok_plain,
        )
        == "fail"
    )


def test_transactions_must_not_be_deleted_before_the_minimum(aws):
    kept = bucket("ledger", False, rule(3000))
    pruned = bucket("payments", False, rule(30, prefix="exports/"))
    logs_short = log_group("payments-api", 365)
    logs_forever = log_group("ledger-audit", None)
    datasets = {
        "transactions": {"buckets": ["ledger", "payments"], "log_groups": ["payments-api", "ledger-audit"]}
    }

    found = judge("aws.retention.transactions", collect(*KINDS, datasets=datasets))

    assert status(found, kept) == "pass" and status(found, logs_forever) == "pass"
    assert status(found, pruned) == "fail" and "after 30 days (minimum 2557)" in found[pruned][1]
    assert status(found, logs_short) == "fail"


def test_a_data_set_without_named_stores_stays_manual(aws):
    bucket("something")
    found = judge("aws.retention.accounts", collect(*KINDS))
    assert found == {
        "dataset:accounts": (
            "manual",
            "no bucket or log group is named as the accounts data set (sources.aws[].datasets.accounts)",
        )
    }

"""Retention: the buckets and log groups that the config names for each data set of the policy keep
their data exactly as long as the policy says (the baseline's `retention.*` parameters)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from vigil.model import Outcome, fail, manual, ok
from vigil.registry import check

NEEDS = ["aws.s3.buckets", "aws.logs.groups"]


def _whole_bucket_days(bucket: Mapping[str, Any]) -> int | None:
    """Days after which the bucket's data is gone for good under its lifecycle rules, or None when no
    enabled rule covers every object. A versioned bucket keeps a deleted object as a noncurrent version
    until that expires too."""
    best = None
    for rule in bucket.get("lifecycle_rules") or ():
        if rule.get("status") != "Enabled" or rule.get("prefix") or rule.get("narrowed"):
            continue
        days = rule.get("expiration_days")
        if days is None:
            continue
        if bucket.get("versioning") in ("Enabled", "Suspended"):
            extra = rule.get("noncurrent_expiration_days")
            if extra is None:
                continue
            days += extra
        best = days if best is None else min(best, days)
    return best


def _shortest_rule(bucket: Mapping[str, Any]) -> int | None:
    days = [
        r["expiration_days"]
        for r in bucket.get("lifecycle_rules") or ()
        if r.get("status") == "Enabled" and r.get("expiration_days") is not None
    ]
    return min(days) if days else None


def _members(evidence: Mapping, dataset: str) -> list[tuple[str, Mapping]]:
    return [
        (kind, item) for kind in NEEDS for item in evidence[kind] if dataset in (item.get("datasets") or ())
    ]


def _unnamed(dataset: str) -> Outcome:
    return manual(
        f"dataset:{dataset}",
        f"no bucket or log group is named as the {dataset} data set (sources.aws[].datasets.{dataset})",
    )


def judge_max(evidence: Mapping, dataset: str, limit: int) -> Iterator[Outcome]:
    members = _members(evidence, dataset)
    if not members:
        yield _unnamed(dataset)
    for kind, item in members:
        if kind == "aws.logs.groups":
            days = item.get("retention_days")
            if days is None:
                yield fail(item["arn"], f"log group keeps events forever (limit {limit} days)", cite=item)
            elif days > limit:
                yield fail(item["arn"], f"log group keeps events {days} days (limit {limit})", cite=item)
            else:
                yield ok(item["arn"], f"events expire after {days} days", cite=item)
            continue
        if (item.get("unreadable") or {}).get("lifecycle_rules"):
            yield fail(item["arn"], item["unreadable"]["lifecycle_rules"], cite=item)
            continue
        days = _whole_bucket_days(item)
        if days is None:
            yield fail(item["arn"], f"no lifecycle rule deletes every object (limit {limit} days)", cite=item)
        elif days > limit:
            yield fail(item["arn"], f"objects are deleted after {days} days (limit {limit})", cite=item)
        else:
            yield ok(item["arn"], f"objects are deleted after {days} days", cite=item)


def judge_min(evidence: Mapping, dataset: str, minimum: int) -> Iterator[Outcome]:
    members = _members(evidence, dataset)
    if not members:
        yield _unnamed(dataset)
    for kind, item in members:
        if kind == "aws.logs.groups":
            days = item.get("retention_days")
            if days is not None and days < minimum:
                yield fail(
                    item["arn"], f"log group deletes events after {days} days (minimum {minimum})", cite=item
                )
            else:
                yield ok(item["arn"], "events kept long enough", cite=item)
            continue
        if (item.get("unreadable") or {}).get("lifecycle_rules"):
            yield fail(item["arn"], item["unreadable"]["lifecycle_rules"], cite=item)
            continue
        days = _shortest_rule(item)
        if days is not None and days < minimum:
            yield fail(
                item["arn"],
                f"a lifecycle rule deletes objects after {days} days (minimum {minimum})",
                cite=item,
            )
        else:
            yield ok(item["arn"], "no lifecycle rule deletes objects before the minimum", cite=item)


@check(
    id="aws.retention.transactions",
    title="Transaction data stores keep data for at least the baseline's minimum",
    severity="high",
    domain="technical",
    needs=NEEDS,
    params={"retention.transaction_years": 7},
    tags=["aws", "retention"],
)
def transactions(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Transaction data must be kept at least seven years (`retention.transaction_years`, 2557 days):
    no lifecycle rule of the buckets, nor the retention of the log groups, named as the `transactions`
    data set may delete it sooner.

    Remediation: lengthen or remove the expiring lifecycle rule or log retention; consider S3 Object
    Lock in compliance mode for the retention period.
    """
    yield from judge_min(evidence, "transactions", math.ceil(params["retention.transaction_years"] * 365.25))


@check(
    id="aws.retention.accounts",
    title="Account-information stores delete data within the baseline's period",
    severity="medium",
    domain="technical",
    needs=NEEDS,
    params={"retention.account_months": 6, "retention.account_grace_days": 7},
    tags=["aws", "retention"],
)
def accounts(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Account information is kept six months after cancellation (`retention.account_months`, plus
    `retention.account_grace_days` for the deletion job): the buckets and log groups named as the
    `accounts` data set must delete every object (every version) and event within that period.

    Remediation: add a lifecycle rule covering the whole bucket that expires objects (and noncurrent
    versions) within the period; set the log group's retention.
    """
    limit = math.ceil(params["retention.account_months"] * 30.4375) + params["retention.account_grace_days"]
    yield from judge_max(evidence, "accounts", limit)


@check(
    id="aws.retention.support",
    title="Customer-service records are deleted within the baseline's period",
    severity="medium",
    domain="technical",
    needs=NEEDS,
    params={"retention.support_max_days": 30},
    tags=["aws", "retention"],
)
def support(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Customer-service communication records are deleted within 30 days of resolution
    (`retention.support_max_days`): the buckets and log groups named as the `support` data set must
    expire every object (every version) and event within that period.

    Remediation: add a whole-bucket lifecycle rule expiring objects and noncurrent versions within the
    period; set the log group's retention to at most the period.
    """
    yield from judge_max(evidence, "support", params["retention.support_max_days"])

"""Retention: support data deleted in 30 days, accounts kept 6 months then deleted, transactions 7 years."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import add_months, day

REFERENCES = ("https://gdpr-info.eu/art-5-gdpr/", "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final")


def _records(
    evidence: Mapping, categories: list[str], today: date
) -> Iterator[tuple[Mapping, Outcome | None]]:
    wanted = {c.lower() for c in categories}
    for record in evidence["records.data_inventory"]:
        if record["category"] not in wanted:
            continue
        resource = f"record:{record['category']}:{record['id']}"
        if day(record["trigger_at"]) > today or (
            record["deleted_at"] and record["deleted_at"] < record["trigger_at"]
        ):
            yield (
                record,
                error(resource, "dates out of order or in the future: the export is wrong", cite=record),
            )
        else:
            yield record, None


def _summary(resource: str, kept: int, what: str) -> Iterator[Outcome]:
    if kept:
        yield ok(resource, f"{kept} record(s) {what}")


@check(
    id="records.retention.support_deleted",
    title="Customer-service records are deleted within 30 days of resolution",
    severity="medium",
    domain="technical",
    needs=["records.data_inventory"],
    params={"retention.support_categories": ["customer_service"], "retention.support_max_days": 30},
    references=REFERENCES,
    tags=["retention", "privacy"],
)
def support_deleted(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Records of a category in retention.support_categories (trigger_at: the day the issue was resolved)
    must be deleted within retention.support_max_days; one still stored after that fails.

    Remediation: delete the overdue records and fix the help desk's retention setting or deletion job.
    """
    today, limit = params["now"].date(), params["retention.support_max_days"]
    good = 0
    for record, problem in _records(evidence, params["retention.support_categories"], today):
        if problem:
            yield problem
            continue
        end = day(record["deleted_at"]) if record["deleted_at"] else today
        days = (end - day(record["trigger_at"])).days
        if days > limit:
            state = f"deleted {days} days" if record["deleted_at"] else f"still stored {days} days"
            yield fail(
                f"record:{record['category']}:{record['id']}",
                f"{state} after resolution (limit {limit})",
                cite=record,
            )
        else:
            good += 1
    yield from _summary(
        "retention:customer_service", good, f"deleted or due within {limit} days of resolution"
    )


@check(
    id="records.retention.accounts_closed",
    title="Account data is kept six months after closure, then deleted",
    severity="medium",
    domain="technical",
    needs=["records.data_inventory"],
    params={
        "retention.account_categories": ["account"],
        "retention.account_months": 6,
        "retention.account_grace_days": 7,
    },
    references=REFERENCES,
    tags=["retention", "privacy"],
)
def accounts_closed(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Records of a category in retention.account_categories (trigger_at: the day the account was closed)
    must be kept retention.account_months months (for disputes) and deleted within
    retention.account_grace_days after that (the deletion job's schedule).

    Remediation: fix the deletion job so that it deletes closed accounts when six months have passed, and
    not before.
    """
    today = params["now"].date()
    months, grace = params["retention.account_months"], params["retention.account_grace_days"]
    good = 0
    for record, problem in _records(evidence, params["retention.account_categories"], today):
        if problem:
            yield problem
            continue
        closed = day(record["trigger_at"])
        due = add_months(closed, months)
        resource = f"record:{record['category']}:{record['id']}"
        deleted = day(record["deleted_at"]) if record["deleted_at"] else None
        if deleted and deleted < due:
            yield fail(
                resource,
                f"closed {closed}, deleted {deleted}: before the {months} months ran out",
                cite=record,
            )
        elif (deleted or today) > due + timedelta(days=grace):
            state = f"deleted {deleted}" if deleted else "still stored"
            yield fail(
                resource, f"closed {closed}, {state}: due for deletion {due} (+{grace} days)", cite=record
            )
        else:
            good += 1
    yield from _summary("retention:account", good, f"kept {months} months after closure and deleted on time")


@check(
    id="records.retention.transactions_kept",
    title="Transaction data is kept at least seven years",
    severity="high",
    domain="technical",
    needs=["records.data_inventory"],
    params={"retention.transaction_categories": ["transaction"], "retention.transaction_years": 7},
    references=REFERENCES,
    tags=["retention", "tax"],
)
def transactions_kept(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Records of a category in retention.transaction_categories (trigger_at: the transaction date) must not
    be deleted before retention.transaction_years years have passed.

    Remediation: restore the records from backup where possible, and exclude transactions younger than the
    legal period from every deletion job.
    """
    today, years = params["now"].date(), params["retention.transaction_years"]
    good = 0
    for record, problem in _records(evidence, params["retention.transaction_categories"], today):
        if problem:
            yield problem
            continue
        made = day(record["trigger_at"])
        if record["deleted_at"] and day(record["deleted_at"]) < add_months(made, 12 * years):
            yield fail(
                f"record:{record['category']}:{record['id']}",
                f"transaction of {made} deleted {record['deleted_at']}, before {years} years",
                cite=record,
            )
        else:
            good += 1
    yield from _summary("retention:transaction", good, f"kept at least {years} years")

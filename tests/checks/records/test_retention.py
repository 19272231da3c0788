"""Retention: support records within 30 days, accounts 6 months then deleted, transactions 7 years."""

from __future__ import annotations

from .support import run


def stored(rid: str, category: str, trigger: str, deleted: str | None = None) -> dict:
    return {
        "id": rid,
        "category": category,
        "trigger_at": trigger,
        "deleted_at": deleted,
        "where": "inv.csv:2",
    }


def test_support_records_deleted_within_30_days_of_resolution():
    result = run(
        "records.retention.support_deleted",
        {
            "records.data_inventory": [
                stored("T1", "customer_service", "2026-09-01", "2026-09-20"),
                stored("T2", "customer_service", "2026-11-10"),  # not due yet
                stored("T3", "customer_service", "2026-08-01", "2026-09-15"),
                stored("T4", "customer_service", "2026-09-01"),
                stored("X1", "transaction", "2020-01-01"),
            ]
        },
    )
    assert result == {
        "record:customer_service:T3": ("fail", "deleted 45 days after resolution (limit 30)"),
        "record:customer_service:T4": ("fail", "still stored 90 days after resolution (limit 30)"),
        "retention:customer_service": ("pass", "2 record(s) deleted or due within 30 days of resolution"),
    }


def test_accounts_kept_six_months_then_deleted():
    result = run(
        "records.retention.accounts_closed",
        {
            "records.data_inventory": [
                stored("A1", "account", "2026-01-31", "2026-08-03"),  # due 2026-07-31, +3 days
                stored("A2", "account", "2026-05-01", "2026-06-01"),  # too early
                stored("A3", "account", "2026-03-01"),  # due 2026-09-01, still there
                stored("A4", "account", "2026-10-01"),  # not due
            ]
        },
    )
    assert result == {
        "record:account:A2": ("fail", "closed 2026-05-01, deleted 2026-06-01: before the 6 months ran out"),
        "record:account:A3": (
            "fail",
            "closed 2026-03-01, still stored: due for deletion 2026-09-01 (+7 days)",
        ),
        "retention:account": ("pass", "2 record(s) kept 6 months after closure and deleted on time"),
    }


def test_transactions_kept_seven_years():
    result = run(
        "records.retention.transactions_kept",
        {
            "records.data_inventory": [
                stored("X1", "transaction", "2019-01-15", "2026-02-01"),
                stored("X2", "transaction", "2021-01-15", "2026-02-01"),
                stored("X3", "transaction", "2016-01-15"),
            ]
        },
    )
    assert result == {
        "record:transaction:X2": ("fail", "transaction of 2021-01-15 deleted 2026-02-01, before 7 years"),
        "retention:transaction": ("pass", "2 record(s) kept at least 7 years"),
    }


def test_dates_out_of_order_are_errors_and_categories_are_parameters():
    evidence = {"records.data_inventory": [stored("T1", "tickets", "2026-09-01", "2026-08-01")]}
    assert run("records.retention.support_deleted", evidence) == {}
    custom = run("records.retention.support_deleted", evidence, retention__support_categories=["tickets"])
    assert custom["record:tickets:T1"][0] == "error"

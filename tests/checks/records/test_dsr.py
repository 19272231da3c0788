"""Data-subject requests: business days on a holiday calendar, complex requests, early deletion."""

from __future__ import annotations

from .support import run

ANSWERED = "records.dsr.answered_in_time"
COMPLEX = "records.dsr.complex_within_30_days"
EARLY = "records.dsr.early_deletion_checked"


def ticket(tid, received, answered=None, *, type="access", complex=False, progress=None) -> dict:  # noqa: A002
    return {
        "id": tid,
        "type": type,
        "received_at": received,
        "answered_at": answered,
        "complex": complex,
        "progress_notified_at": progress,
        "where": "dsr.csv:2",
    }


def test_five_business_days_skip_the_weekend():
    # received Friday 2026-11-06; the following Friday is the 5th business day, Monday the 6th
    evidence = {
        "records.dsr_tickets": [
            ticket("D1", "2026-11-06T10:00:00Z", "2026-11-13T16:00:00Z"),
            ticket("D2", "2026-11-06T10:00:00Z", "2026-11-16T09:00:00Z"),
        ]
    }
    assert run(ANSWERED, evidence) == {
        "dsr:D1": ("pass", "access request answered after 5 business days (limit 5)"),
        "dsr:D2": ("fail", "access request answered after 6 business days (limit 5)"),
    }


def test_public_holidays_of_the_configured_calendar_do_not_count():
    # received Tuesday 2026-12-22, answered Wednesday 30: 6 weekdays, one of them Christmas Day (Friday 25)
    evidence = {"records.dsr_tickets": [ticket("D1", "2026-12-22T10:00:00Z", "2026-12-30T10:00:00Z")]}
    assert run(ANSWERED, evidence, now=_at("2027-01-05"))["dsr:D1"][0] == "fail"  # 6 business days
    german = run(ANSWERED, evidence, now=_at("2027-01-05"), calendar__country="DE")
    assert german["dsr:D1"] == ("pass", "access request answered after 5 business days (limit 5)")
    company = run(ANSWERED, evidence, now=_at("2027-01-05"), calendar__holidays=["2026-12-24"])
    assert company["dsr:D1"][0] == "pass"


def test_the_day_counts_in_the_calendar_timezone():
    # 23:30 UTC on Thursday is Friday in Berlin, so in Berlin the request arrives a business day later
    # and is answered on Saturday: 6 business days in UTC, 5 in Berlin
    evidence = {"records.dsr_tickets": [ticket("D1", "2026-11-05T23:30:00Z", "2026-11-13T23:30:00Z")]}
    assert run(ANSWERED, evidence)["dsr:D1"][0] == "fail"
    assert run(ANSWERED, evidence, calendar__timezone="Europe/Berlin")["dsr:D1"][0] == "pass"


def test_open_requests_fail_only_after_the_deadline_and_a_bad_calendar_is_an_error():
    evidence = {
        "records.dsr_tickets": [ticket("D1", "2026-11-27T10:00:00Z"), ticket("D2", "2026-11-02T10:00:00Z")]
    }
    assert run(ANSWERED, evidence) == {
        "dsr:D1": ("pass", "access request open, 1 of 5 business days used"),
        "dsr:D2": ("fail", "access request unanswered after 20 business days (limit 5)"),
    }
    assert run(ANSWERED, evidence, calendar__country="XX")["parameter:calendar"][0] == "error"


def test_complex_requests_need_an_advance_notice_and_30_days():
    evidence = {
        "records.dsr_tickets": [
            ticket(
                "C1",
                "2026-10-01T10:00:00Z",
                "2026-10-25T10:00:00Z",
                complex=True,
                progress="2026-10-05T10:00:00Z",
            ),
            ticket("C2", "2026-10-01T10:00:00Z", "2026-10-25T10:00:00Z", complex=True),
            ticket(
                "C3",
                "2026-09-01T10:00:00Z",
                "2026-10-15T10:00:00Z",
                complex=True,
                progress="2026-09-20T10:00:00Z",
            ),
            ticket("S1", "2026-10-01T10:00:00Z", "2026-10-02T10:00:00Z"),
        ]
    }
    assert run(COMPLEX, evidence) == {
        "dsr:C1": ("pass", "complex access request answered after 24 days, user told in advance"),
        "dsr:C2": ("fail", "complex access request: user not told of the extension in advance"),
        "dsr:C3": (
            "fail",
            "complex access request: user told of the extension after 13 business days (limit 5); "
            "answered after 44 days (limit 30)",
        ),
    }
    assert "dsr:C1" not in run(ANSWERED, evidence)  # complex ones have their own deadline


def test_early_deletion_within_15_working_days():
    evidence = {
        "records.dsr_tickets": [
            ticket("E1", "2026-10-01T10:00:00Z", "2026-10-20T10:00:00Z", type="early_deletion"),
            ticket("E2", "2026-10-01T10:00:00Z", "2026-10-23T10:00:00Z", type="early_deletion"),
            ticket("A1", "2026-10-01T10:00:00Z", "2026-10-02T10:00:00Z"),
        ]
    }
    assert run(EARLY, evidence) == {
        "dsr:E1": ("pass", "early_deletion request answered after 13 working days (limit 15)"),
        "dsr:E2": ("fail", "early_deletion request answered after 16 working days (limit 15)"),
    }
    assert "dsr:E1" not in run(ANSWERED, evidence)


def _at(day: str):
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)

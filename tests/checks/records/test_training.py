"""Training checks: everyone in scope trained within the limit, and every record belongs to someone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil import registry

registry.load_plugins()

ANNUAL = "records.training.annual_completion"
KNOWN = "records.training.known_people"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COURSE = "Annual privacy & security compliance"


def person(pid: str, *, access: bool = True, status: str = "active", name: str = "") -> dict:
    return {
        "id": pid,
        "name": name or pid,
        "email": f"{pid}@acme.example",
        "department": "Support",
        "role": "Agent",
        "status": status,
        "personal_data_access": access,
        "where": f"hr/roster.csv:{pid[-1]}",
    }


def trained(pid: str, completed_at: str, course: str = COURSE) -> dict:
    return {"person_id": pid, "course": course, "completed_at": completed_at, "where": "lms/export.csv:2"}


def run(check_id: str, people: list[dict], training: list[dict], now: datetime = NOW, **params) -> dict:
    """Outcomes by resource: (status, message)."""
    check = registry.checks.get(check_id)
    merged = {**check.params, **params, "now": now}
    outcomes = list(check.func({"records.personnel": people, "records.training": training}, merged))
    resources = [o.resource for o in outcomes]
    assert len(resources) == len(set(resources)), "one outcome per resource"
    return {o.resource: (o.status, o.message) for o in outcomes}


def test_trained_within_the_year_passes():
    result = run(ANNUAL, [person("e1001")], [trained("e1001", "2026-08-22")])
    assert result == {"person:e1001": ("pass", "trained 2026-08-22, 100 days ago (limit 365)")}


def test_training_too_long_ago_fails_with_its_age():
    result = run(ANNUAL, [person("e1002")], [trained("e1002", "2025-10-26")])
    assert result == {
        "person:e1002": ("fail", "last compliance training 2025-10-26, 400 days ago (limit 365)")
    }


def test_the_limit_day_itself_still_passes():
    people = [person("e1001"), person("e1002")]
    records = [trained("e1001", "2025-11-30"), trained("e1002", "2025-11-29")]  # 365 and 366 days
    result = run(ANNUAL, people, records)
    assert result["person:e1001"][0] == "pass"
    assert result["person:e1002"] == (
        "fail",
        "last compliance training 2025-11-29, 366 days ago (limit 365)",
    )


def test_max_age_days_parameter():
    result = run(ANNUAL, [person("e1001")], [trained("e1001", "2026-08-22")], **{"training.max_age_days": 90})
    assert result == {
        "person:e1001": ("fail", "last compliance training 2026-08-22, 100 days ago (limit 90)")
    }


def test_never_trained_fails():
    result = run(ANNUAL, [person("e1003")], [trained("e1001", "2026-08-22")])
    assert result == {"person:e1003": ("fail", "no compliance training on record")}


def test_the_latest_completion_counts():
    records = [trained("e1006", "2025-05-14"), trained("e1006", "2026-05-14"), trained("e1006", "2024-05-14")]
    result = run(ANNUAL, [person("e1006")], records)
    assert result == {"person:e1006": ("pass", "trained 2026-05-14, 200 days ago (limit 365)")}


def test_a_date_in_the_future_is_an_error_not_a_pass():
    result = run(ANNUAL, [person("e1007")], [trained("e1007", "2027-01-15")])
    assert result == {
        "person:e1007": ("error", "training dated 2027-01-15 lies in the future: the export is wrong")
    }


def test_the_run_time_comes_from_params():
    records = [trained("e1001", "2026-08-22")]
    later = datetime(2027, 9, 1, tzinfo=UTC)
    assert run(ANNUAL, [person("e1001")], records, now=later)["person:e1001"][0] == "fail"
    assert run(ANNUAL, [person("e1001")], records)["person:e1001"][0] == "pass"


def test_people_out_of_scope_get_no_finding():
    people = [
        person("e1004", access=False),  # forklift driver: never touches personal data
        person("e1005", status="terminated"),
        person("e1001"),
    ]
    result = run(ANNUAL, people, [trained("e1001", "2026-08-22")])
    assert list(result) == ["person:e1001"]


def test_scope_all_includes_people_without_data_access():
    people = [person("e1004", access=False), person("e1005", access=False, status="terminated")]
    result = run(ANNUAL, people, [], **{"training.scope": "all"})
    assert result == {"person:e1004": ("fail", "no compliance training on record")}  # leavers still skipped


def test_courses_filter_counts_only_the_named_courses():
    people = [person("e1001"), person("e1004")]
    records = [
        trained("e1001", "2026-08-22", course="annual privacy & SECURITY compliance"),  # case differs
        trained("e1004", "2026-11-10", course="Forklift safety"),
        trained("e1004", "2024-01-10"),
    ]
    result = run(ANNUAL, people, records, **{"training.courses": [COURSE]})
    assert result["person:e1001"][0] == "pass"
    assert result["person:e1004"] == (
        "fail",
        "last compliance training 2024-01-10, 1055 days ago (limit 365)",
    )
    # without the filter, forklift safety would have counted
    assert run(ANNUAL, people, records)["person:e1004"][0] == "pass"


def test_duplicate_roster_ids_are_an_error_and_not_judged():
    people = [
        person("e1002", name="Ben Whitlock"),
        person("e1002", name="Ben Whitlock (old)"),
        person("e1001"),
    ]
    result = run(ANNUAL, people, [trained("e1001", "2026-08-22"), trained("e1002", "2026-08-22")])
    assert result == {
        "person:e1002": ("error", "person id e1002 appears 2 times in the roster; fix the export"),
        "person:e1001": ("pass", "trained 2026-08-22, 100 days ago (limit 365)"),
    }


def test_nothing_in_scope_yields_nothing():
    assert run(ANNUAL, [person("e1004", access=False)], []) == {}


def test_training_record_of_a_person_on_the_roster_passes():
    result = run(KNOWN, [person("e1001")], [trained("e1001", "2025-08-22"), trained("e1001", "2026-08-22")])
    assert result == {"person:e1001": ("pass", "2 training record(s), person on the roster")}


def test_training_record_of_an_unknown_person_fails():
    result = run(KNOWN, [person("e1001")], [trained("e1001", "2026-08-22"), trained("x9999", "2026-11-18")])
    assert result["person:x9999"] == ("fail", "1 training record(s) for a person who is not on the roster")
    assert result["person:e1001"][0] == "pass"


def test_leavers_still_count_as_known():
    result = run(
        KNOWN, [person("e1005", status="terminated", access=False)], [trained("e1005", "2025-03-01")]
    )
    assert result == {"person:e1005": ("pass", "1 training record(s), person on the roster")}


@pytest.mark.parametrize("check_id", [ANNUAL, KNOWN])
def test_checks_document_themselves(check_id):
    check = registry.checks.get(check_id)
    assert check.needs == ("records.personnel", "records.training")
    assert check.description and check.remediation
    assert "Remediation" not in check.description

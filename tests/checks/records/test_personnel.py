"""Personnel access check: only current employees keep access to personal data."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil import registry

registry.load_plugins()

ACCESS = "records.personnel.access_only_active"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def person(pid: str, status: str, access: bool) -> dict:
    return {
        "id": pid,
        "name": f"Person {pid}",
        "email": f"{pid}@acme.example",
        "department": "Engineering",
        "role": "Engineer",
        "status": status,
        "personal_data_access": access,
        "where": "hr/roster.csv:2",
    }


def run(people: list[dict]) -> dict:
    check = registry.checks.get(ACCESS)
    outcomes = check.func({"records.personnel": people}, {**check.params, "now": NOW})
    return {o.resource: (o.status, o.message) for o in outcomes}


def test_active_employee_with_access_passes():
    assert run([person("e1001", "active", True)]) == {
        "person:e1001": ("pass", "active employee with personal-data access")
    }


def test_leaver_with_access_fails():
    assert run([person("e1005", "terminated", True), person("e1009", "resigned", True)]) == {
        "person:e1005": ("fail", "status 'terminated' but still has personal-data access"),
        "person:e1009": ("fail", "status 'resigned' but still has personal-data access"),
    }


def test_people_without_access_are_not_judged():
    assert run([person("e1004", "active", False), person("e1010", "terminated", False)]) == {}


def test_duplicate_roster_ids_are_an_error():
    people = [
        person("e1002", "active", True),
        person("e1002", "terminated", True),
        person("e1001", "active", True),
    ]
    assert run(people) == {
        "person:e1002": ("error", "person id e1002 appears 2 times in the roster; fix the export"),
        "person:e1001": ("pass", "active employee with personal-data access"),
    }


def test_check_metadata():
    check = registry.checks.get(ACCESS)
    assert check.needs == ("records.personnel",)
    assert check.severity == "high"
    assert check.remediation.startswith("revoke the leaver's access")

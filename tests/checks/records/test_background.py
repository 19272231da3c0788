"""Background checks: passed before personal-data access began, from the roster, access list and IAM."""

from __future__ import annotations

from .support import outcomes, person, run

CHECK = "records.background_checks.before_access"


def screened(pid: str, completed_at: str | None, status: str = "clear") -> dict:
    return {"person_id": pid, "completed_at": completed_at, "status": status, "where": "bg.csv:2"}


def grant(pid: str, system: str = "CRM", granted_at: str | None = "2024-01-10", **extra) -> dict:
    return {
        "person_id": pid,
        "system": system,
        "personal_data": True,
        "account": pid,
        "granted_at": granted_at,
        "revoked_at": None,
        "where": "access.csv:2",
    } | extra


def test_check_passed_before_access_began_passes_and_cites_the_check():
    found = outcomes(
        CHECK,
        {
            "records.personnel": [person("e1", start_date="2024-01-08")],
            "records.background_checks": [screened("e1", "2023-12-20")],
            "records.access_list": [grant("e1")],
        },
    )
    assert [(o.status, o.resource) for o in found] == [("pass", "person:e1")]
    assert found[0].cite["where"] == "bg.csv:2"


def test_check_completed_after_access_began_fails_naming_the_system():
    result = run(
        CHECK,
        {
            "records.personnel": [person("e1")],
            "records.background_checks": [screened("e1", "2024-02-01")],
            "records.access_list": [grant("e1", "Billing DB", "2024-01-10")],
        },
    )
    assert result == {
        "person:e1": (
            "fail",
            "background check completed 2024-02-01, after access to Billing DB began on 2024-01-10",
        )
    }


def test_pending_or_missing_check_fails_and_people_without_access_are_not_judged():
    result = run(
        CHECK,
        {
            "records.personnel": [person("e1"), person("e2"), person("e3", access=False)],
            "records.background_checks": [screened("e1", None, "pending")],
        },
    )
    assert result == {
        "person:e1": ("fail", "has personal-data access but no passed background check (pending)"),
        "person:e2": ("fail", "has personal-data access but no passed background check (none on record)"),
    }


def test_access_list_holder_without_roster_entry_fails():
    result = run(
        CHECK,
        {
            "records.personnel": [person("e1", access=False)],
            "records.background_checks": [],
            "records.access_list": [grant("c9")],
        },
    )
    assert result == {"person:c9": ("fail", "has access to CRM but is not on the roster")}


def test_iam_users_trace_to_people_by_tag_or_username():
    users = [
        {
            "arn": "arn:aws:iam::1:user/fhaddad",
            "user_name": "fhaddad",
            "tags": {},
            "create_date": "2024-01-01T09:00:00Z",
            "password_enabled": True,
        },
        {
            "arn": "arn:aws:iam::1:user/ops",
            "user_name": "ops",
            "tags": {"Employee-Id": "e2"},
            "create_date": "2025-06-01T09:00:00Z",
            "password_enabled": True,
        },
        {
            "arn": "arn:aws:iam::1:user/ghost",
            "user_name": "ghost",
            "tags": {},
            "create_date": "2025-06-01T09:00:00Z",
            "password_enabled": True,
        },
        {
            "arn": "arn:aws:iam::1:user/ci",
            "user_name": "ci",
            "tags": {},
            "create_date": "2025-06-01T09:00:00Z",
            "password_enabled": False,
        },
    ]
    result = run(
        CHECK,
        {
            "records.personnel": [person("e1", access=False, username="fhaddad"), person("e2", access=False)],
            "records.background_checks": [screened("e1", "2024-03-01"), screened("e2", "2025-05-01")],
            "aws.iam.users": users,
        },
    )
    assert result["person:e1"] == (
        "fail",
        "background check completed 2024-03-01, after AWS IAM user fhaddad began on 2024-01-01",
    )
    assert result["person:e2"][0] == "pass"
    assert result["arn:aws:iam::1:user/ghost"][0] == "fail"
    assert "arn:aws:iam::1:user/ci" not in result  # key-only users are machines


def test_a_check_dated_in_the_future_is_an_error():
    result = run(
        CHECK,
        {"records.personnel": [person("e1")], "records.background_checks": [screened("e1", "2027-01-01")]},
    )
    assert result["person:e1"][0] == "error"


def test_passing_statuses_parameter():
    evidence = {
        "records.personnel": [person("e1")],
        "records.background_checks": [screened("e1", "2020-01-01", "passed")],
    }
    assert run(CHECK, evidence)["person:e1"][0] == "fail"
    assert run(CHECK, evidence, background_check__passing_statuses=["passed"])["person:e1"][0] == "pass"


def test_the_roster_start_date_counts_as_the_start_of_access():
    result = run(
        CHECK,
        {
            "records.personnel": [person("e1", start_date="2024-01-08")],
            "records.background_checks": [screened("e1", "2024-02-01")],
        },
    )
    assert result == {
        "person:e1": (
            "fail",
            "background check completed 2024-02-01, "
            "after employment with personal-data access began on 2024-01-08",
        )
    }

"""Access: holders authorised, reviews on time, removals done, leavers disabled within the deadline."""

from __future__ import annotations

from .support import person, run


def grant(
    pid: str, system: str = "CRM", *, account: str | None = None, revoked_at=None, pd: bool = True
) -> dict:
    return {
        "person_id": pid,
        "system": system,
        "personal_data": pd,
        "account": account,
        "granted_at": "2024-01-10",
        "revoked_at": revoked_at,
        "where": "access.csv:3",
    }


def review(system: str, reviewed_at: str, account=None, decision="keep", removed_at=None) -> dict:
    return {
        "system": system,
        "reviewed_at": reviewed_at,
        "reviewer": "dpo",
        "account": account,
        "decision": decision,
        "removed_at": removed_at,
        "where": "reviews.csv:2",
    }


def test_holders_active_and_cleared_pass_others_fail():
    result = run(
        "records.access_list.holders_authorised",
        {
            "records.personnel": [
                person("e1"),
                person("e2", access=False),
                person("e3", status="terminated"),
            ],
            "records.access_list": [
                grant("e1", account="ada"),
                grant("e2"),
                grant("e3"),
                grant("x9"),
                grant("e1", "Wiki", pd=False),
                grant("e3", "Billing", revoked_at="2026-01-01"),
            ],
        },
    )
    assert result == {
        "access:CRM:ada": ("pass", "held by active, cleared employee e1"),
        "access:CRM:e2": ("fail", "held by e2, whom the roster does not clear for personal data"),
        "access:CRM:e3": ("fail", "held by e3, whose status is 'terminated'"),
        "access:CRM:x9": ("fail", "held by x9, who is not on the roster"),
    }


def test_review_interval_per_system_including_unreviewed_personal_data_systems():
    result = run(
        "records.access_reviews.interval",
        {
            "records.access_reviews": [
                review("CRM", "2026-10-01"),
                review("crm", "2026-03-01"),
                review("Billing", "2026-05-01"),
            ],
            "records.access_list": [grant("e1", "HR suite"), grant("e1", "Wiki", pd=False)],
        },
    )
    assert result == {
        "system:Billing": ("fail", "last access review 2026-05-01, 213 days ago (limit 90)"),
        "system:CRM": ("pass", "access reviewed 2026-10-01, 60 days ago (limit 90)"),
        "system:HR suite": ("fail", "holds personal data and has no access review on record"),
    }


def test_review_interval_parameter():
    evidence = {"records.access_reviews": [review("CRM", "2026-10-01")], "records.access_list": []}
    assert (
        run("records.access_reviews.interval", evidence, access_review__max_interval_days=30)["system:CRM"][0]
        == "fail"
    )


def test_removals_done_or_still_listed():
    result = run(
        "records.access_reviews.removals_done",
        {
            "records.access_reviews": [
                review("CRM", "2026-10-01", "old.contractor", "remove", "2026-10-02"),
                review("CRM", "2026-10-01", "tmp", "remove"),
                review("Billing", "2026-10-01", "svc", "remove", "2026-10-03"),
                review("CRM", "2026-10-01", "ada", "keep"),
            ],
            "records.access_list": [grant("c1", "Billing", account="svc")],
        },
    )
    assert result == {
        "access:CRM:old.contractor": ("pass", "marked 2026-10-01, removed 2026-10-02"),
        "access:CRM:tmp": ("fail", "marked for removal on 2026-10-01, no removal on record"),
        "access:Billing:svc": ("fail", "marked for removal on 2026-10-01 but still on the access list"),
    }


def test_leavers_disabled_within_the_deadline():
    people = [
        person("e1", status="terminated", end_date="2026-09-30"),
        person("e2", status="terminated", end_date="2026-10-31"),
        person("e3", status="terminated", end_date="2026-11-01"),
        person("e4", end_date="2027-01-31"),  # leaving later: not judged yet
        person("e5"),
    ]
    result = run(
        "records.personnel.leavers_disabled",
        {
            "records.personnel": people,
            "records.access_list": [
                grant("e1", revoked_at="2026-10-01"),
                grant("e2", revoked_at="2026-11-04"),
                grant("e3"),
                grant("e4"),
            ],
            "aws.iam.users": [],
        },
    )
    assert result == {
        "person:e1": ("pass", "left 2026-09-30: 1 account(s), all disabled in time"),
        "person:e2": ("fail", "left 2026-10-31: CRM revoked 4 days after (limit 1 day(s))"),
        "person:e3": ("fail", "left 2026-11-01: CRM still live 29 days after (limit 1 day(s))"),
    }


def test_leaver_with_an_enabled_iam_user_fails():
    user = {
        "arn": "arn:aws:iam::1:user/eve",
        "user_name": "eve",
        "tags": {"person_id": "e1"},
        "password_enabled": False,
        "access_keys": [{"id": "AKIA1", "status": "Active"}],
    }
    result = run(
        "records.personnel.leavers_disabled",
        {
            "records.personnel": [person("e1", status="terminated", end_date="2026-10-01")],
            "records.access_list": [],
            "aws.iam.users": [user],
        },
    )
    assert result["person:e1"] == ("fail", "left 2026-10-01: AWS IAM user eve still enabled (limit 1 day(s))")

"""Personal-data access only by authorised, screened, trained people; root and break-glass use."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.checks.logs.helpers import log_evidence, run
from tests.logfiles import auth_line, ct_event, write_cloudtrail, write_lines

AUTHORISED = "logs.access.personal_data_authorised"
ROOT = "logs.access.root_use"
T0 = datetime(2026, 11, 30, 9, 0, 0)


def person(pid, email, *, access=True, status="active", username=None):
    item = {
        "id": pid,
        "name": pid,
        "email": email,
        "department": "Support",
        "role": "Agent",
        "status": status,
        "personal_data_access": access,
        "where": f"hr.csv:{pid[-1]}",
    }
    if username:
        item["username"] = username
    return item


def screened(pid, completed_at="2025-06-01", status="clear"):
    return {"person_id": pid, "completed_at": completed_at, "status": status, "where": "bg.csv:2"}


def trained(pid, completed_at="2026-09-01"):
    return {"person_id": pid, "course": "Privacy", "completed_at": completed_at, "where": "lms.csv:2"}


def db_log(tmp_path, users):
    lines = [
        auth_line(
            T0 + timedelta(minutes=i), f"Accepted publickey for {user} from 10.0.0.{i + 1} port 22 ssh2"
        )
        for i, user in enumerate(users)
    ]
    write_lines(tmp_path / "db01" / "auth.log", lines)
    return log_evidence(tmp_path, {"path": "db01/auth.log", "system": "db01", "personal_data": True})


def evidence(logs, people, training, checks):
    return {
        "logs.access": logs,
        "records.personnel": people,
        "records.training": training,
        "records.background_checks": checks,
    }


def test_authorised_screened_trained_person_passes_by_username_or_email_local_part(tmp_path):
    logs = db_log(tmp_path, ["ada", "ben.w"])
    people = [person("e1", "ada.okafor@acme.example", username="ada"), person("e2", "ben.w@acme.example")]
    result = run(
        AUTHORISED, evidence(logs, people, [trained("e1"), trained("e2")], [screened("e1"), screened("e2")])
    )
    status, message, location = result["access:db01:ada"]
    assert status == "pass" and message.startswith("ada (person e1): authorised, screened and trained")
    assert location == {"path": "db01/auth.log", "line": 1}
    assert result["access:db01:ben.w"][0] == "pass"


def test_each_missing_condition_is_named_with_the_log_line(tmp_path):
    logs = db_log(tmp_path, ["ada", "ben", "chen", "dana", "eve", "zed"])
    people = [
        person("e1", "ada@acme.example"),
        person("e2", "ben@acme.example", access=False),  # not authorised in the roster
        person("e3", "chen@acme.example"),  # background check pending
        person("e4", "dana@acme.example"),  # check completed after the access
        person("e5", "eve@acme.example", status="terminated"),
    ]
    training = [trained("e1", "2025-01-10"), trained("e2"), trained("e3"), trained("e4"), trained("e5")]
    checks = [
        screened("e1"),
        screened("e2"),
        screened("e3", None, "pending"),
        screened("e4", "2026-12-01"),
        screened("e5"),
    ]
    result = run(AUTHORISED, evidence(logs, people, training, checks))
    assert result["access:db01:ada"][0] == "fail"
    assert "last compliance training 2025-01-10, 690 days ago (limit 365)" in result["access:db01:ada"][1]
    assert "not authorised for personal data in the roster" in result["access:db01:ben"][1]
    assert "no completed background check (pending)" in result["access:db01:chen"][1]
    assert (
        "background check completed 2026-12-01, after the first access 2026-11-30"
        in result["access:db01:dana"][1]
    )
    assert "roster status 'terminated'" in result["access:db01:eve"][1]
    status, message, location = result["access:db01:zed"]
    assert status == "fail" and "'zed', who matches nobody on the roster" in message
    assert location == {"path": "db01/auth.log", "line": 6}
    assert "1 personal-data access(es) from 2026-11-30T09:05:00Z (db01/auth.log:6)" in message


def test_cloudtrail_principals_service_accounts_aliases_and_ambiguity(tmp_path):
    write_cloudtrail(
        tmp_path / "ct.json.gz",
        [
            ct_event("2026-11-30T10:00:00Z", user="ada"),  # IAM user
            ct_event(
                "2026-11-30T10:01:00Z", kind="AssumedRole", user="ada.okafor@acme.example"
            ),  # SSO session
            ct_event("2026-11-30T10:02:00Z", user="etl-nightly"),  # approved machine account
            ct_event("2026-11-30T10:03:00Z", user="svc-7"),  # alias to a person
            ct_event("2026-11-30T10:04:00Z", user="sam"),  # two people are called sam
            ct_event("2026-11-30T10:05:00Z", kind="AWSService", source="s3.amazonaws.com"),
            ct_event("2026-11-30T10:06:00Z", kind="Root", bucket="customer-data"),
            ct_event("2026-11-30T10:07:00Z", user="ben", bucket="public-assets"),  # no personal data there
        ],
    )
    logs = log_evidence(
        tmp_path, {"path": "ct.json.gz", "system": "aws", "personal_data_resources": ["*customer-data*"]}
    )
    people = [
        person("e1", "ada.okafor@acme.example", username="ada"),
        person("e2", "sam@one.example"),
        person("e3", "sam@two.example"),
        person("e4", "ben@acme.example"),
    ]
    result = run(
        AUTHORISED,
        evidence(logs, people, [trained("e1")], [screened("e1")]),
        **{"logs.service_accounts": ["etl-*"], "logs.principal_aliases": ["svc-7=e1"]},
    )
    assert result["access:aws:ada"][0] == "pass"
    assert result["access:aws:ada.okafor@acme.example"][0] == "pass"
    assert result["access:aws:etl-nightly"][:2] == (
        "pass",
        "approved service account: 1 personal-data access(es) from 2026-11-30T10:02:00Z (ct.json.gz:[2])",
    )
    assert result["access:aws:svc-7"][0] == "pass"
    assert result["access:aws:sam"][0] == "error" and "e2, e3" in result["access:aws:sam"][1]
    root = result["access:aws:arn:aws:iam::123456789012:root"]
    assert root[0] == "fail" and "not attributable to a person" in root[1]
    assert not any("ben" in r or "s3.amazonaws.com" in r for r in result)


def test_root_and_break_glass_use_fail_with_first_and_last_use(tmp_path):
    lines = [
        auth_line(T0, "Accepted publickey for ada from 10.0.0.5 port 1 ssh2"),
        auth_line(
            T0 + timedelta(minutes=5),
            "pam_unix(su-l:session): session opened for user root(uid=0) by ada(uid=1000)",
            program="su[9]",
        ),
        auth_line(T0 + timedelta(minutes=9), "Accepted password for root from 10.0.0.7 port 2 ssh2"),
        auth_line(
            T0 + timedelta(minutes=11), "Accepted password for breakglass-01 from 10.0.0.8 port 3 ssh2"
        ),
        auth_line(T0 + timedelta(minutes=12), "Failed password for emergency from 203.0.113.1 port 3 ssh2"),
    ]
    write_lines(tmp_path / "auth.log", lines)
    logs = log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})
    result = run(ROOT, {"logs.access": logs})
    status, message, location = result["account:web01:root"]
    assert status == "fail" and location == {"path": "auth.log", "line": 2}
    assert message == (
        "root account root used 2 time(s), via ada: first 2026-11-30T09:05:00Z (auth.log:2), "
        "last 2026-11-30T09:09:00Z (auth.log:3)"
    )
    assert result["account:web01:breakglass-01"][0] == "fail"
    assert "account:web01:emergency" not in result  # failed attempts only: that is brute force's business
    assert "logs:web01" not in result


def test_no_root_use_passes_per_source(tmp_path):
    write_lines(
        tmp_path / "auth.log", [auth_line(T0, "Accepted publickey for ada from 10.0.0.5 port 1 ssh2")]
    )
    result = run(ROOT, {"logs.access": log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})})
    assert result == {
        "logs:web01": (
            "pass",
            "no root or break-glass use in 1 event(s), 2026-11-30T09:00:00Z to 2026-11-30T09:00:59Z",
            None,
        )
    }


def test_passing_background_statuses_are_a_parameter(tmp_path):
    logs = db_log(tmp_path, ["ada"])
    records = evidence(
        logs, [person("e1", "ada@acme.example")], [trained("e1")], [screened("e1", status="cleared")]
    )
    assert "no completed background check (cleared)" in run(AUTHORISED, records)["access:db01:ada"][1]
    relaxed = run(AUTHORISED, records, **{"background_check.passing_statuses": ["clear", "cleared"]})
    assert relaxed["access:db01:ada"][0] == "pass"


def test_principals_beyond_the_cap_are_an_error_not_a_silent_pass(tmp_path, monkeypatch):
    from vigil.collectors.logs import aggregate

    monkeypatch.setattr(aggregate, "MAX_PRINCIPALS", 2)
    logs = db_log(tmp_path, ["ada", "ben", "chen", "chen"])
    people = [person("e1", "ada@acme.example"), person("e2", "ben@acme.example")]
    result = run(
        AUTHORISED, evidence(logs, people, [trained("e1"), trained("e2")], [screened("e1"), screened("e2")])
    )
    assert result["logs:db01"][:2] == (
        "error",
        "2 event(s) of principals beyond the 2 the evidence keeps were not judged",
    )
    assert result["access:db01:ada"][0] == "pass"

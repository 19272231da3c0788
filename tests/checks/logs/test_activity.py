"""Brute force, unusual hours and gaps, judged on evidence collected from real log files."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.checks.logs.helpers import log_evidence, run
from tests.logfiles import auth_line, ct_event, write_cloudtrail, write_lines

BRUTE = "logs.auth.brute_force"
HOURS = "logs.auth.unusual_hours"
GAPS = "logs.coverage.max_gap"
T0 = datetime(2026, 11, 30, 10, 0, 0)  # a Monday


def failures(user, start, n, every=timedelta(seconds=20)):
    return [
        auth_line(start + i * every, f"Failed password for {user} from 203.0.113.9 port {4000 + i} ssh2")
        for i in range(n)
    ]


def login(user, when):
    return auth_line(when, f"Accepted password for {user} from 203.0.113.9 port 5000 ssh2")


def test_success_after_many_quick_failures_is_brute_force(tmp_path):
    lines = [*failures("ada", T0, 6), login("ada", T0 + timedelta(minutes=3))]
    write_lines(tmp_path / "auth.log", lines)
    result = run(BRUTE, {"logs.access": log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})})
    status, message, location = result["login:web01:ada:2026-11-30T10:03:00Z"]
    assert status == "fail" and location == {"path": "auth.log", "line": 7}
    assert message == (
        "ada logged in at 2026-11-30T10:03:00Z (auth.log:7) after 6 failed attempt(s), 6 within 10 min "
        "(from 203.0.113.9; first kept failure 2026-11-30T10:00:00Z (auth.log:1))"
    )
    assert "logs:web01" not in result


def test_few_or_slow_failures_are_not_brute_force_and_thresholds_apply(tmp_path):
    lines = [
        *failures("ada", T0, 3),
        login("ada", T0 + timedelta(minutes=2)),  # 3 failures: under 5
        *failures("ben", T0 + timedelta(minutes=5), 6, every=timedelta(minutes=5)),
        login("ben", T0 + timedelta(minutes=40)),  # 6 failures over 30 minutes: 2 within 10 min
    ]
    write_lines(tmp_path / "auth.log", lines)
    evidence = {"logs.access": log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})}
    result = run(BRUTE, evidence)
    assert result == {"logs:web01": ("pass", "no login after 5+ failures within 10 min in 11 event(s)", None)}
    stricter = run(BRUTE, evidence, **{"logs.brute_force.failures": 3})
    assert stricter["login:web01:ada:2026-11-30T10:02:00Z"][0] == "fail"
    wider = run(BRUTE, evidence, **{"logs.brute_force.window_minutes": 40})
    assert wider["login:web01:ben:2026-11-30T10:40:00Z"][0] == "fail"
    assert (
        run(BRUTE, evidence, **{"logs.brute_force.failures": 11})["check:logs.auth.brute_force"][0] == "error"
    )


def test_logins_outside_working_hours_fail_per_account(tmp_path):
    saturday = datetime(2026, 11, 28, 11, 0)
    lines = [
        login("ada", saturday),
        login("ada", T0),
        login("ben", T0 + timedelta(hours=1)),
        login("ada", T0 + timedelta(hours=12)),  # Monday 22:00
        login("oncall-1", T0 + timedelta(hours=14)),
    ]
    write_lines(tmp_path / "auth.log", lines)
    evidence = {"logs.access": log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})}
    result = run(HOURS, evidence, **{"logs.unusual_hours.exempt": ["oncall-*"]})
    status, message, location = result["logins:web01:ada"]
    assert status == "fail"
    assert message == (
        "2 of 3 login(s) outside working hours (07-20h, days [1, 2, 3, 4, 5]): Mon 22h x1, Sat 11h x1; "
        "first 2026-11-28T11:00:00Z (auth.log:1)"
    )
    assert location == {"path": "auth.log", "line": 1}
    assert result["logins:web01:ben"][0] == "pass"
    assert "logins:web01:oncall-1" not in result
    weekend_shift = run(HOURS, evidence, **{"logs.work_days": [1, 2, 3, 4, 5, 6], "logs.work_hours.end": 23})
    assert weekend_shift["logins:web01:ada"][0] == "pass"


def test_working_hours_follow_the_source_time_zone(tmp_path):
    write_cloudtrail(
        tmp_path / "ct.json.gz", [ct_event("2026-11-30T19:30:00Z", "ConsoleLogin", login="Success")]
    )
    utc = {"logs.access": log_evidence(tmp_path, {"path": "ct.json.gz", "system": "aws"})}
    assert run(HOURS, utc)["logins:aws:alice"][0] == "pass"
    berlin = {
        "logs.access": log_evidence(
            tmp_path, {"path": "ct.json.gz", "system": "aws", "timezone": "Europe/Berlin"}
        )
    }
    assert "Mon 20h x1" in run(HOURS, berlin)["logins:aws:alice"][1]  # 20:30 in Berlin


def test_gaps_over_the_limit_fail_citing_both_sides(tmp_path):
    lines = [login("ada", T0 + timedelta(minutes=m)) for m in (0, 10, 20, 115, 120)]
    write_lines(tmp_path / "auth.log", lines)
    evidence = {"logs.access": log_evidence(tmp_path, {"path": "auth.log", "system": "web01"})}
    result = run(GAPS, evidence)
    assert result == {
        "gap:web01:2026-11-30T10:20Z": (
            "fail",
            "no event for 94 min (limit 60) between 2026-11-30T10:20Z (auth.log:3) "
            "and 2026-11-30T11:55Z (auth.log:4)",
            {"path": "auth.log", "line": 4},
        )
    }
    assert run(GAPS, evidence, **{"logs.max_gap_minutes": 94})["logs:web01"][0] == "pass"


def test_gap_check_passes_a_continuous_log_and_fails_an_empty_one(tmp_path):
    write_lines(tmp_path / "auth.log", [login("ada", T0 + timedelta(minutes=m)) for m in range(0, 300, 30)])
    (tmp_path / "empty.log").write_text("")
    evidence = {
        "logs.access": log_evidence(
            tmp_path, {"path": "auth.log", "system": "web01"}, {"path": "empty.log", "system": "web02"}
        )
    }
    result = run(GAPS, evidence)
    assert result["logs:web01"] == (
        "pass",
        "10 event(s) from 2026-11-30T10:00:00Z to 2026-11-30T14:30:59Z, no gap over 60 min",
        None,
    )
    assert result["logs:web02"][:2] == ("fail", "the log source holds no event at all")

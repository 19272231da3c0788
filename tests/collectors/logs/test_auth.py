"""auth.log / secure: sshd logins, rsyslog repeats, su and console root logins, gaps and bad lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil.collectors.logs import auth
from vigil.collectors.logs.access import access_logs

from tests.logfiles import auth_line, truncate, write_lines
from vigil.model import CollectContext

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 30, 1, 58, 1)


def collect(base: Path, now: datetime = NOW, **target):
    result = access_logs(target, CollectContext(base_dir=base, now=lambda: now))
    by: dict[str, list] = {}
    for item in result.data:
        by.setdefault(item["record"], []).append(item)
    return by, result.problems


def night(t0: datetime = T0) -> list[str]:
    return [
        auth_line(t0, "Accepted publickey for alice from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:Zm9vYmFy"),
        auth_line(
            t0 + timedelta(minutes=1),
            "pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)",
        ),
        auth_line(t0 + timedelta(minutes=2), "Failed password for bob from 203.0.113.9 port 4242 ssh2"),
        auth_line(
            t0 + timedelta(minutes=2, seconds=9),
            "message repeated 5 times: [ Failed password for bob from 203.0.113.9 port 4242 ssh2]",
        ),
        auth_line(t0 + timedelta(minutes=3), "Accepted password for bob from 203.0.113.9 port 4242 ssh2"),
        auth_line(
            t0 + timedelta(minutes=3),
            "Failed password for invalid user admin from 203.0.113.9 port 4243 ssh2",
        ),
        auth_line(t0 + timedelta(minutes=90), "Accepted password for root from 10.0.0.7 port 4000 ssh2"),
        auth_line(
            t0 + timedelta(minutes=91),
            "pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1001)",
            program="su[3001]",
        ),
        auth_line(
            t0 + timedelta(minutes=92),
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            program="CRON[3100]",
        ),
        auth_line(t0 + timedelta(minutes=93), "ROOT LOGIN  on '/dev/tty1'", program="login[812]"),
    ]


def test_logins_failures_repeats_and_root_use_become_principals_and_a_streak(tmp_path):
    write_lines(tmp_path / "var" / "auth.log", night())
    by, problems = collect(
        tmp_path, path="var/auth.log", system="db01", personal_data=True, timezone="Europe/Berlin"
    )
    assert problems == ()
    source = by["source"][0]
    assert source["format"] == "auth" and source["events"] == 14  # 10 lines, one stands for 5 failures
    people = {p["principal"]: p for p in by["principal"]}
    assert (people["bob"]["logins_failed"], people["bob"]["logins_ok"]) == (6, 1)
    assert people["bob"]["personal_data_first"]["where"] == "var/auth.log:5"
    # Berlin is UTC+1 in November: 01:58 local is 00:58 UTC on Monday 30 November
    assert people["alice"]["first_event"]["time"] == "2026-11-30T00:58:01Z"
    # logins by local weekday and hour: Monday 01h, with the first login of that hour
    assert people["alice"]["logins_by_hour"] == [[1, 1, 1, "var/auth.log:1", "2026-11-30T00:58:01Z"]]
    root = people["root"]
    assert root["kind"] == "root" and root["events"] == 3 and root["via"] == ["alice", "console"]
    assert root["first_event"]["where"] == "var/auth.log:7"
    (streak,) = by["login_streak"]
    assert (streak["principal"], streak["failures"], streak["where"]) == ("bob", 6, "var/auth.log:5")
    assert source["most_failed"][0]["principal"] == "unknown user"  # nonexistent accounts, one name
    (gap,) = by["gap"]
    assert gap["silent_minutes"] == 86 and gap["where"] == "var/auth.log:7"
    assert gap["previous_event"]["where"] == "var/auth.log:6"


def test_year_comes_from_collection_time_across_new_year(tmp_path):
    lines = [
        auth_line(
            datetime(2026, 12, 31, 23, 59, 0), "Accepted publickey for alice from 10.0.0.5 port 1 ssh2"
        ),
        auth_line(datetime(2027, 1, 1, 0, 1, 0), "Accepted publickey for alice from 10.0.0.5 port 1 ssh2"),
    ]
    write_lines(tmp_path / "auth.log", lines)
    by, _ = collect(tmp_path, now=datetime(2027, 1, 2, tzinfo=UTC), path="auth.log")
    alice = by["principal"][0]
    assert alice["first_event"]["time"] == "2026-12-31T23:59:00Z"
    assert alice["last_event"]["time"] == "2027-01-01T00:01:00Z"
    # a fixed `year` puts every line in that year
    by, _ = collect(tmp_path, now=datetime(2027, 1, 2, tzinfo=UTC), path="auth.log", year=2025)
    assert by["principal"][0]["first_event"]["time"] == "2025-01-01T00:01:00Z"
    assert by["principal"][0]["last_event"]["time"] == "2025-12-31T23:59:00Z"


def test_rfc5424_times_and_gzip_rotated_files(tmp_path):
    lines = [
        "2026-11-30T10:00:00.123456+01:00 web01 sshd[1]: Accepted publickey for carol from 10.0.0.9 port 2",
        "2026-11-30T10:05:00.5+01:00 web01 sshd[1]: Failed password for carol from 10.0.0.9 port 2 ssh2",
    ]
    write_lines(tmp_path / "auth.log.2.gz", lines, compress=True)
    write_lines(
        tmp_path / "auth.log.1",
        [auth_line(datetime(2026, 11, 30, 12, 0), "Accepted publickey for dan from 10.0.0.1 port 3 ssh2")],
    )
    by, problems = collect(tmp_path, path="auth.log.*", format="auth")
    assert problems == ()
    people = {p["principal"]: p for p in by["principal"]}
    assert people["carol"]["first_event"] == {
        "where": "auth.log.2.gz:1",
        "path": "auth.log.2.gz",
        "line": 1,
        "time": "2026-11-30T09:00:00Z",
    }
    assert people["dan"]["first_event"]["where"] == "auth.log.1:1"


def test_truncated_gzip_names_the_line_and_keeps_what_was_read(tmp_path, monkeypatch):
    monkeypatch.setattr(auth, "CHUNK", 4096)
    lines = [
        auth_line(
            T0 + timedelta(seconds=i), f"Accepted publickey for user{i % 9} from 10.0.0.5 port {i} ssh2"
        )
        for i in range(20000)
    ]
    truncate(write_lines(tmp_path / "auth.log.gz", lines, compress=True), 0.6)
    by, problems = collect(tmp_path, path="auth.log.gz")
    (problem,) = problems
    stopped = int(problem["where"].rsplit(":", 1)[1])
    assert 1000 < stopped < 20000
    assert problem["message"].startswith(f"auth.log.gz: unreadable from line {stopped} on")
    assert by["source"][0]["events"] == stopped - 1
    assert by["source"][0]["files"][0] == {
        "path": "auth.log.gz",
        "complete": False,
        "lines": stopped - 1,
        "stopped_at": problem["where"],
    }


def test_lines_without_a_time_are_reported_once_with_the_first(tmp_path):
    lines = night()
    lines[3:3] = ["-- Journal begins at Mon 2026-11-30 --", "garbage"]
    write_lines(tmp_path / "auth.log", lines)
    by, problems = collect(tmp_path, path="auth.log")
    assert problems == (
        {
            "where": "auth.log:4",
            "message": "2 event(s) not understood and left out, first auth.log:4: "
            "no syslog time at the start of the line",
        },
    )
    assert by["source"][0]["events"] == 14

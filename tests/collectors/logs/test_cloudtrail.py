"""CloudTrail files: gzip JSON as AWS delivers it, per-principal aggregates; broken files named by record."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from vigil.collectors.logs import cloudtrail
from vigil.collectors.logs.access import access_logs

from tests.logfiles import ct_event, truncate, write_cloudtrail
from vigil.errors import UserError
from vigil.model import CollectContext

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def collect(base: Path, **target):
    ctx = CollectContext(base_dir=base, now=lambda: NOW)
    result = access_logs(target, ctx)
    by = {}
    for item in result.data:
        by.setdefault(item["record"], []).append(item)
    return by, result.problems


def trail_day() -> list[dict]:
    return [
        ct_event("2026-11-30T08:00:05Z", "ConsoleLogin", user="alice", login="Success"),
        ct_event("2026-11-30T08:01:00Z", user="alice"),
        ct_event("2026-11-30T08:02:00Z", user="alice", bucket="build-artifacts"),
        ct_event("2026-11-30T08:03:00Z", user="mallory", error="AccessDenied"),
        ct_event("2026-11-30T09:15:00Z", "ListBuckets", kind="Root", bucket=None),
        ct_event("2026-11-30T09:20:00Z", kind="AssumedRole", user="bob@acme.example"),
        ct_event("2026-11-30T09:21:00Z", kind="AWSService", source="cloudtrail.amazonaws.com"),
    ]


def test_gzip_trail_gives_principals_with_personal_data_access_and_records_cited(tmp_path):
    write_cloudtrail(tmp_path / "ct" / "a.json.gz", trail_day())
    by, problems = collect(
        tmp_path, path="ct/*.json.gz", system="aws-prod", personal_data_resources=["arn:aws:s3:::customer-*"]
    )
    assert problems == ()
    (source,) = by["source"]
    assert source["format"] == "cloudtrail"  # inferred from .json.gz
    assert source["events"] == 7 and source["files"] == [
        {"path": "ct/a.json.gz", "complete": True, "records": 7}
    ]
    people = {p["principal"]: p for p in by["principal"]}
    alice = people["alice"]
    # the console login reaches no resource; the build-artifacts bucket holds no personal data
    assert (alice["logins_ok"], alice["events"], alice["personal_data_events"]) == (1, 3, 1)
    assert alice["personal_data_first"]["where"] == "ct/a.json.gz:[1]"
    assert alice["personal_data_first"]["time"] == "2026-11-30T08:01:00Z"
    assert alice["arn"] == "arn:aws:iam::123456789012:user/alice"
    assert alice["logins_by_hour"] == [[1, 8, 1, "ct/a.json.gz:[0]", "2026-11-30T08:00:05Z"]]
    # denied calls are no access; the root user is kind root; an SSO session is named by its session
    assert people["mallory"]["personal_data_events"] == 0
    root = people["arn:aws:iam::123456789012:root"]
    assert root["kind"] == "root" and root["first_event"]["where"] == "ct/a.json.gz:[4]"
    assert people["bob@acme.example"]["kind"] == "role-session"
    assert people["cloudtrail.amazonaws.com"]["kind"] == "service"


def test_failed_console_logins_then_success_is_a_streak(tmp_path):
    fails = [
        ct_event(f"2026-11-30T02:0{i}:00Z", "ConsoleLogin", user="carol", login="Failure", ip="203.0.113.9")
        for i in range(6)
    ]
    ok = ct_event("2026-11-30T02:07:30Z", "ConsoleLogin", user="carol", login="Success", ip="203.0.113.9")
    unknown = ct_event(
        "2026-11-30T02:08:00Z", "ConsoleLogin", user="HIDDEN_DUE_TO_SECURITY_REASONS", login="Failure"
    )
    write_cloudtrail(tmp_path / "t.json.gz", [*fails, ok, unknown])
    by, _ = collect(tmp_path, path="t.json.gz")
    (streak,) = by["login_streak"]
    assert streak["principal"] == "carol" and streak["failures"] == 6
    assert streak["success"]["where"] == "t.json.gz:[6]" and streak["failure_ips"] == ["203.0.113.9"]
    assert by["source"][0]["most_failed"][0]["principal"] == "unknown user (198.51.100.7)"


def test_truncated_gzip_is_a_problem_naming_file_and_record_and_the_rest_is_judged(tmp_path):
    records = [ct_event(f"2026-11-30T10:{i % 60:02d}:00Z", user=f"user{i % 7}") for i in range(3000)]
    truncate(write_cloudtrail(tmp_path / "logs" / "b.json.gz", records), 0.5)
    write_cloudtrail(tmp_path / "logs" / "a.json.gz", trail_day())
    by, problems = collect(tmp_path, path="logs/*.json.gz")
    (problem,) = problems
    assert problem["where"].startswith("logs/b.json.gz:[")
    read = int(problem["where"].split("[")[1].rstrip("]"))
    assert 0 < read < 3000
    assert "truncated gzip" in problem["message"] and "logs/b.json.gz" in problem["message"]
    files = {f["path"]: f for f in by["source"][0]["files"]}
    assert files["logs/a.json.gz"]["complete"] and not files["logs/b.json.gz"]["complete"]
    assert files["logs/b.json.gz"]["records"] == read
    assert by["source"][0]["events"] == 7 + read  # everything before the cut still counts


@pytest.mark.parametrize("pretty", [False, True])
def test_large_or_pretty_files_stream_with_record_lines(tmp_path, monkeypatch, pretty):
    monkeypatch.setattr(cloudtrail, "FAST_LIMIT", 4096)  # force the streaming reader
    monkeypatch.setattr(cloudtrail, "CHUNK", 1000)  # records straddle chunk ends
    write_cloudtrail(tmp_path / "p.json.gz", trail_day() * 20, pretty=pretty)
    by, problems = collect(tmp_path, path="p.json.gz", personal_data_resources=["arn:aws:s3:::customer-data"])
    assert problems == ()
    assert by["source"][0]["events"] == 140
    alice = next(p for p in by["principal"] if p["principal"] == "alice")
    assert alice["personal_data_events"] == 20
    last = alice["last_event"]
    assert last["where"] == "p.json.gz:[135]"
    # the line the record starts on: 1 in a one-line file, its own line when pretty-printed
    lines = gzip.decompress((tmp_path / "p.json.gz").read_bytes()).decode().splitlines()
    starts = [n for n, text in enumerate(lines, 1) if text == "    {"] if pretty else [1] * 140
    assert last["line"] == starts[135]


def test_malformed_record_stops_the_file_naming_the_record(tmp_path):
    good = ct_event("2026-11-30T10:00:00Z")
    text = '{"Records":[' + json.dumps(good) + ',{"eventTime": oops}]}'
    (tmp_path / "bad.json").write_text(text)
    by, problems = collect(tmp_path, path="bad.json")
    assert by["source"][0]["events"] == 1
    assert problems[0]["where"] == "bad.json:[1]" and "not valid JSON" in problems[0]["message"]


def test_record_without_time_is_left_out_and_reported(tmp_path):
    write_cloudtrail(tmp_path / "t.json.gz", [ct_event("2026-11-30T10:00:00Z"), {"eventName": "GetObject"}])
    by, problems = collect(tmp_path, path="t.json.gz")
    assert by["source"][0]["events"] == 1
    assert problems[0]["where"] == "t.json.gz:[1]" and "1 event(s) not understood" in problems[0]["message"]


def test_not_a_trail_and_missing_files_are_clear_errors(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    _, problems = collect(tmp_path, path="x.json")
    assert "not a CloudTrail log file" in problems[0]["message"]
    with pytest.raises(UserError, match="nothing/\\*.json.gz: the pattern matches no file"):
        collect(tmp_path, path="nothing/*.json.gz")
    with pytest.raises(UserError, match="timezone 'Mars/Base'"):
        collect(tmp_path, path="x.json", timezone="Mars/Base")


def test_digest_files_beside_the_logs_are_passed_over(tmp_path):
    write_cloudtrail(tmp_path / "AWSLogs" / "CloudTrail" / "a.json.gz", trail_day())
    digest = {
        "awsAccountId": "123456789012",
        "digestStartTime": "2026-11-30T08:00:00Z",
        "digestEndTime": "2026-11-30T09:00:00Z",
        "logFiles": [
            {"s3Object": "AWSLogs/CloudTrail/a.json.gz", "hashValue": "ab12", "hashAlgorithm": "SHA-256"}
        ],
    }
    (tmp_path / "AWSLogs" / "CloudTrail-Digest").mkdir(parents=True)
    (tmp_path / "AWSLogs" / "CloudTrail-Digest" / "d.json.gz").write_bytes(
        gzip.compress(json.dumps(digest).encode())
    )
    by, problems = collect(tmp_path, path="AWSLogs/**/*.json.gz")
    assert problems == ()
    files = {f["path"]: f for f in by["source"][0]["files"]}
    assert files["AWSLogs/CloudTrail-Digest/d.json.gz"]["skipped"].startswith("a CloudTrail digest file")
    assert by["source"][0]["events"] == 7

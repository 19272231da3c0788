"""The demo's access logs and code project tell their story: every kind of log finding, bandit in SARIF."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from vigil.cli import main
from vigil.demo import build_demo


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-logs")
    assert main(["demo", "--output", str(out), "--format", "json,sarif"]) == 0
    results = json.loads((out / "results.json").read_text())
    by_check: dict[str, dict[str, dict]] = {}
    for f in results["findings"]:
        by_check.setdefault(f["check_id"], {})[f["resource"]] = f
    return results, json.loads((out / "results.sarif").read_text()), by_check


def test_logs_show_brute_force_root_use_gap_and_night_login_with_file_and_line(run):
    _, _, by_check = run
    (brute,) = [f for f in by_check["logs.auth.brute_force"].values() if f["status"] == "fail"]
    assert (
        brute["resource"].startswith("login:db01:hugo.brandt:") and "7 failed attempt(s)" in brute["message"]
    )
    assert brute["location"]["path"] == "logs/db01/auth.log" and brute["location"]["line"] > 1
    # the finding cites the evidence item and the log line it rests on, unmasked (a file:line is no secret)
    assert (
        brute["where"] == [f"logs/db01/auth.log:{brute['location']['line']}"] and len(brute["evidence"]) == 1
    )
    assert "REDACTED" not in json.dumps([f for c in by_check.values() for f in c.values()])
    root = {r for r, f in by_check["logs.access.root_use"].items() if f["status"] == "fail"}
    assert root == {"account:db01:root", "account:aws-prod:arn:aws:iam::123456789012:root"}
    gaps = [f for f in by_check["logs.coverage.max_gap"].values() if f["status"] == "fail"]
    assert len(gaps) == 1 and "154 min" in gaps[0]["message"]
    assert by_check["logs.coverage.max_gap"]["logs:aws-prod"]["status"] == "pass"
    hours = by_check["logs.auth.unusual_hours"]
    assert hours["logins:db01:ben.whitlock"]["status"] == "fail"
    assert hours["logins:db01:ada.okafor"]["status"] == "pass"


def test_demo_sarif_points_bandit_findings_at_file_and_line(run):
    _, sarif, _ = run
    located = sorted(
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "code.bandit.high_severity"
    )
    assert located == [("code/app.py", 14), ("code/app.py", 19)]


def test_demo_logs_cover_the_last_weekday_whatever_the_day(tmp_path):
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    build_demo(tmp_path, now=sunday)
    text = (tmp_path / "logs" / "db01" / "auth.log").read_text()
    assert text.startswith("Nov 27 ") and "Accepted password for root" in text  # Friday
    assert sorted(p.name for p in (tmp_path / "code").iterdir()) == ["app.py", "pricing.py"]


def test_demo_people_reaching_customer_data_are_judged_against_roster_screening_and_training(run):
    _, _, by_check = run
    judged = {
        r: (f["status"], f["message"]) for r, f in by_check["logs.access.personal_data_authorised"].items()
    }
    assert judged["access:aws-prod:ada.okafor@demo.example"][0] == "pass"  # SSO session named by e-mail
    assert judged["access:db01:hugo.brandt"][0] == "pass"
    assert "no completed background check (pending)" in judged["access:aws-prod:gita.rao@demo.example"][1]
    assert "not authorised for personal data in the roster" in judged["access:aws-prod:dana.costa"][1]
    assert "400 days ago" in judged["access:db01:ben.whitlock"][1]
    assert judged["access:db01:root"][0] == "fail"

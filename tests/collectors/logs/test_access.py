"""The access_logs source end to end: config schema, engine, and a truncated file among good ones."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.logfiles import auth_line, ct_event, truncate, write_cloudtrail, write_lines
from vigil.cli import main
from vigil.config import load_config
from vigil.errors import UserError

T0 = datetime(2026, 11, 30, 9, 0)


def test_every_documented_key_validates_and_a_wrong_format_names_its_line(tmp_path):
    config = tmp_path / "vigil.yaml"
    config.write_text(
        "sources:\n"
        "  access_logs:\n"
        "    - logs/auth.log\n"
        "    - path: logs/ct/*.json.gz\n"
        "      format: cloudtrail\n"
        "      system: aws\n"
        "      personal_data: false\n"
        '      personal_data_resources: ["arn:aws:s3:::customer-*"]\n'
        "      timezone: Europe/Berlin\n"
        "      year: 2026\n"
        "      fields: {time: ts, principal: actor.email, action: a, outcome: o, source_ip: ip, resource: r}"
        "\n"
        "      success_values: [ok]\n"
        "      login_actions: [login]\n"
        "      ttl_hours: 6\n"
    )
    loaded = load_config(config)
    assert [t["path"] for t in loaded.sources["access_logs"]] == ["logs/auth.log", "logs/ct/*.json.gz"]
    config.write_text("sources:\n  access_logs:\n    - path: x.log\n      format: syslog\n")
    with pytest.raises(UserError, match=r"vigil.yaml:\d+: .*format"):
        load_config(config)


def test_truncated_file_is_an_error_finding_and_the_rest_is_judged(tmp_path):
    records = [ct_event(f"2026-11-30T10:{i % 60:02d}:{i % 50:02d}Z", user="ada") for i in range(2000)]
    records.append(ct_event("2026-11-30T11:00:00Z", kind="Root", bucket=None))
    truncate(write_cloudtrail(tmp_path / "ct" / "b.json.gz", records), 0.4)
    write_cloudtrail(
        tmp_path / "ct" / "a.json.gz", [ct_event("2026-11-30T09:00:00Z", kind="Root", bucket=None)]
    )
    write_lines(
        tmp_path / "auth.log",
        [
            auth_line(T0 + timedelta(minutes=m), "Accepted publickey for ada from 10.0.0.1 port 1 ssh2")
            for m in (0, 200)
        ],
    )
    (tmp_path / "vigil.yaml").write_text(
        "baseline: privacy-policy\n"
        "sources:\n"
        "  access_logs:\n"
        "    - path: ct/*.json.gz\n"
        "      system: aws\n"
        "    - path: auth.log\n"
        "      system: db01\n"
    )
    out = tmp_path / "out"
    assert (
        main(["scan", "--config", str(tmp_path / "vigil.yaml"), "--output", str(out), "--format", "json"])
        == 1
    )
    findings = json.loads((out / "results.json").read_text())["findings"]
    by = {(f["check_id"], f["resource"]): f for f in findings}
    cut = [f for f in findings if f["resource"].startswith("ct/b.json.gz:[")]
    checks = {
        "logs.access.root_use",
        "logs.auth.brute_force",
        "logs.auth.unusual_hours",
        "logs.coverage.max_gap",
    }
    assert {f["check_id"] for f in cut} == checks | {"logs.access.personal_data_authorised"}
    assert all(f["status"] == "error" and "truncated gzip" in f["message"] for f in cut)
    # the complete file and the auth.log are still judged
    root = by[("logs.access.root_use", "account:aws:arn:aws:iam::123456789012:root")]
    assert root["status"] == "fail" and root["location"] == {"path": "ct/a.json.gz", "line": 1}
    gap = by[("logs.coverage.max_gap", "gap:db01:2026-11-30T09:00Z")]
    assert gap["status"] == "fail" and gap["location"] == {"path": "auth.log", "line": 2}

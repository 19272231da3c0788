"""JSON Lines access logs: keys mapped to event fields, nested paths, epoch times, bad lines named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from vigil.collectors.logs.access import access_logs

from tests.logfiles import write_lines
from vigil.model import CollectContext

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MAPPING = {
    "time": "ts",
    "principal": "actor.email",
    "action": "event",
    "outcome": "result",
    "source_ip": "client.ip",
    "resource": "table",
}


def line(ts, who, event, result, table="customers", ip="10.0.0.5") -> str:
    return json.dumps(
        {
            "ts": ts,
            "actor": {"email": who},
            "event": event,
            "result": result,
            "client": {"ip": ip},
            "table": table,
        }
    )


def collect(tmp_path, **target):
    result = access_logs(target, CollectContext(base_dir=tmp_path, now=lambda: NOW))
    by: dict[str, list] = {}
    for item in result.data:
        by.setdefault(item["record"], []).append(item)
    return by, result.problems


def test_mapped_fields_personal_data_tables_and_logins(tmp_path):
    write_lines(
        tmp_path / "db-audit.jsonl.gz",
        [
            line("2026-11-30T08:00:00Z", "alice@acme.example", "LOGIN", "SUCCESS"),
            line("2026-11-30T08:01:00.250Z", "alice@acme.example", "select", "success"),
            line(
                int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()), "carol@acme.example", "select", "denied"
            ),  # epoch seconds
            line(
                int(datetime(2026, 12, 1, 1, tzinfo=UTC).timestamp()) * 1000,
                "dave@acme.example",
                "select",
                "ok",
                table="metrics",
            ),  # epoch ms
            "{not json",
            json.dumps({"event": "select"}),
        ],
        compress=True,
    )
    by, problems = collect(
        tmp_path, path="db-audit.jsonl.gz", fields=MAPPING, personal_data_resources=["customers"]
    )
    people = {p["principal"]: p for p in by["principal"]}
    alice = people["alice@acme.example"]
    assert (alice["logins_ok"], alice["personal_data_events"], alice["source_ips"]) == (1, 2, ["10.0.0.5"])
    assert people["carol@acme.example"]["personal_data_events"] == 0  # denied is no access
    assert people["carol@acme.example"]["first_event"]["time"] == "2026-12-01T00:00:00Z"
    assert people["dave@acme.example"]["first_event"]["time"] == "2026-12-01T01:00:00Z"
    assert people["dave@acme.example"]["personal_data_events"] == 0
    assert problems == (
        {
            "where": "db-audit.jsonl.gz:5",
            "message": "2 event(s) not understood and left out, first "
            "db-audit.jsonl.gz:5: not JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        },
    )
    assert by["source"][0]["format"] == "jsonl"


def test_custom_success_values_and_login_actions(tmp_path):
    write_lines(
        tmp_path / "app.ndjson",
        [
            line("2026-11-30T08:00:00Z", "eve", "auth.password", "FAIL"),
            line("2026-11-30T08:00:05Z", "eve", "auth.password", "PASS_OK"),
        ]
        * 3,
    )
    by, _ = collect(
        tmp_path,
        path="app.ndjson",
        fields=MAPPING,
        success_values=["pass_ok"],
        login_actions=["auth.password"],
    )
    eve = by["principal"][0]
    assert (eve["logins_ok"], eve["logins_failed"]) == (3, 3)
    assert "login_streak" not in by  # one failure before each success is a typo, not a run

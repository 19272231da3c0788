"""Hostile and faulty record files: a bad cell, byte or date costs only its row; nothing else is lost."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import collect, write


def test_an_over_long_cell_costs_only_its_row(tmp_path):
    huge = "A" * 200_000  # over csv's own default limit too, which used to fail the whole file
    path = write(
        tmp_path,
        "lms/export.csv",
        "person_id,course,completed_at\n"
        "e1,Privacy,2026-01-10\n"
        f'e2,"{huge}",2026-01-11\n'
        'e3,"Privacy\nand security",2026-01-12\n'
        f"e4,{'B' * 1500},2026-01-13\n",
    )
    ev = collect(tmp_path, "training", {"path": path})
    assert ev.error is None
    assert [(r["person_id"], r["where"]) for r in ev.data] == [
        ("e1", "lms/export.csv:2"),
        ("e3", "lms/export.csv:4"),
        ("e4", "lms/export.csv:6"),
    ]
    assert _without_resource(ev.problems) == (
        {
            "where": "lms/export.csv:3",
            "message": "training record skipped: a cell of 200000 characters is over the limit of 10000 "
            "(raise max_cell_chars for this source)",
        },
    )
    lowered = collect(tmp_path, "training", {"path": path, "max_cell_chars": 1000})
    assert [p["where"] for p in lowered.problems] == ["lms/export.csv:3", "lms/export.csv:6"]


def test_a_byte_that_is_not_utf8_costs_only_its_row(tmp_path):
    path = write(
        tmp_path,
        "hr/roster.csv",
        b"id,name,personal_data_access\ne1,Ada,yes\ne2,M\xfcller,yes\ne3,Chen,no\n",  # latin-1 u-umlaut
    )
    ev = collect(tmp_path, "personnel", {"path": path})
    assert [r["id"] for r in ev.data] == ["e1", "e3"]
    assert _without_resource(ev.problems) == (
        {
            "where": "hr/roster.csv:3",
            "message": "personnel record skipped: byte 0xfc is not UTF-8; export the file as UTF-8",
        },
    )


def test_a_header_that_is_not_utf8_is_error_evidence_naming_line_1(tmp_path):
    path = write(tmp_path, "roster.csv", b"id,na\xefme,personal_data_access\ne1,Ada,yes\n")
    assert collect(tmp_path, "personnel", {"path": path}).error == (
        "roster.csv:1: the header is not UTF-8 text; export the file as UTF-8"
    )


@pytest.mark.parametrize(
    "value",
    [
        "2026-10-21T99:99",
        "2026-01-01junk",
        "2026-01-01 junk",
        "2026-13-01",
        "01/02/2026",
        "2026-1-1",
        "yesterday",
    ],
)
def test_a_date_followed_by_junk_is_an_error_never_a_date(tmp_path, value):
    path = write(
        tmp_path, "lms.csv", f"person_id,course,completed_at\ne1,Privacy,{value}\ne2,Privacy,2026-01-01\n"
    )
    ev = collect(tmp_path, "training", {"path": path})
    assert [r["person_id"] for r in ev.data] == ["e2"]
    assert ev.problems[0]["where"] == "lms.csv:2" and repr(value) in ev.problems[0]["message"]


def test_timestamps_take_the_sources_zone_and_become_utc(tmp_path):
    path = write(
        tmp_path,
        "incidents.csv",
        "id,detected_at,personal_data,users_notified_at\n"
        "I1,2026-03-29 01:30,yes,2026-03-29T03:30:00+02:00\n"  # naive: Berlin winter time
        "I2,2026-07-01T23:30:00Z,no,\n",
    )
    ev = collect(tmp_path, "incidents", {"path": path, "timezone": "Europe/Berlin"})
    assert [(r["detected_at"], r["users_notified_at"]) for r in ev.data] == [
        ("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"),
        ("2026-07-01T23:30:00Z", None),
    ]
    # a date column given a timestamp counts the calendar day in the source's zone
    lms = write(tmp_path, "lms.csv", "person_id,course,completed_at\ne1,Privacy,2026-07-01T23:30:00Z\n")
    assert collect(tmp_path, "training", {"path": lms, "timezone": "Europe/Berlin"}).data[0][
        "completed_at"
    ] == ("2026-07-02")
    assert (
        "is not an IANA time zone"
        in collect(tmp_path, "training", {"path": lms, "timezone": "Mars/Base"}).error
    )


def test_a_jsonl_line_that_is_broken_costs_only_that_line(tmp_path):
    path = write(
        tmp_path,
        "m.jsonl",
        b'\xef\xbb\xbf{"recipient": "a@x", "event": "opt_in", "at": "2026-01-01T10:00:00Z", '
        b'"explicit": true}\n'
        b'{"recipient": "b@x", "event": "send", "at": \n'
        b"\n"
        b'{"recipient": "c\xff@x", "event": "send", "at": "2026-01-01T10:00:00Z"}\n'
        b'["not", "an", "object"]\n'
        b'{"recipient": "d@x", "event": "sent", "at": "2026-01-01T10:00:00Z"}\n'
        b'{"recipient": "E@X", "event": "Send", "at": "2026-01-02T10:00:00Z", "campaign": "jan"}\n',
    )
    ev = collect(tmp_path, "marketing", {"path": path})
    assert [(r["recipient"], r["event"], r["where"]) for r in ev.data] == [
        ("a@x", "opt_in", "m.jsonl:1"),
        ("e@x", "send", "m.jsonl:7"),
    ]
    assert [p["where"] for p in ev.problems] == ["m.jsonl:2", "m.jsonl:4", "m.jsonl:5", "m.jsonl:6"]
    assert "invalid JSON" in ev.problems[0]["message"]
    assert "byte 0xff is not UTF-8" in ev.problems[1]["message"]
    assert "not an object" in ev.problems[2]["message"]
    assert "'sent' is not one of opt_in, send, unsubscribe" in ev.problems[3]["message"]


def test_deeply_nested_json_is_error_evidence_not_a_crash(tmp_path):
    path = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in collect(tmp_path, "personnel", {"path": path}).error


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=600), fmt=st.sampled_from(["csv", "json", "jsonl", "xlsx"]))
def test_whatever_bytes_a_record_file_holds_the_outcome_is_records_problems_or_error_evidence(
    tmp_path, body, fmt
):
    path = write(
        tmp_path, f"any.{fmt}", b"id,personal_data_access,start_date\n" + body if fmt == "csv" else body
    )
    ev = collect(tmp_path, "personnel", {"path": path, "format": fmt})
    if ev.error is not None:
        assert ev.data is None and ev.error.startswith("any.")
        return
    json.dumps(ev.data)  # evidence stays JSON
    for record in ev.data:
        assert isinstance(record["id"], str) and isinstance(record["personal_data_access"], bool)
        assert record["where"].startswith(f"any.{fmt}:")
    assert all(p["where"].startswith(f"any.{fmt}:") for p in ev.problems)


@settings(max_examples=200, deadline=1000)
@given(text=st.text(max_size=40))
def test_a_date_cell_is_a_date_or_a_problem(text):
    from datetime import date

    from vigil.collectors.records.parsing import Options, parse_date

    try:
        value = parse_date(text, Options())
    except ValueError:
        return
    assert date.fromisoformat(value).isoformat() == value


def _without_resource(problems):
    """The problems as file:line and message; each also carries a resource made from the row's content
    (so its finding keeps its fingerprint when rows move), checked to be that form."""
    assert all(re.fullmatch(r".+#row-[0-9a-f]{12}(-\d+)?", p["resource"]) for p in problems)
    return tuple({k: v for k, v in p.items() if k != "resource"} for p in problems)


def test_a_bad_rows_resource_is_the_same_in_every_process(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, "roster.csv", "id,personal_data_access\ne1,maybe\n")
    here = collect(tmp_path, "personnel", {"path": path}).problems[0]["resource"]
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, '.');"
        "from tests.collectors.records.support import collect;"
        f"ev = collect(Path({str(tmp_path)!r}), 'personnel', {{'path': 'roster.csv'}});"
        "print(ev.problems[0]['resource'])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert here == there and here.startswith("roster.csv#row-")

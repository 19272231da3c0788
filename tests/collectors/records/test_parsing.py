"""Records collectors: rosters and training exports loaded through a column map, bad rows named by line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.model import Evidence

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# an HR system's export, headers as that system names them, with columns vigil must not keep
ROSTER = """\
employee_id,full_name,work_email,department,job_title,employment_status,pii_access,salary,home_address
e1001,Ada Okafor,ada.okafor@acme.example,Support,Support lead,Active,yes,52000,1 Elm Row
e1002,Ben Whitlock,ben.whitlock@acme.example,Engineering,Backend engineer,Active,Y,61000,2 Oak Lane
e1005,Eve Marsh,eve.marsh@acme.example,Marketing,Campaign manager,Terminated,no,48000,3 Ash Court
"""
ROSTER_COLUMNS = {
    "id": "employee_id",
    "name": "full_name",
    "email": "work_email",
    "department": "department",
    "role": "job_title",
    "status": "employment_status",
    "personal_data_access": "pii_access",
}
TRAINING_COLUMNS = {"person_id": "employee_id", "course": "course_name", "completed_at": "completion_date"}


def _collect(tmp_path: Path, source: str, target: dict) -> Evidence:
    collector = registry.collectors.get(f"records.{source}")
    return run_task(Task(collector, target), CollectContext(base_dir=tmp_path, now=lambda: NOW))


def _placed(problems) -> tuple:
    """Problems as where and message; their content-made `resource` is tested on its own."""
    return tuple({k: v for k, v in p.items() if k != "resource"} for p in problems)


def _file(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return name


def test_csv_roster_with_a_column_map(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER)
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": ROSTER_COLUMNS})
    assert ev.error is None and ev.problems == ()
    assert (ev.kind, ev.collector, ev.source, ev.target) == (
        "records.personnel",
        "records.personnel",
        "personnel",
        "hr/roster.csv",
    )
    assert ev.collected_at == NOW and ev.expires_at == NOW + timedelta(days=7)
    assert ev.data[0] == {
        "id": "e1001",
        "name": "Ada Okafor",
        "email": "ada.okafor@acme.example",
        "department": "Support",
        "role": "Support lead",
        "status": "active",
        "personal_data_access": True,
        "where": "hr/roster.csv:2",
    }
    assert [(r["id"], r["status"], r["personal_data_access"]) for r in ev.data] == [
        ("e1001", "active", True),
        ("e1002", "active", True),
        ("e1005", "terminated", False),
    ]


def test_columns_the_checks_do_not_need_are_not_kept(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER)
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": ROSTER_COLUMNS})
    assert "52000" not in json.dumps(ev.data) and "Elm Row" not in json.dumps(ev.data)
    assert all("salary" not in r and "home_address" not in r for r in ev.data)


def test_unmapped_optional_fields_default(tmp_path):
    path = _file(tmp_path, "roster.csv", "id,personal_data_access\ne1001,yes\n")
    [record] = _collect(tmp_path, "personnel", {"path": path}).data
    assert record == {
        "id": "e1001",
        "name": None,
        "email": None,
        "department": None,
        "role": None,
        "status": "active",
        "personal_data_access": True,
        "where": "roster.csv:2",
    }


def test_json_roster_list_and_records_forms(tmp_path):
    people = [
        {"employee_id": "e1001", "pii_access": True, "employment_status": "Active", "salary": 52000},
        {"employee_id": 1002, "pii_access": "no", "employment_status": "Terminated"},
    ]
    listed = _file(tmp_path, "hr/roster.json", json.dumps(people))
    wrapped = _file(tmp_path, "hr/export.json", json.dumps({"records": people, "exported": "2026-11-30"}))
    columns = {"id": "employee_id", "status": "employment_status", "personal_data_access": "pii_access"}
    for path in (listed, wrapped):
        ev = _collect(tmp_path, "personnel", {"path": path, "columns": columns})
        assert ev.error is None
        assert [(r["id"], r["status"], r["personal_data_access"], r["where"]) for r in ev.data] == [
            ("e1001", "active", True, f"{path}:[0]"),
            ("1002", "terminated", False, f"{path}:[1]"),
        ]


def test_json_bad_record_is_a_problem_naming_its_index(tmp_path):
    path = _file(
        tmp_path,
        "lms/export.json",
        json.dumps(
            [
                {"person_id": "e1001", "course": "Privacy basics", "completed_at": "2026-03-01T09:30:00Z"},
                {"person_id": "e1002", "course": "Privacy basics"},
                "e1003 finished on Tuesday",
            ]
        ),
    )
    ev = _collect(tmp_path, "training", {"path": path})
    assert ev.data == [
        {
            "person_id": "e1001",
            "course": "Privacy basics",
            "completed_at": "2026-03-01",
            "where": "lms/export.json:[0]",
        }
    ]
    assert _placed(ev.problems) == (
        {"where": "lms/export.json:[1]", "message": "training record skipped: completed_at is empty"},
        {"where": "lms/export.json:[2]", "message": "training record skipped: not an object"},
    )


def test_training_csv_with_a_column_map_and_date_format(tmp_path):
    path = _file(
        tmp_path,
        "lms/export.csv",
        "employee_id,course_name,completion_date,score\n"
        "e1001,Annual privacy & security compliance,22/08/2026,92\n"
        "e1002,Annual privacy & security compliance,01/02/2025,71\n",
    )
    target = {"path": path, "columns": TRAINING_COLUMNS, "date_format": "%d/%m/%Y"}
    ev = _collect(tmp_path, "training", target)
    assert [(r["person_id"], r["completed_at"]) for r in ev.data] == [
        ("e1001", "2026-08-22"),
        ("e1002", "2025-02-01"),
    ]
    assert all("score" not in r for r in ev.data)


def test_date_format_mismatch_is_a_problem(tmp_path):
    path = _file(
        tmp_path, "lms/export.csv", "person_id,course,completed_at\ne1001,Privacy basics,2026-08-22\n"
    )
    ev = _collect(tmp_path, "training", {"path": path, "date_format": "%d/%m/%Y"})
    assert ev.data == []
    assert ev.problems[0]["where"] == "lms/export.csv:2"
    assert "2026-08-22" in ev.problems[0]["message"]


def test_bom_prefixed_csv_from_excel(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER, encoding="utf-8-sig")
    assert (tmp_path / path).read_bytes().startswith(b"\xef\xbb\xbfemployee_id")
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": ROSTER_COLUMNS})
    assert ev.error is None
    assert [r["id"] for r in ev.data] == ["e1001", "e1002", "e1005"]


def test_semicolon_delimited_export(tmp_path):
    path = _file(
        tmp_path, "hr/roster.csv", "id;personal_data_access;status\ne1001;ja;active\ne1002;no;active\n"
    )
    ev = _collect(tmp_path, "personnel", {"path": path, "delimiter": ";"})
    assert [r["id"] for r in ev.data] == ["e1002"]
    assert _placed(ev.problems) == (
        {
            "where": "hr/roster.csv:2",
            "message": "personnel record skipped: personal_data_access: 'ja' is not yes/no",
        },
    )


def test_malformed_rows_are_problems_naming_file_and_line_and_the_rest_loads(tmp_path):
    path = _file(
        tmp_path,
        "hr/roster.csv",
        "employee_id,full_name,pii_access,employment_status\n"  # 1
        "e1001,Ada Okafor,yes,Active\n"  # 2
        "e1002,Ben Whitlock,maybe,Active\n"  # 3 bad yes/no
        "\n"  # 4 blank: csv skips it
        ",Chen Liu,yes,Active\n"  # 5 no id
        "e1004,Dana Costa,no,Active,Warehouse\n"  # 6 one cell too many
        '"e1006","Farid\n'  # 7 a name with a line break inside quotes
        'Haddad",yes,Active\n'  # 8
        "e1007,Gita Rao,yes\n"  # 9 short row: status defaults, nothing required is missing
        "e1008,Hugo Brandt\n",  # 10 short row without the required access cell
    )
    columns = {"id": "employee_id", "name": "full_name", "personal_data_access": "pii_access"}
    columns["status"] = "employment_status"
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": columns})
    assert ev.error is None
    assert [(r["id"], r["where"]) for r in ev.data] == [
        ("e1001", "hr/roster.csv:2"),
        ("e1006", "hr/roster.csv:7"),
        ("e1007", "hr/roster.csv:9"),
    ]
    assert _placed(ev.problems) == (
        {
            "where": "hr/roster.csv:3",
            "message": "personnel record skipped: pii_access: 'maybe' is not yes/no",
        },
        {"where": "hr/roster.csv:5", "message": "personnel record skipped: employee_id is empty"},
        {
            "where": "hr/roster.csv:6",
            "message": "personnel record skipped: 1 more cell(s) than the header has",
        },
        {"where": "hr/roster.csv:10", "message": "personnel record skipped: pii_access is empty"},
    )


def test_a_malformed_rows_resource_is_what_it_holds_so_inserting_rows_above_keeps_it(tmp_path):
    header = "employee_id,pii_access\n"
    bad = "e1002,maybe\n"
    _file(tmp_path, "a.csv", header + bad + "e1003,,\n" + bad)
    _file(tmp_path, "b.csv", header + "e1000,yes\ne1001,no\n" + bad + "e1003,,\n" + bad)
    columns = {"id": "employee_id", "personal_data_access": "pii_access"}
    before = _collect(tmp_path, "personnel", {"path": "a.csv", "columns": columns}).problems
    after = _collect(tmp_path, "personnel", {"path": "b.csv", "columns": columns}).problems
    assert [p["where"] for p in before] == ["a.csv:2", "a.csv:3", "a.csv:4"]
    assert [p["where"] for p in after] == ["b.csv:4", "b.csv:5", "b.csv:6"]
    strip = [p["resource"].split("#", 1)[1] for p in before]
    assert strip == [p["resource"].split("#", 1)[1] for p in after]
    # the same bad row twice is two findings, each with its own stable resource
    assert strip[0] != strip[2] and strip[2] == strip[0] + "-2"
    assert before[0]["resource"].startswith("a.csv#row-")


def test_bad_dates_are_problems_and_the_rest_loads(tmp_path):
    path = _file(
        tmp_path,
        "lms/export.csv",
        "employee_id,course_name,completion_date\n"
        "e1001,Annual privacy & security compliance,2026-08-22\n"
        "e1007,Annual privacy & security compliance,31/02/2026\n"
        "e1008,Annual privacy & security compliance,2026-02-30\n"
        "e1009,,2026-01-15\n",
    )
    ev = _collect(tmp_path, "training", {"path": path, "columns": TRAINING_COLUMNS})
    assert [r["person_id"] for r in ev.data] == ["e1001"]
    assert [p["where"] for p in ev.problems] == ["lms/export.csv:3", "lms/export.csv:4", "lms/export.csv:5"]
    assert "'31/02/2026' is not a date" in ev.problems[0]["message"]
    assert "'2026-02-30' is not a date" in ev.problems[1]["message"]
    assert ev.problems[2]["message"] == "training record skipped: course_name is empty"


def test_header_lacking_a_required_column_is_error_evidence_naming_it(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER.replace("pii_access", "data_access"))
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": ROSTER_COLUMNS})
    assert ev.data is None
    assert ev.error == (
        f"{path}:1: header lacks column 'pii_access' (for personal_data_access); map it under `columns:`"
    )


def test_unmapped_header_names_the_default_column(tmp_path):
    path = _file(tmp_path, "lms/export.csv", "employee_id,course,completed_at\ne1001,Privacy,2026-01-01\n")
    ev = _collect(tmp_path, "training", {"path": path})
    assert "header lacks column 'person_id' (for person_id)" in ev.error


def test_missing_file_is_error_evidence(tmp_path):
    ev = _collect(tmp_path, "training", {"path": "lms/export.csv"})
    assert ev.data is None and ev.problems == ()
    assert ev.error == "lms/export.csv: file not found"  # named as the config names it, not absolute
    assert ev.target == "lms/export.csv"


def test_absolute_path_is_used_as_written(tmp_path):
    path = tmp_path / "elsewhere" / "roster.csv"
    _file(tmp_path, "elsewhere/roster.csv", "id,personal_data_access\ne1001,no\n")
    ev = _collect(tmp_path / "config-dir", "personnel", {"path": str(path)})
    assert ev.data[0]["where"] == f"{path}:2"


def test_unknown_field_in_the_column_map_is_error_evidence(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER)
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": {**ROSTER_COLUMNS, "salary": "salary"}})
    assert ev.error.startswith("columns: salary are not personnel fields")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "invalid JSON"),
        ('{"people": []}', 'expected a list of records or {"records": [...]}'),
    ],
)
def test_unreadable_json_is_error_evidence(tmp_path, text, message):
    path = _file(tmp_path, "hr/roster.json", text)
    ev = _collect(tmp_path, "personnel", {"path": path})
    assert message in ev.error


def test_ttl_hours_overrides_the_collectors_freshness(tmp_path):
    path = _file(tmp_path, "hr/roster.csv", ROSTER)
    ev = _collect(tmp_path, "personnel", {"path": path, "columns": ROSTER_COLUMNS, "ttl_hours": 24})
    assert ev.expires_at == NOW + timedelta(hours=24)


def test_an_empty_required_yes_no_cell_is_a_problem_not_a_no(tmp_path):
    path = _file(tmp_path, "roster.csv", "id,personal_data_access\ne1,yes\ne2,\n")
    evidence = _collect(tmp_path, "personnel", {"path": path})
    assert [r["id"] for r in evidence.data] == ["e1"]
    assert [p["where"] for p in evidence.problems] == ["roster.csv:3"]
    assert "personal_data_access is empty" in evidence.problems[0]["message"]


def test_a_fifo_or_device_is_refused_not_read(tmp_path):
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    ev = _collect(tmp_path, "personnel", {"path": "roster.csv"})
    assert ev.error == "roster.csv: not a regular file; vigil reads only regular files"
    ev = _collect(tmp_path, "personnel", {"path": "/dev/zero"})
    assert ev.error == "/dev/zero: not a regular file; vigil reads only regular files"

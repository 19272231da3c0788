"""Real exports as they come: XLSX workbooks, value maps, several date formats, messy CSV."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from .support import collect, write


def workbook(tmp_path, name: str, rows: list[list], sheet: str = "Export", blank_rows: int = 0) -> str:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for _ in range(blank_rows):
        ws.append([])
    for row in rows:
        ws.append(row)
    book.create_sheet("Notes").append(["exported by HR"])
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return name


def test_xlsx_access_list_with_typed_cells_and_rows_named_by_sheet_row(tmp_path):
    path = workbook(
        tmp_path,
        "iam/access.xlsx",
        [
            ["Employee", "System", "PII", "Granted", "Revoked"],
            [1001, "CRM", True, datetime(2024, 1, 10, 9, 30), None],
            [1002.0, "Billing DB", "yes", date(2023, 5, 2), date(2026, 1, 5)],
            [None, None, None, None, None],
            ["e1003", "HR suite", "maybe", "2024-02-01", None],
            ['=HYPERLINK("http://evil.example")', "Wiki", "no", "2024-02-01", None],
        ],
        blank_rows=1,
    )
    columns = {"person_id": "Employee", "system": "System", "personal_data": "PII"}
    columns |= {"granted_at": "Granted", "revoked_at": "Revoked"}
    ev = collect(tmp_path, "access_list", {"path": path, "columns": columns})
    assert ev.error is None
    assert [
        (r["person_id"], r["system"], r["personal_data"], r["granted_at"], r["revoked_at"], r["where"])
        for r in ev.data
    ] == [
        ("1001", "CRM", True, "2024-01-10", None, "iam/access.xlsx:3"),
        ("1002", "Billing DB", True, "2023-05-02", "2026-01-05", "iam/access.xlsx:4"),
    ]
    # a formula is never run: the workbook's cached value counts, and this one was never calculated
    assert _without_resource(ev.problems) == (
        {"where": "iam/access.xlsx:6", "message": "access list record skipped: PII: 'maybe' is not yes/no"},
        {"where": "iam/access.xlsx:7", "message": "access list record skipped: Employee is empty"},
    )


def test_xlsx_named_sheet_missing_sheet_and_a_file_that_is_not_a_workbook(tmp_path):
    path = workbook(
        tmp_path,
        "bg.xlsx",
        [["person_id", "status", "completed_at"], ["e1", "Clear", "2024-01-01"]],
        sheet="Checks",
    )
    assert (
        collect(tmp_path, "background_checks", {"path": path, "sheet": "Checks"}).data[0]["status"] == "clear"
    )
    missing = collect(tmp_path, "background_checks", {"path": path, "sheet": "Results"})
    assert missing.error == "bg.xlsx: no sheet 'Results' (sheets: Checks, Notes)"
    fake = write(tmp_path, "fake.xlsx", "person_id,status\ne1,clear\n")
    assert collect(tmp_path, "background_checks", {"path": fake}).error.startswith(
        "fake.xlsx: not a readable XLSX workbook"
    )


def test_xlsx_header_lacking_a_required_column(tmp_path):
    path = workbook(tmp_path, "bg.xlsx", [["Employee", "Outcome"], ["e1", "clear"]])
    ev = collect(tmp_path, "background_checks", {"path": path, "columns": {"person_id": "Employee"}})
    assert ev.error == "bg.xlsx:1: header lacks column 'status' (for status); map it under `columns:`"


def test_background_checks_keep_the_contract_shape_with_a_value_map(tmp_path):
    path = write(
        tmp_path,
        "screening.csv",
        "\ufeffEmployee;Result;Completed on\n"
        "e1;Cleared;15.02.2021\n"
        "e2;In progress;\n"
        "e3;CLEARED;2021-02-15\n",  # mixed date formats in one export
    )
    target = {
        "path": path,
        "delimiter": ";",
        "date_format": ["%d.%m.%Y", "%Y-%m-%d"],
        "columns": {"person_id": "Employee", "status": "Result", "completed_at": "Completed on"},
        "values": {"status": {"cleared": "clear", "In progress": "pending"}},
    }
    ev = collect(tmp_path, "background_checks", target)
    assert ev.data == [
        {"person_id": "e1", "completed_at": "2021-02-15", "status": "clear", "where": "screening.csv:2"},
        {"person_id": "e2", "completed_at": None, "status": "pending", "where": "screening.csv:3"},
        {"person_id": "e3", "completed_at": "2021-02-15", "status": "clear", "where": "screening.csv:4"},
    ]


def test_messy_hr_roster_export(tmp_path):
    # BOM, semicolons, a quoted newline, a duplicated person, a <script> name and a spreadsheet formula
    path = write(
        tmp_path,
        "hr/roster.csv",
        "\ufeffPersonalnummer;Name;Status;PII;Login;Eintritt;Austritt\n"
        "e1;Ada Okafor;Active;ja;aokafor;01.03.2021;\n"
        'e2;"Ben\nWhitlock";Active;yes;bwhitlock;2022-06-13;\n'
        "e3;<script>alert(1)</script>;Terminated;no;x;2020-01-06;30.09.2026\n"
        'e4;=HYPERLINK("http://evil.example","click");Active;no;dcosta;2023-09-04;\n'
        "e1;Ada Okafor-Smith;Active;ja;aokafor;01.03.2021;\n",
    )
    target = {
        "path": path,
        "delimiter": ";",
        "date_format": ["%d.%m.%Y", "%Y-%m-%d"],
        "columns": {
            "id": "Personalnummer",
            "name": "Name",
            "status": "Status",
            "personal_data_access": "PII",
            "username": "Login",
            "start_date": "Eintritt",
            "end_date": "Austritt",
        },
        "values": {"personal_data_access": {"ja": True, "nein": False}},
    }
    ev = collect(tmp_path, "personnel", target)
    assert ev.problems == ()
    by_line = {r["where"]: r for r in ev.data}
    assert list(by_line) == [
        "hr/roster.csv:2",
        "hr/roster.csv:3",
        "hr/roster.csv:5",
        "hr/roster.csv:6",
        "hr/roster.csv:7",
    ]
    assert by_line["hr/roster.csv:3"]["name"] == "Ben\nWhitlock"
    assert by_line["hr/roster.csv:5"]["name"] == "<script>alert(1)</script>"  # data, escaped by the reports
    assert by_line["hr/roster.csv:5"]["end_date"] == "2026-09-30"
    assert by_line["hr/roster.csv:6"]["name"].startswith("=HYPERLINK")
    assert "end_date" not in by_line["hr/roster.csv:2"]  # an optional field added later: absent when empty
    assert [r["id"] for r in ev.data].count("e1") == 2  # the roster check reports the duplicate


def test_the_duplicated_person_is_an_error_finding_of_the_checks(tmp_path):
    from vigil import registry

    check = registry.checks.get("records.background_checks.before_access")
    people = [
        {"id": "e1", "status": "active", "personal_data_access": True, "where": "r.csv:2"},
        {"id": "e1", "status": "active", "personal_data_access": True, "where": "r.csv:6"},
    ]
    evidence = {
        "records.personnel": people,
        "records.background_checks": [],
        "records.access_list": [],
        "aws.iam.users": [],
    }
    found = list(check.func(evidence, {**check.params, "now": datetime(2026, 11, 30).astimezone()}))
    assert [(o.status, o.resource) for o in found] == [("error", "person:e1")]


@pytest.mark.parametrize("suffix, fmt", [(".json", "json"), (".ndjson", "jsonl"), (".jsonl", "jsonl")])
def test_json_exports_by_extension(tmp_path, suffix, fmt):
    rows = [{"id": "V1", "category": "Account", "trigger_at": "2026-01-31", "deleted_at": None}]
    text = json.dumps({"records": rows}) if fmt == "json" else "\n".join(json.dumps(r) for r in rows)
    path = write(tmp_path, f"inventory{suffix}", text)
    ev = collect(tmp_path, "data_inventory", {"path": path})
    assert ev.data == [
        {
            "id": "V1",
            "category": "account",
            "trigger_at": "2026-01-31",
            "deleted_at": None,
            "where": f"inventory{suffix}:{'[0]' if fmt == 'json' else '1'}",
        }
    ]


def test_every_record_kind_reads_its_canonical_columns(tmp_path):
    samples = {
        "pentests": "test,performed_at,finding,severity,status\nPT-1,2026-06-01,F1,High,Open\n",
        "incidents": "id,detected_at,personal_data\nI1,2026-06-01T10:00:00Z,yes\n",
        "dsr_tickets": "id,type,received_at,complex\nD1,Access,2026-06-01T10:00:00+02:00,no\n",
        "vendor_agreements": "vendor,personal_data,agreement,signed_at\nShipFast,yes,DPA,2025-01-01\n",
        "badge_logs": "at,door,person_id,result\n2026-06-01T07:59:00Z,DC1-Main,e1,Granted\n",
        "dc_authorised": "person_id,valid_from\ne1,2024-01-01\n",
        "access_reviews": "system,reviewed_at,account,decision\nCRM,2026-10-01,tmp,Remove\n",
    }
    for source, text in samples.items():
        ev = collect(tmp_path, source, {"path": write(tmp_path, f"{source}.csv", text)})
        assert ev.error is None and ev.problems == (), source
        assert ev.kind == f"records.{source}" and len(ev.data) == 1, source
    dsr = collect(tmp_path, "dsr_tickets", {"path": "dsr_tickets.csv"}).data[0]
    assert (dsr["type"], dsr["received_at"], dsr["complex"]) == ("access", "2026-06-01T08:00:00Z", False)


def _without_resource(problems):
    """The problems as file:line and message; each also carries a resource made from the row's content
    (so its finding keeps its fingerprint when rows move), checked to be that form."""
    assert all(re.fullmatch(r".+#row-[0-9a-f]{12}(-\d+)?", p["resource"]) for p in problems)
    return tuple({k: v for k, v in p.items() if k != "resource"} for p in problems)

"""findings.csv: one row per finding, read back with csv.DictReader; nothing a spreadsheet would execute."""

from __future__ import annotations

import csv

import pytest

from tests.factories import make_results
from vigil.render import RenderContext, render
from vigil.render.csvfile import COLUMNS, neutralise


def read(results: dict, tmp_path) -> list[dict]:
    path = render(results, "csv", tmp_path, RenderContext())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to see UTF-8
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == COLUMNS
        return list(reader)


def one(resource="arn:aws:s3:::billing", message="bucket is public", **extra) -> dict:
    return {
        "controls": [
            {"id": "PP-ENC", "title": "Data is encrypted"},
            {"id": "PP-PRIV", "title": "Privacy, by design"},
        ],
        "checks": {"aws.s3.public": {"title": "Buckets are private"}},
        "findings": [
            {
                "check_id": "aws.s3.public",
                "control_ids": ["PP-ENC", "PP-PRIV"],
                "status": "fail",
                "severity": "high",
                "resource": resource,
                "message": message,
                "evidence": ["a" * 64, "b" * 64],
                "where": extra.get("where", []),
                "fingerprint": "f" * 32,
                "location": extra.get("location"),
                "waiver": extra.get("waiver"),
                "attestation": extra.get("attestation"),
            }
        ],
    }


def test_a_row_per_finding_with_every_column(tmp_path):
    waiver = {
        "id": "W-1",
        "owner": "alice@example.com",
        "approver": "ciso@example.com",
        "expires": "2027-01-01T00:00:00+00:00",
        "justification": 'Legacy, "decommissioned" in Q1,\nsee ticket',
    }
    finding = one(
        waiver=waiver, location={"path": "src/app.py", "line": 12}, where=["s3.json:[4]", "s3.json:[9]"]
    )
    [row] = read(finding, tmp_path)
    assert row == {
        "control_ids": "PP-ENC; PP-PRIV",
        "control_titles": "Data is encrypted; Privacy, by design",
        "check_id": "aws.s3.public",
        "check_title": "Buckets are private",
        "status": "fail",
        "severity": "high",
        "resource": "arn:aws:s3:::billing",
        "message": "bucket is public",
        "waiver_id": "W-1",
        "waiver_owner": "alice@example.com",
        "waiver_approver": "ciso@example.com",
        "waiver_expires": "2027-01-01T00:00:00+00:00",
        "waiver_justification": 'Legacy, "decommissioned" in Q1,\nsee ticket',
        "evidence_ids": f"{'a' * 64}; {'b' * 64}",
        "fingerprint": "f" * 32,
        "location": "src/app.py:12",
        "records": "s3.json:[4]; s3.json:[9]",
        "attestation": "",
    }


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(tmp_path, hostile):
    [row] = read(one(resource=hostile, message=hostile), tmp_path)
    assert row["resource"] == row["message"] == "'" + hostile


def test_harmless_text_is_left_alone():
    for text in ("arn:aws:iam::1:root", "a=b", "port 22 open", " =not at start", ""):
        assert neutralise(text) == text
    assert neutralise(None) == ""
    assert neutralise(-5) == "'-5"


def test_factory_document_round_trips(tmp_path):
    results = make_results(400, 30, seed=6)
    rows = read(results, tmp_path)
    assert len(rows) == len(results["findings"])
    assert [r["fingerprint"] for r in rows] == [f["fingerprint"] for f in results["findings"]]
    waived = [r for r in rows if r["waiver_id"]]
    assert len(waived) == results["summary"]["waived"]
    coded = [r for r in rows if r["location"]]
    assert coded and all(":" in r["location"] for r in coded)


def test_an_attested_finding_names_attester_document_and_says_it_is_not_machine_verified(tmp_path):
    attestation = {
        "id": "cctv-2026",
        "subject": "dc_surveillance",
        "attester": '=HYPERLINK("http://evil.example")',
        "attested_at": "2026-06-01",
        "expires": "2027-06-01",
        "document": "attest/cctv.pdf",
        "sha256": "c" * 64,
    }
    [row] = read(one(attestation=attestation), tmp_path)
    assert row["attestation"] == (
        'attested by =HYPERLINK("http://evil.example") on 2026-06-01, expires 2027-06-01, '
        f"document attest/cctv.pdf sha256 {'c' * 64}; not machine-verified"
    )
    [plain] = read(one(), tmp_path)
    assert plain["attestation"] == ""

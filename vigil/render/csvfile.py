"""findings.csv: one row per finding for spreadsheets and audit workpapers, safe to open in Excel."""

from __future__ import annotations

import csv
import os
from pathlib import Path

COLUMNS = (
    "control_ids",
    "control_titles",
    "check_id",
    "check_title",
    "status",
    "severity",
    "resource",
    "message",
    "waiver_id",
    "waiver_owner",
    "waiver_approver",
    "waiver_expires",
    "waiver_justification",
    "evidence_ids",
    "fingerprint",
    "location",
    "records",
    "attestation",
)
# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection"); a leading
# single quote makes them show it as text. Resources and messages come from scanned systems, so any
# cell can be hostile.
FORMULA_STARTS = frozenset("=+-@\t\r")
JOIN = "; "


def neutralise(value: object) -> str:
    """The cell text, with a leading ' when a spreadsheet would otherwise read it as a formula."""
    text = value if type(value) is str else ("" if value is None else str(value))
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _row(finding: dict, checks: dict, control_titles: dict[str, str]) -> list[str]:
    control_ids = list(finding.get("control_ids") or ())
    waiver = finding.get("waiver") or {}
    where = finding.get("location") or {}
    location = ""
    if where.get("path"):
        location = f"{where['path']}:{where['line']}" if where.get("line") else where["path"]
    row = (
        JOIN.join(control_ids),
        JOIN.join(control_titles.get(c, "") for c in control_ids),
        finding["check_id"],
        (checks.get(finding["check_id"]) or {}).get("title"),
        finding["status"],
        finding.get("severity"),
        finding.get("resource"),
        finding.get("message"),
        waiver.get("id"),
        waiver.get("owner"),
        waiver.get("approver"),
        waiver.get("expires"),
        waiver.get("justification"),
        JOIN.join(finding.get("evidence") or ()),
        finding.get("fingerprint"),
        location,
        JOIN.join(finding.get("where") or ()),
        _attestation(finding.get("attestation")),
    )
    return [neutralise(v) for v in row]


def _attestation(att: dict | None) -> str:
    """Who vouches for a finding that rests on a person's word rather than a machine's observation."""
    if not att:
        return ""
    text = f"attested by {att.get('attester')} on {att.get('attested_at')}, expires {att.get('expires')}"
    if att.get("sha256"):
        text += f", document {att.get('document')} sha256 {att.get('sha256')}"
    return text + "; not machine-verified"


def render_csv(results: dict, path: Path, ctx) -> None:
    """Write findings.csv in UTF-8 with a BOM, so Excel detects the encoding."""
    checks = results.get("checks") or {}
    control_titles = {c["id"]: c.get("title") or "" for c in results.get("controls") or ()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(_row(f, checks, control_titles) for f in results.get("findings") or ())
    os.replace(tmp, path)

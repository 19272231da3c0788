"""findings.csv: one row per finding for spreadsheets and audit workpapers, safe to open in Excel."""

from __future__ import annotations

import csv
import io
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


class CsvSink:
    """findings.csv in UTF-8 with a BOM (so Excel detects the encoding), a row written per finding.
    The columns a finding shares with others of its check (controls, titles) are made once per check."""

    def __init__(self, head: dict, path: Path, ctx) -> None:
        self._checks = head.get("checks") or {}
        self._titles = {c["id"]: c.get("title") or "" for c in head.get("controls") or ()}
        self._shared: dict[tuple, str] = {}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # UTF-8 with the BOM written by hand: the utf-8-sig codec encodes each row in Python, utf-8 in C
        self._fh = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
        self._fh.write("\ufeff")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(COLUMNS)

    def add(self, finding: dict) -> None:
        if finding.get("waiver") or finding.get("location") or finding.get("attestation"):
            self._writer.writerow(_row(finding, self._checks, self._titles))
            return
        key = (finding["check_id"], tuple(finding.get("control_ids") or ()))
        first = self._shared.get(key)
        if first is None:  # the first four cells as CSV text, made once per check: csv then writes the rest
            text = io.StringIO(newline="")
            csv.writer(text).writerow(_row(finding, self._checks, self._titles)[:4])
            first = self._shared[key] = text.getvalue().removesuffix("\r\n") + ","
        self._fh.write(first)
        cells = (
            finding["status"],
            finding.get("severity"),
            finding.get("resource"),
            finding.get("message"),
            None,
            None,
            None,
            None,
            None,
            JOIN.join(finding.get("evidence") or ()),
            finding.get("fingerprint"),
            None,
            JOIN.join(finding.get("where") or ()),
            None,
        )
        self._writer.writerow(
            [
                ("'" + v if v[:1] in FORMULA_STARTS else v)
                if type(v) is str
                else ("" if v is None else str(v))
                for v in cells
            ]
        )

    def close(self) -> None:
        self._fh.close()


def open_sink(head: dict, path: Path, ctx) -> CsvSink:
    return CsvSink(head, path, ctx)


def render_csv(results: dict, path: Path, ctx) -> None:
    """Write findings.csv in UTF-8 with a BOM, so Excel detects the encoding."""
    from vigil.render import feed, head_of

    feed(open_sink(head_of(results), path, ctx), results.get("findings") or ())

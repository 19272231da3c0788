"""JUnit XML for CI test views: one testcase per (check, resource), one testsuite per control domain."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from vigil.model import DOMAINS

# XML 1.0 cannot carry these at all, escaped or not; ElementTree would write them and break the file
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _timestamp(text: str | None) -> str | None:
    """JUnit's schema wants a timestamp without offset: UTC, to the second."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return None


def _seconds(run: dict) -> str:
    try:
        start = datetime.fromisoformat(run["started_at"])
        return f"{max(0.0, (datetime.fromisoformat(run['finished_at']) - start).total_seconds()):.3f}"
    except (KeyError, TypeError, ValueError):
        return "0"


def _details(finding: dict, check: dict, control_titles: dict[str, str]) -> str:
    """The body of a failure or error: what a CI reader needs to act without opening the report."""
    lines = [
        f"check: {finding['check_id']} ({check.get('title') or 'no title'})",
        f"severity: {finding.get('severity')}",
        f"resource: {finding.get('resource')}",
    ]
    where = finding.get("location") or {}
    if where.get("path"):
        lines.append(f"location: {where['path']}:{where.get('line') or 1}")
    for cid in finding.get("control_ids") or ():
        lines.append(f"control: {cid} {control_titles.get(cid, '')}".rstrip())
    if check.get("remediation"):
        lines.append(f"remediation: {check['remediation']}")
    lines.append(f"fingerprint: {finding.get('fingerprint')}")
    return "\n".join(lines)


def _testcase(suite: ET.Element, finding: dict, check: dict, control_titles, procedures) -> str:
    """Add one testcase; returns which counter it adds to: pass, failures, errors or skipped."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_x(finding["check_id"]),
        name=_x(finding.get("resource") or "(no resource)"),
        time="0",
    )
    status, message, waiver = finding["status"], _x(finding.get("message")), finding.get("waiver")
    if status in ("fail", "error") and waiver:
        # a waiver is an accepted risk: the gate passes it, so CI must not go red; the note keeps it visible
        out = ET.SubElement(case, "system-out")
        out.text = _x(
            f"WAIVED {waiver.get('id')}: {status} ({finding.get('severity')}) accepted until "
            f"{waiver.get('expires')}; owner {waiver.get('owner')}, approver {waiver.get('approver')}.\n"
            f"justification: {waiver.get('justification')}\nfinding: {finding.get('message')}"
        )
        return "pass"
    if status == "fail":
        el = ET.SubElement(case, "failure", message=message, type=_x(finding.get("severity")))
        el.text = _x(_details(finding, check, control_titles))
        return "failures"
    if status == "error":
        el = ET.SubElement(case, "error", message=f"evaluation error: {message}", type="evaluation-error")
        el.text = _x(_details(finding, check, control_titles))
        return "errors"
    if status == "manual":
        el = ET.SubElement(case, "skipped", message=f"manual: {message}")
        steps = [procedures[c] for c in finding.get("control_ids") or () if procedures.get(c)]
        if steps:
            el.text = _x("\n".join(steps))
        return "skipped"
    if status == "not_applicable":
        ET.SubElement(case, "skipped", message=f"not applicable: {message}")
        return "skipped"
    return "pass"


def render_junit(results: dict, path: Path, ctx) -> None:
    """Write junit.xml; unwaived fail is a failure, error an error, manual and not_applicable skipped."""
    checks = results.get("checks") or {}
    controls = results.get("controls") or ()
    control_titles = {c["id"]: c.get("title") or "" for c in controls}
    procedures = {c["id"]: c["manual_procedure"] for c in controls if c.get("manual_procedure")}
    by_domain: dict[str, list[dict]] = {}
    for finding in results.get("findings") or ():
        domain = (checks.get(finding["check_id"]) or {}).get("domain") or "unknown"
        by_domain.setdefault(domain, []).append(finding)

    run = results.get("run") or {}
    baseline = (results.get("baseline") or {}).get("name") or "baseline"
    stamp = _timestamp(run.get("finished_at") or run.get("started_at"))
    root = ET.Element("testsuites", name=_x(f"vigil {baseline}"), time=_seconds(run))
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    order = [d for d in DOMAINS if d in by_domain] + sorted(d for d in by_domain if d not in DOMAINS)
    for i, domain in enumerate(order):
        suite = ET.SubElement(root, "testsuite", name=_x(domain), id=str(i), time="0")
        if stamp:
            suite.set("timestamp", stamp)
        props = ET.SubElement(suite, "properties")
        for name, value in (("baseline", baseline), ("run_id", run.get("id")), ("domain", domain)):
            ET.SubElement(props, "property", name=name, value=_x(value))
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped", "pass"), 0)
        for finding in by_domain[domain]:
            counts[
                _testcase(suite, finding, checks.get(finding["check_id"]) or {}, control_titles, procedures)
            ] += 1
            counts["tests"] += 1
        for key in totals:
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    if stamp:
        root.set("timestamp", stamp)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    ET.indent(root, space=" ")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)

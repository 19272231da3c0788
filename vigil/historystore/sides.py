"""What `vigil diff` compares: a recorded run, a results.json file or a SARIF log, as one document shape."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from vigil.errors import UserError
from vigil.files import load_json
from vigil.historystore.query import run_document
from vigil.model import fingerprint
from vigil.results import MAX_RESULTS_BYTES, read_results

SARIF_KEY = "vigil/v1"  # vigil.render.sarif.FINGERPRINT_KEY
_ERROR_PREFIX = "Evaluation error, vigil could not judge this (it counts as failing): "
_WAIVED_SUFFIX = re.compile(r" \[waived: [^\]]*\]$")


def load_side(ref: str, store: Callable[[], Engine], target: str | None = None) -> dict:
    """A file path (results.json or .sarif) if one exists, else a run id, prefix, `latest` or `previous`."""
    path = Path(ref)
    if path.is_file():
        return load_file(path)
    if path.suffix.lower() in (".json", ".sarif") or "/" in ref:
        raise UserError(f"{ref}: no such file")
    return run_document(store(), ref, target)


def load_file(path: Path) -> dict:
    """A results.json (checked against its schema, like `vigil report` does) or a SARIF log."""
    doc = load_json(path, path, MAX_RESULTS_BYTES)  # a regular file under a size cap, or a one-line error
    if isinstance(doc, dict) and "findings" in doc and "run" in doc:
        return read_results(path) | {"source": str(path)}
    if (
        isinstance(doc, dict)
        and isinstance(doc.get("runs"), list)
        and str(doc.get("version", "")).startswith("2")
    ):
        return from_sarif(doc, path)
    raise UserError(f"{path}: neither a vigil results.json nor a SARIF 2.1.0 log")


def from_sarif(log: dict, path: Path) -> dict:
    """The failing findings of a SARIF log: vigil's own, or any tool's (matched by rule and location)."""
    findings, checks, run_meta = [], {}, {}
    for i, run in enumerate(log["runs"]):
        driver = ((run or {}).get("tool") or {}).get("driver") or {}
        for rule in driver.get("rules") or ():
            if isinstance(rule, dict) and rule.get("id"):
                checks[rule["id"]] = {"title": (rule.get("shortDescription") or {}).get("text")}
        props = run.get("properties") or {}
        run_meta = run_meta or {"id": props.get("vigil-run-id"), "tool": driver.get("name")}
        for j, result in enumerate(run.get("results") or ()):
            if not isinstance(result, dict):
                raise UserError(f"{path}: runs[{i}].results[{j}] is not an object")
            if result.get("baselineState") == "absent" or result.get("kind") in ("pass", "notApplicable"):
                continue  # what the log itself says is fixed or not a problem
            findings.append(_sarif_finding(result, path, f"runs[{i}].results[{j}]"))
            checks.setdefault(findings[-1]["check_id"], {"title": None})
    return {
        "run": {"id": run_meta.get("id"), "tool": run_meta.get("tool")},
        "source": str(path),
        "checks": checks,
        "findings": findings,
    }


def _sarif_finding(result: dict, path: Path, where: str) -> dict:
    rule = result.get("ruleId") or (result.get("rule") or {}).get("id")
    if not rule:
        raise UserError(f"{path}: {where} has no ruleId")
    props = result.get("properties") or {}
    location = (result.get("locations") or [{}])[0] or {}
    logical = (location.get("logicalLocations") or [{}])[0] or {}
    physical = location.get("physicalLocation") or {}
    uri = (physical.get("artifactLocation") or {}).get("uri")
    line = (physical.get("region") or {}).get("startLine")
    resource = logical.get("fullyQualifiedName") or (f"{uri}:{line}" if uri and line else uri) or ""
    fp = (result.get("partialFingerprints") or {}).get(SARIF_KEY) or fingerprint(rule, resource)
    text = (result.get("message") or {}).get("text") or ""
    # undo what vigil's SARIF writer adds, so a SARIF log and a results.json compare message for message
    text = _WAIVED_SUFFIX.sub("", text.removeprefix(_ERROR_PREFIX))
    if resource and text.startswith(f"{resource}: "):
        text = text[len(resource) + 2 :]
    waiver = next(
        (s for s in result.get("suppressions") or () if s.get("status") in (None, "accepted")), None
    )
    status = props.get("vigil-status") or ("error" if result.get("kind") == "review" else "fail")
    return {
        "check_id": rule,
        "control_ids": list(props.get("vigil-controls") or ()),
        "status": status,
        "severity": props.get("vigil-severity") or _LEVELS.get(result.get("level"), "medium"),
        "resource": resource,
        "message": text,
        "fingerprint": fp,
        "location": {"path": uri, "line": line} if uri and not logical else None,
        "waiver": {"id": (waiver.get("properties") or {}).get("waiver_id") or "suppressed"}
        if waiver
        else None,
    }


_LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "info"}

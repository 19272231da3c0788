"""The --new-only gate: block only on findings that a pinned results.json or results.sarif does not know.

A team commits the results of a run as its accepted starting point and ratchets down from there. A
finding in the pinned file passes the gate; a finding it does not hold blocks as usual. A pinned finding
that a later run recorded in the history store as fixed (its check ran and the finding was no longer open)
blocks again when it comes back: a fix is never undone by itself. Only a waiver or a new pinned file
changes that.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from vigil.errors import UserError
from vigil.model import SEVERITY_RANK
from vigil.render.sarif import FINGERPRINT_KEY

OPEN = ("fail", "error")
log = logging.getLogger("vigil")


@dataclass(frozen=True, slots=True)
class Pinned:
    """The accepted findings of a pinned file: fingerprint -> check id."""

    path: Path
    findings: dict[str, str]
    finished_at: datetime | None
    run_id: str | None


def _time(text) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def load_pinned(path: Path) -> Pinned:
    """Read a results.json or a SARIF log written by vigil; anything else is a user error."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--new-only {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"--new-only {path}: not readable JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("findings"), list) and "run" in doc:
        try:
            findings = {f["fingerprint"]: f["check_id"] for f in doc["findings"] if f["status"] in OPEN}
        except (KeyError, TypeError) as exc:
            raise UserError(f"--new-only {path}: findings: malformed finding: {exc}") from None
        run = doc.get("run") or {}
        return Pinned(path, findings, _time(run.get("finished_at")), run.get("id"))
    if isinstance(doc, dict) and isinstance(doc.get("runs"), list) and str(doc.get("version")) == "2.1.0":
        return _pinned_sarif(path, doc)
    raise UserError(f"--new-only {path}: neither a vigil results.json nor a SARIF 2.1.0 log")


def _pinned_sarif(path: Path, doc: dict) -> Pinned:
    findings: dict[str, str] = {}
    finished = None
    for position, run in enumerate(doc["runs"]):
        try:
            for result in run.get("results") or ():
                if result.get("baselineState") == "absent":
                    continue  # a fixed finding the log still shows, not an open one
                fingerprint = (result.get("partialFingerprints") or {}).get(FINGERPRINT_KEY)
                if fingerprint is None:
                    raise UserError(
                        f"--new-only {path}: runs[{position}]: a result without partialFingerprints."
                        f"{FINGERPRINT_KEY}: pin a SARIF log written by vigil"
                    )
                findings[fingerprint] = result.get("ruleId", "")
            if (run.get("properties") or {}).get("vigil-trimmed"):
                log.warning(
                    "--new-only %s: this SARIF log was trimmed to GitHub's limits; the findings it left out "
                    "count as new: pin results.json instead",
                    path,
                )
            for invocation in run.get("invocations") or ():
                finished = finished or _time(invocation.get("endTimeUtc"))
        except (AttributeError, TypeError) as exc:
            raise UserError(f"--new-only {path}: runs[{position}]: malformed: {exc}") from None
    return Pinned(path, findings, finished, None)


def fixed_since(pinned: Pinned, store: Engine | None, target: str) -> set[str]:
    """Pinned fingerprints that a run of this target recorded after the pinned one judged and found no
    longer failing (vigil.historystore: the same definition of fixed as every report)."""
    if store is None:
        return set()
    from vigil.historystore.query import fixed_after

    return fixed_after(store, target, pinned.findings, pinned.finished_at, pinned.run_id)


def gate_new_only(results: dict, pinned: Pinned, store: Engine | None) -> dict:
    """The run's gate, counting only blocking findings that are new or came back after a fix (fixes are
    read from the history store; without one, only the pinned file counts)."""
    gate = dict(results["gate"])
    fail_on = gate["fail_on"]
    threshold = None if fail_on == "none" else SEVERITY_RANK[fail_on]
    reopened = fixed_since(pinned, store, (results.get("run") or {}).get("target_label") or "default")
    accepted = set(pinned.findings) - reopened
    blocking = known = 0
    new_blocking, back = [], []
    for finding in results["findings"]:
        if finding["status"] not in OPEN or finding.get("waiver"):
            continue
        if threshold is None or SEVERITY_RANK[finding["severity"]] < threshold:
            continue
        if finding["fingerprint"] in accepted:
            known += 1
            continue
        blocking += 1
        (back if finding["fingerprint"] in reopened else new_blocking).append(finding["fingerprint"])
    gate.update(
        passed=blocking == 0,
        blocking=blocking,
        new_only={
            "pinned": pinned.path.name,
            "pinned_findings": len(pinned.findings),
            "known": known,  # at or above fail_on, open, and accepted by the pinned file
            "new": sorted(new_blocking),
            "reopened": sorted(back),  # pinned, fixed since, open again
        },
    )
    return gate

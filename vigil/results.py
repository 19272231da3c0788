"""Assemble the canonical results.json document of a run (format: docs/results-format.md)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from vigil import __version__
from vigil.baseline import Baseline
from vigil.evaluate import Evaluation
from vigil.model import SEVERITIES, STATUSES, Control, Finding, Waiver
from vigil.scoring import check_statuses, gate, score_control, score_run
from vigil.store import object_path

SCHEMA_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _waiver_doc(w: Waiver) -> dict:
    return {
        "id": w.id,
        "justification": w.justification,
        "owner": w.owner,
        "approver": w.approver,
        "expires": _iso(w.expires),
    }


def control_doc(c: Control) -> dict:
    """A control as results.json and `vigil baselines show --json` describe it."""
    return {
        "id": c.id,
        "title": c.title,
        "domain": c.domain,
        "section": c.section,
        "quote": c.quote,
        "frameworks": {k: list(v) for k, v in c.frameworks.items()},
        "weight": c.weight,
        "checks": list(c.checks),
        "manual_procedure": c.manual_procedure,
    }


def _finding_doc(f: Finding) -> dict:
    return {
        "check_id": f.check_id,
        "control_ids": list(f.control_ids),
        "status": f.status,
        "severity": f.severity,
        "resource": f.resource,
        "message": f.message,
        "evidence": list(f.evidence),
        "fingerprint": f.fingerprint,
        "location": dict(f.location) if f.location else None,
        "waiver": _waiver_doc(f.waiver) if f.waiver else None,
    }


def build_results(
    *,
    run: Mapping,
    baseline: Baseline,
    evaluation: Evaluation,
    findings: list[Finding],
    waivers: list[Waiver],
    matched: list[int],  # per waiver, in the order of `waivers`
    fail_on: str,
    out_dir: Path,
    evidence_dir: Path,
    history: list[dict],
) -> dict:
    statuses = check_statuses(findings)
    control_results = {c.id: score_control(c, statuses) for c in evaluation.controls}
    evidence_rel = Path(os.path.relpath(evidence_dir, out_dir)).as_posix()
    policy_file = None
    if baseline.policy_file is not None:
        policy_file = os.path.relpath(baseline.policy_file, baseline.path.parent)
    unwaived_open = [f for f in findings if f.status in ("fail", "error") and f.waiver is None]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "vigil", "version": __version__},
        "run": {**run, "evidence_dir": evidence_rel},
        "baseline": {
            "name": baseline.name,
            "title": baseline.title,
            "version": baseline.version,
            "chain": list(baseline.chain),
            "policy": {"title": baseline.policy_title, "file": policy_file}
            if baseline.policy_title
            else None,
        },
        "gate": gate(findings, fail_on),
        "scores": score_run(evaluation.controls, control_results),
        "summary": {
            "status": {s: 0 for s in STATUSES} | dict(Counter(f.status for f in findings)),
            "severity": {s: 0 for s in SEVERITIES} | dict(Counter(f.severity for f in unwaived_open)),
            "waived": sum(1 for f in findings if f.waiver is not None),
            "controls": {s: 0 for s in STATUSES} | dict(Counter(r.status for r in control_results.values())),
        },
        "controls": [
            control_doc(c)
            | {
                "status": control_results[c.id].status,
                "score": None
                if control_results[c.id].score is None
                else round(100 * control_results[c.id].score, 1),
            }
            for c in evaluation.controls
        ],
        "checks": {
            eff.id: {
                "title": eff.title,
                "description": eff.description,
                "remediation": eff.remediation,
                "severity": eff.severity,
                "domain": eff.domain,
                "references": list(eff.check.references) if eff.check else [],
                "tags": list(eff.check.tags) if eff.check else ["manual"],
                "params": dict(eff.params),
                "implemented": eff.check is not None,
            }
            for eff in evaluation.checks.values()
        },
        "findings": [_finding_doc(f) for f in findings],
        "waivers": [
            _waiver_doc(w)
            | {
                "scope": w.scope,
                "check": w.check,
                "resource": w.resource,
                "state": w.state,
                "problem": w.problem,
                "days_left": w.days_left,
                "matched": n,
            }
            for w, n in zip(waivers, matched, strict=True)
        ],
        "evidence": [
            {
                "id": ev.sha256,
                "kind": ev.kind,
                "collector": ev.collector,
                "collector_version": ev.collector_version,
                "source": ev.source,
                "target": ev.target,
                "collected_at": _iso(ev.collected_at),
                "expires_at": _iso(ev.expires_at),
                "status": ev.status,
                "problems": len(ev.problems),
                "path": f"{evidence_rel}/{object_path(ev.sha256)}",
            }
            for ev in evaluation.evidence
        ],
        "history": history,
    }

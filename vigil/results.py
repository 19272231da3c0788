"""Assemble the canonical results.json document of a run (format: docs/results-format.md)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path

import fastjsonschema

from vigil import __version__
from vigil.baseline import Baseline, control_doc
from vigil.errors import UserError
from vigil.evaluate import Evaluation, Judgment
from vigil.files import load_json
from vigil.model import SEVERITIES, STATUSES, Finding, Waiver
from vigil.scoring import Tally, score_control, score_run
from vigil.store import object_path
from vigil.yamlio import schema

SCHEMA_VERSION = 1
MAX_RESULTS_BYTES = 16 << 30  # a results.json of many millions of findings still loads


@cache
def _validator():
    # compiled once: fastjsonschema checks 100,000 findings in about a second, jsonschema in tens
    return fastjsonschema.compile(schema("vigil", "schema/results.schema.json"))


def read_results(path: Path) -> dict:
    """A results.json as vigil writes it (vigil/schema/results.schema.json), or a UserError naming the file
    and the first field that is wrong, never a KeyError later in a renderer."""
    doc = load_json(path, path, MAX_RESULTS_BYTES)
    try:
        _validator()(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = (exc.name or "data").removeprefix("data").lstrip(".") or "(top level)"
        problem = (exc.message or "").removeprefix(exc.name or "").strip()
        if exc.rule == "required" and isinstance(exc.value, dict):
            problem = "missing " + ", ".join(k for k in exc.rule_definition if k not in exc.value)
        raise UserError(
            f"{path}: {field}: {problem} (not a vigil results.json? see docs/results-format.md)"
        ) from None
    return doc


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


def finding_doc(f: Finding) -> dict:
    return {
        "check_id": f.check_id,
        "control_ids": list(f.control_ids),
        "status": f.status,
        "severity": f.severity,
        "resource": f.resource,
        "message": f.message,
        "evidence": list(f.evidence),
        "where": list(f.where),
        "fingerprint": f.fingerprint,
        "location": dict(f.location) if f.location else None,
        "waiver": _waiver_doc(f.waiver) if f.waiver else None,
        "attestation": dict(f.attestation) if f.attestation else None,
    }


def build_results(
    *,
    run: Mapping,
    baseline: Baseline,
    evaluation: Evaluation | Judgment,
    tally: Tally,
    waivers: list[Waiver],
    matched: list[int],  # per waiver, in the order of `waivers`
    fail_on: str,
    out_dir: Path,
    evidence_dir: Path,
    history: list[dict],
) -> dict:
    """The document without its findings: `findings` is their count, as a range (vigil.render.head_of);
    the reports are fed the findings themselves as they are judged."""
    statuses = tally.check_statuses()
    control_results = {c.id: score_control(c, statuses) for c in evaluation.controls}
    evidence_rel = Path(os.path.relpath(evidence_dir, out_dir)).as_posix()
    policy_file = baseline.policy_name  # as the baseline names it: never a path of this machine
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
        "gate": tally.gate(fail_on),
        "scores": score_run(evaluation.controls, control_results),
        "summary": {
            "status": {s: 0 for s in STATUSES} | tally.by_status(),
            "severity": {s: 0 for s in SEVERITIES} | tally.open_by_severity(),
            "waived": tally.waived(),
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
        "findings": range(tally.total),
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
        "evidence_sets": [
            {"id": sid, "documents": list(documents)} for sid, documents in evaluation.evidence_sets.items()
        ],
        "history": history,
    }

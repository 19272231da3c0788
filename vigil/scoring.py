"""Scores per control, per domain and overall, and the evidence coverage beside them (see docs/scoring.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vigil.model import DOMAINS, SEVERITY_RANK, Control, Finding

MODEL = "weighted-control-pass-ratio"
# worst first: a control or check takes the worst status among its findings; a proven failure
# outranks an error, since known non-compliance is the stronger statement (errors still count against).
# `waived` (accepted risk) is below manual and above pass: it is never a pass, and it is not judged.
PRECEDENCE = ("fail", "error", "manual", "waived", "pass", "not_applicable")


@dataclass(frozen=True, slots=True)
class ControlResult:
    status: str
    score: float | None  # 0..1, None when none of its checks was judged
    evaluated: int  # checks judged on fresh evidence (pass or fail)
    applicable: int  # checks not wholly not_applicable


def effective_status(finding: Finding) -> str:
    """A waived fail is accepted risk: it neither blocks nor scores as a pass ("waived")."""
    return "waived" if finding.waiver is not None and finding.status == "fail" else finding.status


def worst(statuses: Iterable[str]) -> str:
    present = set(statuses)
    for status in PRECEDENCE:
        if status in present:
            return status
    return "not_applicable"


def check_statuses(findings: Iterable[Finding]) -> dict[str, str]:
    per_check: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        per_check[finding.check_id].add(effective_status(finding))
    return {check_id: worst(statuses) for check_id, statuses in per_check.items()}


def score_control(control: Control, statuses: Mapping[str, str]) -> ControlResult:
    """Share of the control's judged checks that pass; error and fail count against; manual and waived
    checks are not judged, so they stay outside both the pass ratio and coverage."""
    own = [statuses.get(check_id, "error") for check_id in control.checks]
    judged = [s for s in own if s in ("pass", "fail", "error")]
    passed = sum(1 for s in judged if s == "pass")
    score = passed / len(judged) if judged else None
    applicable = sum(1 for s in own if s not in ("not_applicable", "waived"))
    evaluated = sum(1 for s in own if s in ("pass", "fail"))
    return ControlResult(worst(own), score, evaluated, applicable)


def _aggregate(pairs: list[tuple[Control, ControlResult]]) -> dict:
    scored = [(c.weight, r.score) for c, r in pairs if r.score is not None]
    weight = sum(w for w, _ in scored)
    applicable = sum(r.applicable for _, r in pairs)
    evaluated = sum(r.evaluated for _, r in pairs)
    return {
        "score": round(100 * sum(w * s for w, s in scored) / weight, 1) if weight else None,
        "coverage": round(100 * evaluated / applicable, 1) if applicable else 0.0,
        "controls": len(pairs),
        "scored_controls": len(scored),
    }


def score_run(controls: Iterable[Control], results: Mapping[str, ControlResult]) -> dict:
    pairs = [(c, results[c.id]) for c in controls]
    return {
        "model": MODEL,
        "overall": _aggregate(pairs),
        "domains": {domain: _aggregate([p for p in pairs if p[0].domain == domain]) for domain in DOMAINS},
    }


def gate(findings: Iterable[Finding], fail_on: str) -> dict:
    """Blocked by an unwaived fail or error at or above `fail_on` (an error is never waived); manual
    findings count, never block."""
    threshold = None if fail_on == "none" else SEVERITY_RANK[fail_on]
    blocking = manual = 0
    for finding in findings:
        if finding.status == "manual":
            manual += 1
        elif (
            threshold is not None
            and finding.status in ("fail", "error")
            and finding.waiver is None
            and SEVERITY_RANK[finding.severity] >= threshold
        ):
            blocking += 1
    return {"fail_on": fail_on, "passed": blocking == 0, "blocking": blocking, "manual": manual}

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


def worst(statuses: Iterable[str]) -> str:
    present = set(statuses)
    for status in PRECEDENCE:
        if status in present:
            return status
    return "not_applicable"


def check_statuses(findings: Iterable[Finding]) -> dict[str, str]:
    return Tally(findings).check_statuses()


class Tally:
    """What scores, the gate and the summary need of a run's findings, counted as they go by: findings
    per (check, status, severity, waived). A run of millions of findings has a few hundred keys."""

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self.counts: dict[tuple[str, str, str, bool], int] = {}
        self.add(findings)

    def add(self, findings: Iterable[Finding]) -> None:
        counts = self.counts
        for f in findings:
            key = (f.check_id, f.status, f.severity, f.waiver is not None)
            counts[key] = counts.get(key, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def check_statuses(self) -> dict[str, str]:
        per_check: dict[str, set[str]] = defaultdict(set)
        for check_id, status, _severity, waived in self.counts:
            per_check[check_id].add("waived" if waived and status == "fail" else status)
        return {check_id: worst(statuses) for check_id, statuses in per_check.items()}

    def by_status(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (_c, status, _s, _w), n in self.counts.items():
            out[status] = out.get(status, 0) + n
        return out

    def open_by_severity(self) -> dict[str, int]:
        """Unwaived fail and error findings per severity."""
        out: dict[str, int] = {}
        for (_c, status, severity, waived), n in self.counts.items():
            if status in ("fail", "error") and not waived:
                out[severity] = out.get(severity, 0) + n
        return out

    def waived(self) -> int:
        return sum(n for (_c, _s, _v, waived), n in self.counts.items() if waived)

    def gate(self, fail_on: str) -> dict:
        """Blocked by an unwaived fail or error at or above `fail_on` (an error is never waived); manual
        findings count, never block."""
        threshold = None if fail_on == "none" else SEVERITY_RANK[fail_on]
        blocking = manual = 0
        for (_c, status, severity, waived), n in self.counts.items():
            if status == "manual":
                manual += n
            elif (
                threshold is not None
                and status in ("fail", "error")
                and not waived
                and SEVERITY_RANK[severity] >= threshold
            ):
                blocking += n
        return {"fail_on": fail_on, "passed": blocking == 0, "blocking": blocking, "manual": manual}


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
    return Tally(findings).gate(fail_on)

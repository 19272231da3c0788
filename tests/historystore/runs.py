"""Small, exact results.json documents for history tests: one check, findings by resource."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from vigil.model import fingerprint

CHECK = "records.training.annual_completion"
OTHER = "records.training.known_people"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def finding(resource: str, status: str = "fail", check: str = CHECK, message: str | None = None, waiver=None):
    return {
        "check_id": check,
        "control_ids": ["PP-TRAINING-ANNUAL"],
        "status": status,
        "severity": "high",
        "resource": resource,
        "message": message or f"{resource}: {status}",
        "evidence": [],
        "fingerprint": fingerprint(check, resource),
        "location": None,
        "waiver": {"id": waiver, "justification": "j", "owner": "o", "approver": "a", "expires": None}
        if waiver
        else None,
    }


def run(
    findings, day: int = 0, label: str = "prod", checks=(CHECK, OTHER), score: float | None = 50.0
) -> dict:
    at = T0 + timedelta(days=day)
    failing = [f for f in findings if f["status"] in ("fail", "error")]
    return {
        "schema_version": 1,
        "tool": {"name": "vigil", "version": "0.1.0"},
        "run": {
            "id": uuid.uuid4().hex,
            "mode": "scan",
            "started_at": at.isoformat(),
            "finished_at": at.isoformat(),
            "as_of": at.isoformat(),
            "config": "vigil.yaml",
            "target_label": label,
            "waivers_applied": True,
        },
        "baseline": {"name": "privacy-policy", "version": "1"},
        "gate": {"fail_on": "high", "passed": not failing, "blocking": len(failing), "manual": 0},
        "scores": {
            "overall": {"score": score, "coverage": 10.0, "controls": 1, "scored_controls": 1},
            "domains": {"administrative": {"score": score, "coverage": 10.0}},
        },
        "summary": {"status": {}},
        "controls": [{"id": "PP-TRAINING-ANNUAL", "status": "fail" if failing else "pass", "score": score}],
        "checks": {c: {"title": c, "severity": "high"} for c in checks},
        "findings": list(findings),
    }

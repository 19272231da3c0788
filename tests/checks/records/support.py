"""Run one records check on hand-built evidence, the way the engine calls it."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil import registry

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def outcomes(check_id: str, evidence: dict, now: datetime = NOW, **params) -> list:
    check = registry.checks.get(check_id)
    view = {need.removesuffix("?"): [] for need in check.needs if need.endswith("?")} | evidence
    merged = {**check.params, **{k.replace("__", "."): v for k, v in params.items()}, "now": now}
    found = list(check.func(view, merged))
    resources = [o.resource for o in found]
    assert len(resources) == len(set(resources)), "one outcome per resource"
    return found


def run(check_id: str, evidence: dict, now: datetime = NOW, **params) -> dict:
    """Outcomes by resource: (status, message). Parameters as keywords: dsr__max_business_days=3."""
    return {o.resource: (o.status, o.message) for o in outcomes(check_id, evidence, now, **params)}


def person(pid: str, *, access: bool = True, status: str = "active", **extra) -> dict:
    return {
        "id": pid,
        "name": pid,
        "email": f"{pid}@acme.example",
        "department": "Support",
        "role": "Agent",
        "status": status,
        "personal_data_access": access,
        "where": "hr/roster.csv:2",
        **extra,
    }

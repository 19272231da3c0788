"""Build `logs.access` evidence from real log files and run one check on it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vigil.collectors.logs.access import access_logs

from vigil import registry
from vigil.model import CollectContext

registry.load_plugins()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def log_evidence(base: Path, *targets: dict) -> list[dict]:
    ctx = CollectContext(base_dir=base, now=lambda: NOW)
    items: list[dict] = []
    for target in targets:
        items.extend(access_logs(target, ctx).data)
    return items


def run(check_id: str, evidence: dict, now: datetime = NOW, **params) -> dict:
    """Outcomes by resource: (status, message, location); each must cite the item it rests on."""
    check = registry.checks.get(check_id)
    unknown = set(params) - set(check.params)
    assert not unknown, f"{check_id} has no parameters {unknown}"
    outcomes = list(check.func(evidence, {**check.params, **params, "now": now}))
    resources = [o.resource for o in outcomes]
    assert len(resources) == len(set(resources)), "one outcome per resource"
    for o in outcomes:
        if o.resource.startswith("check:"):  # a parameter the check cannot use rests on no evidence
            continue
        assert o.cite is not None and "where" in o.cite, f"{o.resource} cites no evidence item"
    return {o.resource: (o.status, o.message, o.location) for o in outcomes}

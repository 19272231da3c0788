"""In-process moto (mock_aws) accounts, collected by the real collectors and judged by the real checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from vigil.collectors.aws import api

from vigil import registry
from vigil.model import CollectContext, Collected

REGIONS = ["eu-west-1", "us-east-1"]
ACCOUNT = "123456789012"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGIONS[0],
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    registry.load_plugins()
    api.reset()
    with mock_aws():
        yield
    api.reset()


def client(service: str, region: str = REGIONS[0]) -> Any:
    return boto3.client(service, region_name=region)


def collect(*kinds: str, **entry: Any) -> dict[str, list]:
    """Run the collectors of these kinds on one config entry, unit by unit, as the engine would."""
    entry = {"name": "test", "regions": REGIONS[:1], **entry}
    ctx = CollectContext(base_dir=Path("."), now=lambda: datetime.now(UTC))
    evidence: dict[str, list] = {kind: [] for kind in kinds}
    for collector in registry.collectors:
        if collector.kind in kinds:
            for unit in collector.expand(entry):
                result = collector.func(unit, ctx)
                assert isinstance(result, Collected) and result.collection["api_requests"] > 0
                evidence[collector.kind].extend(result.data)
    return evidence


def judge(check_id: str, evidence: dict[str, list], days_ahead: int = 0, **params: Any) -> dict[str, tuple]:
    """{resource: (status, message)} of one check on the evidence, `days_ahead` after now."""
    registry.load_plugins()
    check = registry.checks.get(check_id)
    assert check is not None, check_id
    merged = {**check.params, **params, "now": datetime.now(UTC) + timedelta(days=days_ahead)}
    outcomes = list(check.func(MappingProxyType(evidence), MappingProxyType(merged)))
    found = {o.resource: (o.status, o.message) for o in outcomes}
    assert len(found) == len(outcomes), "one outcome per resource"
    for outcome in outcomes:
        assert outcome.cite is not None or outcome.status == "manual", f"{outcome} cites no evidence"
    return found


def status(found: dict[str, tuple], resource: str) -> str:
    return found[resource][0]

"""The engine's `expand=` hook: one config entry becomes several plain, serialisable tasks."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil import registry
from vigil.collect import collect, plan
from vigil.config import parse_config
from vigil.model import CollectContext, Collected
from vigil.store import EvidenceStore


def split_by_region(entry):
    return [{"name": f"{entry['name']}:{region}", "region": region} for region in entry["regions"]]


def test_plan_expands_an_entry_into_one_task_per_unit_and_each_runs_alone(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(registry, "collectors", registry.Registry("collector"))
    seen = []

    @registry.collector(
        name="fake.units", kind="fake.units", source="fake", ttl=timedelta(hours=1), expand=split_by_region
    )
    def units(target, ctx):
        seen.append(target["region"])
        return [{"region": target["region"]}]

    @registry.collector(name="fake.whole", kind="fake.whole", source="fake", ttl=timedelta(hours=1))
    def whole(target, ctx):
        return {"regions": target["regions"]}

    config = parse_config(
        {"sources": {"fake": [{"name": "acct", "regions": ["eu-west-1", "us-east-1", "ap-south-1"]}]}},
        None,
        tmp_path,
    )
    tasks = plan(config)

    assert [(t.collector.name, t.label) for t in tasks] == [
        ("fake.units", "acct:eu-west-1"),
        ("fake.units", "acct:us-east-1"),
        ("fake.units", "acct:ap-south-1"),
        ("fake.whole", "acct"),
    ]
    for task in tasks:  # a unit is plain data: a task queue could carry it unchanged
        assert pickle.loads(pickle.dumps(dict(task.target))) == task.target
        json.dumps(dict(task.target))
    ctx = CollectContext(base_dir=tmp_path, now=lambda: datetime.now(UTC))
    evidence = collect(tasks, ctx, EvidenceStore(tmp_path / "evidence"), concurrency=2)
    assert sorted(seen) == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert [e.target for e in evidence] == ["acct:eu-west-1", "acct:us-east-1", "acct:ap-south-1", "acct"]
    assert evidence[0].data == [{"region": "eu-west-1"}] and evidence[3].data == {
        "regions": ["eu-west-1", "us-east-1", "ap-south-1"]
    }


def test_collected_data_may_carry_its_own_time_and_how_it_was_collected(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(registry, "collectors", registry.Registry("collector"))
    earlier = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    @registry.collector(name="fake.reused", kind="fake.reused", source="fake", ttl=timedelta(hours=24))
    def reused(target, ctx):
        return Collected([{"n": 1}], collected_at=earlier, collection={"api_requests": 3})

    config = parse_config({"sources": {"fake": [{"name": "x"}]}}, None, tmp_path)
    ctx = CollectContext(base_dir=tmp_path, now=lambda: datetime.now(UTC))
    store = EvidenceStore(tmp_path / "evidence")
    (evidence,) = collect(plan(config), ctx, store, concurrency=1)
    assert evidence.collected_at == earlier and evidence.expires_at == earlier + timedelta(hours=24)
    stored = json.loads((store.root / f"objects/{evidence.sha256[:2]}/{evidence.sha256}.json").read_text())
    assert stored["collection"] == {"api_requests": 3}

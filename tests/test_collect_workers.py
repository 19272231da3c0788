"""Records exports parsed in worker processes give the very evidence the run's threads would give."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil import collect as collect_module
from vigil import registry
from vigil.collect import collect, plan
from vigil.config import parse_config
from vigil.model import CollectContext
from vigil.store import EvidenceStore

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def exports(folder: Path) -> dict:
    roster = ["employee_id,name,email,status,pii_access"]
    roster += [f"e{i},Person {i},p{i}@corp.example,{'active' if i % 7 else 'left'},yes" for i in range(300)]
    roster.append("e9,Bad Row,bad@corp.example,active,perhaps")  # a malformed row: a problem, kept
    (folder / "roster.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    training = ["employee_id,course,completed"] + [f"e{i},Privacy,2026-0{1 + i % 9}-15" for i in range(300)]
    (folder / "training.csv").write_text("\n".join(training) + "\n", encoding="utf-8")
    columns = {"id": "employee_id", "personal_data_access": "pii_access"}
    return {
        "personnel": [{"path": "roster.csv", "columns": columns}],
        "training": [
            {"path": "training.csv", "columns": {"person_id": "employee_id", "completed_at": "completed"}}
        ],
    }


def run(folder: Path, sources: dict, store: str) -> list:
    registry.load_plugins()
    config = parse_config({"sources": sources}, None, folder)
    ctx = CollectContext(base_dir=folder, now=lambda: NOW)
    return collect(plan(config), ctx, EvidenceStore(folder / store), concurrency=4)


def test_exports_parsed_in_worker_processes_give_the_same_evidence_as_threads(tmp_path, monkeypatch):
    sources = exports(tmp_path)
    in_threads = run(tmp_path, sources, "threads")
    started = []
    real_popen = collect_module.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(args[0])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(collect_module, "WORKERS_FROM_BYTES", 0)
    monkeypatch.setattr(collect_module.subprocess, "Popen", popen)
    in_workers = run(tmp_path, sources, "workers")

    assert started and all(cmd[-1] == "vigil.collect_worker" for cmd in started)
    assert [e.sha256 for e in in_workers] == [e.sha256 for e in in_threads]  # the same bytes
    assert [e.data for e in in_workers] == [e.data for e in in_threads]
    assert in_workers[0].problems and in_workers[0].problems == in_threads[0].problems
    assert len(in_workers[0].data) == 300 and in_workers[0].collected_at == NOW
    for ev in in_workers:  # written by the worker into the run's own store
        assert (tmp_path / "workers" / "objects" / ev.sha256[:2] / f"{ev.sha256}.json").is_file()


def test_a_target_that_is_not_plain_json_is_collected_in_the_thread(tmp_path, monkeypatch):
    sources = exports(tmp_path)
    sources["personnel"][0]["as_of"] = datetime(2026, 1, 1).date()  # YAML gives dates: no worker for it
    monkeypatch.setattr(collect_module, "WORKERS_FROM_BYTES", 0)
    answers = {}
    real_run = collect_module.Workers.run

    def spy(self, task, ctx):
        answers[task.collector.name] = real_run(self, task, ctx)
        return answers[task.collector.name]

    monkeypatch.setattr(collect_module.Workers, "run", spy)
    [roster, training] = run(tmp_path, sources, "out")
    assert answers["records.personnel"] is None  # refused by the workers, collected in the thread
    assert answers["records.training"] is not None
    assert roster.error is None and len(roster.data) == 300 and len(training.data) == 300


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_an_unreadable_export_is_error_evidence_either_way(tmp_path, monkeypatch, threshold):
    sources = exports(tmp_path)
    sources["training"][0]["path"] = "missing.csv"
    monkeypatch.setattr(collect_module, "WORKERS_FROM_BYTES", threshold)
    [roster, training] = run(tmp_path, sources, "out")
    assert roster.error is None and "missing.csv" in training.error

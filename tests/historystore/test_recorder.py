"""A large run is recorded by a second process (vigil.historystore.recorder) while its reports close:
the store holds the same as when the run records itself, and nothing if the reports fail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

import vigil.runner as runner
from vigil.cli import main
from vigil.demo import build_demo
from vigil.historystore import db, open_store
from vigil.historystore import schema as t


def _stored(store: str) -> tuple[list[tuple], list[tuple]]:
    engine = open_store(store, None)
    with engine.connect() as conn:
        findings = conn.execute(
            select(
                t.findings.c.fingerprint, t.findings.c.check_id, t.findings.c.resource, t.findings.c.state
            ).order_by(t.findings.c.fingerprint)
        ).all()
        in_run = conn.execute(
            select(t.run_findings.c.fingerprint, t.run_findings.c.status, t.run_findings.c.message).order_by(
                t.run_findings.c.fingerprint
            )
        ).all()
    db.dispose_all()
    return [tuple(r) for r in findings], [tuple(r) for r in in_run]


def _scan(config, out, store) -> dict:
    argv = ["scan", "--config", str(config), "--output", str(out), "--store", store, "--format", "json,html"]
    assert main(argv) == 1  # the demo has blocking findings
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_the_recorder_process_stores_what_the_run_would_store_itself(store, tmp_path, monkeypatch):
    config = build_demo(tmp_path / "org")
    itself = str(tmp_path / "itself" / "history.sqlite")
    results = _scan(config, tmp_path / "out-itself", itself)
    started = []
    real = runner.Recorder

    def recorder(*args, **kwargs):
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "RECORD_APART_FROM", 1)
    monkeypatch.setattr(runner, "Recorder", recorder)
    _scan(config, tmp_path / "out-apart", store)
    assert len(started) == 1
    failing = [f for f in results["findings"] if f["status"] in ("fail", "error")]
    apart = _stored(store)
    assert apart == _stored(itself)
    assert len(apart[0]) == len({f["fingerprint"] for f in failing}) > 0
    assert not [p for p in (tmp_path / "out-apart").iterdir() if p.name.startswith(".vigil-")]  # spools gone


def test_reports_that_fail_leave_nothing_in_the_store(store, tmp_path, monkeypatch):
    config = build_demo(tmp_path / "org")
    monkeypatch.setattr(runner, "RECORD_APART_FROM", 1)

    def broken(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner.ReportStream, "close", broken)
    argv = ["scan", "--config", str(config), "--output", str(tmp_path / "out"), "--store", store]
    with pytest.raises(OSError, match="No space left"):
        main(argv)
    assert _stored(store) == ([], [])
    assert not (tmp_path / "out" / "results.json").exists()

"""One run per output folder: the lock, whole runs after kills and Ctrl-C, output mistakes, task timeouts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil import outdir
from vigil.cli import main
from vigil.collect import Task, collect
from vigil.model import CollectContext, Collector
from vigil.store import EvidenceStore

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def _org(tmp_path: Path) -> Path:
    (tmp_path / "hr.csv").write_text(
        "id,name,status,personal_data_access\ne1,Ada,active,yes\ne2,Ben,active,no\n", encoding="utf-8"
    )
    (tmp_path / "lms.csv").write_text(
        "person_id,course,completed_at\ne1,Privacy,2020-01-01\n", encoding="utf-8"
    )
    config = tmp_path / "vigil.yaml"
    config.write_text("sources:\n  personnel: hr.csv\n  training: lms.csv\n", encoding="utf-8")
    return config


def _whole_run(out: Path, clean: bool = True) -> str:
    """The folder holds one run: results.json, every report and the evidence index name the same run.
    A killed run may leave staged files behind (never under a report's name); the next run removes them."""
    results = json.loads((out / "results.json").read_text())
    index = json.loads((out / "evidence" / "index.json").read_text())
    run_id = results["run"]["id"]
    assert index["run_id"] == run_id
    assert run_id in (out / "report.html").read_text()
    sarif = json.loads((out / "results.sarif").read_text())
    assert sarif["runs"][0]["properties"]["vigil-run-id"] == run_id
    assert not clean or not list(out.glob(outdir.STAGED + "*"))
    return run_id


def _vigil(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vigil", *args], stderr=subprocess.PIPE, text=True, **kwargs
    )


def test_output_path_that_is_a_file_is_exit_2_with_one_line(tmp_path, capsys):
    config = _org(tmp_path)
    (tmp_path / "taken").write_text("not a folder")
    assert main(["scan", "--config", str(config), "--output", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    taken = tmp_path / "taken"
    assert err == [f"vigil: error: {taken}: the output path is a file, not a folder; choose another --output"]
    assert main(["scan", "--config", str(config), "--output", str(tmp_path / "taken" / "sub")]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_a_second_run_exits_2_naming_the_holder(tmp_path, capsys):
    config = _org(tmp_path)
    out = tmp_path / "out"
    with outdir.hold(out):
        assert main(["scan", "--config", str(config), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"in use by another vigil run (pid {os.getpid()} on " in err and "--wait-lock" in err
    assert not (out / "results.json").exists()
    assert (
        main(["scan", "--config", str(config), "--output", str(out), "--format", "json"]) == 1
    )  # lock released


def test_concurrent_scans_into_one_folder_leave_one_whole_run(tmp_path):
    config = _org(tmp_path)
    out = tmp_path / "out"
    runs = [
        _vigil("-q", "scan", "--config", str(config), "--output", str(out), "--wait-lock", "120")
        for _ in range(4)
    ]
    codes = [p.wait(timeout=180) for p in runs]
    assert codes == [1, 1, 1, 1], [
        p.stderr.read() for p in runs
    ]  # each ran, and its gate failed (stale training)
    _whole_run(out)
    # every run recorded whole in the history store, the three earlier ones in results.json's history
    from vigil.historystore import open_store
    from vigil.historystore.query import list_runs

    recorded = [r["run_id"] for r in list_runs(open_store(None, out))]
    assert len(recorded) == 4
    assert [h["run_id"] for h in json.loads((out / "results.json").read_text())["history"]] == recorded[:3]


def test_a_scan_killed_at_any_moment_leaves_the_previous_run_whole(tmp_path):
    config = _org(tmp_path)
    out = tmp_path / "out"
    assert main(["-q", "scan", "--config", str(config), "--output", str(out)]) == 1
    kept = {_whole_run(out)}
    for delay in (0.2, 0.5, 0.8, 1.1, 1.4, 1.7):
        proc = _vigil("-q", "scan", "--config", str(config), "--output", str(out))
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=30)
        kept.add(_whole_run(out, clean=False))  # either the old run or the new one, never a mixture
    assert main(["-q", "scan", "--config", str(config), "--output", str(out)]) == 1
    assert _whole_run(out) not in kept


SLOW = textwrap.dedent(
    """
    import sys, time
    from dataclasses import replace
    from vigil import registry
    from vigil.cli import main

    registry.load_plugins()
    original = registry.collectors.get("records.personnel")

    def slow(target, ctx):
        print("collecting", flush=True)
        time.sleep(120)

    registry.collectors._items["records.personnel"] = replace(original, func=slow)
    sys.exit(main(sys.argv[1:]))
    """
)


def test_first_ctrl_c_ends_the_run_at_once_with_130_and_keeps_the_previous_results(tmp_path):
    config = _org(tmp_path)
    out = tmp_path / "out"
    assert main(["-q", "scan", "--config", str(config), "--output", str(out)]) == 1
    before = (out / "results.json").read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW, "-q", "scan", "--config", str(config), "--output", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "collecting"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 130
    assert time.monotonic() - started < 5
    assert (out / "results.json").read_bytes() == before
    _whole_run(out)


def test_a_task_that_outlives_its_timeout_becomes_error_evidence(tmp_path):
    def stuck(target, ctx):
        time.sleep(30)

    def quick(target, ctx):
        return [{"id": "e1"}]

    def collector(name, func):
        return Collector(name, "1", name, "personnel", timedelta(days=1), "", func)

    tasks = [
        Task(collector("stuck", stuck), {"path": "a.csv"}),
        Task(collector("quick", quick), {"path": "b.csv"}),
    ]
    store = EvidenceStore(tmp_path / "evidence")
    started = time.monotonic()
    stuck_ev, quick_ev = collect(
        tasks, CollectContext(tmp_path, lambda: NOW), store, concurrency=2, timeout=0.5
    )
    assert time.monotonic() - started < 5
    assert (
        stuck_ev.error == "not finished within 0.5 s (limits.task_timeout_seconds)" and stuck_ev.data is None
    )
    assert quick_ev.error is None and quick_ev.data == [{"id": "e1"}]


@pytest.mark.parametrize("limit, message", [({"max_file_mb": 1}, "over the limit of 1048576 bytes")])
def test_file_size_limit_comes_from_the_config(tmp_path, limit, message):
    config = _org(tmp_path)
    (tmp_path / "hr.csv").write_text("id,personal_data_access\n" + "e1,yes\n" * 200_000)
    config.write_text(config.read_text() + f"limits: {json.dumps(limit)}\n")
    out = tmp_path / "out"
    main(["-q", "scan", "--config", str(config), "--output", str(out), "--format", "json"])
    doc = json.loads((out / "results.json").read_text())
    errors = [f["message"] for f in doc["findings"] if f["resource"] == "evidence:records.personnel:hr.csv"]
    assert errors and all(message in m for m in errors)

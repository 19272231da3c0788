"""Several writers at once (CI jobs sharing one store) lose no run; a killed writer leaves no half run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from sqlalchemy import func, select, text

from tests.factories import make_results
from tests.historystore.runs import finding, run
from vigil.demo import build_demo
from vigil.historystore import open_store
from vigil.historystore import schema as t
from vigil.historystore.query import finding_rows, list_runs
from vigil.historystore.record import record_run

ROOT = Path(__file__).resolve().parents[2]


def test_threads_recording_into_one_series_lose_nothing(store):
    engine = open_store(store, None)
    docs = [make_results(n_findings=1500, n_controls=20, seed=seed) for seed in range(8)]
    for doc in docs:
        doc["run"]["id"] = f"{doc['run']['id'][:24]}{len(docs):08d}"[:24] + os.urandom(4).hex()
    errors: list[BaseException] = []

    def write(batch):
        try:
            for doc in batch:
                record_run(engine, doc)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(docs[i::4],)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    runs = list_runs(engine)
    assert sorted(r["run_id"] for r in runs) == sorted(d["run"]["id"] for d in docs)
    with engine.connect() as conn:
        chain = conn.execute(select(t.runs.c.seq, t.runs.c.previous_run).order_by(t.runs.c.seq)).all()
        [(series_runs, latest)] = conn.execute(select(t.series.c.runs, t.series.c.latest_run)).all()
        stored = conn.execute(select(func.count()).select_from(t.run_findings)).scalar()
    # serialised per series: each run follows exactly the one recorded before it
    assert [p for _s, p in chain] == [None] + [s for s, _p in chain[:-1]]
    assert (series_runs, latest) == (8, chain[-1][0])
    # the store keeps each run's failing findings (passing ones are not stored)
    assert stored == sum(
        len({f["fingerprint"] for f in d["findings"] if f["status"] in ("fail", "error")}) for d in docs
    )
    assert [r["failing"] for r in runs] == [
        len({f["fingerprint"] for f in d["findings"] if f["status"] in ("fail", "error")})
        for d in sorted(docs, key=lambda d: [r["run_id"] for r in runs].index(d["run"]["id"]))
    ]


def test_two_concurrent_scans_into_one_store_lose_nothing(store, tmp_path):
    config = build_demo(tmp_path / "org")
    env = {**os.environ, "VIGIL_STORE": store}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vigil",
                "-q",
                "scan",
                "--config",
                str(config),
                "--output",
                str(tmp_path / f"out{i}"),
                "--format",
                "json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(3)
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [code for _o, _e, code in results] == [1, 1, 1], results  # the demo's gate fails, by design
    ids = {json.loads((tmp_path / f"out{i}" / "results.json").read_text())["run"]["id"] for i in range(3)}
    engine = open_store(store, None)
    runs = list_runs(engine)
    assert {r["run_id"] for r in runs} == ids
    assert [(r["new"], r["fixed"]) for r in runs][1:] == [(0, 0), (0, 0)]  # same findings each time
    assert runs[0]["new"] == runs[0]["failing"] > 0
    assert not any((tmp_path / f"out{i}" / "history.sqlite").exists() for i in range(3))


CHILD = textwrap.dedent(
    """
    import sys
    from vigil.historystore import open_store
    from vigil.historystore.record import record_run
    from tests.historystore.runs import finding, run
    engine = open_store(sys.argv[1], None)
    record_run(engine, run([finding("person:a")], day=0))
    big = run([finding(f"person:{i}") for i in range(150_000)], day=1)
    print("ready", flush=True)
    record_run(engine, big)
    print("done", flush=True)
    """
)


def test_a_writer_killed_mid_run_leaves_no_half_written_run(store):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.4)  # well inside the 150,000-finding transaction
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL  # killed, not finished
    engine = open_store(store, None)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        runs = conn.execute(select(func.count()).select_from(t.runs)).scalar()
        rows = conn.execute(select(func.count()).select_from(t.run_findings)).scalar()
    assert (runs, rows) in ((1, 1), (2, 150_001))  # all of the run or none of it
    record_run(engine, run([finding("person:a", "pass")], day=2))
    assert [r["state"] for r in finding_rows(engine, "all") if r["resource"] == "person:a"] == ["fixed"]

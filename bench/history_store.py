"""Record 100 runs of 20,000 findings each in the history store; time writes, `vigil diff`, `vigil findings`.

Runs on SQLite (a file in a temporary folder) and on PostgreSQL (VIGIL_BENCH_POSTGRES, default the
machine's server, in a schema of its own that is dropped afterwards). Targets: a run written in under
1 s, a diff of two runs in under 0.5 s. Wall times are printed with this process's CPU time beside
them: on a shared, loaded machine wall time mostly measures waiting for a core (the load average is
printed first and last). PostgreSQL's own work happens in the server, outside that CPU figure.

    python bench/history_store.py [--runs 100] [--findings 20000] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import AS_OF, make_results  # noqa: E402
from vigil.compare import compare  # noqa: E402
from vigil.historystore import db, open_store  # noqa: E402
from vigil.historystore.query import finding_rows, list_runs, parse_since, run_document  # noqa: E402
from vigil.historystore.record import record_run  # noqa: E402
from vigil.historystore.text import diff_json  # noqa: E402

PG = os.environ.get("VIGIL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def runs(n_runs: int, n_findings: int, seed: int = 7):
    """A realistic sequence: each run fixes ~1% of failing findings, opens ~1% new ones, rewords some."""
    rng = random.Random(seed)
    doc = make_results(n_findings=n_findings, n_controls=64, seed=seed)
    findings = doc["findings"]
    serial = 0
    for i in range(n_runs):
        doc["run"] = dict(doc["run"], id=uuid.uuid4().hex, target_label="bench")
        at = AS_OF + timedelta(days=i)
        doc["run"]["finished_at"] = doc["run"]["started_at"] = at.isoformat()
        if i:
            for f in rng.sample(findings, k=n_findings // 50):
                if f["status"] in ("fail", "error"):
                    f["status"], f["waiver"] = "pass", None  # fixed
                elif f["status"] == "pass":
                    f["status"] = "fail"  # opened (or reopened)
                else:
                    f["message"] = f"{f['message']} (run {i})"
            for f in rng.sample(findings, k=n_findings // 200):  # resources replaced by new ones
                serial += 1
                f["resource"] = f"{f['resource']}#{serial}"
                f["fingerprint"] = uuid.uuid4().hex
        yield doc


CPU: list[float] = []  # this process's CPU seconds of the last timed() call


def timed(func, *args, **kwargs):
    """Wall seconds and the value; the CPU seconds go to CPU (a loaded machine inflates wall time)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = func(*args, **kwargs)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start, value


def bench(name: str, store: str, n_runs: int, n_findings: int) -> None:
    engine = open_store(store, None)
    writes, write_cpu = [], []
    total = time.perf_counter()
    for doc in runs(n_runs, n_findings):
        seconds, _ = timed(record_run, engine, doc)
        writes.append(seconds)
        write_cpu.append(CPU[-1])
    total = time.perf_counter() - total
    history = list_runs(engine)
    assert len(history) == n_runs, len(history)

    def diff(a: str, b: str) -> dict:
        before, after = run_document(engine, a), run_document(engine, b)
        return diff_json(compare(after, before), before, after)

    diffs, diff_cpu = [], []
    for _ in range(5):
        diffs.append(timed(diff, "previous", "latest")[0])
        diff_cpu.append(CPU[-1])
    far, doc = timed(diff, history[0]["run_id"], history[-1]["run_id"])
    open_s, rows = timed(finding_rows, engine, "open", parse_since("30d", AS_OF + timedelta(days=n_runs)))
    open_cpu = CPU[-1]
    all_s, every = timed(finding_rows, engine, "all")
    all_cpu = CPU[-1]
    history_s, _ = timed(list_runs, engine, None, 30)
    env = {**os.environ, "VIGIL_STORE": store}
    cli = []
    for argv in (
        ["diff", "previous", "latest", "--json"],
        ["findings", "--status", "open", "--since", "30d"],
    ):
        seconds, _ = timed(subprocess.run, [sys.executable, "-m", "vigil", *argv], env=env,
                           stdout=subprocess.DEVNULL, check=True)  # fmt: skip
        cli.append(seconds)
    writes.sort()
    p95 = writes[max(0, int(len(writes) * 0.95) - 1)]
    print(f"\n{name}: {n_runs} runs of {n_findings:,} findings recorded in {total:.1f} s")
    cpu = statistics.median(write_cpu)
    print(f"  write a run        median {statistics.median(writes):.3f} s, p95 {p95:.3f} s,"
          f" max {writes[-1]:.3f} s; CPU median {cpu:.3f} s  (target < 1 s)")  # fmt: skip
    best = min(diffs)
    print(f"  diff latest/prev   median {statistics.median(diffs):.3f} s (in-process, best {best:.3f} s);"
          f" CPU median {statistics.median(diff_cpu):.3f} s  (target < 0.5 s)")  # fmt: skip
    print(f"  diff first/last    {far:.3f} s ({doc['counts']})")
    print(f"  findings open 30d  {open_s:.3f} s, CPU {open_cpu:.3f} s ({len(rows):,} rows)")
    print(f"  findings all       {all_s:.3f} s, CPU {all_cpu:.3f} s ({len(every):,} rows)")
    print(f"  history (30 runs)  {history_s:.3f} s")
    print(f"  CLI wall time      vigil diff previous latest --json {cli[0]:.2f} s;"
          f" vigil findings --status open --since 30d {cli[1]:.2f} s (includes Python start-up)")  # fmt: skip
    db.dispose_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} cores (other engineers share this machine)")
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.sqlite"
            bench("SQLite", str(path), args.runs, args.findings)
            print(f"  store size         {path.stat().st_size / 1e6:.0f} MB")
    if args.only != "sqlite":
        import psycopg

        schema = f"vigil_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            bench("PostgreSQL", f"{PG}?options={quote(f'-csearch_path={schema}')}", args.runs, args.findings)
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

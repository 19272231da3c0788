"""Bench: judge synthetic evidence records against the privacy-policy baseline; print time and memory.

Targets: 100,000 records under 5 s and 500 MB (issue 3), 1,000,000 records under 20 s and 1 GB
(issue 12), on 2 cores. The evidence store is made first, in this process; then `vigil evaluate
--format json --store none` judges it in a child process, as a user would run it: load and verify the
store, evaluate every check, apply waivers, score, build results.json and write it. Its wall time and
peak memory are the figures. Run: .venv/bin/python bench/evaluate_evidence.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil import registry
from vigil.baseline import load_baseline, resolved_document
from vigil.model import Evidence
from vigil.redact import redact
from vigil.store import EvidenceStore

CHUNK = 5_000  # records per evidence document, as a roster split over several exports would be


def synthetic(n_records: int, now: datetime, seed: int = 7) -> list[Evidence]:
    """Half personnel, half training records, in evidence documents of CHUNK records."""
    rng = random.Random(seed)
    people = n_records // 2
    roster = [
        {
            "id": f"p{i:06d}",
            "name": f"Person {i}",
            "email": f"p{i}@corp.example",
            "department": rng.choice(["Support", "Engineering", "Finance", "Sales"]),
            "role": "staff",
            "status": "active" if rng.random() > 0.05 else "terminated",
            "personal_data_access": rng.random() > 0.3,
            "where": f"roster.csv:{i + 2}",
        }
        for i in range(people)
    ]
    training = [
        {
            "person_id": f"p{rng.randrange(int(people * 1.01)):06d}",  # about 1% unknown people
            "course": "Annual privacy & security compliance",
            "completed_at": (now - timedelta(days=rng.randrange(700))).date().isoformat(),
            "where": f"training.csv:{i + 2}",
        }
        for i in range(n_records - people)
    ]
    evidence = []
    for kind, records in (("records.personnel", roster), ("records.training", training)):
        for start in range(0, len(records), CHUNK):
            evidence.append(
                Evidence(
                    kind=kind,
                    collector=kind,
                    collector_version="1",
                    source=kind.split(".")[1],
                    target=f"{kind}-{start // CHUNK}.csv",
                    collected_at=now,
                    expires_at=now + timedelta(days=7),
                    data=records[start : start + CHUNK],
                )
            )
    return evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write into this folder and keep it")
    args = parser.parse_args()
    target_s, target_mb = (5, 500) if args.records <= 100_000 else (20, 1024)
    now = datetime.now(UTC)
    registry.load_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        store = EvidenceStore(out / "evidence")
        generated = synthetic(args.records, now)
        # what collection adds to every record: redaction, with the fields each collector declares plain
        started = time.perf_counter()
        masked = 0
        for ev in generated:
            _, n = redact(ev.data, registry.collectors.get(ev.collector).plain)
            masked += n
        redaction = time.perf_counter() - started
        stored = [store.put(ev) for ev in generated]
        documents = len(stored)
        del generated
        store.write_baseline(resolved_document(load_baseline("privacy-policy")))
        store.write_index(stored, run_id="bench", created_at=now, baseline="privacy-policy")
        del stored

        command = [sys.executable, "-m", "vigil", "-q", "evaluate", "--evidence", str(out / "evidence")]
        command += ["--output", str(out / "out"), "--format", "json", "--store", "none", "--fail-on", "none"]
        command += ["--as-of", now.isoformat()]
        t0 = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CI": "true"})
        total = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode not in (0, 1):
            print(proc.stdout, proc.stderr, sep="\n")
            sys.exit(f"vigil evaluate exited {proc.returncode}")
        results = out / "out" / "results.json"
        with open(results, "rb") as fh:  # the counts sit before the findings
            head = fh.read(1 << 20).decode("utf-8", "replace")
        begin = head.index('"summary":') + len('"summary":')
        summary, _ = json.JSONDecoder().raw_decode(head, begin)
        findings = sum(summary["status"].values())
        size = results.stat().st_size

    print(f"evidence records        {args.records:>10,}")
    print(f"evidence documents      {documents:>10,}")
    print(f"findings                {findings:>10,}")
    print(f"redaction at collection {redaction:>10.2f} s   ({masked} masked; not in the total)")
    print(f"vigil evaluate          {total:>10.2f} s   (target < {target_s} s)")
    print(f"peak RSS                {peak_mb:>10.0f} MB  (target < {target_mb} MB)")
    print(
        f"results.json            {size / 2**20:>10.1f} MB, {size / max(1, findings):.0f} bytes per finding"
    )
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    sys.exit(0 if total < target_s and peak_mb < target_mb else 1)


if __name__ == "__main__":
    main()

"""Bench: judge 100,000 synthetic evidence records against the privacy-policy baseline; print time and memory.

Target (issue 3): under 5 s and under 500 MB on 2 cores. Measures what `vigil evaluate` does after
collection: load and verify the evidence store, evaluate every check, apply waivers, score, build
results.json and write it. Run: .venv/bin/python bench/evaluate_evidence.py [--records N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vigil import registry
from vigil.baseline import load_baseline
from vigil.evaluate import evaluate
from vigil.model import Evidence
from vigil.redact import redact
from vigil.render import RenderContext, render
from vigil.results import build_results
from vigil.store import EvidenceStore
from vigil.waivers import apply_waivers, parse_waivers

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
    args = parser.parse_args()
    now = datetime.now(UTC)
    registry.load_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
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
        del generated
        store.write_index(stored, run_id="bench", created_at=now, baseline="privacy-policy")
        del stored
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        t0 = time.perf_counter()
        evidence = EvidenceStore(out / "evidence").load()
        t1 = time.perf_counter()
        baseline = load_baseline("privacy-policy")
        evaluation = evaluate(baseline, evidence, now)
        waivers = parse_waivers(baseline.waivers, now, baseline.warn_days, True)
        findings, matched = apply_waivers(evaluation.findings, waivers)
        t2 = time.perf_counter()
        results = build_results(
            run={
                "id": "bench",
                "mode": "evaluate",
                "started_at": now.isoformat(),
                "finished_at": now.isoformat(),
                "as_of": now.isoformat(),
                "config": None,
                "target_label": "bench",
                "waivers_applied": True,
            },
            baseline=baseline,
            evaluation=evaluation,
            findings=findings,
            waivers=waivers,
            matched=matched,
            fail_on="high",
            out_dir=out,
            evidence_dir=out / "evidence",
            history=[],
        )
        render(results, "json", out, RenderContext())
        t3 = time.perf_counter()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    total = t3 - t0
    print(f"evidence records        {args.records:>10,}")
    print(f"evidence documents      {len(evidence):>10,}")
    print(f"findings                {len(findings):>10,}")
    print(f"redaction at collection {redaction:>10.2f} s   ({masked} masked; not in the total)")
    print(f"load + verify sha256    {t1 - t0:>10.2f} s")
    print(f"evaluate + waivers      {t2 - t1:>10.2f} s")
    print(f"results.json built+written {t3 - t2:>7.2f} s")
    print(f"total                   {total:>10.2f} s   (target < 5 s)")
    print(f"peak RSS                {rss_after / 1024:>10.0f} MB  (target < 500 MB)")
    print(f"  of which evidence set-up {rss_before / 1024:>7.0f} MB")
    sys.exit(0 if total < 5 and rss_after / 1024 < 500 else 1)


if __name__ == "__main__":
    main()

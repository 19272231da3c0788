"""Bench: `vigil scan` of a large organisation's HR roster and training exports, with every report.

Target (issue 12): 1,000,000 people and 1,200,000 training rows over 20 export files (10 roster files,
10 training files), scanned with every report format, under 60 s and 2 GB on 2 cores, results.json
under 700 bytes per finding. The scan runs as `python -m vigil scan` in a child process, so its time
and peak memory are those of a real run. Run: .venv/bin/python bench/large_roster.py [--people N]
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
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FILES = 10  # roster files, and as many training files
TARGET_S, TARGET_MB, TARGET_BYTES_PER_FINDING = 60.0, 2048, 700
DEPARTMENTS = ("Support", "Engineering", "Finance", "Sales", "Warehouse", "Legal")
COURSES = ("Annual privacy & security compliance", "Forklift safety", "Secure coding")


def write_exports(folder: Path, people: int, training_rows: int, seed: int = 12) -> list[str]:
    """Roster and training CSV exports as an HR and a learning system would write them; returns the
    vigil.yaml `sources:` block naming them."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    per_file = -(-people // FILES)
    for part in range(FILES):
        with open(folder / f"roster-{part:02d}.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write("employee_id,full_name,work_email,department,job_title,employment_status,pii_access\n")
            for i in range(part * per_file, min(people, (part + 1) * per_file)):
                status = "Active" if rng.random() > 0.05 else "Terminated"
                access = "yes" if rng.random() > 0.3 else "no"
                fh.write(
                    f"e{i:07d},Person {i},person.{i}@corp.example,{rng.choice(DEPARTMENTS)},"
                    f"staff,{status},{access}\n"
                )
    per_file = -(-training_rows // FILES)
    for part in range(FILES):
        with open(folder / f"training-{part:02d}.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write("employee_id,course_name,completion_date\n")
            for _ in range(part * per_file, min(training_rows, (part + 1) * per_file)):
                pid = rng.randrange(int(people * 1.01))  # about 1% for people not on the roster
                done = today - timedelta(days=rng.randrange(700))
                fh.write(f"e{pid:07d},{rng.choice(COURSES)},{done.isoformat()}\n")
    lines = ["sources:", "  personnel:"]
    for part in range(FILES):
        lines += [
            f"    - path: roster-{part:02d}.csv",
            "      columns: {id: employee_id, name: full_name, email: work_email, role: job_title,"
            " status: employment_status, personal_data_access: pii_access}",
        ]
    lines.append("  training:")
    for part in range(FILES):
        lines += [
            f"    - path: training-{part:02d}.csv",
            "      columns: {person_id: employee_id, course: course_name, completed_at: completion_date}",
        ]
    return lines


class TreeMemory:
    """The peak of the summed resident memory of a process and all its descendants, sampled (Linux
    /proc): a scan's work is spread over processes, so the largest one alone understates it."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        pids = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    for child in fh.read().split():
                        pids += self._tree(int(child))
        except OSError:
            pass
        return pids

    @staticmethod
    def _rss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(self._rss_mb(p) for p in self._tree(self.pid)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--training", type=int, help="training rows [1.2 x people]")
    parser.add_argument("--keep", type=Path, help="write into this folder and keep it")
    args = parser.parse_args()
    training_rows = args.training or int(args.people * 1.2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        sources = write_exports(folder, args.people, training_rows)
        config = ["baseline: privacy-policy", "output: out", "fail_on: none", "target_label: bench", *sources]
        (folder / "vigil.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")
        print(f"exports written in {time.perf_counter() - t0:.1f} s")
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil", "-q", "scan", "--config", "vigil.yaml", "--format", "all"],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "CI": "true"},
        )
        tree_mb = TreeMemory(proc.pid)
        stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        tree_mb.stop()
        # the largest single process (the scan itself, a collect worker, the report helper, the recorder)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode not in (0, 1):
            print(stdout, stderr, sep="\n")
            sys.exit(f"scan exited {proc.returncode}")
        out = folder / "out"
        results = out / "results.json"
        with open(results, "rb") as fh:  # the counts sit before the findings; no need to parse them all
            head = fh.read(1 << 20).decode("utf-8", "replace")
        start = head.index('"summary":')
        summary, _ = json.JSONDecoder().raw_decode(head, start + len('"summary":'))
        findings = sum(summary["status"].values())
        size = results.stat().st_size
        per_finding = size / max(1, findings)
        print(f"people / training rows  {args.people:,} / {training_rows:,} in {2 * FILES} files")
        print(f"findings                {findings:>12,}")
        print(f"scan wall time          {seconds:>12.1f} s   (target < {TARGET_S:.0f} s)")
        print(f"scan peak RSS           {peak_mb:>12.0f} MB  (target < {TARGET_MB} MB; the largest process)")
        print(f"  all its processes     {tree_mb.peak:>12.0f} MB  (their RSS summed, sampled every 0.1 s)")
        print(f"results.json            {size / 2**20:>12.1f} MB, {per_finding:.0f} bytes per finding"
              f" (target < {TARGET_BYTES_PER_FINDING})")  # fmt: skip
        for report in sorted(out.iterdir()):
            if report.is_file():
                print(f"  {report.name:<22}{report.stat().st_size / 2**20:>12.1f} MB")
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        ok = (
            seconds < TARGET_S
            and max(peak_mb, tree_mb.peak) < TARGET_MB
            and per_finding < TARGET_BYTES_PER_FINDING
        )
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

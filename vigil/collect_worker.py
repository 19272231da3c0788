"""Worker processes for collectors that parse rather than wait (`cpu_bound=True`: records exports).

Collection runs in threads, which suits collectors that wait on the network; a collector that parses
a large export holds the interpreter the whole time, so twenty exports in threads use one core. Such a
task is handed to a worker process instead (`python -m vigil.collect_worker`), which runs the
collector, redacts its data and writes the evidence document into the run's store exactly as the run
would, and hands the evidence back. The findings are the same either way: the evidence is the same
bytes.

Protocol: the run writes a task as one JSON line ({"collector", "target", "base_dir",
"max_file_bytes", "evidence_dir", "now"}); the worker answers with an 8-byte big-endian length and a
pickle of {"evidence": the stored Evidence} or {"failed": message} when the worker itself could not do
its part (the collector's own failures are error evidence, as in a thread). A pickle keeps the records'
shared values shared (a million rows say "active" with one string), which a JSON copy would not. Only
the run that started the worker reads it. A worker serves tasks until its stdin closes.
"""

from __future__ import annotations

import pickle
import struct
import sys
from datetime import datetime
from pathlib import Path

import orjson


def main() -> int:
    from vigil import registry
    from vigil.collect import Task, run_task
    from vigil.cycles import no_cycle_collection
    from vigil.model import CollectContext
    from vigil.store import EvidenceStore

    registry.load_plugins()
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        try:
            job = orjson.loads(line)
            moment = datetime.fromisoformat(job["now"])
            ctx = CollectContext(
                base_dir=Path(job["base_dir"]),
                now=lambda moment=moment: moment,
                max_file_bytes=job["max_file_bytes"],
                evidence_dir=Path(job["evidence_dir"]),
            )
            task = Task(registry.collectors.get(job["collector"]), job["target"])
            with no_cycle_collection():  # an export's rows: hundreds of thousands of dicts, no cycle
                answer = {"evidence": EvidenceStore(Path(job["evidence_dir"])).put(run_task(task, ctx))}
                blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            del answer
        except Exception as exc:  # the run falls back to collecting this task itself
            blob = pickle.dumps({"failed": f"{type(exc).__name__}: {exc}"})
        out.write(struct.pack(">Q", len(blob)))
        out.write(blob)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

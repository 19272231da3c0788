"""A helper process that writes some of a run's report formats while the run's own process writes the
others, so that a run of millions of findings uses both cores of a CI machine.

`vigil.render.render_all` or a run's report stream (vigil.render.stream) starts it (`python -m
vigil.render.helper`) and talks to it over its stdin,
one JSON document per line:
- first, the job: {"formats": [...], "paths": [...], "head": the results document without its
  findings (with their count), "ctx": {"link_base": ..., "source_root": ..., "previous": a file
  holding the previous run's document, or null}, "failing": the run's spool of failing findings (JSON
  lines, complete when the end comes), or null};
- then the findings, in batches: a JSON list per line, in results.json order;
- last, {"end": true}; from a run's report stream, with "head": the document as completed while the
  findings came (the sinks read it in place when they close).
A stream that stops before the end (the run was interrupted) leaves no report: the helper removes what
it wrote and exits 1.
The helper writes each format to its staged name; the run commits them with its other files. Whatever
goes wrong is written to stderr as one line and the exit status is 1.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import orjson

from vigil.jsonfast import JsonLines


def main() -> int:
    from vigil.cycles import no_cycle_collection

    with no_cycle_collection():  # millions of finding documents, none in a cycle
        return _main()


def _main() -> int:
    from vigil.render import RenderContext, _open

    stream = sys.stdin.buffer
    job = orjson.loads(stream.readline() or b"null")
    if not isinstance(job, dict):
        sys.stderr.write("no job given\n")
        return 1
    paths = [Path(p) for p in job["paths"]]
    head = job["head"]
    head["findings"] = range(head["findings"])
    sinks = []
    ended = False
    try:
        previous = job["ctx"].get("previous")
        ctx = RenderContext(
            previous=None if previous is None else orjson.loads(Path(previous).read_bytes()),
            link_base=job["ctx"]["link_base"],
            source_root=_path(job["ctx"]["source_root"]),
        )
        sinks = [_open(fmt, head, path, ctx) for fmt, path in zip(job["formats"], paths, strict=True)]
        if job.get("failing"):
            for sink in sinks:
                if hasattr(sink, "failing_from"):
                    sink.failing_from(JsonLines(Path(job["failing"])))
        adds = [sink.add for sink in sinks]
        for line in stream:
            batch = orjson.loads(line)
            if isinstance(batch, dict):
                ended = bool(batch.get("end"))
                if isinstance(batch.get("head"), dict):  # completed while the findings came
                    head.update(batch["head"])
                    head["findings"] = range(head["findings"])
                break
            for finding in batch:
                for add in adds:
                    add(finding)
        if not ended:
            raise RuntimeError("the run stopped before its last finding")
        for sink in sinks:
            sink.close()
    except Exception as exc:  # reported to the run, which fails with it
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 1
    return 0


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


if __name__ == "__main__":
    sys.exit(main())

"""A run's reports, written while the run is judged (vigil.runner): each batch of findings goes to every
format as soon as it is made and is let go, so a run never holds all its findings, as objects or as
documents.

The sinks are opened with the results document as it is known before judging (controls, checks,
evidence); the run completes that same dict in place (scores, gate, summary, evidence sets) before
`close()`, which is when every format writes what comes before or after its findings. The formats
that list failing findings only (SARIF, Markdown) are rendered at close from the failing findings,
which the stream spools to a temporary file as JSON lines; the history store and `--new-only` read
that spool too (`failing`). JUnit, CSV and the HTML report go to the report helper process
(vigil.render.helper) once a run has HELPER_FROM findings, so that judging, in this process, does not
wait on them; until then their batches wait here, and a smaller run writes them itself."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from vigil import jsonfast
from vigil.compare import FAILING
from vigil.jsonfast import JsonLines
from vigil.outdir import staged
from vigil.render import (
    HELPER_FORMATS,
    HELPER_FROM,
    RENDERERS,
    Helper,
    RenderContext,
    _open,
    render,
)
from vigil.render.jsonfile import JsonSink

# formats that list failing findings only: rendered at close from the spooled failing findings
FAILING_ONLY = ("sarif", "md")


# the formats a run's helper process writes: the helper reads JSON and writes, the run's own process
# judges, so the helper takes the HTML report too (it reads "what changed" from files: the previous
# document and the spool of failing findings)
STREAM_HELPER_FORMATS = (*HELPER_FORMATS, "html")


class SpooledFindings:
    """Finding documents kept in a temporary file as JSON lines, read back one at a time (its readers,
    the SARIF, Markdown and HTML reports, `--new-only` and the history store, only iterate it)."""

    def __init__(self, folder: Path) -> None:
        # named, so that another process may read it (the report helper, the history recorder)
        self._fh = tempfile.NamedTemporaryFile(dir=folder, prefix=".vigil-failing-", suffix=".jsonl")  # noqa: SIM115
        self.path = Path(self._fh.name)
        self._count = 0

    def add(self, docs: list[dict]) -> None:
        if docs:
            self._fh.write(b"\n".join(map(orjson.dumps, docs)) + b"\n")
            self._count += len(docs)

    def __len__(self) -> int:
        return self._count

    def flush(self) -> None:
        """Make every document added so far readable at `path`."""
        self._fh.flush()

    def __iter__(self) -> Iterator[dict]:
        self.flush()
        return iter(JsonLines(self.path))

    def close(self) -> None:
        """Gone: the file is removed."""
        self._fh.close()


class ReportStream:
    """Every format of a run fed batch by batch; `close()` writes them to their staged names."""

    def __init__(self, head: dict, formats: Iterable[str], out_dir: Path, ctx: RenderContext) -> None:
        self.head, self.ctx = head, ctx
        self.formats = list(formats)
        self.paths = {fmt: Path(out_dir) / RENDERERS[fmt][2] for fmt in self.formats}
        self.failing = SpooledFindings(Path(out_dir))
        self._sinks: list[Any] = []
        self._json: JsonSink | None = None
        self._previous_file: Any = None
        helped = [f for f in self.formats if f in STREAM_HELPER_FORMATS]
        # alone, a format gains nothing from a helper
        self._helped = helped if 0 < len(helped) < len(self.formats) else []
        self._helper: Helper | None = None
        self._waiting: list[bytes] = []  # encoded batches for the helper, until it starts
        self._count = 0
        for fmt in self.formats:
            if fmt in FAILING_ONLY or fmt in self._helped:
                continue
            path = staged(self.paths[fmt])
            if fmt == "json":
                self._json = JsonSink(head, path, ctx, deferred=True)
                self._sinks.append(self._json)
            else:
                self._sinks.append(self._local(fmt))
        self._adds = [s.add for s in self._sinks if s is not self._json]

    def _local(self, fmt: str) -> Any:
        """A format this process writes itself."""
        sink = _open(fmt, self.head, staged(self.paths[fmt]), self.ctx)
        if hasattr(sink, "failing_from"):  # the HTML: what "what changed" compares is read at close
            sink.failing_from(self.failing)
        return sink

    def add(self, docs: list[dict]) -> None:
        """A batch of finding documents, in results.json order."""
        if not docs:
            return
        for add in self._adds:
            for doc in docs:
                add(doc)
        self.failing.add([d for d in docs if d["status"] in FAILING])
        self._count += len(docs)
        if self._json is None and not self._helped:
            return
        data = jsonfast.dumps(docs)
        if self._json is not None:
            self._json.add_encoded(data)
        if self._helped:
            if self._helper is not None:
                self._helper.send(data)
            else:
                self._waiting.append(data)
                if self._count >= HELPER_FROM:
                    self._start_helper()

    def _start_helper(self) -> None:
        previous = None
        if self.ctx.previous is not None and "html" in self._helped:
            self._previous_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in discard()
                dir=self.failing.path.parent, prefix=".vigil-previous-", suffix=".json"
            )
            self._previous_file.write(jsonfast.dumps(self.ctx.previous))
            self._previous_file.flush()
            previous = Path(self._previous_file.name)
        self._helper = Helper(
            self._helped,
            self.head,
            [staged(self.paths[f]) for f in self._helped],
            self.ctx,
            previous=previous,
            failing=self.failing.path,
        )
        waiting, self._waiting = self._waiting, []
        for data in waiting:
            self._helper.send(data)

    def close(self) -> list[Path]:
        """Write every format (the run has completed `head` by now); return their final paths."""
        try:
            self.head["findings"] = range(self._count)
            if self._helper is not None:  # it closes its formats while this process closes its own
                self.failing.flush()  # the helper's HTML reads it
                self._helper.end(self.head)
            if self._helped and self._helper is None:  # a small run: its own process writes them
                for fmt in self._helped:
                    sink = self._local(fmt)
                    for data in self._waiting:
                        for doc in orjson.loads(data):
                            sink.add(doc)
                    sink.close()
                self._waiting = []
            for sink in self._sinks:
                sink.close()
            self._sinks = []
            for fmt in self.formats:
                if fmt in FAILING_ONLY:
                    render(
                        {**self.head, "findings": self.failing},
                        fmt,
                        self.paths[fmt].parent,
                        self.ctx,
                        stage=True,
                    )
            if self._helper is not None:
                self._helper.finish()
                self._helper = None
        except BaseException:
            self.abort()
            raise
        return list(self.paths.values())

    def abort(self) -> None:
        """Stop: no report of this run is left, staged or not (the previous ones stay as they were)."""
        if self._helper is not None:
            self._helper.abort()
            self._helper = None
        for sink in self._sinks:
            stop = getattr(sink, "abort", None)
            if stop is not None:
                with contextlib.suppress(OSError):
                    stop()
        self._sinks = []
        for path in self.paths.values():
            with contextlib.suppress(OSError):
                staged(path).unlink()

    def discard(self) -> None:
        """Let the spooled failing findings go (after the history store has read them)."""
        self.failing.close()
        if self._previous_file is not None:
            self._previous_file.close()

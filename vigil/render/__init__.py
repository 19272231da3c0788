"""Report renderers: every format is made from a results.json document, never from a live run.

Each format is a sink: `open_sink(head, path, ctx)` gets the document without its findings, `add(f)`
takes one finding at a time and `close()` finishes the file. `render_all` reads the findings ONCE and
hands each to every format's sink, so a run with millions of findings is never held in memory as
documents: JSON, CSV and JUnit write as they read, SARIF and Markdown keep only the open findings they
list, the HTML report keeps the compact rows it embeds."""

from __future__ import annotations

import contextlib
import fcntl
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vigil import jsonfast
from vigil.children import Child
from vigil.errors import UserError
from vigil.outdir import commit, staged

# format name -> (module, function, file name written inside the output folder)
RENDERERS: dict[str, tuple[str, str, str]] = {
    "json": ("vigil.render.jsonfile", "render_json", "results.json"),
    "html": ("vigil.render.html", "render_html", "report.html"),
    "sarif": ("vigil.render.sarif", "render_sarif", "results.sarif"),
    "junit": ("vigil.render.junit", "render_junit", "junit.xml"),
    "csv": ("vigil.render.csvfile", "render_csv", "findings.csv"),
    "md": ("vigil.render.markdown", "render_markdown", "summary.md"),
    "oscal": ("vigil.render.oscal", "render_oscal", "results.oscal.json"),
}
# written only when named, never by `all`: OSCAL is an export for GRC tools, several times slower than the
# reports on runs of tens of thousands of findings
ON_REQUEST = ("oscal",)
FORMATS = tuple(name for name in RENDERERS if name not in ON_REQUEST)


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer may know besides the results themselves."""

    # the previous run's results.json document, when there is one (for "what changed")
    previous: dict | None = None
    # prefix that turns a results-relative path (evidence/objects/...) into one relative to the report
    link_base: str = ""
    # folder that code findings' location paths are relative to (SARIF uses it)
    source_root: Path | None = None
    extra: dict = field(default_factory=dict)


class Sink(Protocol):
    def add(self, finding: dict) -> None: ...

    def close(self) -> None: ...


class Subset:
    """A sink for a format that lists only some findings (SARIF: failing ones; Markdown: open ones): it
    keeps those and renders the document with them when the last finding is in."""

    def __init__(self, head: dict, path: Path, ctx: RenderContext, keep, render_func) -> None:
        self._head, self._path, self._ctx = head, path, ctx
        self._keep, self._render = keep, render_func
        self._kept: list[dict] = []

    def add(self, finding: dict) -> None:
        if self._keep(finding):
            self._kept.append(finding)

    def close(self) -> None:
        self._render({**self._head, "findings": self._kept}, self._path, self._ctx)


def head_of(results: dict) -> dict:
    """The document without its findings (what a sink is opened with); `findings` becomes its count."""
    findings = results.get("findings") or ()
    return {k: (range(len(findings)) if k == "findings" else v) for k, v in results.items()}


def _open(fmt: str, head: dict, path: Path, ctx: RenderContext) -> Sink:
    module_name, func_name, _ = RENDERERS[fmt]
    module = importlib.import_module(module_name)
    if hasattr(module, "open_sink"):
        return module.open_sink(head, path, ctx)
    # a format without a sink of its own is given every finding, then rendered as a whole
    return Subset(head, path, ctx, lambda f: True, getattr(module, func_name))


def feed(sink: Sink, findings: Iterable[dict]) -> None:
    for finding in findings:
        sink.add(finding)
    sink.close()


# Formats a helper process writes when a run has many findings (vigil.render.helper): the two that cost
# the most per finding, so that the helper and the run's own process each take about half the work.
HELPER_FORMATS = ("junit", "csv")
HELPER_FROM = 20_000  # findings; below this, starting a process costs more than it saves
BATCH = 4096  # findings sent to the helper at once


def _counted(head: dict) -> dict:
    """The document as the helper is sent it: its findings as their count."""
    return {k: (len(v) if k == "findings" else v) for k, v in head.items()}


class Helper:
    """The helper process and the pipe that feeds it findings (protocol: vigil.render.helper)."""

    def __init__(
        self,
        formats: Sequence[str],
        head: dict,
        paths: Sequence[Path],
        ctx: RenderContext,
        *,
        previous: Path | None = None,
        failing: Path | None = None,
    ) -> None:
        """`previous`: a file holding ctx.previous (the HTML's "what changed"); `failing`: the run's
        spool of failing findings (vigil.render.stream), read by the HTML when it closes."""
        self.paths = list(paths)
        self._ended = False
        self._child = Child("vigil.render.helper")
        self._proc = self._child.proc
        job = {
            "formats": list(formats),
            "paths": [str(p) for p in self.paths],
            "head": _counted(head),
            "ctx": {
                "link_base": ctx.link_base,
                "source_root": None if ctx.source_root is None else str(ctx.source_root),
                "previous": None if previous is None else str(previous),
            },
            "failing": None if failing is None else str(failing),
        }
        with contextlib.suppress(OSError):  # Linux: a deeper pipe, so the run seldom waits on it
            fcntl.fcntl(self._proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        self._send(jsonfast.dumps(job))

    def _send(self, line: bytes) -> None:
        try:
            self._proc.stdin.write(line + b"\n")
        except BrokenPipeError:
            self.finish()  # it stopped: finish() says why
            raise UserError("the report helper stopped early") from None

    def send(self, batch: bytes) -> None:
        """A batch of findings encoded as one JSON list."""
        if batch != b"[]":
            self._send(batch)

    def end(self, head: dict | None = None) -> None:
        """Tell the helper the findings are all sent; it writes its reports meanwhile. `head`: the
        document as completed since the helper started (a run's reports fed while it was judged)."""
        if self._ended:
            return
        self._ended = True
        message: dict[str, Any] = {"end": True}
        if head is not None:
            message["head"] = _counted(head)
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.write(jsonfast.dumps(message) + b"\n")
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()

    def finish(self) -> None:
        """End (if not yet ended) and wait for the helper's reports; a failure is raised."""
        self.end()
        code, problem = self._child.wait()
        if code != 0:
            names = ", ".join(p.name for p in self.paths)
            raise UserError(f"could not write {names}: {problem or f'report helper exited {code}'}")

    def abort(self) -> None:
        self._child.kill()


def _send_batch(batch: list[dict], helper: Helper, encoded: Any) -> None:
    data = jsonfast.dumps(batch)
    helper.send(data)
    if encoded is not None:
        encoded.add_encoded(data)


def render_all(
    results: dict,
    formats: Iterable[str],
    out_dir: Path,
    ctx: RenderContext | None = None,
    stage: bool = False,
) -> list[Path]:
    """Write several formats with ONE pass over the findings; return the files' final paths. On a run
    of many findings, a helper process writes HELPER_FORMATS from the same pass at the same time."""
    ctx = ctx or RenderContext()
    formats = list(formats)
    head = head_of(results)
    findings = results.get("findings") or ()
    paths = {fmt: Path(out_dir) / RENDERERS[fmt][2] for fmt in formats}
    helped = [f for f in formats if f in HELPER_FORMATS] if len(findings) >= HELPER_FROM else []
    sinks: list[Any] = []
    helper = None
    try:
        if len(helped) > 0 and len(helped) < len(formats):  # alone, a format gains nothing from a helper
            helper = Helper(helped, head, [staged(paths[f]) for f in helped], ctx)
        encoded = None  # results.json's sink, given the batches encoded once for it and the helper
        for fmt in formats:
            if helper is None or fmt not in helped:
                sinks.append(_open(fmt, head, staged(paths[fmt]), ctx))
                if helper is not None and hasattr(sinks[-1], "add_encoded"):
                    encoded = sinks[-1]
        adds = [s.add for s in sinks if s is not encoded]
        if helper is None:
            for finding in findings:
                for add in adds:
                    add(finding)
        else:
            batch: list[dict] = []
            for finding in findings:
                for add in adds:
                    add(finding)
                batch.append(finding)
                if len(batch) >= BATCH:
                    _send_batch(batch, helper, encoded)
                    batch = []
            _send_batch(batch, helper, encoded)
        for sink in sinks:
            sink.close()
        if helper is not None:
            helper.finish()
            helper = None
    except BaseException:
        if helper is not None:
            helper.abort()
        for path in paths.values():
            with contextlib.suppress(OSError):
                staged(path).unlink()
        raise
    written = list(paths.values())
    if not stage:
        commit(written)
    return written


def render(
    results: dict, fmt: str, out_dir: Path, ctx: RenderContext | None = None, stage: bool = False
) -> Path:
    """Write one format into out_dir and return the file's final path. The renderer writes a staged file
    (vigil.outdir.staged); without `stage` it replaces the final file at once, with `stage` the caller
    commits it together with the run's other files. Either way no reader sees half a report."""
    module_name, func_name, file_name = RENDERERS[fmt]
    func = getattr(importlib.import_module(module_name), func_name)
    path = Path(out_dir) / file_name
    try:
        func(results, staged(path), ctx or RenderContext())
    except BaseException:
        with contextlib.suppress(OSError):
            staged(path).unlink()
        raise
    if not stage:
        commit([path])
    return path

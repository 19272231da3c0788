"""Report renderers: every format is made from a results.json document, never from a live run.

Each format is a sink: `open_sink(head, path, ctx)` gets the document without its findings, `add(f)`
takes one finding at a time and `close()` finishes the file. `render_all` reads the findings ONCE and
hands each to every format's sink, so a run with millions of findings is never held in memory as
documents: JSON, CSV and JUnit write as they read, SARIF and Markdown keep only the open findings they
list, the HTML report keeps the compact rows it embeds."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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


def render_all(
    results: dict,
    formats: Iterable[str],
    out_dir: Path,
    ctx: RenderContext | None = None,
    stage: bool = False,
) -> list[Path]:
    """Write several formats with ONE pass over the findings; return the files' final paths."""
    ctx = ctx or RenderContext()
    head = head_of(results)
    paths = [Path(out_dir) / RENDERERS[fmt][2] for fmt in formats]
    sinks: list[Any] = []
    try:
        for fmt, path in zip(formats, paths, strict=True):
            sinks.append(_open(fmt, head, staged(path), ctx))
        adds = [s.add for s in sinks]
        for finding in results.get("findings") or ():
            for add in adds:
                add(finding)
        for sink in sinks:
            sink.close()
    except BaseException:
        for path in paths:
            with contextlib.suppress(OSError):
                staged(path).unlink()
        raise
    if not stage:
        commit(paths)
    return paths


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

"""Report renderers: every format is made from a results.json document, never from a live run."""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass, field
from pathlib import Path

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

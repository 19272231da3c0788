"""One pass over the findings feeds every format, and gives the same files as rendering each alone."""

from __future__ import annotations

import json

from tests.factories import make_results
from vigil.render import FORMATS, RENDERERS, RenderContext, render, render_all


class Once(list):
    """A findings list that can be read only once, as a stream would be."""

    def __iter__(self):
        if getattr(self, "_read", False):
            raise AssertionError("findings read twice")
        self._read = True
        return super().__iter__()


def test_every_format_from_one_pass_matches_each_format_alone(tmp_path):
    results = make_results(n_findings=300, with_history=True)
    previous = make_results(n_findings=250, seed=2)
    ctx = RenderContext(previous=previous)
    alone, together = tmp_path / "alone", tmp_path / "together"
    alone.mkdir()
    together.mkdir()
    for fmt in FORMATS:
        render(results, fmt, alone, ctx)
    streamed = dict(results, findings=Once(results["findings"]))
    written = render_all(streamed, list(FORMATS), together, ctx)
    assert [p.name for p in written] == [RENDERERS[f][2] for f in FORMATS]
    for path in written:
        assert path.read_bytes() == (alone / path.name).read_bytes(), path.name
    assert json.loads((together / "results.json").read_text()) == results


def test_a_failing_format_leaves_no_staged_file(tmp_path, monkeypatch):
    import vigil.render.csvfile as csvfile

    def broken(self, finding):
        raise RuntimeError("disk full")

    monkeypatch.setattr(csvfile.CsvSink, "add", broken)
    results = make_results(n_findings=5)
    try:
        render_all(results, ["json", "csv"], tmp_path)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error was swallowed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_report_helper_writes_junit_and_csv_byte_for_byte_as_the_run_would(tmp_path, monkeypatch):
    import subprocess

    import vigil.render as render_module

    results = make_results(n_findings=9000, with_history=True)  # several batches to the helper
    monkeypatch.setattr(render_module, "BATCH", 1000)
    alone, helped = tmp_path / "alone", tmp_path / "helped"
    alone.mkdir()
    helped.mkdir()
    for fmt in FORMATS:
        render(results, fmt, alone, RenderContext())
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(args[0])
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(render_module, "HELPER_FROM", 1)
    monkeypatch.setattr(subprocess, "Popen", popen)
    written = render_all(dict(results, findings=Once(results["findings"])), list(FORMATS), helped)
    assert [cmd[-1] for cmd in started] == ["vigil.render.helper"]
    for path in written:
        assert path.read_bytes() == (alone / path.name).read_bytes(), path.name
    assert not [p for p in helped.iterdir() if p.name.startswith(".staged")]


def test_a_helper_that_fails_fails_the_run_naming_its_files_and_leaves_nothing_staged(tmp_path, monkeypatch):
    import pytest

    import vigil.render as render_module
    from vigil.errors import UserError

    out, blocker = tmp_path / "out", tmp_path / "a-file"
    out.mkdir()
    blocker.write_text("not a folder", encoding="utf-8")

    def staged(path):  # the helper's files are to go under a regular file: it cannot write them
        return (
            blocker / path.name if path.suffix in (".xml", ".csv") else path.parent / f".staged-{path.name}"
        )

    monkeypatch.setattr(render_module, "HELPER_FROM", 1)
    monkeypatch.setattr(render_module, "staged", staged)
    with pytest.raises(UserError, match=r"could not write junit\.xml, findings\.csv: \w+Error"):
        render_all(make_results(n_findings=500), list(FORMATS), out)
    assert list(out.iterdir()) == []

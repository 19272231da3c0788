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

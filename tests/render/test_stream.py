"""A run's reports fed while it is judged (vigil.render.stream) are the files render_all writes from the
finished document, byte for byte, though the stream saw the document only as it was before judging."""

from __future__ import annotations

import copy
import json

import pytest

import vigil.render as render_module
from tests.factories import make_results
from vigil.outdir import commit
from vigil.render import FORMATS, RenderContext, render_all
from vigil.render.stream import ReportStream


def _with_sets(results: dict) -> dict:
    """Some findings cite a whole evidence set, as a check over several documents without cites does."""
    documents = [e["id"] for e in results["evidence"]][:3]
    sets = [
        {"id": "set:aaaaaaaaaaaaaaaa", "documents": documents},
        {"id": "set:0000000000000000", "documents": documents[:2]},
    ]
    for i, finding in enumerate(results["findings"]):
        if i % 7 == 3:
            finding["evidence"] = [sets[0]["id"]]
        elif i % 11 == 5:
            finding["evidence"] = [sets[1]["id"]]
    return dict(results, evidence_sets=sets)


def _before_judging(results: dict) -> dict:
    """The document as a run knows it before its first finding: no scores, counts or evidence sets."""
    head = {k: range(0) if k == "findings" else copy.deepcopy(v) for k, v in results.items()}
    head["gate"] = {"fail_on": "high", "passed": True, "blocking": 0, "manual": 0}
    head["summary"] = {key: {} for key in head["summary"]}
    head["scores"] = {}
    head["evidence_sets"] = []
    for control in head["controls"]:
        control["status"], control["score"] = "not_applicable", None
    return head


def _stream(results: dict, out, ctx: RenderContext, batch: int) -> list:
    head = _before_judging(results)
    reports = ReportStream(head, list(FORMATS), out, ctx)
    findings = results["findings"]
    for start in range(0, len(findings), batch):
        reports.add(copy.deepcopy(findings[start : start + batch]))
    head.update({k: v for k, v in results.items() if k != "findings"})  # what judging completed
    written = reports.close()
    assert len(reports.failing) == sum(1 for f in findings if f["status"] in ("fail", "error"))
    assert list(reports.failing) == [f for f in findings if f["status"] in ("fail", "error")]
    reports.discard()
    commit(written)
    return written


@pytest.mark.parametrize("helper_from", [10**9, 500], ids=["in-process", "helper-started-mid-run"])
@pytest.mark.parametrize("with_previous", [False, True], ids=["first-run", "with-previous"])
def test_reports_fed_while_judging_equal_the_reports_of_the_finished_document(
    tmp_path, monkeypatch, helper_from, with_previous
):
    monkeypatch.setattr(render_module, "HELPER_FROM", helper_from)
    monkeypatch.setattr("vigil.render.stream.HELPER_FROM", helper_from)
    results = _with_sets(make_results(n_findings=3000, with_history=True))
    previous = make_results(n_findings=2500, seed=2) if with_previous else None
    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    whole.mkdir()
    streamed.mkdir()
    render_all(results, list(FORMATS), whole, RenderContext(previous=previous))
    written = _stream(results, streamed, RenderContext(previous=previous), batch=256)
    assert sorted(p.name for p in written) == sorted(p.name for p in whole.iterdir())
    for path in written:
        assert path.read_bytes() == (whole / path.name).read_bytes(), path.name
    assert json.loads((streamed / "results.json").read_bytes()) == results
    assert sorted(p.name for p in streamed.iterdir()) == sorted(p.name for p in written)  # no spool left


def test_a_set_first_cited_late_links_to_its_own_appendix_row(tmp_path):
    """The HTML's rows name evidence by row number; a set the stream meets only in a late batch gets the
    next row, and the appendix lists it with its documents."""
    results = _with_sets(make_results(n_findings=400))
    html = tmp_path / "html"
    html.mkdir()
    _stream(results, html, RenderContext(), batch=50)
    page = (html / "report.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/json"')
    data = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    n_documents = len(results["evidence"])
    assert [row[0] for row in data["evidence"][n_documents:]] == ["3 documents", "2 documents"]
    first_set = next(f for f in results["findings"] if f["evidence"] == ["set:aaaaaaaaaaaaaaaa"])
    row = next(r for r in data["findings"] if r[4] == first_set["resource"] and r[5] == first_set["message"])
    assert row[6] == [n_documents]


def test_an_interrupted_stream_leaves_no_report_staged_or_final(tmp_path):
    results = make_results(n_findings=600)
    (tmp_path / "results.json").write_text("previous run", encoding="utf-8")
    reports = ReportStream(_before_judging(results), list(FORMATS), tmp_path, RenderContext())
    reports.add(copy.deepcopy(results["findings"][:300]))
    reports.abort()
    reports.discard()
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    assert (tmp_path / "results.json").read_text(encoding="utf-8") == "previous run"

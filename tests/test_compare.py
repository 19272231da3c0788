"""One definition of new and fixed: vigil.compare, read the same way by HTML, Markdown, SARIF and diff."""

from __future__ import annotations

import copy
import json

from tests.factories import make_results
from tests.historystore.runs import CHECK, OTHER, finding, run
from vigil.compare import compare
from vigil.render import RenderContext, render


def _pair():
    before = run(
        [finding("person:stays"), finding("person:waived-now"), finding("person:fixed"),
         finding("person:other", check=OTHER)]
    )  # fmt: skip
    # the current run did not evaluate OTHER (as with --only)
    now = run(
        [finding("person:stays"), finding("person:waived-now", waiver="W-1"), finding("person:fixed", "pass"),
         finding("person:new")],
        day=1,
        checks=(CHECK,),
    )  # fmt: skip
    return before, now


def test_a_waiver_is_not_a_fix_and_an_unevaluated_check_fixes_nothing():
    before, now = _pair()
    change = compare(now, before)
    assert [f["resource"] for f in change.new] == ["person:new"]
    assert [f["resource"] for f in change.absent] == ["person:fixed"]
    assert sorted(f["resource"] for f in change.unchanged) == ["person:stays", "person:waived-now"]
    assert [f["resource"] for f in change.newly_waived(before)] == ["person:waived-now"]
    assert [f["resource"] for f in change.not_evaluated] == ["person:other"]
    assert change.state_of()[now["findings"][1]["fingerprint"]] == "unchanged"


def _full(doc: dict) -> dict:
    """The small documents dressed as full results.json, so every renderer reads them."""
    full = make_results(n_findings=10, n_controls=5, seed=1)
    full["findings"] = doc["findings"]
    full["checks"] = {f["check_id"]: next(iter(full["checks"].values())) for f in doc["findings"]}
    full["run"] = doc["run"]
    return full


def test_every_report_counts_the_same_new_fixed_and_still_open(tmp_path):
    before, now = (_full(d) for d in _pair())
    ctx = RenderContext(previous=before)
    html = (render(now, "html", tmp_path, ctx)).read_text()
    panel = html.split('id="h-changes"')[1].split("</article>")[0]
    assert "<strong>1</strong> new" in panel and "<strong>1</strong> fixed or gone" in panel
    assert "<strong>2</strong> still open" in panel and "1 newly waived" in panel
    md = render(now, "md", tmp_path, ctx).read_text()
    assert "1 new · 1 fixed or gone · 0 changed · 2 still open" in md
    assert "1 newly waived (accepted, still counted as open here) · 1 not evaluated this run" in md
    log = json.loads(render(now, "sarif", tmp_path, ctx).read_text())
    states = {}
    for r in log["runs"][0]["results"]:
        resource = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        states[resource] = (r["baselineState"], bool(r.get("suppressions")))
    assert states == {
        "person:new": ("new", False),
        "person:stays": ("unchanged", False),
        "person:waived-now": ("unchanged", True),  # still a result, with a suppression: not absent
        "person:fixed": ("absent", False),
    }


def test_without_a_previous_run_nothing_is_compared():
    assert compare(copy.deepcopy(_pair()[1]), None) is None

"""A scan, a fix, a scan, a regression, a scan: `vigil history`, `diff` and `findings` tell that story."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vigil.cli import main
from vigil.demo import build_demo

FAILING_PERSON = "person:e1002"  # the demo's e1002 trained 400 days ago: over the 365-day limit
ANNUAL = "records.training.annual_completion"


def _set_training_date(config: Path, person: str, date: str) -> None:
    csv = config.parent / "training.csv"
    lines = csv.read_text().splitlines()
    lines = [
        re.sub(r",[^,]*$", f",{date}", line) if line.startswith(person + ",") else line for line in lines
    ]
    csv.write_text("\n".join(lines) + "\n")


def _about_e1002(finding: dict) -> bool:
    """The demo's findings that e1002's training decides: the training check itself, and the
    access-log checks that flag personal-data access by someone whose training lapsed."""
    return finding["resource"] == FAILING_PERSON or "(person e1002)" in (finding.get("message") or "")


def _json(capsys, argv: list[str]):
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def story(module_store, tmp_path_factory):
    """Three scans of the demo organisation into one store: failing, fixed, failing again."""
    store = module_store
    tmp_path = tmp_path_factory.mktemp("story")
    config = build_demo(tmp_path / "org")
    out = tmp_path / "out"
    scan = [
        "scan",
        "--config",
        str(config),
        "--output",
        str(out),
        "--store",
        store,
        "--format",
        "json,html,md,sarif",
    ]
    ids = []
    assert main(scan) == 1
    ids.append(json.loads((out / "results.json").read_text())["run"]["id"])
    (tmp_path / "run1.sarif").write_bytes((out / "results.sarif").read_bytes())
    (tmp_path / "run1.json").write_bytes((out / "results.json").read_bytes())
    _set_training_date(config, "e1002", "2026-11-25")  # the fix: e1002 completes the training
    assert main(scan) == 1
    ids.append(json.loads((out / "results.json").read_text())["run"]["id"])
    _set_training_date(config, "e1002", "2024-01-01")  # the regression: the record is wrongly restored
    assert main(scan) == 1
    ids.append(json.loads((out / "results.json").read_text())["run"]["id"])
    return {"store": store, "out": out, "ids": ids, "dir": tmp_path}


def test_history_lists_the_three_runs_with_what_each_opened_and_fixed(story, capsys):
    runs = _json(capsys, ["history", "--store", story["store"]])
    assert [r["run_id"] for r in runs] == story["ids"]
    first, fixed, regressed = runs
    n = len(_json(capsys, ["diff", story["ids"][0], story["ids"][1], "--store", story["store"]])["fixed"])
    assert n >= 1
    assert (fixed["new"], fixed["fixed"], fixed["reopened"]) == (0, n, 0)
    assert (regressed["new"], regressed["fixed"], regressed["reopened"]) == (0, 0, n)
    assert fixed["failing"] == first["failing"] - n == regressed["failing"] - n
    assert fixed["blocking"] < first["blocking"] == regressed["blocking"]
    assert all(r["target"] == "demo-org" and r["score"] is not None for r in runs)
    capsys.readouterr()
    assert main(["history", "--store", story["store"]]) == 0
    text = capsys.readouterr().out
    assert "trend demo-org: score" in text and "over 3 run(s)" in text
    assert story["ids"][1][:8] in text


def test_diff_names_the_fix_then_the_regression(story, capsys):
    first, second, third = story["ids"]
    fix = _json(capsys, ["diff", first, second, "--store", story["store"]])
    assert (ANNUAL, FAILING_PERSON) in [(f["check_id"], f["resource"]) for f in fix["fixed"]]
    assert all(_about_e1002(f) for f in fix["fixed"])  # the fix closed e1002's findings, nothing else
    assert fix["new"] == [] and fix["changed"] == []
    n, fixed = len(fix["fixed"]), {f["fingerprint"] for f in fix["fixed"]}
    assert fix["counts"]["unchanged"] == len(fix["unchanged"]) > 0
    regression = _json(capsys, ["diff", "previous", "latest", "--store", story["store"]])
    assert {f["fingerprint"] for f in regression["new"]} == fixed  # exactly those came back
    assert all("2024-01-01" in f["message"] and f["status"] == "fail" for f in regression["new"])
    assert regression["fixed"] == []
    # first against third: the same finding failing in both, with another message
    both = _json(capsys, ["diff", first[:8], third[:8], "--store", story["store"]])
    assert {f["fingerprint"] for f in both["changed"]} == fixed
    annual = next(f for f in both["changed"] if f["check_id"] == ANNUAL)
    assert "400 days ago" in annual["before"]["message"] and "2024-01-01" in annual["message"]
    capsys.readouterr()
    assert main(["diff", first, second, "--store", story["store"]]) == 0
    text = capsys.readouterr().out
    assert f"0 new, {n} fixed, 0 changed" in text and f"{ANNUAL}  {FAILING_PERSON}" in text


def test_diff_reads_results_and_sarif_files_too(story, capsys):
    run1_sarif, run1_json = str(story["dir"] / "run1.sarif"), str(story["dir"] / "run1.json")
    latest_json = str(story["out"] / "results.json")
    latest_sarif = str(story["out"] / "results.sarif")
    from_store = _json(capsys, ["diff", story["ids"][0], "latest", "--store", story["store"]])
    for a, b in ((run1_json, latest_json), (run1_sarif, latest_sarif), (run1_sarif, latest_json)):
        doc = _json(capsys, ["diff", a, b, "--store", story["store"]])
        assert doc["counts"] == from_store["counts"], (a, b)
        assert [f["fingerprint"] for f in doc["changed"]] == [f["fingerprint"] for f in from_store["changed"]]
    capsys.readouterr()
    assert main(["diff", str(story["dir"] / "missing.json"), latest_json]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err


def test_findings_answers_the_daily_question(story, capsys):
    open_now = _json(capsys, ["findings", "--status", "open", "--since", "30d", "--store", story["store"]])
    regressed = [f for f in open_now if f["resource"] == FAILING_PERSON]
    assert len(regressed) == 1 and regressed[0]["reopened"] == 1
    assert regressed[0]["first_seen_run"] == story["ids"][0]
    assert regressed[0]["last_seen_run"] == story["ids"][2]
    assert regressed[0]["last_time_to_fix_s"] > 0
    # the demo's waived finding is failing but not open
    waived = _json(capsys, ["findings", "--status", "waived", "--store", story["store"]])
    assert [(f["resource"], f["waiver_id"]) for f in waived] == [("person:e1003", "W-DEMO-LEAVE")]
    assert "person:e1003" not in {f["resource"] for f in open_now}
    assert _json(capsys, ["findings", "--status", "fixed", "--store", story["store"]]) == []
    high = _json(capsys, ["findings", "--severity", "medium", "--store", story["store"]])
    assert high and {f["severity"] for f in high} == {"medium"}
    capsys.readouterr()
    assert main(["findings", "--severity", "urgent", "--store", story["store"]]) == 2
    assert "--severity: unknown urgent" in capsys.readouterr().err


def test_the_reports_compare_with_the_previous_run_from_the_store(story, capsys):
    out = story["out"]
    results = json.loads((out / "results.json").read_text())
    assert [h["run_id"] for h in results["history"]] == story["ids"][:2]
    n = len(_json(capsys, ["diff", "previous", "latest", "--store", story["store"]])["new"])
    html = (out / "report.html").read_text()
    panel = html.split('id="h-changes"')[1].split("</article>")[0]
    assert f"<strong>{n}</strong> new" in panel and "<strong>0</strong> fixed or gone" in panel
    assert "Trend across 3 runs" in html
    sarif = json.loads((out / "results.sarif").read_text())
    states = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r["baselineState"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == ANNUAL and r["locations"][0].get("logicalLocations")
    }
    assert states[FAILING_PERSON] == "new" and states["person:e1003"] == "unchanged"
    # `vigil report` again finds the previous run in the store
    assert main(["report", str(out / "results.json"), "--format", "md", "--output", str(out / "again"),
                 "--store", story["store"]]) == 0  # fmt: skip
    assert f"{n} new · 0 fixed or gone" in (out / "again" / "summary.md").read_text()


def test_history_without_a_store_says_so(tmp_path, capsys):
    assert main(["history", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no history store here yet" in err and err.count("\n") == 1
    assert main(["history", "--store", "mysql://x@y/z"]) == 2
    assert "use a postgresql:// URL" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert main(["diff", str(garbage), str(garbage)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vigil: error: {garbage}") and err.count("\n") == 1
    other = tmp_path / "other.json"
    other.write_text('{"runs": "no"}')
    assert main(["diff", str(other), str(other)]) == 2
    assert "neither a vigil results.json nor a SARIF 2.1.0 log" in capsys.readouterr().err


def test_store_none_records_nothing(tmp_path, capsys):
    config = build_demo(tmp_path / "org")
    out = tmp_path / "out"
    assert (
        main(["scan", "--config", str(config), "--output", str(out), "--format", "json", "--store", "none"])
        == 1
    )
    assert not (out / "history.sqlite").exists()
    assert json.loads((out / "results.json").read_text())["history"] == []
    assert main(["history", "--output", str(out)]) == 2
    assert "no history store here yet" in capsys.readouterr().err

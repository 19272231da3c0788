"""Portable results: no output names a path of the machine, and an output folder moved elsewhere is
re-evaluated offline with the same findings, baseline, config name and target label."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import vigil
from vigil.cli import main


def _texts(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
        for p in folder.rglob("*")
        if p.is_file()
    }


def _demo(out: Path) -> None:
    assert main(["-q", "demo", "--output", str(out), "--format", "all"]) == 0


def test_no_output_of_a_run_in_a_temporary_folder_names_an_absolute_path(tmp_path, monkeypatch):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "run"
    _demo(out)
    machine = [str(tmp_path), str(Path(vigil.__file__).resolve().parents[1]), str(Path.home()) + "/"]
    outputs = {name: text for name, text in _texts(out).items() if not name.startswith("org/")}
    assert {"results.json", "report.html", "results.sarif", "junit.xml", "findings.csv", "summary.md"} <= set(
        outputs
    )
    assert "evidence/index.json" in outputs and "evidence/baseline.json" in outputs
    for name, text in outputs.items():
        for path in machine:
            assert path not in text, f"{name} names {path}"
    results = json.loads(outputs["results.json"])
    assert results["run"]["config"] == "vigil.yaml"
    assert results["baseline"]["policy"]["file"] == "policies/privacy-policy.txt"
    index = json.loads(outputs["evidence/index.json"])
    assert index["baseline"] == "baseline.yaml"
    assert index["run"] == {"config": "vigil.yaml", "target_label": "demo-org"}
    # waiver problems name the baseline as the config names it
    located = [w["problem"] for w in results["waivers"] if ".yaml:" in (w["problem"] or "")]
    assert located and all(p.startswith("baseline.yaml:") for p in located)


def test_a_copied_output_folder_re_evaluates_identically_offline(tmp_path, monkeypatch):
    original = tmp_path / "original"
    _demo(original)
    first = json.loads((original / "results.json").read_text())
    sarif_first = json.loads((original / "results.sarif").read_text())

    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(original, moved)
    shutil.rmtree(original)  # the config, baseline and exports are gone: only the copy is left
    monkeypatch.chdir(tmp_path)
    code = main(
        ["-q", "evaluate", "--evidence", str(moved / "evidence"), "--output", str(moved / "again"),
         "--as-of", first["run"]["as_of"], "--format", "json,sarif"]
    )  # fmt: skip
    assert code == 1  # the demo's deliberate failures still fail the gate
    again = json.loads((moved / "again" / "results.json").read_text())
    for key in ("findings", "scores", "summary", "gate", "controls", "checks", "waivers", "evidence_sets"):
        assert again[key] == first[key], key
    assert again["baseline"] == first["baseline"]
    assert again["run"]["target_label"] == first["run"]["target_label"] == "demo-org"
    assert again["run"]["config"] == "vigil.yaml"
    sarif_again = json.loads((moved / "again" / "results.sarif").read_text())
    run_first, run_again = sarif_first["runs"][0], sarif_again["runs"][0]
    assert run_again["automationDetails"] == run_first["automationDetails"]
    assert [r["locations"] for r in run_again["results"]] == [r["locations"] for r in run_first["results"]]


def test_output_in_the_config_is_relative_to_the_config_file(tmp_path, monkeypatch):
    org = tmp_path / "org"
    org.mkdir()
    (org / "people.csv").write_text("id,personal_data_access,status\ne1,yes,active\n", encoding="utf-8")
    (org / "vigil.yaml").write_text(
        "baseline: privacy-policy\noutput: reports\nsources:\n  personnel: people.csv\n", encoding="utf-8"
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["-q", "scan", "--config", str(org / "vigil.yaml"), "--format", "json"]) in (0, 1)
    assert (org / "reports" / "results.json").is_file()
    assert not (elsewhere / "reports").exists()

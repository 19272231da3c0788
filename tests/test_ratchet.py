"""--new-only: a pinned results.json or SARIF log accepts today's findings; new ones and comebacks fail."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from vigil.cli import main
from vigil.demo import build_demo
from vigil.errors import UserError
from vigil.model import fingerprint
from vigil.ratchet import load_pinned

ANNUAL = "records.training.annual_completion"


def _set_training(org: Path, person: str, days_ago: int) -> None:
    """Rewrite one person's compliance-training date in the demo's training export."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()
    lines = (org / "training.csv").read_text().splitlines()
    lines = [
        f"{person},Annual privacy & security compliance,{when}" if line.startswith(f"{person},") else line
        for line in lines
    ]
    (org / "training.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def org(tmp_path) -> tuple[Path, Path]:
    """The demo organisation's training records only: these tests change training dates, and scanning
    the demo's servers on every run would only slow them down (the checks run are limited to match)."""
    config = build_demo(tmp_path / "org")
    doc = yaml.safe_load(config.read_text())
    doc["sources"] = {k: v for k, v in doc["sources"].items() if k in ("personnel", "training")}
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    return config, tmp_path / "out"


ONLY = f"{ANNUAL},records.training.known_people"  # the checks of the records these tests change


def _scan(config: Path, out: Path, *extra: str) -> int:
    args = ["--output", str(out), "--format", "json,sarif", "--only", ONLY, *extra]
    return main(["scan", "--config", str(config), *args])


def _gate(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())["gate"]


@pytest.mark.parametrize("pin", ["results.json", "results.sarif"])
def test_known_findings_pass_and_a_new_one_fails(org, tmp_path, pin, capsys):
    config, out = org
    assert _scan(config, out) == 1  # the demo has blocking findings
    blocking = _gate(out)["blocking"]
    assert blocking >= 3
    pinned = tmp_path / f"pinned-{pin}"
    shutil.copyfile(out / pin, pinned)

    assert _scan(config, out, "--new-only", str(pinned)) == 0
    gate = _gate(out)
    assert gate["passed"] and gate["blocking"] == 0 and gate["new_only"]["known"] == blocking
    assert f"{blocking} accepted by the pinned file, 0 new" in capsys.readouterr().out
    # the gate's record is part of the published results format: vigil report reads it back
    assert main(["report", str(out / "results.json"), "--format", "md"]) == 0

    _set_training(config.parent, "e1008", 500)  # e1008's training lapses: a new finding
    assert _scan(config, out, "--new-only", str(pinned)) == 1
    gate = _gate(out)
    assert gate["new_only"]["new"] == [fingerprint(ANNUAL, "person:e1008")]
    assert gate["blocking"] == 1 and gate["new_only"]["reopened"] == []
    # without the pin every blocking finding counts again
    assert _scan(config, out) == 1 and _gate(out)["blocking"] == blocking + 1


def test_a_fixed_finding_that_comes_back_fails(org, tmp_path):
    config, out = org
    assert _scan(config, out) == 1
    pinned = tmp_path / "pinned.json"
    shutil.copyfile(out / "results.json", pinned)
    e1002 = fingerprint(ANNUAL, "person:e1002")
    assert e1002 in load_pinned(pinned).findings

    _set_training(config.parent, "e1002", 10)  # fixed
    assert _scan(config, out, "--new-only", str(pinned)) == 0
    _set_training(config.parent, "e1002", 400)  # and back again
    assert _scan(config, out, "--new-only", str(pinned)) == 1
    gate = _gate(out)
    assert gate["new_only"]["reopened"] == [e1002] and gate["new_only"]["new"] == []
    # it stays blocking on every later run: the fix is remembered, not forgotten after one run
    assert _scan(config, out, "--new-only", str(pinned)) == 1
    # a new pinned file is what accepts it again
    shutil.copyfile(out / "results.json", pinned)
    assert _scan(config, out, "--new-only", str(pinned)) == 0


def test_report_gates_a_results_file_against_a_pin(org, tmp_path, capsys):
    config, out = org
    assert _scan(config, out) == 1
    pinned = tmp_path / "pinned.sarif"
    shutil.copyfile(out / "results.sarif", pinned)
    _set_training(config.parent, "e1001", 900)
    assert _scan(config, out) == 1
    capsys.readouterr()
    code = main(["report", str(out / "results.json"), "--format", "md", "--new-only", str(pinned)])
    assert code == 1
    assert "1 new" in capsys.readouterr().out


def test_findings_below_fail_on_never_block(org, tmp_path):
    config, out = org
    assert _scan(config, out) == 1
    pinned = tmp_path / "pinned.json"
    doc = json.loads((out / "results.json").read_text())
    doc["findings"] = []  # pin an empty start: everything is new
    pinned.write_text(json.dumps(doc))
    assert _scan(config, out, "--new-only", str(pinned)) == 1
    # the training checks' new findings are high at most: a critical gate lets them through
    only = "--only", "records.training.annual_completion,records.training.known_people"
    assert _scan(config, out, "--new-only", str(pinned), "--fail-on", "critical", *only) == 0


def test_unusable_pinned_files_are_user_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UserError, match="not readable JSON"):
        load_pinned(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(UserError, match="neither a vigil results.json nor a SARIF"):
        load_pinned(other)
    foreign = tmp_path / "foreign.sarif"
    foreign.write_text(json.dumps({"version": "2.1.0", "runs": [{"results": [{"ruleId": "x"}]}]}))
    with pytest.raises(UserError, match="partialFingerprints"):
        load_pinned(foreign)
    config = build_demo(tmp_path / "org")
    assert main(["scan", "--config", str(config), "--new-only", str(tmp_path / "missing.json")]) == 2
    assert "--new-only" in capsys.readouterr().err


def test_a_trimmed_sarif_pin_warns(tmp_path, caplog):
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "properties": {"vigil-trimmed": {"results_total": 30000, "results_written": 25000}},
                "results": [{"ruleId": ANNUAL, "partialFingerprints": {"vigil/v1": "a" * 32}}],
            }
        ],
    }
    pinned = tmp_path / "big.sarif"
    pinned.write_text(json.dumps(log))
    assert load_pinned(pinned).findings == {"a" * 32: ANNUAL}
    assert "trimmed to GitHub's limits" in caplog.text

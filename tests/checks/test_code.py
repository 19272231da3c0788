"""Code audit check: bandit issues at or above the baseline's levels are findings at their file and line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.code_project import HIGH, write_project
from vigil import registry
from vigil.cli import main

registry.load_plugins()
CHECK = "code.bandit.high_severity"


def issue(test_id, severity, confidence="high", file="src/app.py", line=3):
    return {
        "record": "issue",
        "test_id": test_id,
        "test_name": "t",
        "severity": severity,
        "confidence": confidence,
        "cwe": 78,
        "text": "something risky",
        "file": file,
        "line": line,
        "code": "risky()",
        "where": f"{file}:{line}",
    }


SCAN = {
    "record": "scan",
    "path": "src",
    "tree": "src",
    "tool": "bandit 1.9",
    "files_audited": 4,
    "where": "src",
}


def run(items, **params):
    check = registry.checks.get(CHECK)
    outcomes = list(check.func({"code.bandit": items}, {**check.params, **params, "now": datetime.now(UTC)}))
    return {o.resource: (o.status, o.message, o.location, o.cite) for o in outcomes}


def test_high_issue_fails_at_its_file_and_line_and_lower_ones_do_not():
    high = issue("B602", "high", line=12)
    result = run([SCAN, high, issue("B301", "medium"), issue("B101", "low", line=5)])
    assert list(result) == ["code:src/app.py:12:B602"]
    status, message, location, cite = result["code:src/app.py:12:B602"]
    assert status == "fail" and location == {"path": "src/app.py", "line": 12} and cite is high
    assert message == "B602 t (high severity, high confidence, CWE-78): something risky `risky()`"


def test_clean_tree_passes_and_levels_and_ignores_are_parameters():
    items = [SCAN, issue("B301", "medium", confidence="low")]
    assert run(items) == {
        "code:src": ("pass", "bandit 1.9: 4 file(s) audited, no issue at or above high severity", None, SCAN)
    }
    assert run(items, **{"code.min_severity": "medium"})["code:src/app.py:3:B301"][0] == "fail"
    assert "code:src" in run(items, **{"code.min_severity": "medium", "code.min_confidence": "medium"})
    assert "code:src" in run(items, **{"code.min_severity": "medium", "code.ignore_tests": ["b301"]})
    assert run(items, **{"code.min_severity": "severe"})[f"check:{CHECK}"][0] == "error"


def test_scan_writes_sarif_pointing_at_the_source_lines(tmp_path):
    write_project(tmp_path / "src", broken=True)
    (tmp_path / "vigil.yaml").write_text(
        "baseline: privacy-policy\nsources:\n  code:\n    - path: src\n      exclude: [tests]\n"
    )
    out = tmp_path / "out"
    assert (
        main(["scan", "--config", str(tmp_path / "vigil.yaml"), "--output", str(out), "--format", "all"]) == 1
    )
    sarif = json.loads((out / "results.sarif").read_text())
    located = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["message"]["text"].split()[0],
        )
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == CHECK and r["properties"]["vigil-status"] == "fail"
    }
    assert located == {(f"src/{file}", line, test_id) for file, line, test_id in HIGH}
    results = json.loads((out / "results.json").read_text())
    control = next(c for c in results["controls"] if c["id"] == "PP-CODE-AUDIT")
    assert control["status"] == "fail"
    errors = [f for f in results["findings"] if f["check_id"] == CHECK and f["status"] == "error"]
    assert [f["resource"] for f in errors] == ["src/pkg/broken.py"]
    assert "hunter2" not in (out / "results.json").read_text() + (out / "results.sarif").read_text()

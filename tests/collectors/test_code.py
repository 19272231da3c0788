"""bandit as a library over a configured source tree: every issue kept, secrets masked, bad files named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from vigil.collectors.code import bandit_scan

from tests.code_project import write_project
from vigil.errors import UserError
from vigil.model import CollectContext


def scan(base, **target):
    return bandit_scan(target, CollectContext(base_dir=base, now=lambda: datetime.now(UTC)))


def test_issues_carry_test_severity_confidence_file_line_and_code(tmp_path):
    write_project(tmp_path / "src")
    result = scan(tmp_path, path="src")
    assert result.problems == ()
    scan_item, *issues = result.data
    assert scan_item["record"] == "scan" and scan_item["tool"].startswith("bandit ")
    assert scan_item["files_audited"] == 3  # app, safe, tests; .venv is never audited
    by_test = {i["test_id"]: i for i in issues}
    shell = by_test["B602"]
    assert shell == {
        "record": "issue",
        "test_id": "B602",
        "test_name": "subprocess_popen_with_shell_equals_true",
        "severity": "high",
        "confidence": "high",
        "cwe": 78,
        "text": "subprocess call with shell=True identified, security issue.",
        "file": "src/pkg/app.py",
        "line": 8,
        "code": "return subprocess.call(command, shell=True)",
        "where": "src/pkg/app.py:8",
    }
    assert {"B301", "B307", "B605"} <= set(by_test)
    assert not any(".venv" in i["file"] for i in issues)


def test_hard_coded_secret_never_reaches_evidence(tmp_path):
    write_project(tmp_path / "src")
    result = scan(tmp_path, path="src")
    secret = next(i for i in result.data if i.get("test_id") == "B105")
    assert secret["code"] == 'DB_PASSWORD = "***"' and secret["line"] == 4
    assert "hunter2" not in json.dumps(result.data)


def test_excludes_and_unparsable_files(tmp_path):
    write_project(tmp_path / "src", broken=True)
    result = scan(tmp_path, path="src", exclude=["tests", "*/safe.py"])
    files = {i["file"] for i in result.data if i["record"] == "issue"}
    assert files == {"src/pkg/app.py"}
    assert result.data[0]["files_audited"] == 1 and result.data[0]["files_skipped"] == 1
    assert result.problems == (
        {
            "where": "src/pkg/broken.py",
            "message": "bandit could not audit src/pkg/broken.py: syntax error while parsing AST from file",
        },
    )


def test_missing_tree_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="code nowhere: no such file or folder"):
        scan(tmp_path, path="nowhere")

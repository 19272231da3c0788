"""The CI examples under examples/ci/ call vigil with commands and options that exist."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from vigil.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"
COMMAND = re.compile(r"\bvigil (?:scan|pack|verify|evaluate|report)\b[^\n|;]*")


def _commands(path: Path) -> list[str]:
    text = path.read_text()
    yaml.safe_load(text)  # well-formed YAML first
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return [m.group(0).strip() for m in COMMAND.finditer(code)]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_vigil_command_in_the_example_parses(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vigil-out").mkdir()
    (tmp_path / "vigil-out" / "results.json").write_text("{}")
    (tmp_path / "vigil-pack.zip").write_bytes(b"")
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    monkeypatch.setenv("VIGIL_SIGN_KEY", str(tmp_path / "key.pem"))
    commands = _commands(EXAMPLES / name)
    assert any(c.startswith("vigil scan") and "--new-only" in c for c in commands)
    assert any(c.startswith("vigil pack") for c in commands)
    for command in commands:
        args = [re.sub(r"\$\{?(\w+)\}?", lambda m: os.environ[m[1]], a) for a in shlex.split(command)]
        sub = cli.get_command(None, args[1])
        assert sub is not None, command
        sub.make_context(args[1], args[2:])  # raises on an unknown option or a bad value


def test_github_workflow_uploads_sarif_posts_the_summary_and_keeps_artifacts():
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = workflow["jobs"]["compliance"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "$GITHUB_STEP_SUMMARY" in runs and "summary.md" in runs
    artifact = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "report.html" in artifact["with"]["path"] and "vigil-pack.zip" in artifact["with"]["path"]
    assert workflow["permissions"]["security-events"] == "write"

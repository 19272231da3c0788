"""The plugin contract: an installed package's `vigil.checks` entry point adds a check that scans run.

The example package in examples/plugin is installed into this venv with pip, the way a user would,
and removed again afterwards. Everything runs in one test function so that pytest-xdist never has
two workers installing and uninstalling it at once. pip builds it in an isolated environment: the
venv's own setuptools (65, from `python -m venv`) cannot build a wheel without `wheel`, so
--no-build-isolation fails here; the isolated build takes setuptools from the configured index.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_SRC = Path(__file__).resolve().parents[1] / "examples" / "plugin"
PLUGIN_DIST = "vigil-example-plugin"
CHECK = "example.personnel.work_email_domain"
VIGIL = Path(sys.executable).with_name("vigil")  # the console script installed beside this interpreter

ROSTER = """\
employee_id,full_name,work_email,pii_access
e1001,Ada Okafor,ada.okafor@acme.example,yes
e1002,Ben Whitlock,ben.whitlock1987@gmail.com,yes
e1003,Chen Liu,chen.liu@acme.example,no
"""

BASELINE = f"""\
name: acme
extends: privacy-policy
checks:
  {CHECK}:
    params:
      example.email_domain: acme.example
controls:
  - id: ACME-WORK-EMAIL
    title: Mail about personal data stays in company mailboxes
    domain: administrative
    section: Information security measures
    quote: "strict security measures"
    frameworks:
      iso27001: [A.5.14]
    checks: [{CHECK}]
"""

CONFIG = """\
baseline: acme.yaml
target_label: acme-test
sources:
  personnel:
    path: roster.csv
    columns:
      id: employee_id
      name: full_name
      email: work_email
      personal_data_access: pii_access
"""


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300, check=False
    )


def _vigil(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VIGIL), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _scan(org: Path, out: str) -> dict:
    done = _vigil(
        "scan", "--config", "vigil.yaml", "--output", out, "--format", "json", "--fail-on", "none", cwd=org
    )
    assert done.returncode == 0, done.stderr
    return json.loads((org / out / "results.json").read_text())


@pytest.fixture()
def org(tmp_path) -> Path:
    org = tmp_path / "org"
    org.mkdir()
    (org / "roster.csv").write_text(ROSTER)
    (org / "acme.yaml").write_text(BASELINE)
    (org / "vigil.yaml").write_text(CONFIG)
    return org


@pytest.fixture()
def install_plugin(tmp_path, request):
    """A function that pip-installs a copy of the example plugin (no build files land in the repo)."""

    def install() -> None:
        source = tmp_path / "plugin"
        shutil.copytree(
            PLUGIN_SRC, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        )
        request.addfinalizer(lambda: _pip("uninstall", "-y", "-q", PLUGIN_DIST))
        done = _pip("install", "--no-deps", "-q", str(source))
        assert done.returncode == 0, done.stderr

    return install


def test_installed_plugin_check_is_listed_and_runs_in_a_scan(org, install_plugin):
    assert VIGIL.is_file(), f"no vigil console script beside {sys.executable}"

    # before: the baseline names the check, but nothing provides it
    before = _scan(org, "out-before")
    [pending] = [f for f in before["findings"] if f["check_id"] == CHECK]
    assert pending["status"] == "manual"
    assert "no installed plugin provides it" in pending["message"]
    assert before["checks"][CHECK]["implemented"] is False

    install_plugin()

    listed = _vigil("checks", "list", "--json", cwd=org)
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows[CHECK]["origin"] == "vigil_example_plugin.work_email_domain"
    assert rows[CHECK]["needs"] == ["records.personnel"]
    assert "records.training.annual_completion" in rows  # the built-in checks are still there

    after = _scan(org, "out-after")
    findings = {f["resource"]: f for f in after["findings"] if f["check_id"] == CHECK}
    assert {r: (f["status"], f["message"]) for r, f in findings.items()} == {
        "person:e1001": ("pass", "mail at @acme.example"),
        "person:e1002": ("fail", "work e-mail 'ben.whitlock1987@gmail.com' is not at @acme.example"),
        "person:e1003": ("pass", "mail at @acme.example"),
    }
    assert {f["control_ids"][0] for f in findings.values()} == {"ACME-WORK-EMAIL"}
    assert {f["severity"] for f in findings.values()} == {"low"}
    assert after["checks"][CHECK]["implemented"] is True
    assert after["checks"][CHECK]["params"] == {"example.email_domain": "acme.example"}
    control = next(c for c in after["controls"] if c["id"] == "ACME-WORK-EMAIL")
    assert control["status"] == "fail"
    assert after["baseline"]["chain"] == ["acme", "privacy-policy"]

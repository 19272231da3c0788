"""A small Python project with known bandit issues, written into a folder for code-audit tests."""

from __future__ import annotations

from pathlib import Path

APP = """\
import pickle
import subprocess

DB_PASSWORD = "hunter2-correct-horse"


def run(command):
    return subprocess.call(command, shell=True)


def load(blob):
    return pickle.loads(blob)


def debug(expression):
    return eval(expression)
"""
SAFE = """\
import json


def parse(text):
    return json.loads(text)
"""
BROKEN = "def broken(:\n    pass\n"
TESTS = 'import os\n\n\ndef test_shell():\n    os.system("ls " + input())\n'

# (file, line, bandit test id) of the high-severity issues above
HIGH = [("pkg/app.py", 8, "B602")]


def write_project(root: Path, *, broken: bool = False) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / ".venv" / "lib").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "app.py").write_text(APP)
    (root / "pkg" / "safe.py").write_text(SAFE)
    (root / "tests" / "test_app.py").write_text(TESTS)
    (root / ".venv" / "lib" / "vendored.py").write_text(TESTS)  # never audited: not the project's code
    if broken:
        (root / "pkg" / "broken.py").write_text(BROKEN)
    return root

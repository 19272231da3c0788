"""A moto server on a free loopback port and `vigil scan` run against it as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

VIGIL = [sys.executable, "-m", "vigil"]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def scan(
    workdir: Path, sources: dict, env: dict | None = None, timeout: float = 240
) -> tuple[int, str, dict]:
    """Write vigil.yaml, run `vigil scan`; (exit code, stderr, results.json)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "vigil.yaml"
    config.write_text(yaml.safe_dump({"baseline": "privacy-policy", "sources": sources}), encoding="utf-8")
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child_env.update({**CREDENTIALS, **(env or {})})
    proc = subprocess.run(
        [*VIGIL, "scan", "--config", str(config), "--output", str(workdir / "out"), "--format", "all"],
        capture_output=True,
        text=True,
        env=child_env,
        timeout=timeout,
    )
    results_path = workdir / "out" / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    return proc.returncode, proc.stderr, results


def by_check(results: dict, prefix: str = "aws.") -> dict[tuple[str, str], str]:
    return {
        (f["check_id"], f["resource"]): f["status"]
        for f in results.get("findings", ())
        if f["check_id"].startswith(prefix)
    }

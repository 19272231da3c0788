"""Run a records collector on files in a temporary folder, as the engine does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.model import Evidence

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def collect(tmp_path: Path, source: str, target: dict) -> Evidence:
    collector = next(c for c in registry.collectors if c.source == source)
    return run_task(Task(collector, target), CollectContext(base_dir=tmp_path, now=lambda: NOW))


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return name

"""Collection: plan collector x target tasks, run them in a bounded pool; failures become error evidence."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from vigil import registry
from vigil.config import Config
from vigil.errors import UserError
from vigil.model import CollectContext, Collected, Collector, Evidence
from vigil.redact import redact
from vigil.store import EvidenceStore

log = logging.getLogger("vigil.collect")


@dataclass(frozen=True, slots=True)
class Task:
    collector: Collector
    target: Mapping[str, Any]

    @property
    def label(self) -> str:
        return target_label(self.target)


def target_label(target: Mapping[str, Any]) -> str:
    if "host" in target and "port" in target:
        return f"{target['host']}:{target['port']}"
    for key in ("path", "address", "url", "name"):
        if key in target:
            return str(target[key])
    if "regions" in target:
        return ",".join(target["regions"])
    return "?"


def plan(config: Config) -> list[Task]:
    """One task per configured target of every collector whose source the config names (per sub-target
    when the collector expands an entry into several)."""
    tasks = []
    for collector in registry.collectors:
        for target in config.sources.get(collector.source, ()):
            for unit in collector.expand(target) if collector.expand else (target,):
                tasks.append(Task(collector, unit))
    return tasks


def unclaimed_sources(config: Config) -> list[str]:
    claimed = {c.source for c in registry.collectors}
    return sorted(name for name in config.sources if name not in claimed)


def run_task(task: Task, ctx: CollectContext) -> Evidence:
    """Run one collector on one target; whatever goes wrong is recorded as error evidence, never raised."""
    started = ctx.now()
    ttl = timedelta(hours=task.target["ttl_hours"]) if "ttl_hours" in task.target else task.collector.ttl
    data: Any = None
    problems: Sequence[Mapping[str, str]] = ()
    failure = None
    try:
        result = task.collector.func(task.target, ctx)
        if isinstance(result, Collected):
            data, problems = result.data, result.problems
        else:
            data = result
    except UserError as exc:
        failure = str(exc)
    except Exception as exc:  # a source we cannot reach is an error result, and the run goes on
        failure = f"{type(exc).__name__}: {exc}"
    data, _ = redact(data)
    problems = tuple(redact(dict(p))[0] for p in problems)
    if failure is not None:
        failure, _ = redact(failure)
    return Evidence(
        kind=task.collector.kind,
        collector=task.collector.name,
        collector_version=task.collector.version,
        source=task.collector.source,
        target=task.label,
        collected_at=started,
        expires_at=started + ttl,
        data=data,
        problems=problems,
        error=failure,
    )


def _interactive() -> bool:
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")


def collect(tasks: list[Task], ctx: CollectContext, store: EvidenceStore, concurrency: int) -> list[Evidence]:
    """Run every task concurrently (collectors wait on I/O); evidence comes back in plan order."""
    results: dict[int, Evidence] = {}
    if not tasks:
        return []
    progress = None
    if _interactive():
        from rich.progress import Progress  # only a terminal pays for rich's import

        progress = Progress(transient=True)
        progress.start()
        bar = progress.add_task("collecting evidence", total=len(tasks))
    try:
        with ThreadPoolExecutor(
            max_workers=min(concurrency, len(tasks)), thread_name_prefix="collect"
        ) as pool:
            futures = {pool.submit(_timed, task, ctx): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                index = futures[future]
                evidence, seconds = future.result()
                results[index] = store.put(evidence)
                task = tasks[index]
                outcome = f"error: {evidence.error}" if evidence.error else "ok"
                if evidence.problems:
                    outcome += f", {len(evidence.problems)} problem(s)"
                if progress is not None:
                    progress.advance(bar)
                    progress.console.print(
                        f"  {task.collector.name} {task.label}: {outcome} ({seconds:.1f}s)"
                    )
                else:
                    log.info("collected %s %s: %s (%.1fs)", task.collector.name, task.label, outcome, seconds)
    finally:
        if progress is not None:
            progress.stop()
    return [results[i] for i in range(len(tasks))]


def _timed(task: Task, ctx: CollectContext) -> tuple[Evidence, float]:
    start = time.perf_counter()
    evidence = run_task(task, ctx)
    return evidence, time.perf_counter() - start

"""Collection: plan collector x target tasks, run them in a bounded pool; failures become error evidence."""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vigil import registry
from vigil.config import DEFAULT_TASK_TIMEOUT, Config
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
    data: Any = None
    problems: Sequence[Mapping[str, str]] = ()
    failure = None
    collection = None
    try:
        result = task.collector.func(task.target, ctx)
        if isinstance(result, Collected):
            data, problems, collection = result.data, result.problems, result.collection
            started = result.collected_at or started
        else:
            data = result
    except UserError as exc:
        failure = str(exc)
    except Exception as exc:  # a source we cannot reach is an error result, and the run goes on
        failure = f"{type(exc).__name__}: {exc}"
    except RecursionError:
        failure = "the collected data is nested too deeply to keep"
    return _evidence(task, started, data, problems, failure, collection)


def _evidence(
    task: Task,
    started: datetime,
    data: Any,
    problems: Sequence[Mapping[str, str]],
    failure: str | None,
    collection: Mapping[str, Any] | None = None,
) -> Evidence:
    ttl = timedelta(hours=task.target["ttl_hours"]) if "ttl_hours" in task.target else task.collector.ttl
    try:
        data, _ = redact(data, task.collector.plain)
    except RecursionError:
        data, failure = None, failure or "the collected data is nested too deeply to keep"
    problems = tuple(redact(dict(p), task.collector.plain)[0] for p in problems)  # a plain `where` stays
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
        collection=dict(collection) if collection else None,
    )


def _interactive() -> bool:
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")


def _worker(
    jobs: queue.SimpleQueue,
    done: queue.SimpleQueue,
    ctx: CollectContext,
    started: dict[int, tuple[float, datetime]],
) -> None:
    while True:
        item = jobs.get()
        if item is None:
            return
        index, task = item
        started[index] = (time.monotonic(), ctx.now())
        start = time.perf_counter()
        done.put((index, run_task(task, ctx), time.perf_counter() - start))


def collect(
    tasks: list[Task],
    ctx: CollectContext,
    store: EvidenceStore,
    concurrency: int,
    timeout: float = DEFAULT_TASK_TIMEOUT,
) -> list[Evidence]:
    """Run every task concurrently (collectors wait on I/O); evidence comes back in plan order.

    A task still running after `timeout` seconds becomes error evidence and is abandoned. The workers
    are daemon threads, so neither an abandoned task nor Ctrl-C (KeyboardInterrupt, raised here in the
    main thread while it waits) keeps the process from ending promptly."""
    if not tasks:
        return []
    results: dict[int, Evidence] = {}
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    done: queue.SimpleQueue = queue.SimpleQueue()
    started: dict[int, tuple[float, datetime]] = {}
    for i, task in enumerate(tasks):
        jobs.put((i, task))
    workers = min(concurrency, len(tasks))
    for _ in range(workers):
        jobs.put(None)
        threading.Thread(target=_worker, args=(jobs, done, ctx, started), daemon=True, name="collect").start()
    progress = None
    if _interactive():
        from rich.progress import Progress  # only a terminal pays for rich's import

        progress = Progress(transient=True)
        progress.start()
        bar = progress.add_task("collecting evidence", total=len(tasks))
    try:
        while len(results) < len(tasks):
            try:
                index, evidence, seconds = done.get(timeout=0.2)
            except queue.Empty:
                now = time.monotonic()
                for index, (since, at) in list(started.items()):
                    if index not in results and now - since > timeout:
                        message = f"not finished within {timeout:g} s (limits.task_timeout_seconds)"
                        results[index] = store.put(_evidence(tasks[index], at, None, (), message))
                        _report(progress, tasks[index], results[index], now - since)
                        if progress is not None:
                            progress.advance(bar)
                continue
            if index in results:  # it finished after we gave up on it: the error evidence stands
                continue
            results[index] = store.put(evidence)
            _report(progress, tasks[index], results[index], seconds)
            if progress is not None:
                progress.advance(bar)
    finally:
        if progress is not None:
            progress.stop()
    return [results[i] for i in range(len(tasks))]


def _report(progress: Any, task: Task, evidence: Evidence, seconds: float) -> None:
    outcome = f"error: {evidence.error}" if evidence.error else "ok"
    if evidence.problems:
        outcome += f", {len(evidence.problems)} problem(s)"
    if progress is not None:
        progress.console.print(f"  {task.collector.name} {task.label}: {outcome} ({seconds:.1f}s)")
    else:
        log.info("collected %s %s: %s (%.1fs)", task.collector.name, task.label, outcome, seconds)

"""Collection: plan collector x target tasks, run them in a bounded pool; failures become error evidence."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

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


# Exports of a run's cpu_bound tasks together at least this large are parsed in worker processes;
# below it, starting them costs more than the second core gives back.
WORKERS_FROM_BYTES = 16 << 20


class Workers:
    """Worker processes (vigil.collect_worker) for cpu_bound tasks, at most `size` busy at once. A
    task a worker cannot take (its target is not plain JSON, the worker died) runs in the thread."""

    def __init__(self, size: int, store: EvidenceStore) -> None:
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._idle: list[subprocess.Popen] = []
        self._started: list[subprocess.Popen] = []
        self._store = store

    def run(self, task: Task, ctx: CollectContext) -> Evidence | None:
        job = {
            "collector": task.collector.name,
            "target": task.target,
            "base_dir": str(ctx.base_dir),
            "max_file_bytes": ctx.max_file_bytes,
            "evidence_dir": str(self._store.root),
            "now": ctx.now().isoformat(),
        }
        try:
            line = orjson.dumps(job)
        except TypeError:
            return None
        if orjson.loads(line)["target"] != task.target:  # a date or tuple would arrive changed
            return None
        with self._slots:
            proc = self._take()
            try:
                proc.stdin.write(line + b"\n")
                proc.stdin.flush()
                size = proc.stdout.read(8)
                reply = proc.stdout.read(struct.unpack(">Q", size)[0]) if len(size) == 8 else b""
            except OSError:
                reply = b""
            if not reply:
                proc.kill()
                return None
            with self._lock:
                self._idle.append(proc)
        answer = pickle.loads(reply)  # noqa: S301 - from the worker this run started, over its own pipe
        if "evidence" not in answer:
            log.debug("worker could not collect %s: %s", task.label, answer.get("failed"))
            return None
        return answer["evidence"]

    def _take(self) -> subprocess.Popen:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil.collect_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        with self._lock:
            self._started.append(proc)
        return proc

    def close(self) -> None:
        """End every worker: idle ones when their stdin closes, one still busy (abandoned task) at once."""
        with self._lock:
            idle, started = set(self._idle), list(self._started)
        for proc in started:
            if proc in idle:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            else:
                proc.kill()
        for proc in started:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _workers(
    tasks: list[Task], ctx: CollectContext, store: EvidenceStore, concurrency: int
) -> Workers | None:
    heavy = [t for t in tasks if t.collector.cpu_bound]
    cores = os.cpu_count() or 1
    if len(heavy) < 2 or cores < 2:
        return None
    size = 0
    for task in heavy:
        with contextlib.suppress(OSError, TypeError, ValueError):
            size += ctx.path(str(task.target.get("path", ""))).stat().st_size
    if size < WORKERS_FROM_BYTES:
        return None
    return Workers(min(cores, len(heavy), concurrency), store)


def _interactive() -> bool:
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")


def _worker(
    jobs: queue.SimpleQueue,
    done: queue.SimpleQueue,
    ctx: CollectContext,
    started: dict[int, tuple[float, datetime]],
    workers: Workers | None,
) -> None:
    while True:
        item = jobs.get()
        if item is None:
            return
        index, task = item
        started[index] = (time.monotonic(), ctx.now())
        start = time.perf_counter()
        evidence = None
        if workers is not None and task.collector.cpu_bound:
            try:
                evidence = workers.run(task, ctx)
            except Exception as exc:  # a worker that answers nonsense: collect the task here instead
                log.debug("worker failed on %s: %s", task.label, exc)
        if evidence is None:
            evidence = run_task(task, ctx)
        done.put((index, evidence, time.perf_counter() - start))


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
    processes = _workers(tasks, ctx, store, concurrency)
    for _ in range(min(concurrency, len(tasks))):
        jobs.put(None)
        threading.Thread(
            target=_worker, args=(jobs, done, ctx, started, processes), daemon=True, name="collect"
        ).start()
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
            # a worker process has stored its evidence already (its sha256 is set)
            results[index] = evidence if evidence.sha256 else store.put(evidence)
            _report(progress, tasks[index], results[index], seconds)
            if progress is not None:
                progress.advance(bar)
    finally:
        if progress is not None:
            progress.stop()
        if processes is not None:
            processes.close()
    return [results[i] for i in range(len(tasks))]


def _report(progress: Any, task: Task, evidence: Evidence, seconds: float) -> None:
    outcome = f"error: {evidence.error}" if evidence.error else "ok"
    if evidence.problems:
        outcome += f", {len(evidence.problems)} problem(s)"
    if progress is not None:
        progress.console.print(f"  {task.collector.name} {task.label}: {outcome} ({seconds:.1f}s)")
    else:
        log.info("collected %s %s: %s (%.1fs)", task.collector.name, task.label, outcome, seconds)

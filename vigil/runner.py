"""A run from end to end: collect or load evidence, evaluate, apply waivers, score, write the reports."""

from __future__ import annotations

import logging
import resource
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from vigil import outdir, registry
from vigil.baseline import Baseline, load_baseline, load_resolved, resolved_document
from vigil.collect import CollectContext, collect, plan, unclaimed_sources
from vigil.config import Config
from vigil.cycles import no_cycle_collection
from vigil.errors import UserError
from vigil.evaluate import Judgment
from vigil.historystore import open_store
from vigil.historystore.query import previous_document, summaries
from vigil.historystore.record import record_run
from vigil.historystore.recorder import RECORD_APART_FROM, Recorder
from vigil.model import Evidence
from vigil.ratchet import Pinned, gate_new_only
from vigil.render import RenderContext
from vigil.render.stream import ReportStream
from vigil.results import build_results, finding_doc
from vigil.scoring import Tally
from vigil.store import EvidenceStore
from vigil.waivers import WaiverMatcher, parse_waivers

log = logging.getLogger("vigil")


@dataclass(frozen=True, slots=True)
class RunOptions:
    baseline: str
    out_dir: Path
    fail_on: str = "high"
    only: Sequence[str] | None = None
    waivers: bool = True
    formats: Sequence[str] = ("json",)
    mode: str = "scan"
    config_path: Path | str | None = None
    target_label: str = "default"
    new_only: Pinned | None = None  # gate only on findings this pinned file does not accept
    wait_lock: float = 0.0  # seconds a run waits for another run to release the output folder
    # history store URL or file (None: OUT/history.sqlite, or $VIGIL_STORE; "none": no history)
    store: str | None = None


def _peak() -> str:
    """The process's peak memory so far, for the log line of each phase."""
    return f" (peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)"


def now() -> datetime:
    return datetime.now(UTC)


def scan(config: Config, options: RunOptions) -> tuple[dict, list[Path]]:
    """Collect every configured source, then judge and report."""
    registry.load_plugins()
    # a broken baseline stops us before any collection; files are named relative to the config's folder
    baseline = load_baseline(options.baseline, root=config.base_dir)
    for name in unclaimed_sources(config):
        log.warning("sources.%s: no installed collector reads this source yet; it is not collected", name)
    with outdir.hold(options.out_dir, options.wait_lock):
        open_store(options.store, options.out_dir)  # an unreachable history store stops us before collecting
        started = now()
        store = EvidenceStore(options.out_dir / "evidence")
        tasks = plan(config)
        ctx = CollectContext(
            base_dir=config.base_dir, now=now, max_file_bytes=config.max_file_bytes, evidence_dir=store.root
        )
        clock = time.perf_counter()
        evidence = collect(tasks, ctx, store, config.concurrency, config.task_timeout)
        log.info(
            "collected %d evidence documents in %.1f s%s", len(evidence), time.perf_counter() - clock, _peak()
        )
        run_id = uuid.uuid4().hex
        kept = store.write_baseline(resolved_document(baseline), stage=True)
        index = store.write_index(
            evidence,
            run_id=run_id,
            created_at=started,
            baseline=baseline.shown,
            stage=True,
            run={"config": config_name(options.config_path), "target_label": options.target_label},
        )
        return finish(
            evidence,
            options,
            baseline,
            run_id=run_id,
            started=started,
            as_of=now(),
            evidence_dir=store.root,
            staged_files=[kept, index],
        )


def reevaluate(evidence_dir: Path, options: RunOptions, as_of: datetime | None) -> tuple[dict, list[Path]]:
    """Judge stored evidence again, offline: nothing is collected."""
    registry.load_plugins()
    store = EvidenceStore(evidence_dir)
    clock = time.perf_counter()
    with no_cycle_collection():  # a million records loaded, none in a cycle
        evidence = store.load()
    log.info("loaded %d evidence documents in %.1f s%s", len(evidence), time.perf_counter() - clock, _peak())
    # judged as the scan judged it: the baseline kept beside the evidence, its config and target_label
    # (evidence from before vigil kept its baseline names it instead)
    kept = store.kept_baseline()
    if options.baseline:
        baseline = load_baseline(options.baseline)
    elif kept is not None:
        baseline = load_resolved(kept)
    else:
        baseline = load_baseline(store.recorded_baseline() or "privacy-policy")
    recorded = store.recorded_run()
    options = replace(
        options,
        baseline=options.baseline or baseline.shown,
        config_path=options.config_path or recorded.get("config"),
        target_label=recorded.get("target_label") or options.target_label,
    )
    started = now()
    with outdir.hold(options.out_dir, options.wait_lock):
        return finish(
            evidence,
            options,
            baseline,
            run_id=uuid.uuid4().hex,
            started=started,
            as_of=as_of or started,
            evidence_dir=store.root,
        )


@no_cycle_collection()
def finish(
    evidence: Iterable[Evidence],
    options: RunOptions,
    baseline: Baseline,
    *,
    run_id: str,
    started: datetime,
    as_of: datetime,
    evidence_dir: Path,
    staged_files: Sequence[Path] = (),
) -> tuple[dict, list[Path]]:
    """Judge, score and write the reports; the caller holds the output folder's lock.

    The reports are fed each batch of findings as it is judged (vigil.render.stream), with waivers
    applied and scores counted on the way: a run of millions of findings never holds them all. The
    returned document's `findings` is their count (a range); results.json has them."""
    clock = time.perf_counter()
    judgment = Judgment(baseline, evidence, as_of, options.only)
    known = {c.id for c in registry.checks} | set(judgment.checks)
    waivers = parse_waivers(
        baseline.waivers, as_of, baseline.warn_days, options.waivers, baseline.max_waiver_days, known
    )
    for waiver in waivers:
        if waiver.state == "invalid":
            log.warning("waiver not applied: %s", waiver.problem)
    matcher = WaiverMatcher(waivers)
    out_dir = outdir.prepare(options.out_dir)
    history = open_store(options.store, out_dir)
    previous = previous_document(history, options.target_label) if history else None
    tally = Tally()
    history_rows = summaries(history, options.target_label) if history else []
    run = {
        "id": run_id,
        "mode": options.mode,
        "started_at": started.isoformat(),
        "finished_at": None,  # when judging ends
        "as_of": as_of.isoformat(),
        "config": config_name(options.config_path),
        "target_label": options.target_label,
        "waivers_applied": options.waivers,
    }

    def document() -> dict:
        return build_results(
            run=run,
            baseline=baseline,
            evaluation=judgment,
            tally=tally,
            waivers=waivers,
            matched=matcher.matched,
            fail_on=options.fail_on,
            out_dir=out_dir,
            evidence_dir=evidence_dir,
            history=history_rows,
        )

    results = document()  # what is known before judging; completed in place after it
    formats = ["json", *(f for f in options.formats if f != "json")]
    reports = ReportStream(results, formats, out_dir, RenderContext(previous=previous))
    recorder: Recorder | None = None
    try:
        for batch in judgment.batches():
            matcher.apply(batch)
            tally.add(batch)
            reports.add([finding_doc(f) for f in batch])
        if isinstance(evidence, list):
            evidence.clear()  # judged: the evidence data's memory goes back before the reports close
        log.info(
            "judged %d findings, fed to the reports, in %.1f s%s",
            tally.total,
            time.perf_counter() - clock,
            _peak(),
        )
        run["finished_at"] = now().isoformat()
        results.update(document())
        if options.new_only is not None:
            results["gate"] = gate_new_only(
                {**results, "findings": reports.failing}, options.new_only, history
            )
        if history is not None and len(reports.failing) >= RECORD_APART_FROM:
            # a large run is recorded by a second process while this one closes the reports; it
            # commits once they are committed. The store keeps failing findings only: the spooled
            # ones are all it reads
            reports.failing.flush()
            recorder = Recorder(options.store, out_dir, results, reports.failing.path)
        clock = time.perf_counter()
        written = reports.close()
        outdir.commit([*staged_files, *written])
        log.info("reports written in %.1f s%s", time.perf_counter() - clock, _peak())
        if history is not None:
            # after the reports are committed: if the store fails, the run's reports are still there
            clock = time.perf_counter()
            try:
                if recorder is not None:
                    recorder.commit()  # a later abort() of the ended recorder does nothing
                    clock = recorder.started
                else:
                    record_run(history, {**results, "findings": reports.failing})
                log.info("recorded in the history store in %.1f s%s", time.perf_counter() - clock, _peak())
            except (UserError, SQLAlchemyError) as exc:
                raise UserError(f"{exc}; run {run_id} not recorded (its reports are in {out_dir})") from None
    except BaseException:
        if recorder is not None:
            recorder.abort()
        reports.abort()
        raise
    finally:
        reports.discard()
    return results, written


def config_name(path: Path | str | None) -> str | None:
    """The config as results name it: by its file name (the folder it sits in is the run's root), so
    results do not depend on the machine or the working directory."""
    if path is None:
        return None
    return Path(path).name if isinstance(path, Path) else str(path)


def parse_as_of(text: str | None) -> datetime | None:
    if text in (None, "now"):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of {text!r}: not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        raise UserError(f"--as-of {text!r}: give a timezone, e.g. {text}+00:00")
    return value

"""A run from end to end: collect or load evidence, evaluate, apply waivers, score, write the reports."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from vigil import registry
from vigil.baseline import Baseline, load_baseline
from vigil.collect import CollectContext, collect, plan, unclaimed_sources
from vigil.config import Config
from vigil.errors import UserError
from vigil.evaluate import evaluate
from vigil.historystore import open_store
from vigil.historystore.query import previous_document, summaries
from vigil.historystore.record import record_run
from vigil.model import Evidence
from vigil.render import RenderContext, render
from vigil.results import build_results
from vigil.store import EvidenceStore
from vigil.waivers import apply_waivers, parse_waivers

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
    config_path: Path | None = None
    target_label: str = ""  # "" for evaluate: the label recorded with the evidence, else "default"
    # history store URL or file (None: OUT/history.sqlite, or $VIGIL_STORE; "none": no history)
    store: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


def scan(config: Config, options: RunOptions) -> tuple[dict, list[Path]]:
    """Collect every configured source, then judge and report."""
    registry.load_plugins()
    baseline = load_baseline(options.baseline)  # a broken baseline stops us before any collection
    open_store(options.store, options.out_dir)  # so does an unreachable history store
    for name in unclaimed_sources(config):
        log.warning("sources.%s: no installed collector reads this source yet; it is not collected", name)
    started = now()
    store = EvidenceStore(options.out_dir / "evidence")
    tasks = plan(config)
    evidence = collect(tasks, CollectContext(base_dir=config.base_dir, now=now), store, config.concurrency)
    run_id = uuid.uuid4().hex
    store.write_index(
        evidence,
        run_id=run_id,
        created_at=started,
        baseline=options.baseline,
        target_label=options.target_label,
    )
    return finish(
        evidence, options, baseline, run_id=run_id, started=started, as_of=now(), evidence_dir=store.root
    )


def reevaluate(evidence_dir: Path, options: RunOptions, as_of: datetime | None) -> tuple[dict, list[Path]]:
    """Judge stored evidence again, offline: nothing is collected."""
    registry.load_plugins()
    open_store(options.store, options.out_dir)
    store = EvidenceStore(evidence_dir)
    evidence = store.load()
    baseline_ref = options.baseline or store.recorded_baseline() or "privacy-policy"
    # re-judged evidence belongs to the history of the target it was collected from
    target_label = options.target_label or store.recorded_target_label() or "default"
    options = replace(options, baseline=baseline_ref, target_label=target_label)
    baseline = load_baseline(baseline_ref)
    started = now()
    return finish(
        evidence,
        options,
        baseline,
        run_id=uuid.uuid4().hex,
        started=started,
        as_of=as_of or started,
        evidence_dir=store.root,
    )


def finish(
    evidence: Iterable[Evidence],
    options: RunOptions,
    baseline: Baseline,
    *,
    run_id: str,
    started: datetime,
    as_of: datetime,
    evidence_dir: Path,
) -> tuple[dict, list[Path]]:
    evaluation = evaluate(baseline, evidence, as_of, options.only)
    waivers = parse_waivers(baseline.waivers, as_of, baseline.warn_days, options.waivers)
    for waiver in waivers:
        if waiver.state == "invalid":
            log.warning("waiver not applied: %s", waiver.problem)
    findings, matched = apply_waivers(evaluation.findings, waivers)
    out_dir = options.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    history = open_store(options.store, out_dir)
    previous = previous_document(history, options.target_label) if history else None
    run = {
        "id": run_id,
        "mode": options.mode,
        "started_at": started.isoformat(),
        "finished_at": now().isoformat(),
        "as_of": as_of.isoformat(),
        "config": str(options.config_path) if options.config_path else None,
        "target_label": options.target_label,
        "waivers_applied": options.waivers,
    }
    results = build_results(
        run=run,
        baseline=baseline,
        evaluation=evaluation,
        findings=findings,
        waivers=waivers,
        matched=matched,
        fail_on=options.fail_on,
        out_dir=out_dir,
        evidence_dir=evidence_dir,
        history=summaries(history, options.target_label) if history else [],
    )
    written = write_reports(results, out_dir, options.formats, previous)
    if history is not None:
        # after the reports: if the store fails, the run's reports are still there
        try:
            record_run(history, results)
        except (UserError, SQLAlchemyError) as exc:
            raise UserError(f"{exc}; run {run_id} not recorded (its reports are in {out_dir})") from None
    return results, written


def write_reports(results: dict, out_dir: Path, formats: Iterable[str], previous: dict | None) -> list[Path]:
    ctx = RenderContext(previous=previous)
    written = [render(results, "json", out_dir, ctx)]
    for fmt in formats:
        if fmt != "json":
            written.append(render(results, fmt, out_dir, ctx))
    return written


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

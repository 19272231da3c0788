"""Read the history store: runs and their trend, one run as a results-like document, finding lifecycles."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Text, and_, cast, func, or_, select

from vigil.compare import FAILING
from vigil.errors import UserError
from vigil.historystore import schema as t
from vigil.historystore.db import reading
from vigil.historystore.record import utc

IN_CHUNK = 5_000  # fingerprints per IN list (SQLite allows 32,766 parameters per statement)
STATUSES = ("open", "waived", "failing", "fixed", "all")
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _iso(value: datetime | None) -> str | None:
    value = utc(value)
    return value.isoformat() if value else None


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    """`30d`, `12h`, `2w`, `90m` before now, or an ISO 8601 date or time (UTC when it has no zone)."""
    if not text:
        return None
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--since {text!r}: give a period like 30d, 12h, 2w or an ISO date") from None
    return utc(value)


def _series_id(conn: Connection, name: str | None) -> int | None:
    if name is None:
        return None
    sid = conn.execute(select(t.series.c.id).where(t.series.c.name == name)).scalar()
    if sid is None:
        known = conn.execute(select(t.series.c.name).order_by(t.series.c.name)).scalars().all()
        raise UserError(f"no runs of target {name!r} in this store (targets: {', '.join(known) or 'none'})")
    return sid


def _run_row(row: Mapping) -> dict:
    return {
        "seq": row["seq"],
        "run_id": row["id"],
        "target": row["series"],
        "mode": row["mode"],
        "finished_at": _iso(row["finished_at"]),
        "baseline": row["baseline"],
        "score": row["score"],
        "coverage": row["coverage"],
        "gate_passed": row["gate_passed"],
        "blocking": row["blocking"],
        "findings": row["findings"],
        "failing": row["failing"],
        "waived": row["waived"],
        "new": row["new"],
        "fixed": row["fixed"],
        "reopened": row["reopened"],
    }


def _runs_select():
    return select(t.runs, t.series.c.name.label("series")).join(t.series, t.series.c.id == t.runs.c.series_id)


def list_runs(engine: Engine, target: str | None = None, limit: int | None = None) -> list[dict]:
    """Runs oldest first (the newest `limit` of them), each with its score, coverage and lifecycle counts."""
    with reading(engine) as conn:
        sid = _series_id(conn, target)
        query = _runs_select().order_by(t.runs.c.seq.desc())
        if sid is not None:
            query = query.where(t.runs.c.series_id == sid)
        if limit:
            query = query.limit(limit)
        rows = [_run_row(r) for r in conn.execute(query).mappings()]
    rows.reverse()
    previous: dict[str, dict] = {}
    for row in rows:  # deltas within each target, since a store may hold several
        before = previous.get(row["target"])
        row["score_delta"] = _delta(row["score"], before["score"] if before else None)
        row["coverage_delta"] = _delta(row["coverage"], before["coverage"] if before else None)
        previous[row["target"]] = row
    return rows


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def summaries(engine: Engine, target: str, before_run: str | None = None, keep: int = 50) -> list[dict]:
    """results.json "history": the target's earlier runs, oldest first (what the trend chart draws)."""
    with reading(engine) as conn:
        sid = conn.execute(select(t.series.c.id).where(t.series.c.name == target)).scalar()
        if sid is None:
            return []
        query = select(t.runs).where(t.runs.c.series_id == sid)
        if before_run is not None:
            seq = conn.execute(select(t.runs.c.seq).where(t.runs.c.id == before_run)).scalar()
            if seq is not None:
                query = query.where(t.runs.c.seq < seq)
        rows = conn.execute(query.order_by(t.runs.c.seq.desc()).limit(keep)).mappings().all()
    return [
        {
            "run_id": r["id"],
            "finished_at": _iso(r["finished_at"]),
            "score": r["score"],
            "coverage": r["coverage"],
        }
        for r in reversed(rows)
    ]


def resolve_run(conn: Connection, ref: str, target: str | None = None) -> Mapping:
    """A run by id, unique id prefix (4+ characters), `latest`, `previous` or `latest~N`."""
    query = _runs_select()
    sid = _series_id(conn, target)
    if sid is not None:
        query = query.where(t.runs.c.series_id == sid)
    match = re.fullmatch(r"latest(?:~(\d+))?|previous", ref)
    if match:
        back = 1 if ref == "previous" else int(match[1] or 0)
        row = conn.execute(query.order_by(t.runs.c.seq.desc()).offset(back).limit(1)).mappings().first()
        if row is None:
            raise UserError(f"{ref}: the store holds fewer than {back + 1} run(s)")
        return row
    if len(ref) < 4 or not re.fullmatch(r"[0-9a-fA-F-]+", ref):
        raise UserError(
            f"{ref!r}: not a file, and not a run id (give 4+ characters of one, or latest/previous)"
        )
    rows = conn.execute(query.where(t.runs.c.id.startswith(ref.lower())).limit(2)).mappings().all()
    if not rows:
        raise UserError(f"{ref!r}: no such file, and no run with that id in the store (see `vigil history`)")
    if len(rows) > 1:
        raise UserError(f"{ref!r}: more than one run id starts with it; give more characters")
    return rows[0]


def run_document(engine: Engine, ref: str, target: str | None = None) -> dict:
    """A recorded run as a results.json-like document (failing findings only, which is what compare reads)."""
    with reading(engine) as conn:
        run = resolve_run(conn, ref, target)
        return _document(conn, run)


def previous_document(engine: Engine, target: str, before_run: str | None = None) -> dict | None:
    """The target's newest run (before `before_run`), for "since the previous run" in the reports."""
    with reading(engine) as conn:
        sid = conn.execute(select(t.series.c.id).where(t.series.c.name == target)).scalar()
        if sid is None:
            return None
        query = _runs_select().where(t.runs.c.series_id == sid)
        if before_run is not None:
            seq = conn.execute(select(t.runs.c.seq).where(t.runs.c.id == before_run)).scalar()
            if seq is None:
                return None
            query = query.where(t.runs.c.seq < seq)
        run = conn.execute(query.order_by(t.runs.c.seq.desc()).limit(1)).mappings().first()
        return _document(conn, run) if run else None


def _json_cache():
    parsed: dict[str | None, Any] = {None: None, "null": None}

    def load(text: str | None):
        if text not in parsed:
            parsed[text] = json.loads(text)
        return parsed[text]

    return load


def _document(conn: Connection, run: Mapping) -> dict:
    rf, f = t.run_findings, t.findings
    rows = conn.execute(
        select(
            rf.c.fingerprint,
            rf.c.status,
            rf.c.severity,
            rf.c.message,
            rf.c.waiver_id,
            f.c.check_id,
            f.c.resource,
            # as text, parsed once per distinct value below: most findings share their controls
            cast(f.c.control_ids, Text).label("control_ids"),
            cast(f.c.location, Text).label("location"),
        )
        .join(f, and_(f.c.series_id == run["series_id"], f.c.fingerprint == rf.c.fingerprint))
        .where(rf.c.run_seq == run["seq"], rf.c.status.in_(FAILING))
    ).all()
    load = _json_cache()

    findings = [
        {
            "check_id": r.check_id,
            "control_ids": list(load(r.control_ids) or ()),
            "status": r.status,
            "severity": r.severity,
            "resource": r.resource,
            "message": r.message,
            "evidence": [],
            "fingerprint": r.fingerprint,
            "location": load(r.location),
            "waiver": {"id": r.waiver_id} if r.waiver_id else None,
        }
        for r in rows
    ]
    checks = {
        r.check_id: {"title": r.title, "severity": r.severity}
        for r in conn.execute(select(t.run_checks).where(t.run_checks.c.run_seq == run["seq"]))
    }
    return {
        "run": {
            "id": run["id"],
            "mode": run["mode"],
            "finished_at": _iso(run["finished_at"]),
            "target_label": run["series"],
        },
        "source": f"run {run['id']}",
        "baseline": {"name": run["baseline"], "version": run["baseline_version"]},
        "scores": {"overall": {"score": run["score"], "coverage": run["coverage"]}},
        "summary": run["summary"] or {},
        "checks": checks,
        "findings": findings,
    }


def finding_rows(
    engine: Engine,
    status: str = "open",
    since: datetime | None = None,
    target: str | None = None,
    severities: tuple[str, ...] = (),
    check: str | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """Findings by lifecycle: first and last seen, when fixed, how often reopened, time to fix, age."""
    if status not in STATUSES:
        raise UserError(f"--status {status!r}: choose from {', '.join(STATUSES)}")
    now = now or datetime.now(UTC)
    f, r = t.findings, t.runs
    states = {"all": ("open", "waived", "fixed"), "failing": ("open", "waived")}.get(status, (status,))
    # JSON as text, parsed once per distinct value: most findings share their controls
    plain = [c for c in f.c if c.name not in ("control_ids", "location")]
    query = select(*plain, *(cast(f.c[n], Text).label(n) for n in ("control_ids", "location")))
    query = query.where(f.c.state.in_(states))
    with reading(engine) as conn:
        sid = _series_id(conn, target)
        if sid is not None:
            query = query.where(f.c.series_id == sid)
        if since is not None:
            query = query.where(f.c.state_since >= since)
        if check:
            query = query.where(or_(f.c.check_id == check, f.c.check_id.startswith(check.rstrip("*"))))
        found = conn.execute(query).mappings().all()
        runs = {row.seq: row for row in conn.execute(select(r.c.seq, r.c.id, r.c.series_id, r.c.finished_at))}
        names = dict(conn.execute(select(t.series.c.id, t.series.c.name)).all())
        judged = _last_judged(conn)
        # a failing finding was last seen in the newest run of its target that evaluated its check
        last_seen = {
            (row["series_id"], row["fingerprint"]): row["last_seen_run"]
            if row["state"] == "fixed"
            else judged.get((row["series_id"], row["check_id"]))
            for row in found
        }
        latest = _run_findings(conn, last_seen)
    parse = _json_cache()
    rows = []
    for row in found:
        key = (row["series_id"], row["fingerprint"])
        seen = latest.get((last_seen[key], row["fingerprint"]))
        if seen is None or (severities and seen.severity not in severities):
            continue
        last_run, first_run = runs.get(last_seen[key]), runs.get(row["first_seen_run"])
        rows.append(
            dict(row)
            | {
                "control_ids": parse(row["control_ids"]),
                "target": names.get(row["series_id"]),
                "status": seen.status,
                "severity": seen.severity,
                "message": seen.message,
                "waiver_id": seen.waiver_id,
                "first_run_id": first_run.id if first_run else None,
                "last_run_id": last_run.id if last_run else None,
                "last_seen_at": last_run.finished_at if last_run else None,
            }
        )
    out = []
    for row in rows:
        opened = utc(row["opened_at"])
        fixed_at = utc(row["fixed_at"])
        out.append(
            {
                "fingerprint": row["fingerprint"],
                "target": row["target"],
                "state": row["state"],
                "check_id": row["check_id"],
                "resource": row["resource"],
                "severity": row["severity"],
                "status": row["status"],
                "message": row["message"],
                "waiver_id": row["waiver_id"],
                "control_ids": list(row["control_ids"] or ()),
                "first_seen": _iso(row["first_seen_at"]),
                "first_seen_run": row["first_run_id"],
                "last_seen": _iso(row["last_seen_at"]),
                "last_seen_run": row["last_run_id"],
                "opened_at": _iso(opened),
                "state_since": _iso(row["state_since"]),
                "fixed_at": _iso(fixed_at),
                "reopened": row["reopened"],
                "time_to_fix_s": row["fix_seconds"] if row["state"] == "fixed" else None,
                "last_time_to_fix_s": row["fix_seconds"],
                "age_s": None
                if row["state"] == "fixed" or opened is None
                else (now - opened).total_seconds(),
            }
        )
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    out.sort(key=lambda x: (rank.get(x["severity"], 5), x["opened_at"] or "", x["check_id"], x["resource"]))
    return out


def _last_judged(conn: Connection) -> dict[tuple[int, str], int]:
    """(series id, check id) -> the newest run that evaluated that check."""
    rc, r = t.run_checks, t.runs
    query = (
        select(r.c.series_id, rc.c.check_id, func.max(rc.c.run_seq))
        .join(r, r.c.seq == rc.c.run_seq)
        .group_by(r.c.series_id, rc.c.check_id)
    )
    return {(series_id, check_id): seq for series_id, check_id, seq in conn.execute(query)}


def _run_findings(
    conn: Connection, wanted: Mapping[tuple[int, str], int | None]
) -> dict[tuple[int, str], Any]:
    """(run seq, fingerprint) -> that finding's row in that run, fetched run by run (indexed lookups)."""
    rf = t.run_findings
    by_run: dict[int, list[str]] = {}
    for (_series, fp), seq in wanted.items():
        if seq is not None:
            by_run.setdefault(seq, []).append(fp)
    out = {}
    for seq, fps in by_run.items():
        for i in range(0, len(fps), IN_CHUNK):
            query = select(rf.c.fingerprint, rf.c.status, rf.c.severity, rf.c.message, rf.c.waiver_id).where(
                rf.c.run_seq == seq, rf.c.fingerprint.in_(fps[i : i + IN_CHUNK])
            )
            out.update({(seq, row.fingerprint): row for row in conn.execute(query)})
    return out


def fixed_after(
    engine: Engine, target: str, findings: Mapping[str, str], after: datetime | None, skip_run: str | None
) -> set[str]:
    """Of `findings` (fingerprint -> check id), those that some run of `target` finished after `after`
    judged (its check ran) and did not find failing: fixed at least once since then."""
    f, r, rc, rf = t.findings, t.runs, t.run_checks, t.run_findings
    fixed: set[str] = set()
    with reading(engine) as conn:
        sid = conn.execute(select(t.series.c.id).where(t.series.c.name == target)).scalar()
        if sid is None or not findings:
            return fixed
        runs = select(r.c.seq).where(r.c.series_id == sid)
        if after is not None:
            runs = runs.where(r.c.finished_at > utc(after))
        if skip_run:
            runs = runs.where(r.c.id != skip_run)
        seqs = list(conn.execute(runs).scalars())
        if not seqs:
            return fixed
        still_failing = (
            select(rf.c.fingerprint)
            .where(
                rf.c.run_seq == rc.c.run_seq, rf.c.fingerprint == f.c.fingerprint, rf.c.status.in_(FAILING)
            )
            .exists()
        )
        fps = list(findings)
        for i in range(0, len(fps), IN_CHUNK):
            query = (
                select(f.c.fingerprint)
                .distinct()
                .join(rc, and_(rc.c.check_id == f.c.check_id, rc.c.run_seq.in_(seqs)))
                .where(f.c.series_id == sid, f.c.fingerprint.in_(fps[i : i + IN_CHUNK]), ~still_failing)
            )
            fixed.update(conn.execute(query).scalars())
    return fixed

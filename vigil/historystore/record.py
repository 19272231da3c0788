"""Record one run (a results.json document) in the history store, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from vigil.compare import FAILING, evaluated_checks, failing_state
from vigil.errors import UserError
from vigil.historystore import schema as t
from vigil.historystore.db import writing

ANALYZE_AT = (1, 2, 5, 10)  # the store's first runs, then every ANALYZE_EVERY runs (PostgreSQL)
ANALYZE_EVERY = 25
COPY_FROM = 500  # rows; below this an ordinary executemany is as quick


def utc(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands back naive ones, which are UTC because we store UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def series_name(results: Mapping) -> str:
    return str((results.get("run") or {}).get("target_label") or "default")


def _lock_series(conn: Connection, name: str) -> Mapping:
    """The series row, created if need be and locked until the transaction ends."""
    row = conn.execute(select(t.series).where(t.series.c.name == name).with_for_update()).mappings().first()
    if row is not None:
        return row
    try:
        with conn.begin_nested():  # another writer may create it at the same moment (PostgreSQL)
            conn.execute(insert(t.series).values(name=name, runs=0))
    except IntegrityError:
        pass
    return conn.execute(select(t.series).where(t.series.c.name == name).with_for_update()).mappings().one()


# what the store keeps of a finding; the rest (evidence ids, records, attestation) stays in results.json
KEPT = (
    "fingerprint",
    "status",
    "severity",
    "message",
    "waiver",
    "check_id",
    "resource",
    "control_ids",
    "location",
)


def _dedupe(findings) -> dict[str, Mapping]:
    """The run's failing findings, one per fingerprint, with only the fields the store keeps.

    Only failing findings are stored: every question the store answers (new, fixed, reopened, first
    and last seen, time to fix) is about failing findings, and a finding absent from a run that
    evaluated its check is not failing there. A run of a million people is then stored as its few
    hundred thousand failing findings, not its two million."""
    out: dict[str, Mapping] = {}
    for f in findings:
        if f["status"] not in FAILING or f["fingerprint"] in out:
            continue
        waiver = f.get("waiver")
        slim = {k: f.get(k) for k in KEPT}
        slim["waiver"] = {"id": waiver.get("id")} if waiver else None
        out[f["fingerprint"]] = slim
    return out


def _total(results: Mapping, stored: int) -> int:
    """How many findings the run had, failing or not (its summary counts them)."""
    counts = ((results.get("summary") or {}).get("status")) or {}
    total = sum(v for v in counts.values() if isinstance(v, int))
    return max(total, stored)


def record_run(engine: Engine, results: Mapping, before_commit: Callable[[], None] | None = None) -> int:
    """Store the run, its checks, scores and findings, advance each finding's lifecycle; return the seq.
    `before_commit` is called with everything written, inside the transaction: if it raises, nothing
    is recorded (vigil.historystore.recorder waits there for the run's reports to be committed)."""
    run = results.get("run") or {}
    if not run.get("id") or not run.get("finished_at"):
        raise UserError("cannot record a run without run.id and run.finished_at")
    findings = _dedupe(results.get("findings") or ())
    with writing(engine) as conn:
        if conn.execute(select(t.runs.c.seq).where(t.runs.c.id == run["id"])).first():
            raise UserError(f"run {run['id']} is already recorded in this store")
        series = _lock_series(conn, series_name(results))
        seq = _insert_run(conn, results, series, findings)
        events = _advance(
            conn, series["id"], seq, utc(run["finished_at"]), findings, evaluated_checks(results)
        )
        conn.execute(update(t.runs).where(t.runs.c.seq == seq).values(**events))
        conn.execute(
            update(t.series)
            .where(t.series.c.id == series["id"])
            .values(latest_run=seq, runs=t.series.c.runs + 1)
        )
        if before_commit is not None:
            before_commit()
    if engine.dialect.name == "postgresql" and (seq in ANALYZE_AT or seq % ANALYZE_EVERY == 0):
        _analyze(engine)
    return seq


def _analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's statistics: bulk-loaded tables otherwise wait for autovacuum, and until then
    the planner thinks they are empty and looks a run's 20,000 findings up one by one."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text(f"ANALYZE {', '.join(table.name for table in t.metadata.sorted_tables)}"))


def _insert_run(conn: Connection, results: Mapping, series: Mapping, findings: dict[str, Mapping]) -> int:
    run = results["run"]
    overall = ((results.get("scores") or {}).get("overall")) or {}
    gate = results.get("gate") or {}
    baseline = results.get("baseline") or {}
    failing = [f for f in findings.values() if f["status"] in FAILING]
    seq = conn.execute(
        insert(t.runs).values(
            id=run["id"],
            series_id=series["id"],
            previous_run=series["latest_run"],
            mode=run.get("mode") or "scan",
            started_at=utc(run.get("started_at")),
            finished_at=utc(run["finished_at"]),
            as_of=utc(run.get("as_of")),
            recorded_at=datetime.now(UTC),
            tool_version=(results.get("tool") or {}).get("version"),
            baseline=baseline.get("name"),
            baseline_version=None if baseline.get("version") is None else str(baseline.get("version")),
            config=run.get("config"),
            waivers_applied=bool(run.get("waivers_applied", True)),
            fail_on=gate.get("fail_on"),
            gate_passed=gate.get("passed"),
            blocking=gate.get("blocking"),
            score=overall.get("score"),
            coverage=overall.get("coverage"),
            findings=_total(results, len(findings)),
            failing=len(failing),
            waived=sum(1 for f in failing if f.get("waiver")),
            new=0,
            fixed=0,
            reopened=0,
            summary=results.get("summary"),
        )
    ).inserted_primary_key[0]
    checks = results.get("checks") or {}
    if checks:
        conn.execute(
            insert(t.run_checks),
            [
                {
                    "run_seq": seq,
                    "check_id": cid,
                    "title": meta.get("title"),
                    "severity": meta.get("severity"),
                }
                for cid, meta in checks.items()
            ],
        )
    scores = [{"scope": "overall", "key": "overall", **_score(overall)}]
    scores += [
        {"scope": "domain", "key": d, **_score(s)}
        for d, s in ((results.get("scores") or {}).get("domains") or {}).items()
    ]
    scores += [
        {
            "scope": "control",
            "key": c["id"],
            "score": c.get("score"),
            "coverage": None,
            "status": c.get("status"),
        }
        for c in results.get("controls") or ()
    ]
    conn.execute(insert(t.run_scores), [{"run_seq": seq, **s} for s in scores])
    if findings:
        bulk_insert(
            conn,
            t.run_findings,
            [
                {
                    "run_seq": seq,
                    "fingerprint": fp,
                    "status": f["status"],
                    "severity": f.get("severity") or "medium",
                    "message": f.get("message") or "",
                    "waiver_id": (f.get("waiver") or {}).get("id"),
                }
                # in key order: appended to the end of the table's b-tree instead of scattered in it
                for fp, f in sorted(findings.items())
            ],
        )
    return seq


def _score(s: Mapping) -> dict:
    return {"score": s.get("score"), "coverage": s.get("coverage"), "status": None}


def _advance(
    conn: Connection,
    series_id: int,
    seq: int,
    at: datetime,
    findings: dict[str, Mapping],
    evaluated: set[str] | None,
) -> dict[str, int]:
    """Move each finding of the series along open -> waived -> fixed -> (reopened) open."""
    f = t.findings
    query = select(f.c.fingerprint, f.c.check_id, f.c.state, f.c.opened_at, f.c.reopened)
    known = {row.fingerprint: row for row in conn.execute(query.where(f.c.series_id == series_id)).all()}
    # a failing finding was last seen in the latest run that evaluated its check (had that run not
    # reported it, it would be fixed): so last-seen is written only when a finding is fixed
    last_judged = dict(
        conn.execute(
            select(t.run_checks.c.check_id, func.max(t.run_checks.c.run_seq))
            .join(t.runs, t.runs.c.seq == t.run_checks.c.run_seq)
            .where(t.runs.c.series_id == series_id, t.runs.c.seq < seq)
            .group_by(t.run_checks.c.check_id)
        ).all()
    )
    inserts, changes = [], []
    new = reopened = fixed = 0
    for fp, finding in findings.items():
        state = failing_state(finding)
        row = known.get(fp)
        if row is None:
            inserts.append(_new_row(series_id, fp, finding, state, seq, at))
            new += state is not None
        elif state is None:
            continue  # passing: handled with the absent ones below
        elif row.state is None:  # reported before, failing for the first time
            changes.append(_opened(fp, state, seq, at) | {"first_seen_run": seq, "first_seen_at": at})
            new += 1
        elif row.state == "fixed":
            changes.append(_opened(fp, state, seq, at) | {"reopened": (row.reopened or 0) + 1})
            reopened += 1
        elif row.state != state:  # waived <-> open: still failing, not a fix
            changes.append({"fp": fp, "state": state, "state_since": at})
    for fp, row in known.items():
        if row.state not in ("open", "waived") or failing_state(findings.get(fp, {})) is not None:
            continue
        if evaluated is not None and row.check_id not in evaluated:
            continue  # its check did not run: not fixed, still as it was
        opened_at = utc(row.opened_at)
        changes.append(
            {
                "fp": fp,
                "state": "fixed",
                "state_since": at,
                "fixed_run": seq,
                "fixed_at": at,
                "last_seen_run": last_judged.get(row.check_id),
                "fix_seconds": (at - opened_at).total_seconds() if opened_at else None,
            }
        )
        fixed += 1
    if inserts:
        bulk_insert(conn, f, sorted(inserts, key=lambda row: row["fingerprint"]))
    # one executemany UPDATE per shape of change, keyed by fingerprint
    by_shape: dict[tuple, list[dict]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    for rows in by_shape.values():
        _update_many(conn, series_id, rows)
    return {"new": new, "fixed": fixed, "reopened": reopened}


def bulk_insert(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Many rows at once, in the run's transaction: COPY on PostgreSQL (psycopg 3), a plain executemany
    of tuples on SQLite; values are converted as SQLAlchemy's own types would store them."""
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite") or (dialect == "postgresql" and len(rows) < COPY_FROM):
        conn.execute(insert(table), rows)
        return
    getter = itemgetter(*columns)
    convert = [(i, f) for i, c in enumerate(columns) if (f := _converter(table.c[c].type, dialect))]

    def converted(row: dict) -> tuple:
        value = getter(row)
        value = [value] if len(columns) == 1 else list(value)
        for i, f in convert:
            if value[i] is not None:
                value[i] = f(value[i])
        return tuple(value)

    values = map(converted, rows)
    if dialect == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for value in values:
                copy.write_row(value)
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608 - our own table and columns
        conn.exec_driver_sql(sql, list(values))


def _converter(kind, dialect: str):
    if isinstance(kind, JSON):
        return _json_text
    if isinstance(kind, DateTime) and dialect == "sqlite":
        return _sqlite_time
    if isinstance(kind, Boolean) and dialect == "sqlite":
        return int
    return None


def _json_text(value) -> str:
    """JSON as a column stores it; a finding's controls repeat across thousands of rows, made once."""
    if type(value) is list and all(type(v) is str for v in value):
        return _json_list(tuple(value))
    return json.dumps(value)


@lru_cache(maxsize=4096)
def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


@lru_cache(maxsize=256)
def _sqlite_time(value: datetime) -> str:
    """SQLAlchemy's SQLite DateTime storage format; our times are UTC (see utc()). A run writes the
    same few times on every row, each made once."""
    return utc(value).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _update_many(conn: Connection, series_id: int, rows: list[dict]) -> None:
    keys = [k for k in rows[0] if k != "fp"]
    stmt = (
        update(t.findings)
        .where(and_(t.findings.c.series_id == series_id, t.findings.c.fingerprint == bindparam("b_fp")))
        .values({k: bindparam(f"b_{k}") for k in keys})
    )
    conn.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def _opened(fp: str, state: str, seq: int, at: datetime) -> dict:
    return {
        "fp": fp,
        "state": state,
        "state_since": at,
        "opened_run": seq,
        "opened_at": at,
        "fixed_run": None,
        "fixed_at": None,
    }


def _new_row(series_id: int, fp: str, finding: Mapping, state: str | None, seq: int, at: datetime) -> dict:
    failing = state is not None
    return {
        "series_id": series_id,
        "fingerprint": fp,
        "check_id": finding["check_id"],
        "resource": finding.get("resource") or "",
        "control_ids": list(finding.get("control_ids") or ()),
        "location": finding.get("location"),
        "state": state,
        "first_seen_run": seq if failing else None,
        "first_seen_at": at if failing else None,
        "last_seen_run": None,
        "opened_run": seq if failing else None,
        "opened_at": at if failing else None,
        "state_since": at if failing else None,
        "fixed_run": None,
        "fixed_at": None,
        "reopened": 0,
        "fix_seconds": None,
    }

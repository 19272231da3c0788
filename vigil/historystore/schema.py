"""The history store's tables: one schema for SQLite and PostgreSQL (migrations: ./migrations)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# A series is one target_label: runs of one environment. A finding is fixed only by a later run of its
# own series, so two environments recorded in one store never close each other's findings.
series = Table(
    "vigil_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    # the series' newest run; its row is locked while a run is recorded (one writer per series at a time)
    Column("latest_run", Integer, nullable=True),
    Column("runs", Integer, nullable=False, default=0),
)

runs = Table(
    "vigil_runs",
    metadata,
    # recording order within the store; within a series it is the order runs are compared in
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),  # results.json run.id
    Column("series_id", Integer, ForeignKey("vigil_series.id"), nullable=False),
    Column("previous_run", Integer, nullable=True),  # the series' run before this one
    Column("mode", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("tool_version", String(64), nullable=True),
    Column("baseline", String(200), nullable=True),
    Column("baseline_version", String(64), nullable=True),
    Column("config", Text, nullable=True),
    Column("waivers_applied", Boolean, nullable=False, default=True),
    Column("fail_on", String(16), nullable=True),
    Column("gate_passed", Boolean, nullable=True),
    Column("blocking", Integer, nullable=True),
    Column("score", Float, nullable=True),  # overall, percent; null = nothing scoreable
    Column("coverage", Float, nullable=True),
    Column("findings", Integer, nullable=False),
    Column("failing", Integer, nullable=False),  # fail + error, waived or not
    Column("waived", Integer, nullable=False),
    # lifecycle events this run caused in its series
    Column("new", Integer, nullable=False, default=0),
    Column("fixed", Integer, nullable=False, default=0),
    Column("reopened", Integer, nullable=False, default=0),
    Column("summary", JSON, nullable=True),  # results.json "summary"
)
Index("vigil_runs_series", runs.c.series_id, runs.c.seq)

# checks the run evaluated: a finding whose check did not run is not fixed by that run
run_checks = Table(
    "vigil_run_checks",
    metadata,
    Column("run_seq", Integer, ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True),
    Column("check_id", String(200), primary_key=True),
    Column("title", Text, nullable=True),
    Column("severity", String(16), nullable=True),
    # SQLite: rows clustered by primary key, so one run's rows (or one series' findings) are adjacent
    sqlite_with_rowid=False,
)

# overall, per-domain and per-control scores and coverage of each run
run_scores = Table(
    "vigil_run_scores",
    metadata,
    Column("run_seq", Integer, ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True),
    Column("scope", String(16), primary_key=True),  # overall | domain | control
    Column("key", String(200), primary_key=True),
    Column("score", Float, nullable=True),
    Column("coverage", Float, nullable=True),
    Column("status", String(16), nullable=True),  # controls only,
    # SQLite: rows clustered by primary key, so one run's rows (or one series' findings) are adjacent
    sqlite_with_rowid=False,
)

# every finding ever reported in a series, by fingerprint, with its lifecycle (null until it first fails)
findings = Table(
    "vigil_findings",
    metadata,
    Column("series_id", Integer, ForeignKey("vigil_series.id"), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("check_id", String(200), nullable=False),
    Column("resource", Text, nullable=False),
    Column("control_ids", JSON, nullable=True),
    Column("location", JSON, nullable=True),
    # open (failing, unwaived) | waived (failing, accepted) | fixed | null (never failed)
    Column("state", String(16), nullable=True),
    Column("first_seen_run", Integer, nullable=True),  # first run it failed in
    Column("first_seen_at", DateTime(timezone=True), nullable=True),
    Column("last_seen_run", Integer, nullable=True),  # latest run it failed in
    Column("opened_run", Integer, nullable=True),  # start of the current (or last) failing period
    Column("opened_at", DateTime(timezone=True), nullable=True),
    Column("state_since", DateTime(timezone=True), nullable=True),  # when it entered `state`
    Column("fixed_run", Integer, nullable=True),
    Column("fixed_at", DateTime(timezone=True), nullable=True),
    Column("reopened", Integer, nullable=False, default=0),  # regressions: fixed, then failing again
    Column("fix_seconds", Float, nullable=True),  # time to fix of the last failing period that was fixed,
    # SQLite: rows clustered by primary key, so one run's rows (or one series' findings) are adjacent
    sqlite_with_rowid=False,
)
# findings by target, state and check: what `vigil findings` and a run's lifecycle step look up
Index("vigil_findings_state", findings.c.series_id, findings.c.state, findings.c.check_id)

# the state of every finding in every run
run_findings = Table(
    "vigil_run_findings",
    metadata,
    Column("run_seq", Integer, ForeignKey("vigil_runs.seq", ondelete="CASCADE"), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("waiver_id", Text, nullable=True),
    # SQLite: rows clustered by primary key, so one run's rows (or one series' findings) are adjacent
    sqlite_with_rowid=False,
)

"""Open a history store: a SQLite file in the output folder by default, or PostgreSQL for a team.

One code path for both (SQLAlchemy 2 Core, Alembic migrations). Writers are safe side by side:
SQLite runs in WAL mode with a busy timeout and takes the write lock when a transaction begins
(BEGIN IMMEDIATE), so writers queue instead of failing; PostgreSQL serialises writers of one
series on the series row. Every run is one transaction: an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from vigil.errors import UserError

DEFAULT_FILE = "history.sqlite"
ENV = "VIGIL_STORE"
OFF = ("none", "off")
BUSY_TIMEOUT_S = 120  # how long a SQLite writer waits for another one to finish
MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0001"  # the newest migration in MIGRATIONS/versions (a test keeps the two in step)

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()


def store_url(store: str | None, out_dir: Path | None) -> str | None:
    """The SQLAlchemy URL of a --store value (URL or file path), else the default file in out_dir.

    None when history is switched off (`--store none`).
    """
    store = store or os.environ.get(ENV) or None
    if store is not None and store.strip().lower() in OFF:
        return None
    if store is None:
        if out_dir is None:
            raise UserError("no history store: give --output DIR or --store URL")
        return f"sqlite:///{(Path(out_dir) / DEFAULT_FILE).resolve()}"
    if "://" not in store:
        return f"sqlite:///{Path(store).resolve()}"
    scheme = store.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + store.split("://", 1)[1]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return store
    raise UserError(f"--store {redact(store)}: use a postgresql:// URL, a sqlite:/// URL or a file path")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
        return shown.replace("postgresql+psycopg://", "postgresql://", 1)
    except ArgumentError:
        return url.split("@")[-1]


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{path}: cannot create the history store's folder: {exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # we issue BEGIN ourselves (below): pysqlite's implicit transactions would begin too late
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: a run's findings stay in memory
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a writer takes the lock at BEGIN, so it waits (busy timeout) instead of failing mid-way
        write = conn.get_execution_options().get("vigil_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def engine_for(url: str) -> Engine:
    """One engine per URL in this process, its schema migrated to the newest revision."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                if url.startswith("sqlite"):
                    engine = _sqlite_engine(url)
                else:
                    engine = create_engine(url, pool_pre_ping=True)
            except (ArgumentError, ImportError) as exc:
                raise UserError(f"--store {redact(url)}: {exc}") from None
            _engines[url] = engine
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
    return engine


@contextmanager
def writing(engine: Engine):
    """A write transaction: committed whole, or rolled back whole."""
    with connect(engine) as conn:
        conn.execution_options(vigil_write=True)
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine):
    with connect(engine) as conn, conn.begin():
        yield conn


@contextmanager
def connect(engine: Engine):
    try:
        with engine.connect() as conn:
            yield conn
    except DBAPIError as exc:
        if exc.connection_invalidated or _is_connection_error(exc):
            raise UserError(f"history store {redact(str(engine.url))}: {_first_line(exc.orig)}") from None
        raise


def _is_connection_error(exc: DBAPIError) -> bool:
    name = type(exc.orig).__name__
    return name in ("OperationalError",) and "connect" in str(exc.orig).lower()


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc and str(exc).strip() else type(exc).__name__


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, read without a write lock; None for a new store."""
    with reading(engine) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, once, even with several processes starting together."""
    if current_revision(engine) == HEAD:
        return  # the usual case: no write lock, no Alembic import
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are not the user's business
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time; the others wait here and then find the schema current
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('vigil history store migration'))"))
        if MigrationContext.configure(conn).get_current_revision() == HEAD:
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def dispose_all() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()

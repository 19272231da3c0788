"""History store fixtures: every test runs on SQLite and on the machine's real PostgreSQL.

PostgreSQL tests use a schema of their own (unique per test), so parallel workers and other people's
tests on the same server never see each other's tables. In CI (CI=true) they must run, never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest

from vigil.historystore import db

PG = os.environ.get("VIGIL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres() -> str:
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG} is required in CI (scripts/services.sh starts it): {problem}")
        pytest.skip(f"PostgreSQL at {PG} not reachable: {problem}")
    return PG


@contextmanager
def _schema(base: str) -> Iterator[str]:
    """A fresh schema on the real server; the store URL puts it first on the search_path."""
    schema = f"vigil_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options={quote(f'-csearch_path={schema}')}"
    finally:
        db.dispose_all()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[str]:
    """A --store value: a SQLite file, or a PostgreSQL URL with a schema of its own."""
    if request.param == "sqlite":
        yield str(tmp_path / "store" / "history.sqlite")
        db.dispose_all()
    else:
        with _schema(request.getfixturevalue("postgres")) as url:
            yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_store(request, tmp_path_factory) -> Iterator[str]:
    """Like `store`, shared by the tests of one module (they only read it)."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("store") / "history.sqlite")
        db.dispose_all()
    else:
        with _schema(request.getfixturevalue("postgres")) as url:
            yield url

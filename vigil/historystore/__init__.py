"""The history store: every run recorded, findings followed across runs by fingerprint (docs/history.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from vigil.historystore.db import DEFAULT_FILE, ENV, redact, store_url
from vigil.historystore.db import engine_for as _engine_for

__all__ = ["DEFAULT_FILE", "ENV", "open_store", "redact", "store_url"]


def open_store(store: str | None, out_dir: Path | None) -> Engine | None:
    """The store's engine, its schema current; None when history is off (`--store none`)."""
    url = store_url(store, out_dir)
    return None if url is None else _engine_for(url)

"""The evidence store: content-addressed, hashed evidence documents under OUT/evidence/ with an index."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from vigil import jsonfast
from vigil.errors import UserError
from vigil.files import SHA256, inside, load_json, parse_json, read_bytes
from vigil.model import Evidence
from vigil.outdir import commit, staged

INDEX = "index.json"
BASELINE = "baseline.json"  # the resolved baseline the evidence was judged with (vigil.baseline)


def canonical(doc: dict) -> bytes:
    """Compact, keys sorted, UTF-8: the bytes whose sha256 names the document."""
    return jsonfast.dumps(doc, sort_keys=True)


def to_document(ev: Evidence) -> dict:
    doc = {
        "kind": ev.kind,
        "collector": ev.collector,
        "collector_version": ev.collector_version,
        "source": ev.source,
        "target": ev.target,
        "collected_at": ev.collected_at.isoformat(),
        "expires_at": ev.expires_at.isoformat(),
        "data": ev.data,
        "problems": [dict(p) for p in ev.problems],
        "error": ev.error,
    }
    if ev.collection:  # only when a collector reports it, so other documents keep their bytes
        doc["collection"] = dict(ev.collection)
    return doc


def from_document(doc: dict, sha256: str) -> Evidence:
    return Evidence(
        kind=doc["kind"],
        collector=doc["collector"],
        collector_version=doc["collector_version"],
        source=doc["source"],
        target=doc["target"],
        collected_at=datetime.fromisoformat(doc["collected_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]),
        data=share_repeated(doc["data"]),
        problems=tuple(doc.get("problems", ())),
        error=doc.get("error"),
        collection=doc.get("collection"),
        sha256=sha256,
    )


SHARED_VALUES = 1 << 16  # distinct short values remembered per document, as the records collectors do
SHORT = 64  # characters; longer values are seldom repeated
SAMPLE = 1000  # records looked at to find the fields whose values repeat


def share_repeated(data: Any) -> Any:
    """The records of a loaded document with their repeated short values (a status, a department, a
    date) made one string each, as they were when collected: a JSON parser gives every record its own
    copy, which at a million records is a sixth of the memory. Values are equal before and after. Only
    the fields that repeat in the first records (a sample) are shared, so ids and names cost nothing."""
    if type(data) is not list or not data:
        return data
    sample = data[:SAMPLE]
    distinct: dict[str, set[str]] = {}
    for item in sample:
        if type(item) is dict:
            for key, value in item.items():
                if type(value) is str and len(value) <= SHORT:
                    distinct.setdefault(key, set()).add(value)
    for key, values in distinct.items():
        if len(values) > len(sample) * 0.9:
            continue  # mostly unique (an id, a name, a line): nothing to share
        seen: dict[str, str] = {}
        for item in data:
            if type(item) is dict:
                value = item.get(key)
                if type(value) is str:
                    kept = seen.get(value)
                    if kept is None:
                        if len(seen) < SHARED_VALUES:
                            seen[value] = value
                    elif kept is not value:
                        item[key] = kept  # the same key again: the dict's size never changes
    return data


def object_path(sha256: str) -> str:
    return f"objects/{sha256[:2]}/{sha256}.json"


class EvidenceStore:
    """A folder of evidence documents, each named by the sha256 of its bytes, so `sha256sum` verifies it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, ev: Evidence) -> Evidence:
        body = canonical(to_document(ev))
        sha = hashlib.sha256(body).hexdigest()
        target = self.root / object_path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(body)
            os.replace(tmp, target)
        return replace(ev, sha256=sha)

    def write_index(
        self,
        evidence: Iterable[Evidence],
        *,
        run_id: str,
        created_at: datetime,
        baseline: str | None = None,
        stage: bool = False,
        run: dict | None = None,
    ) -> Path:
        """Write the index and return its path. With `stage` it is left under its staged name for the runner
        to commit with the run's reports (vigil.outdir.commit), so index and results.json are one run's."""
        entries = [
            {
                "id": ev.sha256,
                "kind": ev.kind,
                "collector": ev.collector,
                "target": ev.target,
                "collected_at": ev.collected_at.isoformat(),
                "expires_at": ev.expires_at.isoformat(),
                "error": ev.error,
                "problems": len(ev.problems),
                "path": object_path(ev.sha256),
            }
            for ev in evidence
        ]
        doc = {
            "schema_version": 1,
            "run_id": run_id,
            "created_at": created_at.isoformat(),
            "baseline": baseline,  # the baseline as the config named it (BASELINE holds its copy)
            # what `vigil evaluate` carries over: the config's name and target_label
            "run": run or {},
            "entries": entries,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / INDEX
        staged(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not stage:
            commit([path])
        return path

    def recorded_baseline(self) -> str | None:
        try:
            return self._index().get("baseline")
        except (UserError, AttributeError):
            return None

    def recorded_run(self) -> dict:
        """The config name and target_label of the scan that collected this evidence ({} if unknown)."""
        try:
            run = self._index().get("run")
        except (UserError, AttributeError):
            return {}
        if not isinstance(run, dict):
            return {}
        return {k: v for k, v in run.items() if k in ("config", "target_label") and isinstance(v, str)}

    def write_baseline(self, doc: dict, stage: bool = False) -> Path:
        """Keep the resolved baseline beside the evidence (staged like the index when `stage`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / BASELINE
        staged(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not stage:
            commit([path])
        return path

    def kept_baseline(self) -> Path | None:
        path = self.root / BASELINE
        return path if path.is_file() and not path.is_symlink() else None

    def _index(self) -> dict:
        index_path = self.root / INDEX
        if not index_path.exists() and not index_path.is_symlink():
            raise UserError(f"{index_path}: no evidence index here (is this an OUT/evidence folder?)")
        index = load_json(index_path, index_path, follow=False)
        if not isinstance(index, dict) or not isinstance(index.get("entries"), list):
            raise UserError(f"{index_path}: entries: not a vigil evidence index (no list of entries)")
        return index

    def load(self) -> list[Evidence]:
        """Every indexed document, verified: a missing or altered one comes back as error evidence."""
        index_path = self.root / INDEX
        entries = self._index()["entries"]
        loaded = []
        for position, entry in enumerate(entries):
            try:
                loaded.append(self._load_entry(entry))
            except (KeyError, TypeError, ValueError) as exc:
                raise UserError(f"{index_path}: entries[{position}]: malformed entry: {exc}") from None
        return loaded

    def _load_entry(self, entry: dict) -> Evidence:
        sha = entry["id"]
        for key in ("kind", "collector", "target", "collected_at", "expires_at"):
            if not isinstance(entry[key], str):
                raise ValueError(f"{key} is not a string")
        stub = Evidence(
            kind=entry["kind"],
            collector=entry["collector"],
            collector_version="?",
            source="?",
            target=entry["target"],
            collected_at=datetime.fromisoformat(entry["collected_at"]),
            expires_at=datetime.fromisoformat(entry["expires_at"]),
            data=None,
            sha256=str(sha),
        )
        if not isinstance(sha, str) or not SHA256.match(sha):
            # the id names the file: anything but a sha256 could point outside the store
            return replace(
                stub,
                sha256="",
                error=f"index id {str(sha)[:80]!r} is not a sha256: refused",
                status="tampered",
            )
        try:
            path = inside(self.root, object_path(sha))
            body = read_bytes(path, object_path(sha), follow=False)
        except UserError as exc:
            return replace(stub, error=f"evidence file unreadable: {exc}", status="error")
        if hashlib.sha256(body).hexdigest() != sha:
            return replace(
                stub, error=f"evidence {path.name} does not match its sha256: altered", status="tampered"
            )
        try:
            return from_document(parse_json(body, object_path(sha)), sha)
        except UserError as exc:
            return replace(stub, error=f"evidence document malformed: {exc}", status="error")
        except (ValueError, KeyError, TypeError) as exc:
            return replace(stub, error=f"evidence document malformed: {exc}", status="error")

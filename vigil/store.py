"""The evidence store: content-addressed, hashed evidence documents under OUT/evidence/ with an index."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from vigil.errors import UserError
from vigil.model import Evidence

INDEX = "index.json"


def canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_document(ev: Evidence) -> dict:
    return {
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


def from_document(doc: dict, sha256: str) -> Evidence:
    return Evidence(
        kind=doc["kind"],
        collector=doc["collector"],
        collector_version=doc["collector_version"],
        source=doc["source"],
        target=doc["target"],
        collected_at=datetime.fromisoformat(doc["collected_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]),
        data=doc["data"],
        problems=tuple(doc.get("problems", ())),
        error=doc.get("error"),
        sha256=sha256,
    )


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
        target_label: str | None = None,
    ) -> None:
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
            "baseline": baseline,  # what `vigil evaluate` judges against unless told otherwise
            "target_label": target_label,  # the history series `vigil evaluate` records its run in
            "entries": entries,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INDEX).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def recorded_baseline(self) -> str | None:
        return self._recorded("baseline")

    def recorded_target_label(self) -> str | None:
        return self._recorded("target_label")

    def _recorded(self, key: str) -> str | None:
        try:
            return json.loads((self.root / INDEX).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError, AttributeError):
            return None

    def load(self) -> list[Evidence]:
        """Every indexed document, verified: a missing or altered one comes back as error evidence."""
        index_path = self.root / INDEX
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
            entries = index["entries"]
        except FileNotFoundError:
            raise UserError(
                f"{index_path}: no evidence index here (is this an OUT/evidence folder?)"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{index_path}: unreadable evidence index: {exc}") from None
        loaded = []
        for position, entry in enumerate(entries):
            try:
                loaded.append(self._load_entry(entry))
            except (KeyError, TypeError, ValueError) as exc:
                raise UserError(f"{index_path}: entries[{position}]: malformed entry: {exc}") from None
        return loaded

    def _load_entry(self, entry: dict) -> Evidence:
        sha = entry["id"]
        path = self.root / object_path(sha)
        stub = Evidence(
            kind=entry["kind"],
            collector=entry["collector"],
            collector_version="?",
            source="?",
            target=entry["target"],
            collected_at=datetime.fromisoformat(entry["collected_at"]),
            expires_at=datetime.fromisoformat(entry["expires_at"]),
            data=None,
            sha256=sha,
        )
        try:
            body = path.read_bytes()
        except OSError as exc:
            return replace(stub, error=f"evidence file unreadable: {exc.strerror}", status="error")
        if hashlib.sha256(body).hexdigest() != sha:
            return replace(
                stub, error=f"evidence {path.name} does not match its sha256: altered", status="tampered"
            )
        try:
            return from_document(json.loads(body), sha)
        except (ValueError, KeyError, TypeError) as exc:
            return replace(stub, error=f"evidence document malformed: {exc}", status="error")

"""The evidence store: content-addressed files, an index that loads back, tampering detected."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from vigil.errors import UserError
from vigil.model import Evidence
from vigil.store import INDEX, EvidenceStore

COLLECTED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _evidence(**changes) -> Evidence:
    fields = dict(
        kind="records.personnel",
        collector="records.personnel",
        collector_version="1",
        source="personnel",
        target="hr/roster.csv",
        collected_at=COLLECTED,
        expires_at=COLLECTED + timedelta(days=7),
        data=[
            {"id": "e1001", "name": "Ada Okafor", "status": "active", "personal_data_access": True},
            {"id": "e1005", "name": "Eve Marsh", "status": "terminated", "personal_data_access": False},
        ],
        problems=({"where": "hr/roster.csv:4", "message": "personnel record skipped: id is empty"},),
    )
    fields.update(changes)
    return Evidence(**fields)


@pytest.fixture()
def stored(tmp_path):
    """A store holding a roster and a failed training collection, with its index written."""
    store = EvidenceStore(tmp_path / "evidence")
    roster = store.put(_evidence())
    failed = store.put(
        _evidence(
            kind="records.training",
            collector="records.training",
            source="training",
            target="lms/export.csv",
            data=None,
            problems=(),
            error="/org/lms/export.csv: file not found",
        )
    )
    store.write_index([roster, failed], run_id="run-1", created_at=COLLECTED, baseline="privacy-policy")
    return store, roster, failed


def test_put_names_the_file_by_the_sha256_of_its_bytes(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    ev = store.put(_evidence())
    path = tmp_path / "evidence" / "objects" / ev.sha256[:2] / f"{ev.sha256}.json"
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ev.sha256
    doc = json.loads(path.read_bytes())
    assert doc["data"][0]["name"] == "Ada Okafor"
    assert doc["collected_at"] == "2026-11-30T09:15:00+00:00"
    assert doc["problems"] == [
        {"where": "hr/roster.csv:4", "message": "personnel record skipped: id is empty"}
    ]
    assert list((tmp_path / "evidence").rglob("*.tmp")) == []


def test_same_evidence_is_stored_once_and_different_evidence_twice(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    first = store.put(_evidence())
    again = store.put(_evidence())
    other = store.put(_evidence(target="hr/contractors.csv"))
    assert first.sha256 == again.sha256 != other.sha256
    assert len(list((tmp_path / "evidence" / "objects").rglob("*.json"))) == 2


def test_index_loads_back_equal(stored):
    store, roster, failed = stored
    loaded = store.load()
    assert loaded == [roster, failed]
    assert loaded[0].data[1]["status"] == "terminated"
    assert loaded[1].error == "/org/lms/export.csv: file not found"
    assert store.recorded_baseline() == "privacy-policy"
    index = json.loads((store.root / INDEX).read_text())
    assert index["run_id"] == "run-1"
    assert [e["problems"] for e in index["entries"]] == [1, 0]
    assert index["entries"][0]["path"] == f"objects/{roster.sha256[:2]}/{roster.sha256}.json"


def test_edited_object_comes_back_tampered(stored):
    store, roster, _ = stored
    path = store.root / "objects" / roster.sha256[:2] / f"{roster.sha256}.json"
    # someone flips Eve's access off to make the access check pass
    path.write_text(path.read_text().replace('"status":"terminated"', '"status":"active"'))
    loaded = store.load()
    assert loaded[0].status == "tampered"
    assert loaded[0].data is None  # the altered content is never judged
    assert "does not match its sha256" in loaded[0].error
    assert loaded[1].status == "ok"  # the untouched one still loads


def test_deleted_object_comes_back_with_an_error(stored):
    store, _, failed = stored
    (store.root / "objects" / failed.sha256[:2] / f"{failed.sha256}.json").unlink()
    loaded = store.load()
    assert loaded[1].status == "error"
    assert loaded[1].error.startswith("evidence file unreadable")
    assert loaded[1].kind == "records.training" and loaded[1].target == "lms/export.csv"
    assert loaded[0].status == "ok" and loaded[0].error is None


def test_missing_index_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no evidence index here"):
        EvidenceStore(tmp_path).load()


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "invalid JSON"),
        ('{"schema_version": 1}', "not a vigil evidence index"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"entries": [{"id": "abc"}]}', r"entries\[0\]: malformed entry"),
        (
            '{"entries": [{"id": "abc", "kind": "k", "collector": "c", "target": "t",'
            ' "collected_at": "yesterday", "expires_at": "tomorrow"}]}',
            r"entries\[0\]: malformed entry",
        ),
    ],
)
def test_broken_index_is_a_user_error(tmp_path, text, problem):
    (tmp_path / INDEX).write_text(text)
    with pytest.raises(UserError, match=problem):
        EvidenceStore(tmp_path).load()


def test_index_ids_that_are_not_a_sha256_never_open_a_file(tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text('{"kind": "records.personnel"}')
    store_dir = tmp_path / "evidence"
    store_dir.mkdir()
    entry = {
        "kind": "records.personnel",
        "collector": "records.personnel",
        "target": "hr.csv",
        "collected_at": "2026-10-01T00:00:00+00:00",
        "expires_at": "2026-10-08T00:00:00+00:00",
    }
    (store_dir / INDEX).write_text(json.dumps({"entries": [dict(entry, id="../../secret")]}))
    [ev] = EvidenceStore(store_dir).load()
    assert ev.status == "tampered" and "is not a sha256: refused" in ev.error and ev.data is None


def test_an_evidence_object_replaced_by_a_symlink_is_not_followed(tmp_path):
    store_dir = tmp_path / "evidence"
    sha = "a" * 64
    target = store_dir / "objects" / "aa" / f"{sha}.json"
    target.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    target.symlink_to(elsewhere)
    entry = {
        "id": sha,
        "kind": "records.personnel",
        "collector": "records.personnel",
        "target": "hr.csv",
        "collected_at": "2026-10-01T00:00:00+00:00",
        "expires_at": "2026-10-08T00:00:00+00:00",
    }
    (store_dir / INDEX).write_text(json.dumps({"entries": [entry]}))
    [ev] = EvidenceStore(store_dir).load()
    assert ev.status == "error" and "symbolic link" in ev.error


def test_loaded_records_share_their_repeated_values_and_keep_them_equal():
    from vigil.store import share_repeated

    records = [
        {"id": f"e{i}", "status": "active" if i % 3 else "left", "done": f"2026-01-{1 + i % 28:02d}", "n": i}
        for i in range(3000)
    ]
    loaded = json.loads(json.dumps(records))  # a JSON parser gives every record its own strings
    assert loaded[1]["status"] is not loaded[2]["status"]
    shared = share_repeated(loaded)
    assert shared == records
    assert shared[1]["status"] is shared[2]["status"] and shared[0]["done"] is shared[28]["done"]
    assert len({id(r["id"]) for r in shared}) == 3000  # ids are unique: left alone

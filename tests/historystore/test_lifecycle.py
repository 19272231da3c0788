"""Findings followed across runs by fingerprint: new, fixed, reopened, waived, time to fix."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.historystore.runs import CHECK, OTHER, finding, run
from vigil.compare import compare
from vigil.errors import UserError
from vigil.historystore import open_store
from vigil.historystore import schema as t
from vigil.historystore.query import finding_rows, list_runs, previous_document, run_document, summaries
from vigil.historystore.record import record_run


def _by_resource(rows):
    return {r["resource"]: r for r in rows}


def test_new_fixed_reopened_and_time_to_fix(store):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:a"), finding("person:b"), finding("person:c", "pass")], day=0))
    record_run(
        engine, run([finding("person:a", "pass"), finding("person:b"), finding("person:c", "pass")], day=3)
    )
    record_run(engine, run([finding("person:a"), finding("person:b"), finding("person:c", "pass")], day=5))

    runs = list_runs(engine)
    assert [(r["new"], r["fixed"], r["reopened"], r["failing"]) for r in runs] == [
        (2, 0, 0, 2),
        (0, 1, 0, 1),
        (0, 0, 1, 2),
    ]
    everything = _by_resource(finding_rows(engine, "all"))
    assert set(everything) == {"person:a", "person:b"}  # c never failed: it has no lifecycle to show
    a, b = everything["person:a"], everything["person:b"]
    assert (a["state"], a["reopened"]) == ("open", 1)
    assert a["first_seen"].startswith("2026-11-01") and a["last_seen"].startswith("2026-11-06")
    assert a["opened_at"].startswith("2026-11-06")  # the current failing period began with the regression
    assert a["last_time_to_fix_s"] == 3 * 86400  # it took three days to fix the first time
    assert a["first_seen_run"] == runs[0]["run_id"] and a["last_seen_run"] == runs[2]["run_id"]
    assert (b["state"], b["reopened"], b["first_seen_run"]) == ("open", 0, runs[0]["run_id"])

    fixed = finding_rows(engine, "fixed")
    assert fixed == []  # a was fixed, then reopened: it is open again
    record_run(engine, run([finding("person:a", "pass"), finding("person:c", "pass")], day=9))
    fixed = _by_resource(finding_rows(engine, "fixed"))
    assert set(fixed) == {"person:a", "person:b"}
    assert fixed["person:a"]["time_to_fix_s"] == 4 * 86400  # since the regression
    assert fixed["person:b"]["time_to_fix_s"] == 9 * 86400  # b is gone: its check ran and did not report it
    assert fixed["person:b"]["fixed_at"].startswith("2026-11-10")


def test_a_waived_finding_is_not_fixed(store):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:a")], day=0))
    record_run(engine, run([finding("person:a", waiver="W-1")], day=1))
    [row] = finding_rows(engine, "failing")
    assert (row["state"], row["waiver_id"]) == ("waived", "W-1")
    assert finding_rows(engine, "open") == [] and finding_rows(engine, "fixed") == []
    assert list_runs(engine)[1]["fixed"] == 0
    # the waiver lapses: open again, still the same finding, never "reopened" (it was never fixed)
    record_run(engine, run([finding("person:a")], day=2))
    [row] = finding_rows(engine, "open")
    assert (row["reopened"], row["first_seen"][:10]) == (0, "2026-11-01")
    change = compare(run_document(engine, "latest~1"), run_document(engine, "latest~2"))
    assert change.absent == [] and [f["resource"] for f in change.unchanged] == ["person:a"]


def test_a_check_that_did_not_run_fixes_nothing(store):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:a"), finding("person:x", check=OTHER)], day=0))
    # an --only run of CHECK: OTHER's finding is not reported, but it was not judged either
    record_run(engine, run([finding("person:a", "pass")], day=1, checks=(CHECK,)))
    rows = _by_resource(finding_rows(engine, "all"))
    assert rows["person:a"]["state"] == "fixed"
    assert rows["person:x"]["state"] == "open"
    change = compare(run_document(engine, "latest"), run_document(engine, "previous"))
    assert [f["resource"] for f in change.absent] == ["person:a"]
    assert [f["resource"] for f in change.not_evaluated] == ["person:x"]


def test_targets_are_separate_series(store):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:a")], day=0, label="prod"))
    record_run(engine, run([], day=1, label="staging"))  # staging has no such finding: prod's stays open
    [row] = finding_rows(engine, "open")
    assert (row["target"], row["resource"]) == ("prod", "person:a")
    assert finding_rows(engine, "open", target="staging") == []
    assert [r["target"] for r in list_runs(engine)] == ["prod", "staging"]
    assert previous_document(engine, "staging")["run"]["target_label"] == "staging"
    assert [h["finished_at"][:10] for h in summaries(engine, "prod")] == ["2026-11-01"]
    with pytest.raises(UserError, match="no runs of target 'qa'.*prod, staging"):
        list_runs(engine, target="qa")


def test_since_filters_by_when_a_finding_entered_its_status(store):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:old")], day=0))
    record_run(engine, run([finding("person:old"), finding("person:new")], day=20))
    from datetime import timedelta

    from tests.historystore.runs import T0

    now = T0 + timedelta(days=25)
    from vigil.historystore.query import parse_since

    recent = finding_rows(engine, "open", since=parse_since("10d", now), now=now)
    assert [r["resource"] for r in recent] == ["person:new"]
    assert {r["resource"] for r in finding_rows(engine, "open", since=parse_since("30d", now))} == {
        "person:old",
        "person:new",
    }
    ages = {r["resource"]: r["age_s"] for r in finding_rows(engine, "open", now=now)}
    assert ages == {"person:old": 25 * 86400, "person:new": 5 * 86400}
    with pytest.raises(UserError, match="--since 'yesterday'"):
        parse_since("yesterday")


def test_run_references(store):
    engine = open_store(store, None)
    ids = [record_run(engine, r) and r["run"]["id"] for r in (run([finding("p:1")], day=d) for d in range(3))]
    assert run_document(engine, "latest")["run"]["id"] == ids[2]
    assert run_document(engine, "previous")["run"]["id"] == ids[1]
    assert run_document(engine, "latest~2")["run"]["id"] == ids[0]
    assert run_document(engine, ids[0][:8])["run"]["id"] == ids[0]
    with pytest.raises(UserError, match="fewer than 4 run"):
        run_document(engine, "latest~3")
    with pytest.raises(UserError, match="no run with that id"):
        run_document(engine, "ffffffff")


def test_a_run_is_recorded_once(store):
    engine = open_store(store, None)
    doc = run([finding("person:a")])
    record_run(engine, doc)
    with pytest.raises(UserError, match="already recorded"):
        record_run(engine, doc)
    assert len(list_runs(engine)) == 1


def test_an_interrupted_run_leaves_nothing_behind(store, monkeypatch):
    engine = open_store(store, None)
    record_run(engine, run([finding("person:a")], day=0))
    import vigil.historystore.record as record

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt  # after the run, its checks, scores and 1,000 findings were inserted

    monkeypatch.setattr(record, "_advance", crash)
    with pytest.raises(KeyboardInterrupt):
        record_run(engine, run([finding(f"person:{i}") for i in range(1000)], day=1))
    monkeypatch.undo()
    with engine.connect() as conn:
        counts = [conn.execute(select(func.count()).select_from(x)).scalar() for x in
                  (t.runs, t.run_findings, t.run_checks, t.run_scores, t.findings)]  # fmt: skip
    assert counts == [1, 1, 2, 3, 1]  # one run: overall, one domain, one control
    assert [r["failing"] for r in list_runs(engine)] == [1]
    record_run(engine, run([finding("person:a", "pass")], day=2))  # and the store goes on working
    assert list_runs(engine)[-1]["fixed"] == 1


def test_the_migrations_build_exactly_the_declared_schema(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = open_store(store, None)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diffs == []


def test_head_names_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from vigil.historystore import db

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD

"""Whatever bytes a parser gets, the outcome is a clean run, an error finding or a one-line user error.

Property-based (Hypothesis): config, baseline, record exports, the evidence index and results.json.
Anything but vigil.errors.UserError escaping a parser, or a parse taking longer than its deadline, fails.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_results
from vigil import registry
from vigil.baseline import load_baseline
from vigil.collect import Task, run_task
from vigil.config import load_config
from vigil.errors import UserError
from vigil.evaluate import evaluate
from vigil.model import CollectContext
from vigil.render import FORMATS, render
from vigil.results import read_results
from vigil.store import EvidenceStore

registry.load_plugins()
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
PROPERTY = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# YAML and CSV building blocks that reach deeper into the parsers than random bytes alone
YAML_PIECES = st.sampled_from(
    [
        "baseline: privacy-policy\n",
        "sources:\n",
        "  personnel: hr.csv\n",
        "  training:\n",
        "    - path: t.csv\n",
        "fail_on: high\n",
        "fail_on: none\n",
        "&a [1, *a]\n",
        "x: &x [*x]\n",
        "concurrency: 99999999999999999999\n",
        "limits: {max_file_mb: 0}\n",
        "ttl_hours: 1e400\n",
        "  hosts:\n    - address: '-oN out.txt'\n",
        "[" * 80,
        "controls:\n  - id: PP-X\n",
        "    checks: [records.training.annual_completion]\n",
        "extends: ../../etc\n",
        "name: x\n",
        "parameters: {training.max_age_days: 99999999999999999999999}\n",
        "? [a, b]\n: c\n",
        "\t",
        "\ufeff",
        "!!python/object:os.system x\n",
        "{",
        "waivers:\n  items:\n    - {id: w, check: '*'}\n",
    ]
)
yaml_text = st.one_of(
    st.lists(YAML_PIECES, max_size=12).map("".join).map(str.encode),
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
CSV_PIECES = st.sampled_from(
    [
        "id,name,status,personal_data_access\n",
        "employee_id;pii\n",
        "e1,Ada,active,yes\n",
        'e2,"Ben\nB",active,no\n',
        "e3,=HYPERLINK(x),active,maybe\n",
        "e4,<script>,terminated,\n",
        "\ufeff",
        "e5,Ann,active,yes,extra\n",
        "\x00\n",
        "e6," + "x" * 5000 + ",active,yes\n",
        '"unterminated\n',
        "\r\n",
    ]
)
csv_bytes = st.one_of(
    st.lists(CSV_PIECES, max_size=10).map("".join).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=400),
    st.lists(CSV_PIECES, max_size=10)
    .map("".join)
    .map(lambda t: b"\xff\xfe" + t.encode("utf-8", "surrogatepass")),
)


def _json_values(depth: int = 3):
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )


@PROPERTY
@given(data=yaml_text)
def test_any_config_loads_or_is_a_user_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "vigil.yaml"
    path.write_bytes(data)
    try:
        load_config(path)
    except UserError as exc:
        assert "\n" not in str(exc).strip() or str(path) in str(exc)


@PROPERTY
@given(data=yaml_text)
def test_any_baseline_loads_and_resolves_or_is_a_user_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bl") / "mine.yaml"
    path.write_bytes(data)
    try:
        baseline = load_baseline(str(path))
        evaluate(baseline, [], NOW)
    except UserError:
        pass


@PROPERTY
@given(data=csv_bytes, fmt=st.sampled_from(["csv", "json"]))
def test_any_record_export_gives_evidence_never_an_exception(tmp_path_factory, data, fmt):
    folder = tmp_path_factory.mktemp("rec")
    (folder / f"hr.{fmt}").write_bytes(data)
    collector = registry.collectors.get("records.personnel")
    evidence = run_task(Task(collector, {"path": f"hr.{fmt}"}), CollectContext(folder, lambda: NOW))
    assert evidence.error is not None or isinstance(evidence.data, list)
    if evidence.error:
        assert str(folder) not in evidence.error  # named as the config names it


@PROPERTY
@given(
    entries=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.one_of(
                    st.text(max_size=70), st.just("../../etc/passwd"), st.just("a" * 64), st.integers()
                ),
                "kind": st.one_of(st.just("records.personnel"), st.integers(), st.lists(st.text())),
                "collector": st.text(max_size=10),
                "target": st.text(max_size=10),
                "collected_at": st.one_of(st.just("2026-11-01T00:00:00+00:00"), st.text(max_size=30)),
                "expires_at": st.one_of(
                    st.just("2027-11-01T00:00:00+00:00"), st.just("9999-12-31T23:59:59"), st.text(max_size=30)
                ),
            },
        ),
        max_size=5,
    ),
    raw=st.one_of(st.none(), st.binary(max_size=200), _json_values().map(lambda v: json.dumps(v).encode())),
)
def test_any_evidence_index_loads_and_judges_or_is_a_user_error(tmp_path_factory, entries, raw):
    folder = tmp_path_factory.mktemp("ev")
    (folder / "index.json").write_bytes(raw if raw is not None else json.dumps({"entries": entries}).encode())
    try:
        evidence = EvidenceStore(folder).load()
    except UserError:
        return
    evaluate(load_baseline("privacy-policy"), evidence, NOW)


BASE_RESULTS = make_results(40, 6, with_history=True)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:3]):
            yield from _paths(value, (*prefix, index))


ALL_PATHS = [p for p in _paths(BASE_RESULTS) if p]


@settings(
    max_examples=80,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.sampled_from(ALL_PATHS),
    how=st.sampled_from(["drop", "null", "number", "text", "list", "dict", "huge", "negative"]),
)
def test_a_damaged_results_file_renders_or_is_a_user_error(tmp_path_factory, where, how):
    doc = copy.deepcopy(BASE_RESULTS)
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    last = where[-1]
    replacement = {
        "null": None,
        "number": 7,
        "text": "../x",
        "list": [],
        "dict": {},
        "huge": 10**30,
        "negative": -1,
    }
    if how == "drop":
        del parent[last]
    else:
        parent[last] = replacement[how]
    folder = tmp_path_factory.mktemp("res")
    path = folder / "results.json"
    path.write_text(json.dumps(doc))
    try:
        results = read_results(path)
    except UserError as exc:
        assert str(path) in str(exc)
        return
    for fmt in FORMATS:
        render(results, fmt, folder / "out" if Path(folder / "out").mkdir(exist_ok=True) is None else folder)

"""SARIF: valid against the official 2.1.0 schema, and shaped the way GitHub code scanning reads it."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import sarif_om as so

from tests.factories import make_results
from vigil.render import RenderContext, render
from vigil.render import sarif_limits as limits
from vigil.render.sarif import automation_id, to_json

PROJECT = Path(__file__).resolve().parents[2]
SCHEMA_DEFAULT = PROJECT.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def validator() -> jsonschema.Draft7Validator:
    """The official schema, read where it lives; never copied into the project."""
    path = Path(os.environ.get("VIGIL_SARIF_SCHEMA") or SCHEMA_DEFAULT)
    if not path.is_file():
        reason = f"official SARIF 2.1.0 schema not found at {path} (set VIGIL_SARIF_SCHEMA)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


def assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def finding(check_id, resource, status="fail", severity="high", message="broken", **extra) -> dict:
    return {
        "check_id": check_id,
        "control_ids": extra.pop("control_ids", ["PP-MFA"]),
        "status": status,
        "severity": severity,
        "resource": resource,
        "message": message,
        "evidence": ["e" * 64],
        "fingerprint": hashlib.sha256(f"{check_id}\x1f{resource}".encode()).hexdigest()[:32],
        "location": extra.pop("location", None),
        "waiver": extra.pop("waiver", None),
    }


def check(title, severity, domain="technical", **extra) -> dict:
    return {
        "title": title,
        "description": f"{title}: why it matters.",
        "remediation": f"Fix {title.lower()}.",
        "severity": severity,
        "domain": domain,
        "references": extra.get("references", ["https://docs.example.com/check"]),
        "tags": extra.get("tags", ["aws"]),
        "params": {},
        "implemented": True,
    }


WAIVER = {
    "id": "W-007",
    "justification": "Compensating control: VPN only",
    "owner": "alice@example.com",
    "approver": "ciso@example.com",
    "expires": "2027-01-31T00:00:00+00:00",
}


def small_results() -> dict:
    """One of each kind of result: code, cloud, person, an error, a waived one, and non-results."""
    return {
        "schema_version": 1,
        "tool": {"name": "vigil", "version": "0.1.0"},
        "run": {
            "id": "r1",
            "started_at": "2026-11-30T11:56:00+00:00",
            "finished_at": "2026-11-30T12:00:00+00:00",
            "as_of": "2026-11-30T12:00:00+00:00",
            "config": "ci/vigil.yaml",
        },
        "baseline": {"name": "privacy-policy", "title": "Privacy policy", "version": "1"},
        "gate": {"fail_on": "high", "passed": False, "blocking": 2, "manual": 1},
        "scores": {"overall": {"score": 50.0, "coverage": 40.0, "controls": 2, "scored_controls": 1}},
        "controls": [
            {
                "id": "PP-MFA",
                "title": "Every account uses MFA",
                "domain": "technical",
                "frameworks": {"soc2": ["CC6.1"], "iso27001": ["A.8.5"]},
                "checks": ["aws.iam.mfa_enabled", "code.bandit.hardcoded_secret"],
            },
            {
                "id": "PP-TRAINING",
                "title": "Training every year",
                "domain": "administrative",
                "frameworks": {"gdpr": ["Art. 39(1)(b)"]},
                "checks": ["records.training.annual", "records.visitors.log"],
            },
        ],
        "checks": {
            "aws.iam.mfa_enabled": check("MFA enabled", "high"),
            "code.bandit.hardcoded_secret": check("No hard-coded secrets", "critical", references=[]),
            "records.training.annual": check("Annual training", "medium", domain="administrative"),
            "records.visitors.log": check("Visitor log", "info", domain="physical"),
            "records.low.thing": check("A low one", "low"),
        },
        "findings": [
            finding("aws.iam.mfa_enabled", "arn:aws:iam::1:user/alice", message="no MFA device"),
            finding(
                "code.bandit.hardcoded_secret",
                "src/app/settings.py",
                severity="critical",
                location={"path": "src/app/settings.py", "line": 12},
            ),
            finding("records.training.annual", "person:e1", "error", "medium", "evidence is stale"),
            finding("aws.iam.mfa_enabled", "arn:aws:iam::1:user/bob", waiver=WAIVER),
            finding("records.visitors.log", "site:berlin", severity="info"),
            finding("records.low.thing", "thing:1", severity="low"),
            finding("aws.iam.mfa_enabled", "arn:aws:iam::1:user/carol", "pass"),
            finding("records.training.annual", "person:e2", "manual", "medium"),
            finding("records.training.annual", "person:e3", "not_applicable", "medium"),
        ],
        "waivers": [],
    }


def sarif(results: dict, tmp_path: Path, ctx: RenderContext | None = None) -> dict:
    path = render(results, "sarif", tmp_path, ctx)
    return json.loads(path.read_text(encoding="utf-8"))


def by_resource(run: dict) -> dict[str, dict]:
    """Results keyed by the resource they are about (logical name, or file path)."""
    out = {}
    for r in run["results"]:
        loc = r["locations"][0]
        key = loc["logicalLocations"][0]["fullyQualifiedName"] if "logicalLocations" in loc else None
        out[key or loc["physicalLocation"]["artifactLocation"]["uri"]] = r
    return out


def test_logs_validate_against_the_official_schema(validator, tmp_path):
    assert_valid(validator, sarif(small_results(), tmp_path / "a"))
    big, before = make_results(600, 30, seed=1), make_results(600, 30, seed=2)
    assert_valid(validator, sarif(big, tmp_path / "b", RenderContext(previous=before)))


def test_one_rule_per_check_with_level_and_security_severity(tmp_path):
    log = sarif(small_results(), tmp_path)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == set(small_results()["checks"])
    expected = {
        "code.bandit.hardcoded_secret": ("error", "9.5"),
        "aws.iam.mfa_enabled": ("error", "8.0"),
        "records.training.annual": ("warning", "5.5"),
        "records.low.thing": ("note", "3.0"),
        "records.visitors.log": ("note", "0.0"),
    }
    for rule_id, (level, score) in expected.items():
        assert rules[rule_id]["defaultConfiguration"]["level"] == level
        assert rules[rule_id]["properties"]["security-severity"] == score
    mfa = rules["aws.iam.mfa_enabled"]
    assert mfa["shortDescription"]["text"] == "MFA enabled"
    assert mfa["fullDescription"]["text"] == "MFA enabled: why it matters."
    assert "Remediation: Fix mfa enabled." in mfa["help"]["text"]
    assert "**Remediation:** Fix mfa enabled." in mfa["help"]["markdown"]
    assert mfa["helpUri"] == "https://docs.example.com/check"
    assert "helpUri" not in rules["code.bandit.hardcoded_secret"]  # no references, no link
    assert mfa["properties"]["tags"][:2] == ["security", "technical"]
    assert {"soc2/CC6.1", "iso27001/A.8.5", "aws"} <= set(mfa["properties"]["tags"])


def test_results_are_fail_and_error_findings_with_levels_from_their_severity(tmp_path):
    run = sarif(small_results(), tmp_path)["runs"][0]
    results = by_resource(run)
    assert set(results) == {
        "arn:aws:iam::1:user/alice",
        "src/app/settings.py",
        "person:e1",
        "arn:aws:iam::1:user/bob",
        "site:berlin",
        "thing:1",
    }  # pass, manual and not_applicable findings are not results
    levels = {k: r["level"] for k, r in results.items()}
    assert levels["src/app/settings.py"] == "error"  # critical
    assert levels["arn:aws:iam::1:user/alice"] == "error"  # high
    assert levels["person:e1"] == "warning"  # medium
    assert levels["thing:1"] == levels["site:berlin"] == "note"  # low, info
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["kind"] == "fail"


def test_an_error_finding_says_it_is_an_evaluation_error(tmp_path):
    error = by_resource(sarif(small_results(), tmp_path)["runs"][0])["person:e1"]
    assert error["kind"] == "fail"
    assert error["properties"]["vigil-status"] == "error"
    assert error["message"]["text"].startswith("Evaluation error")
    assert "person:e1: evidence is stale" in error["message"]["text"]


def test_results_carry_the_finding_fingerprint(tmp_path):
    results = make_results(300, 30, seed=3)
    run = sarif(results, tmp_path)["runs"][0]
    failing = {f["fingerprint"] for f in results["findings"] if f["status"] in ("fail", "error")}
    prints = [r["partialFingerprints"]["vigil/v1"] for r in run["results"]]
    assert sorted(prints) == sorted(failing)


def test_file_findings_point_at_their_line_and_others_at_the_config_with_a_logical_location(tmp_path):
    results = by_resource(sarif(small_results(), tmp_path)["runs"][0])
    code = results["src/app/settings.py"]["locations"][0]
    assert code["physicalLocation"] == {
        "artifactLocation": {"uri": "src/app/settings.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12},
    }
    assert "logicalLocations" not in code
    cloud = results["arn:aws:iam::1:user/alice"]
    assert cloud["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "ci/vigil.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert cloud["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "arn:aws:iam::1:user/alice", "kind": "resource", "name": "alice"}
    ]
    # every result sits on the same line, so the message has to say which resource it is about
    assert cloud["message"]["text"] == "arn:aws:iam::1:user/alice: no MFA device"


def test_pseudo_location_falls_back_to_vigil_yaml(tmp_path):
    for config, uri in (
        (None, "vigil.yaml"),
        ("../outside/conf.yaml", "conf.yaml"),
        ("/abs/v.yaml", "v.yaml"),
    ):
        results = small_results()
        results["run"]["config"] = config
        cloud = by_resource(sarif(results, tmp_path / uri)["runs"][0])["person:e1"]
        assert cloud["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri


def test_source_root_resolves_absolute_paths_and_is_declared(tmp_path):
    results = small_results()
    root = tmp_path / "repo"
    results["findings"][1]["location"] = {"path": str(root / "src" / "my app.py"), "line": 3}
    run = sarif(results, tmp_path / "out", RenderContext(source_root=root))["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert {"uri": "src/my%20app.py", "uriBaseId": "%SRCROOT%"} in uris


def test_waived_findings_carry_an_accepted_external_suppression(validator, tmp_path):
    log = sarif(small_results(), tmp_path)
    assert_valid(validator, log)
    results = by_resource(log["runs"][0])
    waived = results["arn:aws:iam::1:user/bob"]
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Compensating control: VPN only",
            "properties": {
                "expires": "2027-01-31T00:00:00+00:00",
                "owner": "alice@example.com",
                "approver": "ciso@example.com",
                "waiver_id": "W-007",
            },
        }
    ]
    assert "waived: W-007" in waived["message"]["text"]
    assert "suppressions" not in results["arn:aws:iam::1:user/alice"]


def test_baseline_state_against_the_previous_run_including_fixed_findings(validator, tmp_path):
    before = small_results()
    now = copy.deepcopy(before)
    fs = {f["resource"]: f for f in now["findings"]}
    fs["person:e1"]["message"] = "evidence is missing"  # updated
    fs["site:berlin"]["status"] = "pass"  # fixed: absent
    now["findings"].append(finding("aws.iam.mfa_enabled", "arn:aws:iam::1:user/dave"))  # new
    now["findings"][3]["waiver"] = None  # the waiver lapsed: still the same result, not new
    log = sarif(now, tmp_path, RenderContext(previous=before))
    assert_valid(validator, log)
    states = {k: r.get("baselineState") for k, r in by_resource(log["runs"][0]).items()}
    assert states == {
        "arn:aws:iam::1:user/alice": "unchanged",
        "src/app/settings.py": "unchanged",
        "person:e1": "updated",
        "arn:aws:iam::1:user/bob": "unchanged",
        "thing:1": "unchanged",
        "arn:aws:iam::1:user/dave": "new",
        "site:berlin": "absent",
    }
    fixed = by_resource(log["runs"][0])["site:berlin"]
    assert (fixed["kind"], fixed["level"]) == ("pass", "none")
    assert fixed["message"]["text"].startswith("No longer failing")
    assert "baselineState" not in json.dumps(sarif(now, tmp_path / "no-previous"))
    # for GitHub uploads: states kept, fixed results left out
    lean = sarif(now, tmp_path / "lean", RenderContext(previous=before, extra={"sarif_absent": False}))
    lean_states = {k: r["baselineState"] for k, r in by_resource(lean["runs"][0]).items()}
    assert lean_states == {k: v for k, v in states.items() if v != "absent"}


def test_results_are_written_most_severe_first(tmp_path):
    run = sarif(make_results(400, 30, seed=5), tmp_path)["runs"][0]
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    open_ = [ranks[r["properties"]["vigil-severity"]] for r in run["results"] if "suppressions" not in r]
    assert open_ == sorted(open_, reverse=True)


def test_over_the_result_limit_keeps_the_most_severe_and_says_so(validator, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(limits, "MAX_RESULTS_PER_RUN", 3)
    log = sarif(small_results(), tmp_path)
    assert_valid(validator, log)
    run = log["runs"][0]
    # open findings first, most severe first; the waived high one goes before an open medium one
    kept = [r["properties"]["vigil-severity"] for r in run["results"]]
    assert kept == ["critical", "high", "medium"]
    trimmed = run["properties"]["vigil-trimmed"]
    assert (trimmed["results_total"], trimmed["results_written"]) == (6, 3)
    assert trimmed["results_dropped_by_severity"] == {"high": 1, "low": 1, "info": 1}
    assert trimmed["results_dropped_by_group"] == {"open": 2, "waived": 1}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning"]
    assert "kept 3 of 6 results" in notes[0]["message"]["text"]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("vigil: warning: SARIF trimmed")


def test_over_the_compressed_size_limit_trims_until_it_fits(validator, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(limits, "MAX_GZIP_BYTES", 40_000)
    results = make_results(3000, 60, seed=2)
    path = render(results, "sarif", tmp_path)
    data = path.read_bytes()
    assert len(gzip.compress(data, compresslevel=limits.GZIP_LEVEL)) <= 40_000
    run = json.loads(data)["runs"][0]
    assert_valid(validator, json.loads(data))
    trimmed = run["properties"]["vigil-trimmed"]
    failing = sum(f["status"] in ("fail", "error") for f in results["findings"])
    assert trimmed["results_total"] == failing > trimmed["results_written"] == len(run["results"]) > 0
    assert "vigil: warning:" in capsys.readouterr().err


def test_a_run_within_limits_says_nothing(tmp_path, capsys):
    run = sarif(small_results(), tmp_path)["runs"][0]
    assert "vigil-trimmed" not in run["properties"]
    assert "toolExecutionNotifications" not in run["invocations"][0]
    assert capsys.readouterr().err == ""


def test_rule_tags_and_rules_beyond_the_limits_are_cut_and_reported(validator, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TAGS_PER_RULE", 3)
    monkeypatch.setattr(limits, "MAX_RULES_PER_RUN", 2)
    log = sarif(small_results(), tmp_path)
    assert_valid(validator, log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == 2 and all(len(r["properties"]["tags"]) <= 3 for r in rules)
    assert {r["ruleId"] for r in run["results"]} <= {r["id"] for r in rules}
    trimmed = run["properties"]["vigil-trimmed"]
    assert (trimmed["rules_total"], trimmed["rules_written"]) == (5, 2)
    assert trimmed["rule_tags_dropped"] > 0


def test_many_results_note_that_github_shows_only_the_first_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "SHOWN_RESULTS_PER_RUN", 2)
    notes = sarif(small_results(), tmp_path)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["note"]


def test_automation_details_name_baseline_and_target(tmp_path):
    results = small_results()
    assert (
        sarif(results, tmp_path)["runs"][0]["automationDetails"]["id"] == "vigil/privacy-policy/vigil.yaml/"
    )
    results["run"]["target_label"] = "prod/eu"
    assert automation_id(results) == "vigil/privacy-policy/prod-eu/"
    results["run"].update(target_label=None, config=None)
    assert automation_id(results) == "vigil/privacy-policy/default/"


def test_no_failing_findings_still_writes_an_empty_results_list(validator, tmp_path):
    results = small_results()
    results["findings"] = [f for f in results["findings"] if f["status"] == "pass"]
    log = sarif(results, tmp_path)
    assert_valid(validator, log)
    assert log["runs"][0]["results"] == []  # [] means "ran, found nothing"; absent would mean "did not run"


def test_serialiser_uses_schema_names_and_leaves_out_defaults():
    result = so.Result(
        message=so.Message(text="x"),
        rule_id="r",
        suppressions=[so.Suppression(kind="external", state="accepted")],
        locations=[],
    )
    assert to_json(result) == {
        "message": {"text": "x"},
        "kind": "fail",
        "level": "warning",  # kept: without it a result would take its rule's level
        "ruleId": "r",
        "suppressions": [{"kind": "external", "status": "accepted"}],
    }


def test_help_markdown_keeps_check_metadata_inert(tmp_path):
    results = small_results()
    meta = results["checks"]["aws.iam.mfa_enabled"]
    meta["remediation"] = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**"
    meta["description"] = "- a list item\n# a heading"
    meta["references"] = ["javascript:alert(1)", "https://docs.example.com/check"]
    log = sarif(results, tmp_path)
    rule = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "aws.iam.mfa_enabled")
    md = rule["help"]["markdown"]
    assert "\\[click\\](javascript:alert(1))" in md  # brackets escaped: no link can form
    assert not re.search(r"(?<!\\)\]\(", md)
    assert not re.search(r"(?<!\\)<img", md) and "\\*\\*bold\\*\\*" in md
    assert md.startswith("\\- a list item \\# a heading")
    assert "- <https://docs.example.com/check>" in md and "<javascript:" not in md
    assert rule["help"]["text"].startswith("- a list item")  # plain text stays as written

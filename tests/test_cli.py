"""End to end through the command line: demo, offline re-evaluation, gate and usage exit codes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from vigil.cli import main
from vigil.demo import build_demo


def _findings(path: Path) -> list[tuple]:
    doc = json.loads(path.read_text())
    return sorted(
        (f["check_id"], f["resource"], f["status"], f["message"], f["fingerprint"], json.dumps(f["waiver"]))
        for f in doc["findings"]
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--output", str(out), "--format", "json"]) == 0
    return out


def test_demo_has_pass_fail_and_manual_controls(demo_run):
    doc = json.loads((demo_run / "results.json").read_text())
    statuses = {c["id"]: c["status"] for c in doc["controls"]}
    assert statuses["PP-INCIDENT-RESPONSE"] == "pass"  # the attested security plan
    # the access logs show people reaching customer data who may not (or cannot be judged without evidence)
    assert statuses["PP-ACCESS-AUTHORIZED-ONLY"] in ("fail", "error")
    assert any(f["status"] == "pass" for f in doc["findings"])
    assert statuses["PP-TRAINING-ANNUAL"] == "fail"
    # the demo's network: an FTP server left open, an unsigned and a weakly signed token
    assert statuses["PP-FIREWALL"] == "fail"
    assert statuses["PP-ACCESS-AUTHORIZED-ONLY"] == "fail"
    assert statuses["PP-SECURITY-PROGRAM"] == "fail"  # the demo AWS account's unencrypted volume
    assert doc["gate"]["passed"] is False
    assert statuses["PP-TLS-IN-TRANSIT"] == "fail"  # the demo's legacy and expired TLS endpoints
    assert doc["scores"]["overall"]["coverage"] < 90  # honest: part of the policy is still manual


def test_demo_broken_row_is_an_error_finding_and_the_rest_loads(demo_run):
    doc = json.loads((demo_run / "results.json").read_text())
    errors = [f for f in doc["findings"] if f["status"] == "error" and f["check_id"].startswith("records.")]
    assert {tuple(f["where"]) for f in errors} == {("training.csv:9",)}
    assert {f["resource"].split("#row-")[0] for f in errors} == {"training.csv"}
    assert "31/02/2026" in errors[0]["message"]
    people = {f["resource"] for f in doc["findings"] if f["check_id"] == "records.training.annual_completion"}
    assert {"person:e1001", "person:e1002", "person:e1008"} <= people


def test_demo_waivers_show_every_state(demo_run):
    doc = json.loads((demo_run / "results.json").read_text())
    states = {w["id"]: w["state"] for w in doc["waivers"]}
    assert states == {"W-DEMO-LEAVE": "expiring", "W-DEMO-OLD": "expired", "W-DEMO-BROKEN": "invalid"}
    waived = [f for f in doc["findings"] if f["waiver"]]
    assert [(f["resource"], f["waiver"]["id"]) for f in waived] == [("person:e1003", "W-DEMO-LEAVE")]
    # the expired waiver no longer hides its finding
    unknown = next(f for f in doc["findings"] if f["resource"] == "person:x9999")
    assert unknown["status"] == "fail" and unknown["waiver"] is None


def test_offline_evaluation_gives_identical_findings(demo_run, tmp_path):
    code = main(
        ["evaluate", "--evidence", str(demo_run / "evidence"), "--output", str(tmp_path), "--format", "json"]
    )
    assert code == 1  # the demo's gate fails, offline as online
    assert _findings(tmp_path / "results.json") == _findings(demo_run / "results.json")
    again = json.loads((tmp_path / "results.json").read_text())
    assert (
        all(e["path"].startswith("../") or e["path"].startswith("/") for e in again["evidence"])
        or again["evidence"]
    )
    for entry in again["evidence"]:
        assert (tmp_path / entry["path"]).is_file()


def test_no_waivers_shows_the_unwaived_truth(demo_run, tmp_path):
    main(["evaluate", "--evidence", str(demo_run / "evidence"), "--output", str(tmp_path), "--no-waivers"])
    doc = json.loads((tmp_path / "results.json").read_text())
    assert not any(f["waiver"] for f in doc["findings"])
    assert {w["state"] for w in doc["waivers"] if w["id"] == "W-DEMO-LEAVE"} == {"disabled"}


def test_stale_evidence_is_an_error_never_a_pass(demo_run, tmp_path):
    main(
        [
            "evaluate",
            "--evidence",
            str(demo_run / "evidence"),
            "--output",
            str(tmp_path),
            "--format",
            "json",
            "--as-of",
            "2099-01-01T00:00:00+00:00",
        ]
    )
    doc = json.loads((tmp_path / "results.json").read_text())
    automated = [f for f in doc["findings"] if not f["check_id"].startswith("manual.")]
    assert automated and {f["status"] for f in automated} == {"error"}
    # kinds the demo never collects are errors of their own; everything collected is stale by then
    collected = [f for f in automated if "no evidence of kind" not in f["message"]]
    assert collected and all("stale" in f["message"] for f in collected)


def test_second_scan_keeps_history(tmp_path):
    out = tmp_path / "out"
    assert main(["demo", "--output", str(out), "--format", "json"]) == 0
    assert main(["demo", "--output", str(out), "--format", "json"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert len(doc["history"]) == 1  # the first run, read back from OUT/history.sqlite
    assert doc["history"][0]["run_id"] != doc["run"]["id"]
    assert (out / "history.sqlite").is_file()


@pytest.fixture()
def org(tmp_path) -> Path:
    return build_demo(tmp_path / "org")


def test_gate_exit_codes(org, tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["scan", "--config", str(org), "--output", out, "--format", "json"]) == 1
    assert main(["scan", "--config", str(org), "--output", out, "--format", "json", "--fail-on", "none"]) == 0
    # critical findings: the demo's unsigned and weakly signed tokens, its AWS account's public bucket
    assert (
        main(["scan", "--config", str(org), "--output", out, "--format", "json", "--fail-on", "critical"])
        == 1
    )
    only = "records.personnel.access_only_active"
    assert main(["scan", "--config", str(org), "--output", out, "--format", "json", "--only", only]) == 0
    assert "gate passed" in capsys.readouterr().out


def test_broken_baseline_exits_2_naming_file_and_line(org, tmp_path, capsys):
    bad = org.parent / "baseline.yaml"
    text = bad.read_text().replace("    courses:", "    courses:\n      - [", 1)
    bad.write_text(text)
    assert main(["scan", "--config", str(org), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{bad}:" in err and "invalid YAML" in err


def test_baseline_schema_error_names_line_and_field(org, tmp_path, capsys):
    bad = org.parent / "baseline.yaml"
    lines = bad.read_text().splitlines()
    lines[lines.index('version: "1"')] = 'version: "1"\nseverity_everything: high'
    bad.write_text("\n".join(lines) + "\n")
    assert main(["scan", "--config", str(org), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if text.startswith("severity_"))
    assert f"{bad.resolve()}:{line}: severity_everything: unknown key" in err


def test_broken_config_exits_2_naming_file_and_line(tmp_path, capsys):
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text("baseline: privacy-policy\nsources:\n  tls:\n    - host: 127.0.0.1\n      port: 99999\n")
    assert main(["scan", "--config", str(cfg), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:5: sources.tls[0].port" in err and "Traceback" not in err


def test_missing_config_and_bad_options_exit_2(tmp_path, capsys):
    assert main(["scan", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["scan", "--fail-on", "sometimes"]) == 2
    assert main(["evaluate", "--evidence", str(tmp_path)]) == 2
    assert "no evidence index" in capsys.readouterr().err
    assert main(["checks", "show", "no.such.check"]) == 2


def test_unreadable_record_file_is_error_evidence_and_the_run_completes(org, tmp_path):
    (org.parent / "training.csv").unlink()
    out = tmp_path / "o"
    assert main(["scan", "--config", str(org), "--output", str(out), "--format", "json"]) == 1
    doc = json.loads((out / "results.json").read_text())
    training = [f for f in doc["findings"] if f["check_id"] == "records.training.annual_completion"]
    assert [f["status"] for f in training] == ["error"]
    assert "training.csv: file not found" in training[0]["message"]
    access = [f["status"] for f in doc["findings"] if f["check_id"] == "records.personnel.access_only_active"]
    assert access and set(access) == {"pass"}
    # the other sources are still judged: the attested security plan passes
    plan = {c["id"]: c["status"] for c in doc["controls"]}["PP-INCIDENT-RESPONSE"]
    assert plan == "pass"
    access = {f["status"] for f in doc["findings"] if f["check_id"] == "records.personnel.access_only_active"}
    assert access == {"pass"}


def test_init_writes_a_starter_that_validates(tmp_path, capsys):
    cfg = tmp_path / "vigil.yaml"
    assert main(["init", str(cfg)]) == 0
    assert main(["init", str(cfg)]) == 2  # never overwrites silently
    shutil.copytree(Path(__file__).parents[1] / "examples/demo", tmp_path / "records", dirs_exist_ok=True)
    (tmp_path / "records/training.csv").write_text("employee_id,course,completion_date\n")
    (tmp_path / "records/personnel.csv").write_text("employee_id,pii_access\ne1,no\n")
    assert main(["scan", "--config", str(cfg), "--output", str(tmp_path / "o"), "--format", "json"]) in (0, 1)


def test_checks_and_baselines_listing(capsys):
    assert main(["checks", "list", "--json"]) == 0
    ids = {row["id"] for row in json.loads(capsys.readouterr().out)}
    assert {"records.training.annual_completion", "records.training.known_people"} <= ids
    assert main(["checks", "show", "records.training.annual_completion"]) == 0
    shown = capsys.readouterr().out
    assert "training.max_age_days: 365" in shown and "Remediation:" in shown
    assert main(["baselines", "list"]) == 0
    assert "privacy-policy" in capsys.readouterr().out
    assert main(["baselines", "show", "privacy-policy"]) == 0
    assert "PP-TRAINING-ANNUAL" in capsys.readouterr().out


def test_report_rerenders_from_results_without_collecting(demo_run, tmp_path, capsys):
    assert (
        main(["report", str(demo_run / "results.json"), "--format", "json,csv", "--output", str(tmp_path)])
        == 0
    )
    assert _findings(tmp_path / "results.json") == _findings(demo_run / "results.json")
    rows = list(csv.DictReader((tmp_path / "findings.csv").open(encoding="utf-8-sig")))
    assert len(rows) == len(_findings(demo_run / "results.json"))
    assert main(["report", str(tmp_path / "findings.csv")]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_report_can_leave_fixed_findings_out_of_sarif(tmp_path):
    out = tmp_path / "out"
    assert main(["demo", "--output", str(out), "--format", "json"]) == 0
    org = out / "org"
    (org / "training.csv").write_text(
        (org / "training.csv").read_text().replace("x9999", "e1003")  # the unknown person is fixed
    )
    main(["scan", "--config", str(org / "vigil.yaml"), "--output", str(out), "--format", "json"])
    main(["report", str(out / "results.json"), "--format", "sarif"])
    states = [
        r.get("baselineState") for r in json.loads((out / "results.sarif").read_text())["runs"][0]["results"]
    ]
    assert "absent" in states
    main(["report", str(out / "results.json"), "--format", "sarif", "--sarif-omit-fixed"])
    states = [
        r.get("baselineState") for r in json.loads((out / "results.sarif").read_text())["runs"][0]["results"]
    ]
    assert "absent" not in states and "unchanged" in states


def test_demo_attested_findings_say_so_in_every_report(demo_run, tmp_path):
    formats = "json,csv,sarif,md,junit,html"
    assert (
        main(["report", str(demo_run / "results.json"), "--format", formats, "--output", str(tmp_path)]) == 0
    )
    doc = json.loads((tmp_path / "results.json").read_text())
    attested = {f["resource"]: f for f in doc["findings"] if f["attestation"]}
    assert set(attested) == {
        "document:security_plan",
        "dc:surveillance",
        "dc:disaster_equipment",
        "dc:dr_test",
    }
    plan = attested["document:security_plan"]
    assert plan["status"] == "pass" and plan["attestation"]["document"] == "security-plan.md"
    assert len(plan["attestation"]["sha256"]) == 64
    assert all("not machine-verified" in f["message"] for f in attested.values())
    # findings that a machine observed carry no attestation
    assert all(
        f["attestation"] is None for f in doc["findings"] if f["check_id"].startswith("records.training")
    )
    rows = {r["resource"]: r for r in csv.DictReader((tmp_path / "findings.csv").open(encoding="utf-8-sig"))}
    assert rows["dc:surveillance"]["attestation"].endswith("not machine-verified")
    assert rows["person:e1002"]["attestation"] == ""
    sarif = json.loads((tmp_path / "results.sarif").read_text())
    props = [r["properties"] for r in sarif["runs"][0]["results"] if "vigil-attestation" in r["properties"]]
    # SARIF lists the failing ones: both carry who attested what
    assert {p["vigil-attestation"]["subject"] for p in props} == {"dc_surveillance", "dr_test"}
    for name in ("junit.xml", "report.html"):
        assert "not machine-verified" in (tmp_path / name).read_text(), name
    # the summary lists blocking findings: with the gate at medium, the attested ones are among them
    from vigil.render import render

    doc["gate"]["fail_on"] = "medium"
    doc["findings"] = list(attested.values())
    summary = render(doc, "md", tmp_path / "medium").read_text()
    assert "surveillance attested does not cover retention" in summary and "not machine-verified" in summary


def test_demo_shows_failing_records_in_the_administrative_and_physical_domains(demo_run):
    doc = json.loads((demo_run / "results.json").read_text())
    failing = {(c["domain"], c["id"]) for c in doc["controls"] if c["status"] == "fail"}
    assert ("physical", "PP-DC-PHYSICAL-ACCESS") in failing and ("physical", "PP-DC-SURVEILLANCE") in failing
    assert ("administrative", "PP-BACKGROUND-CHECK") in failing
    entries = [f for f in doc["findings"] if f["check_id"] == "records.physical.dc_entries_authorised"]
    assert {f["status"] for f in entries} == {"pass", "fail"}
    assert any("B-7781 entered through DC1-Main at" in f["message"] for f in entries)

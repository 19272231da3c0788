"""JUnit XML: read back with junitparser the way CI systems do, counts and messages included."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from junitparser import Error, Failure, JUnitXml, Skipped

from tests.factories import make_results
from vigil.render import RenderContext, render

WAIVER = {
    "id": "W-002",
    "justification": "Vendor fix scheduled",
    "owner": "bob@example.com",
    "approver": "ciso@example.com",
    "expires": "2027-01-01T00:00:00+00:00",
}


def finding(check_id, resource, status, severity="high", message="m", **extra) -> dict:
    return {
        "check_id": check_id,
        "control_ids": ["PP-A"],
        "status": status,
        "severity": severity,
        "resource": resource,
        "message": message,
        "evidence": [],
        "fingerprint": f"{check_id}/{resource}",
        "location": extra.get("location"),
        "waiver": extra.get("waiver"),
    }


def small_results() -> dict:
    checks = {
        "aws.iam.mfa": {"title": "MFA", "severity": "high", "domain": "technical", "remediation": "Add MFA."},
        "records.training": {"title": "Training", "severity": "medium", "domain": "administrative"},
        "records.badges": {"title": "Badges", "severity": "low", "domain": "physical"},
    }
    return {
        "run": {
            "id": "run-1",
            "started_at": "2026-11-30T12:56:00+01:00",
            "finished_at": "2026-11-30T13:00:30+01:00",
        },
        "baseline": {"name": "privacy-policy"},
        "controls": [
            {"id": "PP-A", "title": "Accounts use MFA", "manual_procedure": "Ask HR for the badge list."}
        ],
        "checks": checks,
        "findings": [
            finding("aws.iam.mfa", "user/alice", "fail", message="no MFA device"),
            finding("aws.iam.mfa", "user/bob", "pass"),
            finding("aws.iam.mfa", "user/carol", "fail", waiver=WAIVER),
            finding("aws.iam.mfa", "src/app.py", "fail", location={"path": "src/app.py", "line": 7}),
            finding("records.training", "person:e1", "error", "medium", "evidence is stale"),
            finding("records.training", "person:e2", "not_applicable", message="not employed"),
            finding("records.badges", "site:berlin", "manual", "low", "no plugin provides it"),
        ],
    }


def junit(results: dict, tmp_path) -> JUnitXml:
    return JUnitXml.fromfile(str(render(results, "junit", tmp_path, RenderContext())))


def cases(xml: JUnitXml) -> dict[tuple[str, str], object]:
    return {(c.classname, c.name): c for suite in xml for c in suite}


def test_counts_follow_statuses_and_waived_failures_pass(tmp_path):
    xml = junit(small_results(), tmp_path)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (7, 2, 1, 2)
    by_case = cases(xml)
    assert len(by_case) == 7  # one testcase per (check, resource)
    assert by_case[("aws.iam.mfa", "user/bob")].is_passed
    waived = by_case[("aws.iam.mfa", "user/carol")]
    assert waived.is_passed
    assert "WAIVED W-002" in waived.system_out and "Vendor fix scheduled" in waived.system_out


def test_a_failure_carries_message_severity_and_what_to_do(tmp_path):
    alice = cases(junit(small_results(), tmp_path))[("aws.iam.mfa", "user/alice")]
    [failure] = alice.result
    assert isinstance(failure, Failure)
    assert failure.message == "no MFA device"
    assert failure.type == "high"
    assert "remediation: Add MFA." in failure.text
    assert "control: PP-A Accounts use MFA" in failure.text


def test_errors_and_skips_say_why(tmp_path):
    by_case = cases(junit(small_results(), tmp_path))
    [error] = by_case[("records.training", "person:e1")].result
    assert isinstance(error, Error) and error.message == "evaluation error: evidence is stale"
    [manual] = by_case[("records.badges", "site:berlin")].result
    assert isinstance(manual, Skipped) and manual.message == "manual: no plugin provides it"
    assert manual.text == "Ask HR for the badge list."  # the control's manual procedure
    [na] = by_case[("records.training", "person:e2")].result
    assert isinstance(na, Skipped) and na.message == "not applicable: not employed"
    [code] = by_case[("aws.iam.mfa", "src/app.py")].result
    assert "location: src/app.py:7" in code.text


def test_one_suite_per_domain_with_its_own_counts_and_a_utc_timestamp(tmp_path):
    suites = {s.name: s for s in junit(small_results(), tmp_path)}
    assert list(suites) == ["technical", "administrative", "physical"]
    tech = suites["technical"]
    assert (tech.tests, tech.failures, tech.errors, tech.skipped) == (4, 2, 0, 0)
    assert (suites["administrative"].errors, suites["administrative"].skipped) == (1, 1)
    assert tech.timestamp == "2026-11-30T12:00:30"
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.get("time") == "270.000"


def test_hostile_text_is_escaped_and_illegal_xml_characters_replaced(tmp_path):
    results = small_results()
    results["findings"][0]["resource"] = '"><script>alert(1)</script> & more'
    results["findings"][0]["message"] = "bell \x07 and nul \x00 ]]> end"
    by_case = cases(junit(results, tmp_path))
    [failure] = by_case[("aws.iam.mfa", '"><script>alert(1)</script> & more')].result
    assert failure.message == "bell \ufffd and nul \ufffd ]]> end"


def test_factory_document_counts_match_the_findings(tmp_path):
    results = make_results(500, 30, seed=4)
    xml = junit(results, tmp_path)
    fs = results["findings"]
    unwaived = [f for f in fs if not f["waiver"]]
    assert xml.tests == len(fs)
    assert xml.failures == sum(f["status"] == "fail" for f in unwaived)
    assert xml.errors == sum(f["status"] == "error" for f in unwaived)
    assert xml.skipped == sum(f["status"] in ("manual", "not_applicable") for f in fs)
    assert sum(s.tests for s in xml) == xml.tests

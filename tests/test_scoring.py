"""Scoring: control status precedence, weighted pass ratios, coverage, domains and the gate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vigil.model import Control, Finding, Waiver
from vigil.scoring import ControlResult, check_statuses, gate, score_control, score_run, worst
from vigil.waivers import apply_waivers


def _control(cid: str, checks: tuple[str, ...], domain: str = "administrative", weight: float = 1.0):
    return Control(
        id=cid,
        title=cid.title(),
        domain=domain,
        section="Information security measures",
        quote="…",
        frameworks={"iso27001": ("A.5.1",)},
        weight=weight,
        checks=checks,
    )


def _finding(check_id: str, status: str, severity: str = "high", resource: str = "person:e1001", **kw):
    return Finding(
        check_id=check_id,
        control_ids=("PP-X",),
        status=status,
        severity=severity,
        resource=resource,
        message=status,
        evidence=(),
        **kw,
    )


WAIVER = Waiver(
    id="W-1",
    scope="check",
    check="a",
    resource=None,
    justification="accepted until the roster migration",
    owner="it@acme.example",
    approver="dpo@acme.example",
    expires=None,
)


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["pass", "not_applicable", "manual", "error", "fail"], "fail"),
        (["pass", "manual", "error"], "error"),
        (["pass", "manual", "not_applicable"], "manual"),
        (["not_applicable", "pass"], "pass"),
        (["not_applicable"], "not_applicable"),
        ([], "not_applicable"),
    ],
)
def test_worst_status_precedence(statuses, expected):
    assert worst(statuses) == expected


def test_check_status_is_its_worst_finding_and_a_waived_one_is_waived_not_pass():
    findings = [
        _finding("a", "pass", resource="person:e1001"),
        _finding("a", "fail", resource="person:e1002", waiver=WAIVER),
        _finding("b", "pass", resource="person:e1001"),
        _finding("b", "error", resource="hr/roster.csv:4"),
        _finding("b", "fail", resource="person:e1002"),
        _finding("c", "not_applicable", resource="evidence:records.personnel"),
    ]
    assert check_statuses(findings) == {"a": "waived", "b": "fail", "c": "not_applicable"}


@pytest.mark.parametrize(
    "statuses, status, score, evaluated, applicable",
    [
        ({"a": "pass", "b": "pass"}, "pass", 1.0, 2, 2),
        ({"a": "pass", "b": "fail"}, "fail", 0.5, 2, 2),
        ({"a": "pass", "b": "error"}, "error", 0.5, 1, 2),  # error counts against, but is not evidence
        ({"a": "pass", "b": "manual"}, "manual", 1.0, 1, 2),  # manual is not judged
        ({"a": "manual", "b": "manual"}, "manual", None, 0, 2),
        ({"a": "pass", "b": "not_applicable"}, "pass", 1.0, 1, 1),
        ({"a": "not_applicable", "b": "not_applicable"}, "not_applicable", None, 0, 0),
        ({"a": "pass"}, "error", 0.5, 1, 2),  # a check without findings could not be judged
    ],
)
def test_score_control(statuses, status, score, evaluated, applicable):
    result = score_control(_control("PP-X", ("a", "b")), statuses)
    assert (result.status, result.score, result.evaluated, result.applicable) == (
        status,
        score,
        evaluated,
        applicable,
    )


def test_run_score_is_the_weighted_mean_of_control_pass_ratios():
    controls = [
        _control("PP-TRAINING", ("t1", "t2"), weight=2.0),  # 0.5
        _control("PP-ACCESS", ("a1",), weight=1.0),  # 1.0
        _control("PP-TLS", ("tls1", "tls2"), domain="technical"),  # 0.5: error counts against
        _control("PP-FIREWALL", ("manual.pp_firewall",), domain="technical"),  # not scored
        _control("PP-DC-ACCESS", ("manual.pp_dc_access",), domain="physical"),  # not scored
        _control("PP-BACKUP", ("b1",), domain="technical", weight=4.0),  # nothing applies
    ]
    statuses = {
        "t1": "pass",
        "t2": "fail",
        "a1": "pass",
        "tls1": "pass",
        "tls2": "error",
        "manual.pp_firewall": "manual",
        "manual.pp_dc_access": "manual",
        "b1": "not_applicable",
    }
    results = {c.id: score_control(c, statuses) for c in controls}
    scores = score_run(controls, results)
    assert scores["model"] == "weighted-control-pass-ratio"
    # score (2 * 0.5 + 1 * 1.0 + 1 * 0.5) / 4;
    # coverage: 4 pass/fail checks (t1 t2 a1 tls1) over 7 applicable (those, tls2 and both manual)
    assert scores["overall"] == {"score": 62.5, "coverage": 57.1, "controls": 6, "scored_controls": 3}
    assert scores["domains"]["administrative"] == {
        "score": 66.7,
        "coverage": 100.0,
        "controls": 2,
        "scored_controls": 2,
    }
    assert scores["domains"]["technical"] == {
        "score": 50.0,
        "coverage": 33.3,
        "controls": 3,
        "scored_controls": 1,
    }
    assert scores["domains"]["physical"] == {
        "score": None,
        "coverage": 0.0,
        "controls": 1,
        "scored_controls": 0,
    }


def test_score_is_none_when_nothing_is_scoreable():
    controls = [_control("PP-FIREWALL", ("manual.pp_firewall",)), _control("PP-BACKUP", ("b1",))]
    statuses = {"manual.pp_firewall": "manual", "b1": "not_applicable"}
    scores = score_run(controls, {c.id: score_control(c, statuses) for c in controls})
    assert scores["overall"] == {"score": None, "coverage": 0.0, "controls": 2, "scored_controls": 0}
    assert scores["domains"]["technical"] == {
        "score": None,
        "coverage": 0.0,
        "controls": 0,
        "scored_controls": 0,
    }


def test_waived_failure_leaves_the_pass_ratio_and_coverage_but_never_passes():
    control = _control("PP-TRAINING", ("a", "b"))
    fail = [_finding("a", "fail"), _finding("b", "pass")]
    waived = [_finding("a", "fail", waiver=WAIVER), _finding("b", "pass")]
    assert score_control(control, check_statuses(fail)) == ControlResult("fail", 0.5, 2, 2)
    # the waived check is neither a pass nor judged: the score rests on b alone, coverage on b alone
    assert score_control(control, check_statuses(waived)) == ControlResult("waived", 1.0, 1, 1)
    only_waived = [_finding("a", "fail", waiver=WAIVER)]
    result = score_control(_control("PP-X", ("a",)), check_statuses(only_waived))
    assert result.status == "waived" and result.score is None and result.applicable == 0


def test_an_error_is_never_waived_even_by_a_glob_on_every_check():
    broad = replace(WAIVER, scope="check", resource=None)
    findings = [_finding("a", "error", resource="evidence:records.training:lms.csv")]
    out, matched = apply_waivers(findings, [broad])
    assert out[0].waiver is None and matched == [0]
    assert gate(out, "high")["passed"] is False


FINDINGS = [
    _finding("aws.iam.root_mfa", "fail", "critical", "arn:aws:iam::123456789012:root", waiver=WAIVER),
    _finding("records.training.annual_completion", "fail", "high", "person:e1002"),
    _finding("records.training.known_people", "error", "medium", "lms/export.csv:9"),
    _finding("tls.protocols", "fail", "low", "portal.acme.example:443"),
    _finding("records.training.annual_completion", "pass", "high", "person:e1001"),
    _finding("manual.pp_firewall", "manual", "critical", "control:PP-FIREWALL"),
    _finding("records.personnel.access_only_active", "not_applicable", "high", "evidence:records.personnel"),
]


@pytest.mark.parametrize(
    "fail_on, blocking",
    [("critical", 0), ("high", 1), ("medium", 2), ("low", 3), ("info", 3), ("none", 0)],
)
def test_gate_levels(fail_on, blocking):
    assert gate(FINDINGS, fail_on) == {
        "fail_on": fail_on,
        "passed": blocking == 0,
        "blocking": blocking,
        "manual": 1,
    }


def test_manual_findings_never_block():
    manual = [_finding(f"manual.pp_{n}", "manual", "critical", f"control:PP-{n}") for n in range(5)]
    assert gate(manual, "info") == {"fail_on": "info", "passed": True, "blocking": 0, "manual": 5}


def test_a_tally_counted_batch_by_batch_gives_the_counts_of_the_whole_run():
    """The run counts its findings as they are judged (Tally): in any batches, the same statuses,
    open severities, waived count and gate as counting the whole list at once."""
    import random
    from collections import Counter

    from vigil.scoring import Tally

    rng = random.Random(4)
    waiver = Waiver("W-1", "check", "c1", None, "accepted", "own", "appr", None)
    findings = [
        _finding(
            rng.choice(["c1", "c2", "c3"]),
            rng.choice(["pass", "fail", "error", "manual", "not_applicable"]),
            rng.choice(["critical", "high", "medium", "low", "info"]),
            resource=f"r{i}",
        )
        for i in range(500)
    ]
    findings = [
        replace(f, waiver=waiver) if f.check_id == "c1" and f.status == "fail" else f for f in findings
    ]
    tally = Tally()
    for start in range(0, 500, 37):
        tally.add(findings[start : start + 37])
    assert tally.total == 500
    assert tally.by_status() == dict(Counter(f.status for f in findings))
    open_ = [f for f in findings if f.status in ("fail", "error") and f.waiver is None]
    assert tally.open_by_severity() == dict(Counter(f.severity for f in open_))
    assert tally.waived() == sum(1 for f in findings if f.waiver is not None) > 0
    assert tally.check_statuses() == check_statuses(findings)
    assert tally.check_statuses()["c1"] == "error"  # its fails are all waived: an error is the worst left
    for fail_on in ("critical", "medium", "info", "none"):
        blocking = sum(1 for f in open_ if fail_on != "none" and _rank(f.severity) >= _rank(fail_on))
        assert tally.gate(fail_on) == {
            "fail_on": fail_on,
            "passed": blocking == 0,
            "blocking": blocking,
            "manual": sum(1 for f in findings if f.status == "manual"),
        }


def _rank(severity: str) -> int:
    return ["info", "low", "medium", "high", "critical"].index(severity)

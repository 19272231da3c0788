"""Waivers: judged at the run's time, applied by check or by resource glob, accepted by the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.baseline import RawWaiver, load_baseline
from vigil.model import Finding
from vigil.scoring import check_statuses, gate
from vigil.waivers import apply_waivers, parse_waiver, parse_waivers

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ANNUAL = "records.training.annual_completion"
KNOWN = "records.training.known_people"


def _raw(where: str = "acme.yaml:20: waivers.items[0]", **changes) -> RawWaiver:
    data = {
        "id": "W-LEAVE",
        "check": ANNUAL,
        "resource": "person:e1003",
        "justification": "On parental leave; training booked for the week of return.",
        "owner": "chen.liu@acme.example",
        "approver": "dpo@acme.example",
        "expires": (AS_OF + timedelta(days=60)).isoformat(),
    }
    data.update(changes)
    return RawWaiver({k: v for k, v in data.items() if v is not None}, where)


def _finding(check_id: str, resource: str, status: str = "fail", severity: str = "high") -> Finding:
    return Finding(
        check_id=check_id,
        control_ids=("PP-TRAINING-ANNUAL",),
        status=status,
        severity=severity,
        resource=resource,
        message="last compliance training 2025-01-10, 689 days ago (limit 365)",
        evidence=("3b1f" * 16,),
    )


def test_active_waiver():
    waiver = parse_waiver(_raw(), AS_OF, warn_days=14, enabled=True)
    assert waiver.state == "active"
    assert waiver.problem is None
    assert waiver.days_left == 60
    assert waiver.scope == "resource" and waiver.resource == "person:e1003"
    assert waiver.expires == AS_OF + timedelta(days=60)


def test_expiring_within_warn_days():
    raw = _raw(expires=(AS_OF + timedelta(days=5, hours=2)).isoformat())
    waiver = parse_waiver(raw, AS_OF, warn_days=14, enabled=True)
    assert (waiver.state, waiver.days_left) == ("expiring", 5)
    assert parse_waiver(raw, AS_OF, warn_days=5, enabled=True).state == "active"


def test_expired_waiver():
    waiver = parse_waiver(_raw(expires="2026-11-29T12:00:00+00:00"), AS_OF, warn_days=14, enabled=True)
    assert waiver.state == "expired"
    assert waiver.problem == "expired 2026-11-29T12:00:00+00:00"
    assert waiver.days_left == -1


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"approver": None}, "approver is required"),
        ({"approver": "   "}, "approver is required"),
        ({"justification": None, "owner": None}, "justification is required; owner is required"),
        ({"expires": "2027-01-31"}, "expires '2027-01-31' has no timezone"),
        ({"expires": "2027-01-31T23:59:59"}, "has no timezone"),
        ({"expires": "end of January"}, "expires 'end of January' is not an ISO 8601 date and time"),
        ({"expires": None}, "expires is required"),
        ({"ticket": "SEC-42"}, "unknown key(s) ticket"),
        ({"scope": "team"}, "scope 'team' is not resource or check"),
        ({"scope": "resource", "resource": None}, "a resource-scoped waiver names its resource"),
    ],
)
def test_invalid_waivers_say_why_and_where(changes, problem):
    waiver = parse_waiver(_raw(**changes), AS_OF, warn_days=14, enabled=True)
    assert waiver.state == "invalid"
    assert waiver.problem.startswith("acme.yaml:20: waivers.items[0]: ")
    assert problem in waiver.problem


def test_waiver_without_id_is_named_by_where_it_was_written():
    waiver = parse_waiver(_raw(id=None), AS_OF, warn_days=14, enabled=True)
    assert waiver.state == "invalid" and waiver.id == "acme.yaml:20: waivers.items[0]"


def test_duplicate_id_makes_the_second_invalid():
    first, second = parse_waivers(
        [_raw(), _raw(where="acme.yaml:28: waivers.items[1]", resource="person:e1002")],
        AS_OF,
        warn_days=14,
        enabled=True,
    )
    assert first.state == "active"
    assert second.state == "invalid" and second.problem == "duplicate waiver id 'W-LEAVE'"


def test_a_duplicate_id_counts_its_own_matches_not_its_valid_twins():
    first, second = parse_waivers(
        [_raw(), _raw(where="acme.yaml:28: waivers.items[1]")],  # same id, same finding
        AS_OF,
        warn_days=14,
        enabled=True,
    )
    findings = [_finding(ANNUAL, "person:e1003"), _finding(ANNUAL, "person:e1002")]
    out, matched = apply_waivers(findings, [first, second])
    assert [f.waiver is first for f in out] == [True, False]
    assert matched == [1, 0]  # keyed by id, the invalid twin showed 1


def test_no_waivers_disables_every_valid_waiver():
    active, expired, invalid = parse_waivers(
        [
            _raw(),
            _raw(id="W-OLD", expires="2026-01-01T00:00:00+00:00"),
            _raw(id="W-BROKEN", approver=None),
        ],
        AS_OF,
        warn_days=14,
        enabled=False,
    )
    assert (active.state, active.problem) == ("disabled", "--no-waivers: not applied")
    assert invalid.state == "invalid"  # still reported as broken
    assert expired.state == "expired"  # and an expired one as expired, not merely switched off
    findings, matched = apply_waivers([_finding(ANNUAL, "person:e1003")], [active, expired, invalid])
    assert findings[0].waiver is None
    assert matched == [0, 0, 0]


def test_resource_glob_applies_only_to_matching_resources_of_its_check():
    [waiver] = parse_waivers([_raw(resource="person:e10*")], AS_OF, warn_days=14, enabled=True)
    findings = [
        _finding(ANNUAL, "person:e1002"),
        _finding(ANNUAL, "person:e1003", status="error"),
        _finding(ANNUAL, "person:x9999"),
        _finding(KNOWN, "person:e1004"),  # another check
        _finding(ANNUAL, "person:e1001", status="pass"),  # nothing to waive
    ]
    out, matched = apply_waivers(findings, [waiver])
    # an error finding is never waived: its evidence is missing or unreadable, not a known failure
    assert [f.waiver.id if f.waiver else None for f in out] == ["W-LEAVE", None, None, None, None]
    assert matched == [1]
    # the waived findings keep their real status
    assert [f.status for f in out] == ["fail", "error", "fail", "fail", "pass"]


def test_resource_match_is_case_sensitive_and_whole():
    [waiver] = parse_waivers([_raw(resource="person:E1003")], AS_OF, warn_days=14, enabled=True)
    out, _ = apply_waivers([_finding(ANNUAL, "person:e1003"), _finding(ANNUAL, "person:e10033")], [waiver])
    assert [f.waiver for f in out] == [None, None]


def test_check_scoped_waiver_covers_every_resource_of_its_check():
    raw = _raw(id="W-ROSTER", check=KNOWN, resource=None)
    [waiver] = parse_waivers([raw], AS_OF, warn_days=14, enabled=True)
    assert (waiver.scope, waiver.resource) == ("check", None)
    out, matched = apply_waivers(
        [_finding(KNOWN, "person:x9999"), _finding(KNOWN, "person:x9998"), _finding(ANNUAL, "person:x9999")],
        [waiver],
    )
    assert [f.waiver is not None for f in out] == [True, True, False]
    assert matched == [2]


def test_expired_and_invalid_waivers_do_not_apply():
    waivers = parse_waivers(
        [
            _raw(id="W-OLD", expires="2026-11-01T00:00:00+00:00"),
            _raw(id="W-NAIVE", expires="2027-01-01T00:00:00"),
        ],
        AS_OF,
        warn_days=14,
        enabled=True,
    )
    assert [w.state for w in waivers] == ["expired", "invalid"]
    out, matched = apply_waivers([_finding(ANNUAL, "person:e1003")], waivers)
    assert out[0].waiver is None and matched == [0, 0]


def test_an_expiring_waiver_still_applies():
    [waiver] = parse_waivers([_raw(expires="2026-12-02T12:00:00+00:00")], AS_OF, warn_days=14, enabled=True)
    assert waiver.state == "expiring"
    out, _ = apply_waivers([_finding(ANNUAL, "person:e1003")], [waiver])
    assert out[0].waiver == waiver


def test_gate_accepts_waived_findings_which_keep_their_status():
    findings = [
        _finding(ANNUAL, "person:e1003"),  # high fail, will be waived
        _finding(KNOWN, "person:x9999", severity="medium"),
        _finding(ANNUAL, "person:e1001", status="pass"),
    ]
    assert gate(findings, "high") == {"fail_on": "high", "passed": False, "blocking": 1, "manual": 0}
    waivers = parse_waivers([_raw()], AS_OF, warn_days=14, enabled=True)
    waived, _ = apply_waivers(findings, waivers)
    assert waived[0].status == "fail" and waived[0].waiver.id == "W-LEAVE"
    assert gate(waived, "high") == {"fail_on": "high", "passed": True, "blocking": 0, "manual": 0}
    assert gate(waived, "medium")["blocking"] == 1  # the unwaived medium fail
    assert check_statuses(waived) == {ANNUAL: "waived", KNOWN: "fail"}  # accepted risk, never a pass


def test_waivers_from_a_baseline_file_carry_their_line(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(
        "name: acme\n"
        "extends: privacy-policy\n"
        "waivers:\n"
        "  warn_days: 30\n"
        "  items:\n"
        "    - id: W-LEAVE\n"
        f"      check: {ANNUAL}\n"
        "      resource: person:e1003\n"
        "      justification: parental leave\n"
        "      owner: hr@acme.example\n"
        "      expires: 2026-12-20T00:00:00+00:00\n"
    )
    baseline = load_baseline(path)
    [waiver] = parse_waivers(baseline.waivers, AS_OF, baseline.warn_days, enabled=True)
    assert waiver.state == "invalid"
    assert waiver.problem == f"{path.name}:6: waivers.items[0]: approver is required"
    fixed = path.read_text().replace("      owner:", "      approver: dpo@acme.example\n      owner:")
    path.write_text(fixed)
    baseline = load_baseline(path)
    [waiver] = parse_waivers(baseline.waivers, AS_OF, baseline.warn_days, enabled=True)
    assert (waiver.state, waiver.days_left) == ("expiring", 19)  # within the baseline's 30 warn days


def test_waivers_that_look_wrong_are_not_applied():
    unknown, too_long, fine = parse_waivers(
        [
            _raw(id="W-TYPO", check="records.training.anual_completion"),
            _raw(id="W-LONG", expires="2031-01-01T00:00:00+00:00"),
            _raw(id="W-OK"),
        ],
        AS_OF,
        warn_days=14,
        enabled=True,
        max_days=365,
        known_checks={ANNUAL, KNOWN},
    )
    assert unknown.state == "invalid" and "not provided by any installed plugin" in unknown.problem
    assert too_long.state == "invalid" and "further ahead than waivers.max_days (365)" in too_long.problem
    assert fine.state in ("active", "expiring")

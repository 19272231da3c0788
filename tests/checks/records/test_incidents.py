"""Incidents: users told of personal-data breaches within the deadline; the security plan attested."""

from __future__ import annotations

from .support import outcomes, run

USERS = "records.incidents.users_notified"
PLAN = "records.incidents.security_plan"


def incident(iid: str, detected: str, notified: str | None, personal_data: bool = True) -> dict:
    return {
        "id": iid,
        "detected_at": detected,
        "personal_data": personal_data,
        "users_notified_at": notified,
        "severity": "high",
        "where": "incidents.csv:2",
    }


def test_notification_within_and_beyond_the_deadline():
    result = run(
        USERS,
        {
            "records.incidents": [
                incident("I1", "2026-10-01T08:00:00Z", "2026-10-02T20:00:00Z"),
                incident("I2", "2026-10-01T08:00:00Z", "2026-10-06T08:00:00Z"),
                incident("I3", "2026-11-01T08:00:00Z", None),
                incident("I4", "2026-11-29T12:00:00Z", None),
                incident("I5", "2026-11-01T08:00:00Z", None, personal_data=False),
                incident("I6", "2026-11-01T08:00:00Z", "2026-10-31T08:00:00Z"),
            ]
        },
    )
    assert result == {
        "incident:I1": ("pass", "users notified 36 h after detection (limit 72 h)"),
        "incident:I2": ("fail", "users notified 120 h after detection (limit 72 h)"),
        "incident:I3": ("fail", "users not notified 700 h after detection (limit 72 h)"),
        "incident:I4": ("pass", "users not notified yet; 48 h of the 72 h deadline left"),
        "incident:I6": ("error", "users notified before the incident was detected: the export is wrong"),
    }


def test_deadline_parameter_and_duplicated_ids():
    evidence = {"records.incidents": [incident("I1", "2026-10-01T08:00:00Z", "2026-10-02T20:00:00Z")]}
    assert run(USERS, evidence, incident__user_notification_hours=24)["incident:I1"][0] == "fail"
    twice = {"records.incidents": evidence["records.incidents"] * 2}
    assert run(USERS, twice) == {
        "incident:I1": ("error", "incident id I1 appears 2 times in the incident export; fix the export")
    }


def plan(**extra) -> dict:
    return {
        "id": "plan-v4",
        "subject": "security_plan",
        "covers": ["emergency_response", "monitoring", "user_notification"],
        "attester": "CISO",
        "attested_at": "2026-06-01",
        "expires": "2027-06-01",
        "statement": None,
        "document": "plan.pdf",
        "sha256": "ab" * 32,
        "where": "attestation plan-v4",
    } | extra


def test_attested_plan_passes_and_the_outcome_carries_the_attestation():
    [outcome] = outcomes(PLAN, {"records.attestations": [plan()]})
    assert outcome.status == "pass"
    assert "attested by CISO on 2026-06-01" in outcome.message and "not machine-verified" in outcome.message
    assert outcome.attestation == {
        "id": "plan-v4",
        "subject": "security_plan",
        "attester": "CISO",
        "attested_at": "2026-06-01",
        "expires": "2027-06-01",
        "document": "plan.pdf",
        "sha256": "ab" * 32,
    }


def test_plan_missing_a_part_too_old_or_expired():
    [partial] = outcomes(PLAN, {"records.attestations": [plan(covers=["monitoring"])]})
    assert (
        partial.status == "fail" and "does not cover emergency_response, user_notification" in partial.message
    )
    [old] = outcomes(PLAN, {"records.attestations": [plan(attested_at="2025-06-01", expires="2027-01-01")]})
    assert old.status == "fail" and "547 days ago (limit 365)" in old.message
    [expired] = outcomes(
        PLAN, {"records.attestations": [plan(attested_at="2025-12-01", expires="2026-11-01")]}
    )
    assert expired.status == "error" and "expired on 2026-11-01" in expired.message


def test_without_an_attestation_the_control_stays_manual():
    [outcome] = outcomes(PLAN, {"records.attestations": []})
    assert outcome.status == "manual" and outcome.attestation is None

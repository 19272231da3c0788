"""Physical: data-centre entries by authorised people only; surveillance and disaster controls attested."""

from __future__ import annotations

from .support import outcomes, run

ENTRIES = "records.physical.dc_entries_authorised"


def entry(at, door, pid=None, badge=None, result="granted", line=2) -> dict:
    return {
        "at": at,
        "door": door,
        "person_id": pid,
        "badge": badge,
        "result": result,
        "where": f"badge.csv:{line}",
    }


def allowed(pid, since=None, until=None) -> dict:
    return {"person_id": pid, "valid_from": since, "valid_until": until, "where": "auth.csv:2"}


def test_unauthorised_entries_are_findings_with_time_door_and_line():
    badges = [
        entry("2026-11-02T08:00:00Z", "DC1-Main", "e1", line=2),
        entry("2026-11-03T08:00:00Z", "DC1-Cage", "e1", line=3),
        entry("2026-11-04T09:15:00Z", "DC1-Cage", "e4", line=4),
        entry("2026-11-05T22:00:00Z", "dc1-main", None, "B-77", line=5),
        entry("2026-11-06T08:00:00Z", "DC1-Main", "e8", line=6),
        entry("2026-11-07T08:00:00Z", "DC1-Main", "e5", result="denied", line=7),
        entry("2026-11-07T08:00:00Z", "Office-Lobby", "e4", line=8),
    ]
    found = outcomes(
        ENTRIES,
        {
            "records.badge_logs": badges,
            "records.dc_authorised": [allowed("e1", "2024-01-01"), allowed("e8", None, "2026-10-31")],
        },
        physical__dc_doors=["DC1-*"],
    )
    result = {o.resource: (o.status, o.message) for o in found}
    assert result == {
        "entry:DC1-Cage:2026-11-04T09:15:00Z:e4": (
            "fail",
            "e4 entered through DC1-Cage at 2026-11-04T09:15:00Z: not on the authorised list",
        ),
        "entry:dc1-main:2026-11-05T22:00:00Z:badge B-77": (
            "fail",
            "badge B-77 entered through dc1-main at 2026-11-05T22:00:00Z: not on the authorised list",
        ),
        "entry:DC1-Main:2026-11-06T08:00:00Z:e8": (
            "fail",
            "e8 entered through DC1-Main at 2026-11-06T08:00:00Z: outside their authorisation",
        ),
        "person:e1": ("pass", "2 data-centre entries, all authorised"),
    }
    cited = {o.resource: o.cite["where"] for o in found if o.status == "fail"}
    assert cited["entry:DC1-Cage:2026-11-04T09:15:00Z:e4"] == "badge.csv:4"


def statement(subject, attested_at="2026-06-01", expires="2027-06-01", covers=()) -> dict:
    return {
        "id": f"{subject}-1",
        "subject": subject,
        "covers": sorted(covers),
        "attester": "Facility manager",
        "attested_at": attested_at,
        "expires": expires,
        "statement": "walked the site",
        "document": None,
        "sha256": None,
        "where": f"attestation {subject}-1",
    }


def test_surveillance_attested_with_coverage_and_retention():
    good = run(
        "records.physical.surveillance_attested",
        {"records.attestations": [statement("dc_surveillance", covers=["coverage", "retention"])]},
    )
    assert good["dc:surveillance"][0] == "pass" and "not machine-verified" in good["dc:surveillance"][1]
    bad = run(
        "records.physical.surveillance_attested",
        {"records.attestations": [statement("dc_surveillance", covers=["coverage"])]},
    )
    assert bad["dc:surveillance"][0] == "fail" and "does not cover retention" in bad["dc:surveillance"][1]
    none = run("records.physical.surveillance_attested", {"records.attestations": [statement("dr_test")]})
    assert none["dc:surveillance"][0] == "manual"


def test_disaster_controls_need_a_recent_inspection_and_dr_test():
    items = [statement("dc_disaster_equipment"), statement("dr_test", "2025-05-01", "2027-01-01")]
    result = run("records.physical.disaster_controls", {"records.attestations": items})
    assert result["dc:disaster_equipment"][0] == "pass"
    assert result["dc:dr_test"][0] == "fail" and "578 days ago (limit 365)" in result["dc:dr_test"][1]

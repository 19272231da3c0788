"""Physical security: data-centre entries only by authorised people; surveillance and disaster controls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase

from vigil.model import Outcome, fail, ok
from vigil.registry import check

from .common import attested

REFERENCES = ("https://www.iso.org/standard/27001", "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final")


def _authorised(entry: Mapping, grants: Mapping[str, list[Mapping]]) -> bool:
    when = entry["at"][:10]
    for grant in grants.get(entry["person_id"] or "", ()):
        if (not grant["valid_from"] or grant["valid_from"] <= when) and (
            not grant["valid_until"] or when <= grant["valid_until"]
        ):
            return True
    return False


@check(
    id="records.physical.dc_entries_authorised",
    title="Only people on the authorised list entered the data centre",
    severity="high",
    domain="physical",
    needs=["records.badge_logs", "records.dc_authorised"],
    params={"physical.dc_doors": ["*"]},
    references=REFERENCES,
    tags=["physical", "access"],
)
def dc_entries_authorised(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every granted badge entry at a data-centre door (a door or area matching physical.dc_doors, glob
    patterns, case-insensitive) must be by a person on the authorised list, within the period of their
    authorisation (UTC calendar day). Each other entry is a finding with its time and door; denied
    attempts show the control working and are not findings.

    Remediation: find out who entered and why, withdraw the badge's data-centre access, and review the
    badge system's access groups against the authorised list.
    """
    patterns = [p.lower() for p in params["physical.dc_doors"]]
    grants: dict[str, list[Mapping]] = defaultdict(list)
    for grant in evidence["records.dc_authorised"]:
        grants[grant["person_id"]].append(grant)
    fine: dict[str, list[Mapping]] = defaultdict(list)
    for entry in evidence["records.badge_logs"]:
        if entry["result"] != "granted" or not any(fnmatchcase(entry["door"].lower(), p) for p in patterns):
            continue
        if _authorised(entry, grants):
            fine[entry["person_id"]].append(entry)
            continue
        who = entry["person_id"] or f"badge {entry['badge'] or '(unknown)'}"
        why = (
            "not on the authorised list"
            if entry["person_id"] not in grants
            else "outside their authorisation"
        )
        yield fail(
            f"entry:{entry['door']}:{entry['at']}:{who}",
            f"{who} entered through {entry['door']} at {entry['at']}: {why}",
            cite=entry,
        )
    for pid in sorted(fine):
        entries = fine[pid]
        yield ok(
            f"person:{pid}",
            f"{len(entries)} data-centre entr{'y' if len(entries) == 1 else 'ies'}, all authorised",
        )


@check(
    id="records.physical.surveillance_attested",
    title="Data-centre surveillance coverage and recording retention are attested",
    severity="medium",
    domain="physical",
    needs=["records.attestations?"],
    params={
        "physical.surveillance_max_age_days": 365,
        "physical.surveillance_covers": ["coverage", "retention"],
    },
    references=REFERENCES,
    tags=["physical", "attested"],
)
def surveillance_attested(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Surveillance is attested (subject dc_surveillance) by the facility: the latest attestation must be
    unexpired, no older than physical.surveillance_max_age_days and cover physical.surveillance_covers
    (cameras cover every entrance and hall; recordings kept for the set period). Without one the control
    stays manual.

    Remediation: have the facility manager walk the camera plan, check recording retention and attest it.
    """
    yield attested(
        evidence["records.attestations"],
        "dc_surveillance",
        "dc:surveillance",
        "surveillance attested",
        params["now"].date(),
        params["physical.surveillance_max_age_days"],
        params["physical.surveillance_covers"],
    )


@check(
    id="records.physical.disaster_controls",
    title="Disaster-control equipment was inspected and disaster recovery tested within the year",
    severity="medium",
    domain="physical",
    needs=["records.attestations?"],
    params={"physical.inspection_max_age_days": 365, "physical.dr_test_max_age_days": 365},
    references=REFERENCES,
    tags=["physical", "attested", "continuity"],
)
def disaster_controls(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Two attestations: the inspection of disaster-control equipment (subject dc_disaster_equipment: fire
    suppression, power, cooling, flood sensors) within physical.inspection_max_age_days, and a
    disaster-recovery test (subject dr_test) within physical.dr_test_max_age_days. Without them the
    control stays manual.

    Remediation: schedule the equipment inspection and a restore test, and attest their reports.
    """
    today = params["now"].date()
    items = evidence["records.attestations"]
    yield attested(
        items,
        "dc_disaster_equipment",
        "dc:disaster_equipment",
        "equipment inspected",
        today,
        params["physical.inspection_max_age_days"],
    )
    yield attested(
        items,
        "dr_test",
        "dc:dr_test",
        "disaster-recovery test",
        today,
        params["physical.dr_test_max_age_days"],
    )

"""Compliance training: everyone who reaches personal data is trained every year, and records are genuine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import roster

TRAINING_REFERENCES = (
    "https://www.iso.org/standard/27001",
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
)


@check(
    id="records.training.annual_completion",
    title="Everyone with access to personal data completed compliance training within the year",
    severity="high",
    domain="administrative",
    needs=["records.personnel", "records.training"],
    params={"training.max_age_days": 365, "training.courses": [], "training.scope": "personal_data_access"},
    references=TRAINING_REFERENCES,
    tags=["training", "people"],
)
def annual_completion(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Each active person in scope must have completed a compliance course no longer ago than
    training.max_age_days. training.courses lists the course names that count (empty: every course
    in the export counts); training.scope is personal_data_access (the policy's data handlers) or all.

    Remediation: enrol the person in the compliance course and export the completion record;
    remove their access to personal data until they complete it.
    """
    people, problems = roster(evidence["records.personnel"])
    yield from problems
    courses = {c.lower() for c in params["training.courses"]}
    today: date = params["now"].date()
    latest: dict[str, Mapping] = {}  # person id -> their most recent counting training record
    for record in evidence["records.training"]:
        if courses and record["course"].lower() not in courses:
            continue
        best = latest.get(record["person_id"])
        if best is None or record["completed_at"] > best["completed_at"]:
            latest[record["person_id"]] = record
    limit = params["training.max_age_days"]
    ages: dict[str, int] = {}  # completion date -> days ago: a million people share a few hundred dates
    for pid, person in people.items():
        if person["status"] != "active":
            continue
        if params["training.scope"] != "all" and not person["personal_data_access"]:
            continue
        resource = f"person:{pid}"
        record = latest.get(pid)
        if record is None:
            yield fail(resource, "no compliance training on record", cite=person)
            continue
        done = record["completed_at"]
        age = ages.get(done)
        if age is None:
            age = ages[done] = (today - date.fromisoformat(done)).days
        cite = (person, record)
        if age < 0:
            yield error(resource, f"training dated {done} lies in the future: the export is wrong", cite=cite)
        elif age > limit:
            message = f"last compliance training {done}, {age} days ago (limit {limit})"
            yield fail(resource, message, cite=cite)
        else:
            yield ok(resource, f"trained {done}, {age} days ago (limit {limit})", cite=cite)


@check(
    id="records.training.known_people",
    title="Every training record belongs to a person on the roster",
    severity="medium",
    domain="administrative",
    needs=["records.personnel", "records.training"],
    references=TRAINING_REFERENCES,
    tags=["training", "people", "data-quality"],
)
def known_people(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A training record for someone the roster does not know is either a stale roster or a record that
    was not earned by an employee; either way the training evidence cannot be trusted as it stands.

    Remediation: reconcile the learning system with the HR roster: add the missing person to the
    roster export, or correct or remove the training record.
    """
    known = {p["id"]: p for p in evidence["records.personnel"]}
    records: dict[str, list[Mapping]] = {}
    for r in evidence["records.training"]:
        records.setdefault(r["person_id"], []).append(r)
    for pid in sorted(records):
        held = records[pid]
        n = len(held)
        person = known.get(pid)
        if person is not None:
            yield ok(f"person:{pid}", f"{n} training record(s), person on the roster", cite=(person, *held))
        else:
            yield fail(
                f"person:{pid}",
                f"{n} training record(s) for a person who is not on the roster",
                cite=tuple(held),
            )

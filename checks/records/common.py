"""What the records checks share: the roster by id, dates and times of records, attested outcomes."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime

from vigil.model import Outcome, error, fail, manual, ok


def roster(people: list[Mapping]) -> tuple[dict[str, Mapping], list[Outcome]]:
    """People by id; a duplicated id is an error, since we cannot tell which row is true."""
    return unique(people, "id", "person", "the roster")


def unique(
    items: Iterable[Mapping], key: str, prefix: str, what: str
) -> tuple[dict[str, Mapping], list[Outcome]]:
    """Items by key; an id that appears more than once is an error (the rows may disagree), not judged."""
    items = list(items)
    by_key = {i[key]: i for i in items}
    if len(by_key) == len(items):  # no id twice: the common case, in one pass
        return by_key, []
    counts = Counter(i[key] for i in items)
    rows: dict[str, list[Mapping]] = {k: [] for k, n in counts.items() if n > 1}
    for i in items:
        if i[key] in rows:
            rows[i[key]].append(i)
    problems = [
        error(
            f"{prefix}:{k}",
            f"{prefix} id {k} appears {len(rows[k])} times in {what}; fix the export",
            cite=tuple(rows[k]),  # every row that claims the id, so the finding names each line
        )
        for k in sorted(rows)
    ]
    return {i[key]: i for i in items if counts[i[key]] == 1}, problems


def day(text: str) -> date:
    return date.fromisoformat(text)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def iam_people(
    users: Iterable[Mapping], people: Mapping[str, Mapping]
) -> Iterator[tuple[Mapping, str | None]]:
    """(IAM user, person id or None): a `person_id`/`employee_id` tag, else a user name equal to the
    roster's username, e-mail or e-mail local part."""
    users = list(users)
    if not users:
        return  # no IAM users: the roster (a million people, say) need not be indexed by name
    names: dict[str, str] = {}
    for pid, person in people.items():
        for value in (person.get("username"), person.get("email")):
            if value:
                names.setdefault(value.lower(), pid)
        if person.get("email"):
            names.setdefault(person["email"].split("@")[0].lower(), pid)
    for user in users:
        tags = {str(k).lower().replace("-", "_"): str(v) for k, v in (user.get("tags") or {}).items()}
        pid = (
            tags.get("person_id")
            or tags.get("employee_id")
            or names.get(str(user.get("user_name", "")).lower())
        )
        yield user, pid


def attestation_ref(item: Mapping) -> dict:
    """What a finding shows of the attestation it rests on."""
    keys = ("id", "subject", "attester", "attested_at", "expires", "document", "sha256")
    return {k: item.get(k) for k in keys}


def attested(
    attestations: Iterable[Mapping],
    subject: str,
    resource: str,
    what: str,
    today: date,
    max_age_days: int | None = None,
    covers: Iterable[str] = (),
) -> Outcome:
    """Judge the latest attestation of a subject: none configured stays manual; expired is an error like
    stale evidence; too old or not covering what it must is a fail; else a pass shown as attested."""
    candidates = [a for a in attestations if a["subject"] == subject]
    if not candidates:
        return manual(
            resource,
            f"no {subject} attestation is configured (sources.attestations): follow the manual procedure",
        )
    item = max(candidates, key=lambda a: (a["attested_at"], a["id"]))
    ref = attestation_ref(item)
    note = f"attested by {item['attester']} on {item['attested_at']}"
    if item.get("sha256"):
        note += f", document {item['document']} (sha256 {item['sha256'][:12]}… verified)"
    note += "; not machine-verified"
    signed, expires = day(item["attested_at"]), day(item["expires"])
    basis = {"cite": item, "attestation": ref}
    if signed > today:
        return error(resource, f"attestation {item['id']} is dated in the future ({note})", **basis)
    if expires < today:
        return error(
            resource, f"attestation {item['id']} expired on {item['expires']}: renew it ({note})", **basis
        )
    age = (today - signed).days
    if max_age_days is not None and age > max_age_days:
        return fail(resource, f"{what} last attested {age} days ago (limit {max_age_days}) ({note})", **basis)
    missing = sorted({c.lower() for c in covers} - set(item.get("covers") or ()))
    if missing:
        return fail(resource, f"{what} does not cover {', '.join(missing)} ({note})", **basis)
    return ok(resource, f"{what}, {age} days ago ({note})", **basis)

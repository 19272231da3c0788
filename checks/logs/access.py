"""Who the logs show reaching personal data, and use of root or break-glass accounts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .evidence import LOG_REFERENCES, at, location, matches, records


def _keys(person: Mapping[str, Any]) -> set[str]:
    """The names a log may use for a person: user name, e-mail, its local part, the roster id."""
    keys = {str(person["id"]).lower()}
    for field in ("username", "email"):
        value = person.get(field)
        if value:
            keys.add(str(value).lower())
    email = person.get("email")
    if email and "@" in email:
        keys.add(email.split("@", 1)[0].lower())
    return keys


def people_index(people: list[Mapping], aliases: list[str]) -> dict[str, list[Mapping]]:
    by_id = {str(p["id"]).lower(): p for p in people}
    index: dict[str, list[Mapping]] = defaultdict(list)
    for person in people:
        for key in _keys(person):
            index[key].append(person)
    for alias in aliases:  # "principal=person-id" for accounts whose name says nothing about the person
        name, _, pid = alias.partition("=")
        if pid.strip().lower() in by_id:
            index[name.strip().lower()] = [by_id[pid.strip().lower()]]
    return index


def resolve(principal: str, index: Mapping[str, list[Mapping]]) -> list[Mapping]:
    """People a principal names: the whole name, else its last path segment (an IAM user ARN)."""
    lower = principal.lower()
    found = index.get(lower)
    if not found and "/" in lower:
        found = index.get(lower.rsplit("/", 1)[1])
    return list({id(p): p for p in found or ()}.values())


def _latest_training(training: list[Mapping], courses: set[str]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for record in training:
        if courses and str(record.get("course", "")).lower() not in courses:
            continue
        done = record.get("completed_at")
        if done and done > latest.get(record["person_id"], ""):
            latest[record["person_id"]] = done
    return latest


def _screened(checks: list[Mapping]) -> dict[str, list[Mapping]]:
    by_person: dict[str, list[Mapping]] = defaultdict(list)
    for item in checks:
        by_person[item["person_id"]].append(item)
    return by_person


def _problems(person, first_access: str, training: dict, screening: dict, params) -> list[str]:
    pid = person["id"]
    problems = []
    if person.get("status") != "active":
        problems.append(f"roster status {person.get('status')!r}")
    if not person.get("personal_data_access"):
        problems.append("not authorised for personal data in the roster")
    passing = {str(s).lower() for s in params["background_check.passing_statuses"]}
    clear = [
        c["completed_at"]
        for c in screening.get(pid, ())
        if str(c.get("status")).lower() in passing and c.get("completed_at")
    ]
    if not clear:
        states = sorted({str(c.get("status")) for c in screening.get(pid, ())})
        problems.append(f"no completed background check ({', '.join(states) or 'none on record'})")
    elif min(clear) > first_access[:10]:
        problems.append(
            f"background check completed {min(clear)}, after the first access {first_access[:10]}"
        )
    done = training.get(pid)
    limit = params["training.max_age_days"]
    if done is None:
        problems.append("no compliance training on record")
    else:
        age = (params["now"].date() - date.fromisoformat(done)).days
        if age > limit:
            problems.append(f"last compliance training {done}, {age} days ago (limit {limit})")
    return problems


@check(
    id="logs.access.personal_data_authorised",
    title="Only authorised, background-checked, trained people reached personal data",
    severity="high",
    domain="technical",
    needs=["logs.access", "records.personnel", "records.training", "records.background_checks"],
    params={
        "training.max_age_days": 365,
        "training.courses": [],
        "background_check.passing_statuses": ["clear"],
        "logs.service_accounts": [],
        "logs.principal_aliases": [],
    },
    references=LOG_REFERENCES,
    tags=["logs", "access", "people"],
)
def personal_data_authorised(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every principal the access logs show succeeding on a system or resource that holds personal data
    must be an active person on the roster, authorised for personal data, with a background check whose
    status is one of background_check.passing_statuses (clear) completed no later than the first access
    the logs show, and compliance training no older than
    training.max_age_days. A log principal is matched to a person, case-insensitively, by the roster's
    username, e-mail, the e-mail's local part or the person id (for an IAM user ARN, its last segment);
    logs.principal_aliases adds "principal=person-id" pairs. Principals matching logs.service_accounts
    (globs) are approved machine accounts; AWS service principals are not people and are skipped; a root
    account is never attributable to a person and fails.

    Remediation: revoke the principal's access to the personal-data system until the roster,
    background check and training records show it is authorised, or map a legitimate account to its
    owner with logs.principal_aliases.
    """
    index = people_index(evidence["records.personnel"], list(params["logs.principal_aliases"]))
    courses = {c.lower() for c in params["training.courses"]}
    training = _latest_training(evidence["records.training"], courses)
    screening = _screened(evidence["records.background_checks"])
    for source in records(evidence, "source"):
        if source["events_of_principals_not_kept"]:
            yield error(
                f"logs:{source['system']}",
                f"{source['events_of_principals_not_kept']} event(s) of principals beyond the "
                f"{source['principals']:,} the evidence keeps were not judged",
                cite=source,
            )
    for item in records(evidence, "principal"):
        if not item["personal_data_events"] or item["kind"] == "service":
            continue
        principal, first = item["principal"], item["personal_data_first"]
        resource = f"access:{item['system']}:{principal}"
        seen = f"{item['personal_data_events']} personal-data access(es) from {at(first)}"
        where = location(first)
        if item["kind"] == "root":
            yield fail(resource, f"root account: {seen}; not attributable to a person", where, cite=item)
            continue
        if matches(principal, params["logs.service_accounts"]):
            yield ok(resource, f"approved service account: {seen}", where, cite=item)
            continue
        people = resolve(principal, index)
        if not people:
            yield fail(
                resource, f"{seen} by {principal!r}, who matches nobody on the roster", where, cite=item
            )
            continue
        if len(people) > 1:
            ids = ", ".join(sorted(str(p["id"]) for p in people))
            yield error(
                resource, f"{principal!r} matches several people ({ids}); add an alias", where, cite=item
            )
            continue
        person = people[0]
        problems = _problems(person, first["time"], training, screening, params)
        who = f"{principal} (person {person['id']})"
        if problems:
            yield fail(resource, f"{who}: {seen}, but {'; '.join(problems)}", where, cite=item)
        else:
            yield ok(resource, f"{who}: authorised, screened and trained; {seen}", where, cite=item)


@check(
    id="logs.access.root_use",
    title="Root and break-glass accounts are not used",
    severity="high",
    domain="technical",
    needs=["logs.access"],
    params={"logs.breakglass_accounts": ["breakglass*", "break-glass*", "emergency*"]},
    references=LOG_REFERENCES,
    tags=["logs", "privileged-access"],
)
def root_use(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Work is done with named, least-privileged accounts. Any use of an AWS root user, a root login or
    `su` to root on a host, or an account matching logs.breakglass_accounts (globs) is a finding to be
    reviewed: who, when and why, with the emergency ticket that justified it. The finding names the
    first and last use and, for su, the people who switched to root.

    Remediation: confirm each use against an approved emergency ticket, rotate the root or break-glass
    credentials afterwards, and give the task a named role so it does not need root again.
    """
    used: dict[str, int] = defaultdict(int)
    for item in records(evidence, "principal"):
        if item["kind"] != "root" and not matches(item["principal"], params["logs.breakglass_accounts"]):
            continue
        if item["events"] == item["logins_failed"]:
            continue  # only failed attempts: brute force, judged by logs.auth.brute_force
        used[item["system"]] += 1
        what = "root account" if item["kind"] == "root" else "break-glass account"
        via = f", via {', '.join(item['via'])}" if item.get("via") else ""
        yield fail(
            f"account:{item['system']}:{item['principal']}",
            f"{what} {item['principal']} used {item['events'] - item['logins_failed']} time(s){via}: "
            f"first {at(item['first_event'])}, last {at(item['last_event'])}",
            location(item["first_event"]),
            cite=item,
        )
    for source in records(evidence, "source"):
        if not used[source["system"]]:
            yield ok(
                f"logs:{source['system']}",
                f"no root or break-glass use in {source['events']} event(s), "
                f"{source['first']} to {source['last']}",
                cite=source,
            )

"""Background checks: everyone who reaches personal data passed one before that access began."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import day, iam_people, roster

REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",  # PS-3 personnel screening
    "https://www.iso.org/standard/27001",  # A.6.1 screening
)


def _access_start(
    evidence: Mapping, people: Mapping[str, Mapping], today: date
) -> tuple[dict[str, list[tuple[str | None, str, Mapping]]], list[Outcome]]:
    """Person id -> [(date access began or None, where from, item)] for current personal-data access,
    from the roster, the access-list export and AWS IAM users; accounts that trace to no one are fails."""
    access: dict[str, list[tuple[str | None, str, Mapping]]] = defaultdict(list)
    findings: list[Outcome] = []
    for pid, person in people.items():
        if person["personal_data_access"] and person["status"] == "active":
            access[pid].append((person.get("start_date"), "employment with personal-data access", person))
    for grant in evidence.get("records.access_list", ()):
        if not grant["personal_data"] or (grant["revoked_at"] and day(grant["revoked_at"]) <= today):
            continue
        access[grant["person_id"]].append((grant["granted_at"], f"access to {grant['system']}", grant))
    for user, pid in iam_people(evidence.get("aws.iam.users", ()), people):
        if pid is None:
            if user.get("password_enabled"):  # a console login is a person; key-only users are machines
                findings.append(
                    fail(
                        str(user.get("arn")),
                        "IAM user with a console password traces to no one on the roster "
                        "(tag it person_id=<roster id> or match a roster username)",
                        cite=user,
                    )
                )
            continue
        created = str(user.get("create_date") or "")[:10] or None
        access[pid].append((created, f"AWS IAM user {user.get('user_name')}", user))
    return access, findings


@check(
    id="records.background_checks.before_access",
    title="Everyone with access to personal data passed a background check before that access began",
    severity="high",
    domain="administrative",
    needs=["records.personnel", "records.background_checks", "records.access_list?", "aws.iam.users?"],
    params={"background_check.passing_statuses": ["clear"]},
    references=REFERENCES,
    tags=["people", "screening", "access"],
)
def before_access(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The policy lets only employees who passed the background check reach the data. Everyone with
    personal-data access (the roster's flag, the access-list export, AWS IAM users traced to a person by a
    person_id tag or their username) needs a check with a passing status (background_check.passing_statuses)
    completed no later than the day their access began (the roster's start_date, the grant's granted_at,
    the IAM user's creation). An access-list holder who is not on the roster fails.

    Remediation: suspend the person's access to personal data until a background check is completed, and
    make granting access wait for a passed check in the provisioning workflow.
    """
    people, problems = roster(evidence["records.personnel"])
    yield from problems
    today = params["now"].date()
    passing = {s.lower() for s in params["background_check.passing_statuses"]}
    access, findings = _access_start(evidence, people, today)
    yield from findings
    checks: dict[str, list[Mapping]] = defaultdict(list)
    for record in evidence["records.background_checks"]:
        checks[record["person_id"]].append(record)
    for pid in sorted(access):
        resource = f"person:{pid}"
        grants = access[pid]
        if pid not in people:
            systems = ", ".join(sorted({how for _, how, _ in grants}))
            yield fail(resource, f"has {systems} but is not on the roster", cite=tuple(g for *_, g in grants))
            continue
        done = [c for c in checks.get(pid, ()) if c["status"] in passing and c["completed_at"]]
        if not done:
            statuses = ", ".join(sorted({c["status"] for c in checks.get(pid, ())})) or "none on record"
            yield fail(resource, f"has personal-data access but no passed background check ({statuses})")
            continue
        first = min(done, key=lambda c: c["completed_at"])
        if day(first["completed_at"]) > today:
            yield error(
                resource, f"background check dated {first['completed_at']} lies in the future", cite=first
            )
            continue
        starts = sorted((since, how) for since, how, _ in grants if since)
        if starts and starts[0][0] < first["completed_at"]:
            since, how = starts[0]
            yield fail(
                resource,
                f"background check completed {first['completed_at']}, after {how} began on {since}",
                cite=first,
            )
        else:
            yield ok(resource, f"background check {first['status']} on {first['completed_at']}", cite=first)

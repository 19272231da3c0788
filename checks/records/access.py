"""Access control records: holders are authorised, systems reviewed on time, removals and leavers done."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import day, iam_people, roster

REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",  # AC-2 account management, AC-6, PS-4
    "https://www.iso.org/standard/27001",  # A.5.18 access rights
)


def _live(grant: Mapping, today) -> bool:
    return not grant["revoked_at"] or day(grant["revoked_at"]) > today


@check(
    id="records.access_list.holders_authorised",
    title="Only active employees cleared for personal data hold access to personal-data systems",
    severity="high",
    domain="administrative",
    needs=["records.personnel", "records.access_list"],
    references=REFERENCES,
    tags=["access", "people"],
)
def holders_authorised(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every live grant on a system holding personal data (the access-list export) must belong to a person
    on the roster who is active and whose roster entry allows personal-data access.

    Remediation: revoke the grant, or correct the roster if the person is entitled to the access.
    """
    people, problems = roster(evidence["records.personnel"])
    yield from problems
    today = params["now"].date()
    for grant in evidence["records.access_list"]:
        if not grant["personal_data"] or not _live(grant, today):
            continue
        pid = grant["person_id"]
        resource = f"access:{grant['system']}:{grant['account'] or pid}"
        person = people.get(pid)
        if person is None:
            yield fail(resource, f"held by {pid}, who is not on the roster", cite=grant)
        elif person["status"] != "active":
            yield fail(resource, f"held by {pid}, whose status is {person['status']!r}", cite=grant)
        elif not person["personal_data_access"]:
            yield fail(
                resource, f"held by {pid}, whom the roster does not clear for personal data", cite=grant
            )
        else:
            yield ok(resource, f"held by active, cleared employee {pid}", cite=grant)


@check(
    id="records.access_reviews.interval",
    title="Every system holding personal data had its access reviewed within the interval",
    severity="medium",
    domain="administrative",
    needs=["records.access_reviews", "records.access_list?"],
    params={"access_review.max_interval_days": 90},
    references=REFERENCES,
    tags=["access", "review"],
)
def review_interval(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Systems in scope are those the access-list export marks as holding personal data, and every system
    in the review export. Each needs a review no older than access_review.max_interval_days.

    Remediation: run the overdue access review (owner confirms each account), and export its record.
    """
    today = params["now"].date()
    limit = params["access_review.max_interval_days"]
    latest: dict[str, Mapping] = {}
    names: dict[str, str] = {}
    for review in evidence["records.access_reviews"]:
        key = review["system"].lower()
        names.setdefault(key, review["system"])
        if key not in latest or review["reviewed_at"] > latest[key]["reviewed_at"]:
            latest[key] = review
    for grant in evidence["records.access_list"]:
        if grant["personal_data"]:
            names.setdefault(grant["system"].lower(), grant["system"])
    for key in sorted(names):
        resource = f"system:{names[key]}"
        review = latest.get(key)
        if review is None:
            yield fail(resource, "holds personal data and has no access review on record")
            continue
        age = (today - day(review["reviewed_at"])).days
        if age < 0:
            yield error(resource, f"review dated {review['reviewed_at']} lies in the future", cite=review)
        elif age > limit:
            yield fail(
                resource,
                f"last access review {review['reviewed_at']}, {age} days ago (limit {limit})",
                cite=review,
            )
        else:
            yield ok(
                resource,
                f"access reviewed {review['reviewed_at']}, {age} days ago (limit {limit})",
                cite=review,
            )


@check(
    id="records.access_reviews.removals_done",
    title="Accounts a review marked for removal were removed",
    severity="high",
    domain="administrative",
    needs=["records.access_reviews", "records.access_list?"],
    references=REFERENCES,
    tags=["access", "review"],
)
def removals_done(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A review decision `remove` needs a removal date, and the account must not still be live on the
    access-list export (when one is configured).

    Remediation: remove the account the review found inappropriate and record the removal date.
    """
    today = params["now"].date()
    live = {
        (g["system"].lower(), (g["account"] or g["person_id"]).lower())
        for g in evidence["records.access_list"]
        if _live(g, today)
    }
    for review in evidence["records.access_reviews"]:
        if review["decision"] != "remove" or not review["account"]:
            continue
        resource = f"access:{review['system']}:{review['account']}"
        if (review["system"].lower(), review["account"].lower()) in live:
            yield fail(
                resource,
                f"marked for removal on {review['reviewed_at']} but still on the access list",
                cite=review,
            )
        elif not review["removed_at"]:
            yield fail(
                resource, f"marked for removal on {review['reviewed_at']}, no removal on record", cite=review
            )
        else:
            yield ok(resource, f"marked {review['reviewed_at']}, removed {review['removed_at']}", cite=review)


@check(
    id="records.personnel.leavers_disabled",
    title="Leavers' accounts are disabled within the offboarding deadline",
    severity="high",
    domain="administrative",
    needs=["records.personnel", "records.access_list?", "aws.iam.users?"],
    params={"offboarding.max_days": 1},
    references=REFERENCES,
    tags=["access", "people", "offboarding"],
)
def leavers_disabled(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A person whose end_date has passed must have every access-list grant revoked no later than
    offboarding.max_days after that date, and no AWS IAM user (traced by person_id tag or username) with
    a console password or an active access key.

    Remediation: disable the leaver's accounts now, and trigger revocation from the HR leaving date.
    """
    people, problems = roster(evidence["records.personnel"])
    yield from problems
    today = params["now"].date()
    limit = params["offboarding.max_days"]
    grants: dict[str, list[Mapping]] = defaultdict(list)
    for grant in evidence["records.access_list"]:
        grants[grant["person_id"]].append(grant)
    for user, pid in iam_people(evidence["aws.iam.users"], people):
        if pid is not None:
            grants[pid].append(user)
    for pid, person in people.items():
        if not person.get("end_date") or day(person["end_date"]) > today:
            continue
        end = day(person["end_date"])
        late = []
        for item in grants.get(pid, ()):
            if "system" in item:
                revoked = day(item["revoked_at"]) if item["revoked_at"] else None
                days = ((revoked or today) - end).days
                if days > limit:
                    state = f"revoked {days} days after" if revoked else f"still live {days} days after"
                    late.append((f"{item['system']} {state}", item))
            elif user_active(item) and (today - end).days > limit:
                late.append((f"AWS IAM user {item.get('user_name')} still enabled", item))
        resource = f"person:{pid}"
        if late:
            detail = "; ".join(text for text, _ in late)
            yield fail(
                resource,
                f"left {person['end_date']}: {detail} (limit {limit} day(s))",
                cite=tuple(i for _, i in late),
            )
        else:
            yield ok(
                resource,
                f"left {person['end_date']}: {len(grants.get(pid, ()))} account(s), all disabled in time",
            )


def user_active(user: Mapping) -> bool:
    keys = user.get("access_keys") or ()
    return bool(user.get("password_enabled")) or any(
        str(k.get("status", "")).lower() == "active" for k in keys
    )

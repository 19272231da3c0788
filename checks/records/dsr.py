"""Data-subject requests: answered within business days on the organisation's holiday calendar."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import moment, unique

REFERENCES = ("https://gdpr-info.eu/art-12-gdpr/", "https://www.iso.org/standard/27701")
CALENDAR = {
    "calendar.country": "",  # ISO 3166 code of the public-holiday calendar (python-holidays); "" = none
    "calendar.subdivision": "",  # state or province, e.g. BY for Bavaria
    "calendar.holidays": [],  # extra closing days, YYYY-MM-DD (company holidays)
    "calendar.weekend": [5, 6],  # weekdays that are not business days, Monday = 0
    "calendar.timezone": "UTC",  # the zone in which a request's day is counted
}


class Calendar:
    """Business days: not a weekend day, not a public holiday of the country, not an extra closing day."""

    def __init__(self, params: Mapping) -> None:
        self.zone = UTC if params["calendar.timezone"] == "UTC" else ZoneInfo(params["calendar.timezone"])
        self.weekend = frozenset(params["calendar.weekend"])
        self.extra = frozenset(date.fromisoformat(d) for d in params["calendar.holidays"])
        self.country = params["calendar.country"]
        self.subdivision = params["calendar.subdivision"] or None

    def local_day(self, when: datetime) -> date:
        return when.astimezone(self.zone).date()

    def is_business_day(self, d: date) -> bool:
        if d.weekday() in self.weekend or d in self.extra:
            return False
        return not (self.country and d in _public(self.country, self.subdivision, d.year))

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after `start` up to and including `end` (the day a request arrives is day 0)."""
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            count += self.is_business_day(d)
        return count


@lru_cache(maxsize=64)
def _public(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _calendar(params: Mapping) -> Calendar | Outcome:
    try:
        cal = Calendar(params)
        if cal.country:
            _public(cal.country, cal.subdivision, params["now"].year)
        return cal
    except (NotImplementedError, KeyError, ValueError) as exc:
        return error("parameter:calendar", f"the holiday calendar cannot be built: {exc}")


def _tickets(evidence: Mapping, params: Mapping, want) -> Iterator[Outcome | Mapping]:
    tickets, problems = unique(evidence["records.dsr_tickets"], "id", "dsr", "the ticket export")
    yield from problems
    for _, ticket in sorted(tickets.items()):
        if want(ticket):
            yield ticket


def _deadline(ticket: Mapping, cal: Calendar, now: datetime, limit: int, unit: str) -> Outcome:
    """Judge one ticket against a business-day limit."""
    resource = f"dsr:{ticket['id']}"
    received = moment(ticket["received_at"])
    start = cal.local_day(received)
    if ticket["answered_at"]:
        answered = moment(ticket["answered_at"])
        if answered < received:
            return error(resource, "answered before it was received: the export is wrong", cite=ticket)
        used = cal.business_days_between(start, cal.local_day(answered))
        text = f"{ticket['type']} request answered after {used} {unit} (limit {limit})"
        return (fail if used > limit else ok)(resource, text, cite=ticket)
    used = cal.business_days_between(start, cal.local_day(now))
    if used > limit:
        return fail(
            resource, f"{ticket['type']} request unanswered after {used} {unit} (limit {limit})", cite=ticket
        )
    return ok(resource, f"{ticket['type']} request open, {used} of {limit} {unit} used", cite=ticket)


@check(
    id="records.dsr.answered_in_time",
    title="Data-subject requests are answered within five business days",
    severity="high",
    domain="administrative",
    needs=["records.dsr_tickets"],
    params={"dsr.max_business_days": 5, "dsr.early_deletion_types": ["early_deletion"], **CALENDAR},
    references=REFERENCES,
    tags=["privacy", "dsr"],
)
def answered_in_time(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every request not flagged complex (and not an early-deletion request, which has its own deadline)
    must be answered within dsr.max_business_days business days of receipt, counted on the holiday
    calendar (calendar.country, calendar.subdivision, calendar.holidays, calendar.weekend) in
    calendar.timezone. An open request fails once it is past the deadline.

    Remediation: answer the overdue request, and add a business-day due date to the ticket queue.
    """
    cal = _calendar(params)
    if isinstance(cal, Outcome):
        yield cal
        return
    early = {t.lower() for t in params["dsr.early_deletion_types"]}
    limit = params["dsr.max_business_days"]
    for item in _tickets(evidence, params, lambda t: not t["complex"] and t["type"] not in early):
        yield (
            item if isinstance(item, Outcome) else _deadline(item, cal, params["now"], limit, "business days")
        )


@check(
    id="records.dsr.complex_within_30_days",
    title="Complex requests are answered within 30 days, the user told in advance",
    severity="medium",
    domain="administrative",
    needs=["records.dsr_tickets"],
    params={"dsr.complex_max_days": 30, "dsr.max_business_days": 5, **CALENDAR},
    references=REFERENCES,
    tags=["privacy", "dsr"],
)
def complex_within_30_days(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A request flagged complex must be answered within dsr.complex_max_days calendar days of receipt,
    and the user must have been told of the extension (progress_notified_at) within the normal
    dsr.max_business_days business days.

    Remediation: send the requester a progress notice as soon as a request turns out complex, and answer
    it within 30 days.
    """
    cal = _calendar(params)
    if isinstance(cal, Outcome):
        yield cal
        return
    now, limit, notice = params["now"], params["dsr.complex_max_days"], params["dsr.max_business_days"]
    for ticket in _tickets(evidence, params, lambda t: t["complex"]):
        if isinstance(ticket, Outcome):
            yield ticket
            continue
        resource = f"dsr:{ticket['id']}"
        received = moment(ticket["received_at"])
        start = cal.local_day(received)
        problems = []
        if ticket["progress_notified_at"]:
            told = cal.business_days_between(start, cal.local_day(moment(ticket["progress_notified_at"])))
            if told > notice:
                problems.append(f"user told of the extension after {told} business days (limit {notice})")
        elif cal.business_days_between(start, cal.local_day(now)) > notice or ticket["answered_at"]:
            problems.append("user not told of the extension in advance")
        end = moment(ticket["answered_at"]) if ticket["answered_at"] else now
        days = (cal.local_day(end) - start).days
        if days > limit:
            state = "answered" if ticket["answered_at"] else "still open"
            problems.append(f"{state} after {days} days (limit {limit})")
        if problems:
            yield fail(resource, f"complex {ticket['type']} request: {'; '.join(problems)}", cite=ticket)
        else:
            state = "answered" if ticket["answered_at"] else "open"
            yield ok(
                resource,
                f"complex {ticket['type']} request {state} after {days} days, user told in advance",
                cite=ticket,
            )


@check(
    id="records.dsr.early_deletion_checked",
    title="Early-deletion requests are checked within 15 working days",
    severity="medium",
    domain="administrative",
    needs=["records.dsr_tickets"],
    params={
        "dsr.early_deletion_working_days": 15,
        "dsr.early_deletion_types": ["early_deletion"],
        **CALENDAR,
    },
    references=REFERENCES,
    tags=["privacy", "dsr", "retention"],
)
def early_deletion_checked(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A request of a type in dsr.early_deletion_types must be answered (feasibility checked and the user
    told) within dsr.early_deletion_working_days working days, on the same holiday calendar.

    Remediation: answer the request with the result and its basis, and track the 15-working-day deadline.
    """
    cal = _calendar(params)
    if isinstance(cal, Outcome):
        yield cal
        return
    early = {t.lower() for t in params["dsr.early_deletion_types"]}
    limit = params["dsr.early_deletion_working_days"]
    for item in _tickets(evidence, params, lambda t: t["type"] in early):
        yield (
            item if isinstance(item, Outcome) else _deadline(item, cal, params["now"], limit, "working days")
        )

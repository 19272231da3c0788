"""Each data-subject right the policy grants is honoured: its requests in the ticket export were answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from vigil.model import Outcome, fail, ok
from vigil.registry import check

from .common import moment
from .dsr import CALENDAR, REFERENCES, Calendar, _calendar, _deadline, _tickets

# right -> (the ticket types that exercise it, the check title); a ticket's type is matched lower-case
RIGHTS = {
    "access": (["access"], "Requests to access personal data are answered"),
    "correction": (["correction", "rectification"], "Requests to correct personal data are answered"),
    "deletion": (["deletion", "erasure", "early_deletion"], "Requests to delete personal data are answered"),
    "objection_restriction": (
        ["objection", "restriction"],
        "Objections to and restrictions of processing are answered",
    ),
    "portability": (["portability"], "Requests to receive personal data in a portable form are answered"),
}


def _judge(ticket: Mapping, cal: Calendar, params: Mapping) -> Outcome:
    """A plain request is due in dsr.max_business_days business days; a complex one in
    dsr.complex_max_days calendar days (records.dsr.complex_within_30_days judges how it was announced)."""
    if not ticket["complex"]:
        return _deadline(ticket, cal, params["now"], params["dsr.max_business_days"], "business days")
    resource, limit = f"dsr:{ticket['id']}", params["dsr.complex_max_days"]
    start = cal.local_day(moment(ticket["received_at"]))
    end = moment(ticket["answered_at"]) if ticket["answered_at"] else params["now"]
    days = (cal.local_day(end) - start).days
    state = "answered" if ticket["answered_at"] else "still open"
    text = f"complex {ticket['type']} request {state} after {days} days (limit {limit})"
    return (fail if days > limit else ok)(resource, text, cite=ticket)


def _right_check(right: str, types: list[str], title: str) -> Callable:
    def judge(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
        cal = _calendar(params)
        if isinstance(cal, Outcome):
            yield cal
            return
        wanted = {t.lower() for t in params[f"dsr.types.{right}"]}
        for item in _tickets(evidence, params, lambda t: t["type"] in wanted):
            yield item if isinstance(item, Outcome) else _judge(item, cal, params)

    judge.__name__ = f"{right}_answered"
    judge.__qualname__ = judge.__name__
    judge.__doc__ = f"""The policy grants users this right; the ticket export shows whether it is honoured.
    Every request whose type is listed in dsr.types.{right} must be answered: within dsr.max_business_days
    business days on the holiday calendar, or, flagged complex, within dsr.complex_max_days days. An
    open request past its deadline fails; no such request in the export is not applicable.

    Remediation: answer the overdue request, and give the ticket queue a due date for this kind of
    request.
    """
    return check(
        id=f"records.dsr.{right}_answered",
        title=title,
        severity="high",
        domain="administrative",
        needs=["records.dsr_tickets"],
        params={
            f"dsr.types.{right}": types,
            "dsr.max_business_days": 5,
            "dsr.complex_max_days": 30,
            **CALENDAR,
        },
        references=REFERENCES,
        tags=["privacy", "dsr", "rights"],
    )(judge)


for _right, (_types, _title) in RIGHTS.items():
    _right_check(_right, _types, _title)

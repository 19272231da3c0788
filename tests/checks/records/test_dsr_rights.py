"""Each data-subject right: its requests in the ticket export were answered on time."""

from __future__ import annotations

import pytest

from vigil import registry
from vigil.baseline import load_baseline

from .support import run
from .test_dsr import ticket

RIGHTS = {
    "access": "access",
    "correction": "rectification",
    "deletion": "erasure",
    "objection_restriction": "restriction",
    "portability": "portability",
}


@pytest.mark.parametrize("right, kind", sorted(RIGHTS.items()))
def test_each_right_judges_only_its_own_requests(right, kind):
    evidence = {
        "records.dsr_tickets": [
            # Monday to Wednesday: two business days
            ticket("ON-TIME", "2026-11-02T09:00:00Z", "2026-11-04T09:00:00Z", type=kind),
            # Monday to the Wednesday after: eight business days
            ticket("LATE", "2026-11-02T09:00:00Z", "2026-11-11T09:00:00Z", type=kind),
            # nobody answered for four weeks
            ticket("OPEN", "2026-11-02T09:00:00Z", type=kind),
            # another right's request is not this check's business
            ticket("OTHER", "2026-11-02T09:00:00Z", type="something_else"),
        ]
    }
    found = run(f"records.dsr.{right}_answered", evidence)
    assert found == {
        "dsr:ON-TIME": ("pass", f"{kind} request answered after 2 business days (limit 5)"),
        "dsr:LATE": ("fail", f"{kind} request answered after 7 business days (limit 5)"),
        "dsr:OPEN": ("fail", f"{kind} request unanswered after 20 business days (limit 5)"),
    }


def test_a_complex_request_has_thirty_days():
    evidence = {
        "records.dsr_tickets": [
            ticket("C1", "2026-10-01T09:00:00Z", "2026-10-25T09:00:00Z", type="portability", complex=True),
            ticket("C2", "2026-10-01T09:00:00Z", type="portability", complex=True),
        ]
    }
    assert run("records.dsr.portability_answered", evidence) == {
        "dsr:C1": ("pass", "complex portability request answered after 24 days (limit 30)"),
        "dsr:C2": ("fail", "complex portability request still open after 60 days (limit 30)"),
    }


def test_no_request_of_a_right_yields_nothing_and_every_right_proves_its_control():
    assert (
        run("records.dsr.correction_answered", {"records.dsr_tickets": [ticket("A", "2026-11-02T09:00:00Z")]})
        == {}
    )

    controls = {c.id: c.checks for c in load_baseline("privacy-policy").controls}
    for right, control in [
        ("access", "PP-DSR-ACCESS"),
        ("correction", "PP-DSR-CORRECTION"),
        ("deletion", "PP-DSR-DELETION"),
        ("objection_restriction", "PP-DSR-OBJECTION-RESTRICTION"),
        ("portability", "PP-DSR-PORTABILITY"),
    ]:
        assert f"records.dsr.{right}_answered" in controls[control]
        assert registry.checks.get(f"records.dsr.{right}_answered").description.startswith(
            "The policy grants"
        )

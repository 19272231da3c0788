"""Marketing: explicit opt-in before every send; no send after an unsubscribe."""

from __future__ import annotations

from .support import run

OPT_IN = "records.marketing.opt_in_before_send"
UNSUB = "records.marketing.unsubscribe_honoured"


def ev(who: str, event: str, at: str, explicit=None, campaign=None) -> dict:
    return {
        "recipient": who,
        "event": event,
        "at": at,
        "explicit": explicit,
        "campaign": campaign,
        "where": "m.jsonl:1",
    }


def test_explicit_opt_in_before_send_passes_others_fail():
    events = [
        ev("a@x", "opt_in", "2026-01-01T10:00:00Z", True),
        ev("a@x", "send", "2026-02-01T10:00:00Z", campaign="spring"),
        ev("b@x", "send", "2026-02-01T10:00:00Z", campaign="spring"),
        ev("b@x", "opt_in", "2026-03-01T10:00:00Z", True),
        ev("c@x", "opt_in", "2026-01-01T10:00:00Z", False),
        ev("c@x", "send", "2026-02-01T10:00:00Z"),
        ev("d@x", "opt_in", "2026-01-01T10:00:00Z", True),  # never sent to: not judged
    ]
    assert run(OPT_IN, {"records.marketing": events}) == {
        "recipient:a@x": ("pass", "1 send(s), each after an explicit opt-in"),
        "recipient:b@x": ("fail", "sent spring at 2026-02-01T10:00:00Z: no opt-in before it"),
        "recipient:c@x": (
            "fail",
            "sent marketing at 2026-02-01T10:00:00Z: the opt-in of 2026-01-01T10:00:00Z is not explicit",
        ),
    }


def test_unsubscribe_honoured_until_a_new_explicit_opt_in():
    events = [
        ev("a@x", "opt_in", "2026-01-01T10:00:00Z", True),
        ev("a@x", "unsubscribe", "2026-02-01T10:00:00Z"),
        ev("a@x", "send", "2026-02-02T10:00:00Z", campaign="feb"),
        ev("b@x", "opt_in", "2026-01-01T10:00:00Z", True),
        ev("b@x", "unsubscribe", "2026-02-01T10:00:00Z"),
        ev("b@x", "opt_in", "2026-03-01T10:00:00Z", True),
        ev("b@x", "send", "2026-03-02T10:00:00Z"),
    ]
    assert run(UNSUB, {"records.marketing": events}) == {
        "recipient:a@x": ("fail", "unsubscribed 2026-02-01T10:00:00Z, then sent feb at 2026-02-02T10:00:00Z"),
        "recipient:b@x": ("pass", "unsubscribe honoured: no send afterwards"),
    }
    assert (
        run(UNSUB, {"records.marketing": events}, marketing__unsubscribe_grace_hours=48)["recipient:a@x"][0]
        == "pass"
    )

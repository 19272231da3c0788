"""Marketing consent: sends only after an explicit opt-in, and never after an unsubscribe."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import timedelta

from vigil.model import Outcome, fail, ok
from vigil.registry import check

from .common import moment

REFERENCES = ("https://gdpr-info.eu/art-7-gdpr/", "https://gdpr-info.eu/art-21-gdpr/")
ORDER = {"opt_in": 0, "unsubscribe": 1, "send": 2}  # same second: consent changes before the send


def _timelines(evidence: Mapping) -> dict[str, list[Mapping]]:
    events: dict[str, list[Mapping]] = defaultdict(list)
    for event in evidence["records.marketing"]:
        events[event["recipient"]].append(event)
    for items in events.values():
        items.sort(key=lambda e: (e["at"], ORDER[e["event"]]))
    return events


@check(
    id="records.marketing.opt_in_before_send",
    title="Marketing goes only to recipients with an explicit, timestamped opt-in before the send",
    severity="high",
    domain="technical",
    needs=["records.marketing"],
    references=REFERENCES,
    tags=["privacy", "consent", "marketing"],
)
def opt_in_before_send(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Before every send to a recipient, their latest consent event must be an opt-in marked explicit (the
    user ticked the box). An opt-in that is not explicit (pre-ticked, implied) does not count.

    Remediation: stop sending to the recipient, and collect consent with an unticked box that records
    its time and wording.
    """
    for recipient, events in sorted(_timelines(evidence).items()):
        consent: Mapping | None = None
        bad = None
        sends = 0
        for event in events:
            if event["event"] == "send":
                sends += 1
                if consent is None or consent["event"] != "opt_in" or consent["explicit"] is not True:
                    bad = (event, consent)
                    break
            else:
                consent = event
        if not sends:
            continue
        resource = f"recipient:{recipient}"
        if bad:
            send, prior = bad
            if prior is None:
                why = "no opt-in before it"
            elif prior["event"] == "unsubscribe":
                why = f"unsubscribed {prior['at']}"
            else:
                why = f"the opt-in of {prior['at']} is not explicit"
            yield fail(resource, f"sent {send['campaign'] or 'marketing'} at {send['at']}: {why}", cite=send)
        else:
            yield ok(resource, f"{sends} send(s), each after an explicit opt-in", cite=consent)


@check(
    id="records.marketing.unsubscribe_honoured",
    title="Unsubscribed recipients receive no further marketing",
    severity="high",
    domain="technical",
    needs=["records.marketing"],
    params={"marketing.unsubscribe_grace_hours": 0},
    references=REFERENCES,
    tags=["privacy", "consent", "marketing"],
)
def unsubscribe_honoured(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """After an unsubscribe, no send may reach the recipient (later than marketing.unsubscribe_grace_hours)
    until they opt in again explicitly.

    Remediation: sync the suppression list into every sending tool before each campaign.
    """
    grace = timedelta(hours=params["marketing.unsubscribe_grace_hours"])
    for recipient, events in sorted(_timelines(evidence).items()):
        left: Mapping | None = None
        broken = None
        seen = False
        for event in events:
            if event["event"] == "unsubscribe":
                left, seen = event, True
            elif event["event"] == "opt_in" and event["explicit"] is True:
                left = None
            elif event["event"] == "send" and left and moment(event["at"]) > moment(left["at"]) + grace:
                broken = (event, left)
                break
        if not seen:
            continue
        resource = f"recipient:{recipient}"
        if broken:
            send, unsub = broken
            message = (
                f"unsubscribed {unsub['at']}, then sent {send['campaign'] or 'marketing'} at {send['at']}"
            )
            yield fail(resource, message, cite=(unsub, send))
        else:
            yield ok(resource, "unsubscribe honoured: no send afterwards", cite=left)

"""Physical-security records: badge-system entries and the data centre's list of authorised people."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.model import CollectContext, Collected
from vigil.registry import collector

from .parsing import Field, RecordType, choice, load_records, parse_date, parse_text, parse_timestamp

BADGE_LOGS = RecordType(
    "badge event",
    (
        Field("at", parse_timestamp, required=True),
        Field("door", parse_text, required=True),
        Field("person_id", parse_text),  # empty: the badge belongs to nobody on record
        Field("badge", parse_text),
        Field("result", choice("granted", "denied"), default="granted"),
    ),
)
DC_AUTHORISED = RecordType(
    "data-centre authorisation",
    (
        Field("person_id", parse_text, required=True),
        Field("valid_from", parse_date),
        Field("valid_until", parse_date),
    ),
)


@collector(
    name="records.badge_logs",
    kind="records.badge_logs",
    source="badge_logs",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "at", "result"),
)
def badge_logs(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Badge-system entries: when, which door, whose badge, granted or denied."""
    return load_records(target, ctx, BADGE_LOGS)


@collector(
    name="records.dc_authorised",
    kind="records.dc_authorised",
    source="dc_authorised",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "valid_from", "valid_until"),
)
def dc_authorised(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """The list of people authorised to enter the data centre, with the period of their authorisation."""
    return load_records(target, ctx, DC_AUTHORISED)

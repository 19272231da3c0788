"""Privacy-process records: data-subject requests, retention, marketing consent, vendor agreements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.model import CollectContext, Collected
from vigil.registry import collector

from .parsing import (
    Field,
    RecordType,
    choice,
    load_records,
    parse_bool,
    parse_date,
    parse_lower,
    parse_text,
    parse_timestamp,
)

DSR_TICKETS = RecordType(
    "data-subject request",
    (
        Field("id", parse_text, required=True),
        Field("type", parse_lower, required=True),
        Field("received_at", parse_timestamp, required=True),
        Field("answered_at", parse_timestamp),
        Field("complex", parse_bool, default=False),
        Field("progress_notified_at", parse_timestamp),
    ),
)
DATA_INVENTORY = RecordType(
    "data inventory",
    (
        Field("id", parse_text, required=True),
        Field("category", parse_lower, required=True),
        # when the retention period starts: resolution, account closure, transaction date
        Field("trigger_at", parse_date, required=True),
        Field("deleted_at", parse_date),  # empty: still stored
    ),
)
MARKETING = RecordType(
    "marketing event",
    (
        Field("recipient", parse_lower, required=True),
        Field("event", choice("opt_in", "send", "unsubscribe"), required=True),
        Field("at", parse_timestamp, required=True),
        Field("explicit", parse_bool),  # for opt_in: the user ticked the box themselves
        Field("campaign", parse_text),
    ),
)
VENDOR_AGREEMENTS = RecordType(
    "vendor agreement",
    (
        Field("vendor", parse_text, required=True),
        Field("personal_data", parse_bool, required=True),
        Field("agreement", parse_lower),  # dpa, nda, confidentiality ...; empty: none on file
        Field("signed_at", parse_date),
        Field("expires_at", parse_date),
        Field("data_since", parse_date),  # first transfer of personal data
    ),
)


@collector(
    name="records.dsr_tickets",
    kind="records.dsr_tickets",
    source="dsr_tickets",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "received_at", "answered_at", "progress_notified_at"),
)
def dsr_tickets(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Data-subject requests from the ticket system: type, received, answered, complex, progress notice."""
    return load_records(target, ctx, DSR_TICKETS)


@collector(
    name="records.data_inventory",
    kind="records.data_inventory",
    source="data_inventory",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "trigger_at", "deleted_at"),
)
def data_inventory(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Stored records by category with the date their retention starts and when they were deleted; a
    data-inventory export or the deletion job's log."""
    return load_records(target, ctx, DATA_INVENTORY)


@collector(
    name="records.marketing",
    kind="records.marketing",
    source="marketing",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "event", "at"),
)
def marketing(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Marketing events per recipient: opt-ins (explicit or not), sends and unsubscribes, timestamped."""
    return load_records(target, ctx, MARKETING)


@collector(
    name="records.vendor_agreements",
    kind="records.vendor_agreements",
    source="vendor_agreements",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "signed_at", "expires_at", "data_since"),
)
def vendor_agreements(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Vendors, whether they receive personal data, and their signed confidentiality or DPA agreements."""
    return load_records(target, ctx, VENDOR_AGREEMENTS)

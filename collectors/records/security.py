"""Security-process records: penetration tests with their findings, and security incidents."""

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
    parse_text,
    parse_timestamp,
)

PENTESTS = RecordType(
    "penetration test",
    (
        Field("test", parse_text, required=True),
        Field("performed_at", parse_date, required=True),
        Field("scope", parse_text),
        Field("finding", parse_text),  # empty: a row for a test with no findings
        Field("severity", choice("critical", "high", "medium", "low", "info")),
        Field("status", choice("open", "closed", "waived")),
        Field("closed_at", parse_date),
        Field("waived_until", parse_date),
    ),
)
INCIDENTS = RecordType(
    "incident",
    (
        Field("id", parse_text, required=True),
        Field("detected_at", parse_timestamp, required=True),
        Field("personal_data", parse_bool, required=True),
        Field("users_notified_at", parse_timestamp),
        Field("severity", parse_text),
    ),
)


@collector(
    name="records.pentests",
    kind="records.pentests",
    source="pentests",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "performed_at", "severity", "status", "closed_at", "waived_until"),
)
def pentests(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Penetration tests and their findings: one row per finding, or one per test without findings."""
    return load_records(target, ctx, PENTESTS)


@collector(
    name="records.incidents",
    kind="records.incidents",
    source="incidents",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "detected_at", "users_notified_at"),
)
def incidents(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Security incidents: detection time, whether personal data was hit, when users were notified."""
    return load_records(target, ctx, INCIDENTS)

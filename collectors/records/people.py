"""People records: the roster, training, background checks, who has access to what, and access reviews."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.model import CollectContext, Collected
from vigil.registry import collector

from .parsing import Field, RecordType, choice, load_records, parse_bool, parse_date, parse_lower, parse_text

PERSONNEL = RecordType(
    "personnel",
    (
        Field("id", parse_text, required=True),
        Field("name", parse_text),
        Field("email", parse_text),
        Field("department", parse_text),
        Field("role", parse_text),
        Field("status", lambda v, o: parse_lower(v, o) or "active", default="active"),
        Field("personal_data_access", parse_bool, required=True),
        # added later: present in a record only when the export has them
        Field("username", parse_text, omit_empty=True),
        Field("start_date", parse_date, omit_empty=True),
        Field("end_date", parse_date, omit_empty=True),
    ),
)
TRAINING = RecordType(
    "training",
    (
        Field("person_id", parse_text, required=True),
        Field("course", parse_text, required=True),
        Field("completed_at", parse_date, required=True),
    ),
)
BACKGROUND_CHECKS = RecordType(
    "background check",
    (
        Field("person_id", parse_text, required=True),
        Field("completed_at", parse_date),  # empty: not completed
        Field("status", parse_lower, required=True),
    ),
)
ACCESS_LIST = RecordType(
    "access list",
    (
        Field("person_id", parse_text, required=True),
        Field("system", parse_text, required=True),
        Field("personal_data", parse_bool, required=True),
        Field("account", parse_text),
        Field("granted_at", parse_date),
        Field("revoked_at", parse_date),
    ),
)
ACCESS_REVIEWS = RecordType(
    "access review",
    (
        Field("system", parse_text, required=True),
        Field("reviewed_at", parse_date, required=True),
        Field("reviewer", parse_text),
        Field("account", parse_text),
        Field("decision", choice("keep", "remove"), default="keep"),
        Field("removed_at", parse_date),
    ),
)


@collector(
    name="records.personnel",
    kind="records.personnel",
    source="personnel",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "personal_data_access"),
)
def personnel(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """The personnel roster: who works here, whether they are active, whether they reach personal data."""
    return load_records(target, ctx, PERSONNEL)


@collector(
    name="records.training",
    kind="records.training",
    source="training",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "completed_at"),
)
def training(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Training completions exported from a learning system: person, course, completion date."""
    return load_records(target, ctx, TRAINING)


@collector(
    name="records.background_checks",
    kind="records.background_checks",
    source="background_checks",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "completed_at", "status"),
)
def background_checks(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Background-check results from the screening provider: person, completion date, status."""
    return load_records(target, ctx, BACKGROUND_CHECKS)


@collector(
    name="records.access_list",
    kind="records.access_list",
    source="access_list",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "granted_at", "revoked_at"),
)
def access_list(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Who has access to which system, whether it holds personal data, since when (and until when)."""
    return load_records(target, ctx, ACCESS_LIST)


@collector(
    name="records.access_reviews",
    kind="records.access_reviews",
    source="access_reviews",
    cpu_bound=True,
    ttl=timedelta(days=7),
    plain=("where", "reviewed_at", "decision", "removed_at"),
)
def access_reviews(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Access reviews: system, review date, reviewer, and per account the decision and its removal date."""
    return load_records(target, ctx, ACCESS_REVIEWS)

"""The model: controls, checks, collectors, evidence, findings and waivers, as frozen dataclasses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info 0 .. critical 4
STATUSES = ("pass", "fail", "error", "manual", "not_applicable")
DOMAINS = ("technical", "administrative", "physical")


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    domain: str
    section: str
    quote: str
    frameworks: Mapping[str, tuple[str, ...]]
    weight: float = 1.0
    checks: tuple[str, ...] = ()
    manual_procedure: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """A registered check: metadata from the decorator, logic in `func`."""

    id: str
    title: str
    description: str
    remediation: str
    severity: str
    domain: str
    needs: tuple[str, ...]
    params: Mapping[str, Any]
    references: tuple[str, ...]
    tags: tuple[str, ...]
    func: Callable[..., Any] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Collector:
    """A registered collector: a plain function of one target that returns evidence data."""

    name: str
    version: str
    kind: str  # the evidence kind it produces, which checks name in `needs`
    source: str  # the config key under `sources:` whose entries are its targets
    ttl: timedelta  # evidence older than this is stale
    description: str
    func: Callable[..., Any] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one collector saw of one target at one time; judged later, never re-collected by a check."""

    kind: str
    collector: str
    collector_version: str
    source: str
    target: str
    collected_at: datetime
    expires_at: datetime
    data: Any  # JSON-compatible, already redacted
    # parts of the target that could not be read: {"where": "file.csv:7", "message": "..."}
    problems: tuple[Mapping[str, str], ...] = ()
    error: str | None = None  # the whole collection failed
    sha256: str = ""
    status: str = "ok"  # ok | error | stale | tampered, set when loaded for evaluation


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check yields for one resource; the engine turns it into a Finding."""

    status: str
    resource: str
    message: str
    location: Mapping[str, Any] | None = None


def ok(resource: str, message: str = "compliant", location: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("pass", resource, message, location)


def fail(resource: str, message: str, location: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("fail", resource, message, location)


def error(resource: str, message: str, location: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("error", resource, message, location)


def manual(resource: str, message: str) -> Outcome:
    return Outcome("manual", resource, message)


def not_applicable(resource: str, message: str) -> Outcome:
    return Outcome("not_applicable", resource, message)


@dataclass(frozen=True, slots=True)
class Waiver:
    id: str
    scope: str  # resource | check
    check: str
    resource: str | None
    justification: str
    owner: str
    approver: str
    expires: datetime | None
    state: str = "active"  # active | expiring | expired | invalid | disabled
    problem: str | None = None
    days_left: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    control_ids: tuple[str, ...]
    status: str
    severity: str
    resource: str
    message: str
    evidence: tuple[str, ...]
    location: Mapping[str, Any] | None = None
    waiver: Waiver | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check_id, self.resource)


def fingerprint(check_id: str, resource: str) -> str:
    """Stable across runs: the same check about the same resource is the same finding."""
    return hashlib.sha256(f"{check_id}\x00{resource}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Collected:
    """A collector's result when part of the target could not be read (the rest still counts)."""

    data: Any
    problems: tuple[Mapping[str, str], ...] = ()

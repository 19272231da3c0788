"""The model: controls, checks, collectors, evidence, findings and waivers, as frozen dataclasses."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

# re-exported: collectors and checks import only vigil.model and vigil.registry
from vigil.errors import UserError as UserError
from vigil.files import MAX_FILE_BYTES, open_regular

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
    plain: tuple[str, ...] = ()  # fields of its data that cannot hold a secret: redaction skips them
    # it parses rather than waits (a records export): a large one runs in a worker process (vigil.collect)
    cpu_bound: bool = False
    # optional: turns one config entry into several plain-dict sub-targets, each its own task
    # (e.g. an AWS account into account x region x service units); None: the entry is one task
    expand: Callable[[Mapping[str, Any]], list[Mapping[str, Any]]] | None = field(
        default=None, compare=False, repr=False
    )


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
    collection: Mapping[str, Any] | None = None  # how the collection went (API requests, retries, time)
    sha256: str = ""
    status: str = "ok"  # ok | error | stale | tampered, set when loaded for evaluation


# not frozen, though never changed once made: a run makes millions, and a frozen dataclass takes three
# times as long to make (every field is set through object.__setattr__)
@dataclass(slots=True)
class Outcome:
    """What a check yields for one resource; the engine turns it into a Finding.

    `cite` is the evidence item (an object the check received in its evidence view), or a tuple of
    them, that the outcome rests on; the engine turns it into the id of the evidence document it came
    from (and, for records, their `where`). Without it the finding cites every document of the kinds
    the check reads, as one evidence set."""

    status: str
    resource: str
    message: str
    location: Mapping[str, Any] | None = None
    cite: Any = field(default=None, compare=False, repr=False)
    # the outcome rests on a person's attestation, not on a machine's observation: who attested what,
    # when, until when, and the sha256 of the attested document (reports show it as attested)
    attestation: Mapping[str, Any] | None = None


def ok(
    resource: str,
    message: str = "compliant",
    location: Mapping[str, Any] | None = None,
    *,
    cite: Any = None,
    attestation: Mapping[str, Any] | None = None,
) -> Outcome:
    return Outcome("pass", resource, message, location, cite, attestation)


def fail(
    resource: str,
    message: str,
    location: Mapping[str, Any] | None = None,
    *,
    cite: Any = None,
    attestation: Mapping[str, Any] | None = None,
) -> Outcome:
    return Outcome("fail", resource, message, location, cite, attestation)


def error(
    resource: str,
    message: str,
    location: Mapping[str, Any] | None = None,
    *,
    cite: Any = None,
    attestation: Mapping[str, Any] | None = None,
) -> Outcome:
    return Outcome("error", resource, message, location, cite, attestation)


def manual(resource: str, message: str, *, cite: Any = None) -> Outcome:
    return Outcome("manual", resource, message, cite=cite)


def not_applicable(resource: str, message: str, *, cite: Any = None) -> Outcome:
    return Outcome("not_applicable", resource, message, cite=cite)


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


@dataclass(slots=True)  # not frozen, like Outcome: made millions of times, never changed
class Finding:
    check_id: str
    control_ids: tuple[str, ...]
    status: str
    severity: str
    resource: str
    message: str
    evidence: tuple[str, ...]  # evidence document ids, or one evidence set id ("set:...")
    location: Mapping[str, Any] | None = None
    waiver: Waiver | None = None
    where: tuple[str, ...] = ()  # records the finding rests on: "file.csv:12", "file.json:[3]"
    attestation: Mapping[str, Any] | None = None  # attested, not machine-verified (see Outcome)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check_id, self.resource)


def fingerprint(check_id: str, resource: str) -> str:
    """Stable across runs: the same check about the same resource is the same finding."""
    return hashlib.sha256(f"{check_id}\x00{resource}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CollectContext:
    """What a collector may know besides its target, and the one way it opens the files a config names."""

    base_dir: Path  # relative paths in the config are relative to this
    now: Callable[[], datetime]
    max_file_bytes: int = MAX_FILE_BYTES  # limits.max_file_mb in vigil.yaml
    # this run's evidence folder: a collector may reuse a fresh document of its own found there (resume)
    evidence_dir: Path | None = None

    def path(self, name: str | os.PathLike) -> Path:
        """The file a config entry names, relative paths taken from the config's folder."""
        path = Path(name)
        return path if path.is_absolute() else self.base_dir / path

    def open_binary(self, name: str | os.PathLike) -> BinaryIO:
        """Open a regular file for reading, refusing FIFOs, devices and folders (which would hang the run
        or never end) and files over max_file_bytes; errors name the file as the config does."""
        return open_regular(self.path(name), name, self.max_file_bytes)


@dataclass(frozen=True, slots=True)
class Collected:
    """A collector's result when part of the target could not be read (the rest still counts)."""

    data: Any
    problems: tuple[Mapping[str, str], ...] = ()
    # when the data was observed, if not now: data reused from an earlier, interrupted run's evidence
    # keeps its own time (and so its own expiry)
    collected_at: datetime | None = None
    # how the collection went, kept beside the data (e.g. API requests, throttling retries, seconds)
    collection: Mapping[str, Any] | None = None

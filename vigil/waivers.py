"""Waivers: accepted risk with an owner, an approver and an expiry; invalid or expired ones stop applying."""

from __future__ import annotations

import fnmatch
from collections.abc import Container, Iterable
from dataclasses import replace
from datetime import datetime

from vigil.baseline import RawWaiver
from vigil.model import Finding, Waiver

REQUIRED_TEXT = ("id", "check", "justification", "owner", "approver")
KNOWN_KEYS = {"id", "scope", "check", "resource", "justification", "owner", "approver", "expires"}
# A waiver accepts a known failure. An error finding says the evidence was missing, stale, tampered or
# unreadable: nothing is known to accept, so no waiver, however broad, applies to it.
WAIVABLE = ("fail",)
DEFAULT_MAX_DAYS = 365


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_waiver(
    raw: RawWaiver,
    as_of: datetime,
    warn_days: int,
    enabled: bool,
    max_days: int = DEFAULT_MAX_DAYS,
    known_checks: Container[str] | None = None,
) -> Waiver:
    """Judge one waiver at `as_of`; a malformed one comes back with state `invalid` and the reason.
    A waiver that names a check no installed plugin provides, or that runs longer than `max_days`,
    looks wrong and is not applied either."""
    data = dict(raw.data)
    problems = [f"{key} is required" for key in REQUIRED_TEXT if not _text(data, key)]
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}")
    scope = data.get("scope") or ("resource" if data.get("resource") else "check")
    if scope not in ("resource", "check"):
        problems.append(f"scope {scope!r} is not resource or check")
    if scope == "resource" and not _text(data, "resource"):
        problems.append("a resource-scoped waiver names its resource")
    expires = None
    raw_expiry = data.get("expires")
    try:
        expires = datetime.fromisoformat(str(raw_expiry)) if raw_expiry else None
    except ValueError:
        problems.append(f"expires {raw_expiry!r} is not an ISO 8601 date and time")
    if raw_expiry is None:
        problems.append("expires is required")
    elif expires is not None and expires.tzinfo is None:
        problems.append(f"expires {raw_expiry!r} has no timezone (write e.g. 2027-01-31T23:59:59+00:00)")
        expires = None
    waiver = Waiver(
        id=_text(data, "id") or raw.where,
        scope=scope,
        check=_text(data, "check"),
        resource=_text(data, "resource") or None if scope == "resource" else None,
        justification=_text(data, "justification"),
        owner=_text(data, "owner"),
        approver=_text(data, "approver"),
        expires=expires,
    )
    if known_checks is not None and waiver.check and waiver.check not in known_checks:
        problems.append(
            f"check {waiver.check!r} is not provided by any installed plugin (`vigil checks list`)"
        )
    if not problems and (expires - as_of).days > max_days:
        problems.append(
            f"expires in {(expires - as_of).days} days, further ahead than waivers.max_days ({max_days}); "
            "shorten it or raise max_days in the baseline"
        )
    if problems:
        return replace(waiver, state="invalid", problem=f"{raw.where}: " + "; ".join(problems))
    days_left = (expires - as_of).days if expires else None
    if expires <= as_of:
        return replace(waiver, state="expired", days_left=days_left, problem=f"expired {expires.isoformat()}")
    if not enabled:
        return replace(waiver, state="disabled", days_left=days_left, problem="--no-waivers: not applied")
    state = "expiring" if days_left is not None and days_left < warn_days else "active"
    return replace(waiver, state=state, days_left=days_left)


def parse_waivers(
    raws: Iterable[RawWaiver],
    as_of: datetime,
    warn_days: int,
    enabled: bool,
    max_days: int = DEFAULT_MAX_DAYS,
    known_checks: Container[str] | None = None,
) -> list[Waiver]:
    waivers = [parse_waiver(raw, as_of, warn_days, enabled, max_days, known_checks) for raw in raws]
    seen: set[str] = set()
    for i, waiver in enumerate(waivers):
        if waiver.id in seen and waiver.state != "invalid":
            waivers[i] = replace(waiver, state="invalid", problem=f"duplicate waiver id {waiver.id!r}")
        seen.add(waiver.id)
    return waivers


def _matches(waiver: Waiver, finding: Finding) -> bool:
    if waiver.check != finding.check_id:
        return False
    return waiver.scope == "check" or fnmatch.fnmatchcase(finding.resource, waiver.resource or "")


def apply_waivers(findings: Iterable[Finding], waivers: list[Waiver]) -> tuple[list[Finding], list[int]]:
    """Attach the first applying waiver to each fail finding it covers (copies; the findings given are
    left as they are).

    Matches are counted per waiver, in the order of `waivers` (not per id): a duplicate of a valid
    waiver's id is invalid and matches nothing, so it must not show its twin's count.
    """
    matcher = WaiverMatcher(waivers)
    out = []
    for finding in findings:
        waiver = matcher.waiver_for(finding)
        out.append(finding if waiver is None else replace(finding, waiver=waiver))
    return out, matcher.matched


class WaiverMatcher:
    """The waivers of a run, matched against its findings as they are judged (see apply_waivers)."""

    def __init__(self, waivers: list[Waiver]) -> None:
        self._waivers = waivers
        self._by_check: dict[str, list[int]] = {}
        for i, waiver in enumerate(waivers):
            if waiver.state in ("active", "expiring"):
                self._by_check.setdefault(waiver.check, []).append(i)
        self.matched = [0] * len(waivers)  # per waiver, in the order of `waivers`

    def waiver_for(self, finding: Finding) -> Waiver | None:
        if finding.status in WAIVABLE:
            for i in self._by_check.get(finding.check_id, ()):
                if _matches(self._waivers[i], finding):
                    self.matched[i] += 1
                    return self._waivers[i]
        return None

    def apply(self, findings: Iterable[Finding]) -> None:
        """Set `waiver` on each finding of a batch that one covers, in place (the run's own findings)."""
        by_check = self._by_check
        if not by_check:
            return
        for finding in findings:
            if finding.check_id in by_check:
                finding.waiver = self.waiver_for(finding)

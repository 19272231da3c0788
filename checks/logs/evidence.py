"""Shared reading of `logs.access` evidence: its items by record type, cited events and name globs."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

LOG_REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/92/final",
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
)
WEEKDAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def records(evidence: Mapping[str, Any], record: str) -> Iterator[Mapping[str, Any]]:
    """The items of one record type (source, principal, login_streak, gap) from every log source."""
    for item in evidence["logs.access"]:
        if isinstance(item, Mapping) and item.get("record") == record:
            yield item


def location(event: Mapping[str, Any] | None) -> dict | None:
    """The file and line of a cited event, for SARIF and the reports."""
    if not event:
        return None
    return {"path": event["path"], "line": event["line"]}


def location_of(where: str) -> dict:
    """The file and line a `where` names: "auth.log:12" is line 12; a CloudTrail record
    ("trail.json.gz:[7]") sits on line 1 of its file as AWS delivers it (one line)."""
    path, _, rest = where.rpartition(":")
    return {"path": path, "line": int(rest) if rest.isdigit() else 1}


def matches(name: str, patterns: Iterable[str]) -> bool:
    lower = name.lower()
    return any(fnmatch.fnmatchcase(lower, p.lower()) for p in patterns)


def at(event: Mapping[str, Any] | None) -> str:
    """ "2026-11-30T02:10:09Z (auth.log:4)" for messages."""
    if not event:
        return "?"
    return f"{event.get('time', '?')} ({event['where']})"

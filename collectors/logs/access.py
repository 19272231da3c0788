"""The access-log collector: expands a source's files, opens them (gzip or plain) and feeds one reader."""

from __future__ import annotations

import fnmatch
import glob
import gzip
import re
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigil.model import CollectContext, Collected, UserError
from vigil.registry import collector

from . import auth, cloudtrail, jsonl
from .aggregate import Aggregator, Clock

READERS: dict[str, Callable[..., None]] = {
    "cloudtrail": cloudtrail.read,
    "auth": auth.read,
    "jsonl": jsonl.read,
}
GZIP_MAGIC = b"\x1f\x8b"


class Progress:
    """Where a reader has got to, so an unreadable or truncated file is reported at the right place."""

    __slots__ = ("line", "index", "bytes", "problems", "bad", "first_bad", "skipped")

    def __init__(self) -> None:
        self.line = self.index = self.bytes = self.bad = 0
        self.skipped: str | None = None  # why a file that is not a log was passed over
        self.first_bad: str | None = None
        self.problems: list[dict] = []

    def malformed(self, where: str, why: str) -> None:
        self.bad += 1
        if self.first_bad is None:
            self.first_bad = f"{where}: {why}"


def infer_format(name: str) -> str:
    lower = name.lower()
    if lower.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
        return "jsonl"
    if lower.endswith((".json", ".json.gz")) or "cloudtrail" in lower:
        return "cloudtrail"
    return "auth"


def expand(pattern: str, ctx: CollectContext) -> list[str]:
    """The files a path or glob names, sorted, each named as the config names it (relative stays relative)."""
    if not glob.has_magic(pattern):
        return [pattern]
    base = ctx.path(".")
    absolute = Path(pattern).is_absolute()
    found = sorted(glob.glob(str(ctx.path(pattern)), recursive=True))
    names = [f for f in found if Path(f).is_file()]
    if not names:
        raise UserError(f"{pattern}: the pattern matches no file")
    return names if absolute else [Path(f).relative_to(base).as_posix() for f in names]


def resource_matcher(patterns: list[str]) -> Callable[[str], bool] | None:
    """Whether a resource (an ARN, a table, a path) is one the config says holds personal data."""
    if not patterns:
        return None
    regex = re.compile("|".join(fnmatch.translate(p) for p in patterns))
    seen: dict[str, bool] = {}

    def matches(resource: str) -> bool:
        hit = seen.get(resource)
        if hit is None:
            if len(seen) > 10_000:
                seen.clear()
            hit = seen[resource] = regex.match(resource) is not None
        return hit

    return matches


def _decompressed(raw: BinaryIO) -> BinaryIO:
    return gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == GZIP_MAGIC else raw


def _read_file(name: str, reader, agg: Aggregator, clock: Clock, spec: Mapping, ctx: CollectContext) -> list:
    progress = Progress()
    problems = []
    complete = True
    with ctx.open_binary(name) as raw:
        agg.open_file(name)
        try:
            reader(_decompressed(raw), agg, clock, agg.file_index, spec, progress)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            complete = False
            at = f"[{progress.index}]" if agg.fmt == "cloudtrail" else str(progress.line + 1)
            what = "the compressed data ends early (truncated gzip)" if isinstance(exc, EOFError) else exc
            problems.append(
                {
                    "where": f"{name}:{at}",
                    "message": f"{name}: unreadable from {'record' if agg.fmt == 'cloudtrail' else 'line'} "
                    f"{at.strip('[]')} on ({what}); the events before it were judged",
                }
            )
        except OSError as exc:
            raise UserError(f"{name}: unreadable: {exc}") from None
    problems.extend(progress.problems)
    if progress.bad:
        problems.append(
            {
                "where": progress.first_bad.split(": ", 1)[0],
                "message": f"{progress.bad} event(s) not understood and left out, first {progress.first_bad}",
            }
        )
    events = progress.index if agg.fmt == "cloudtrail" else progress.line
    agg.close_file(events, complete, problems[0]["where"] if not complete else None)
    if progress.skipped:
        agg.files[agg.file_index]["skipped"] = progress.skipped
    return problems


# cited events and timestamps that the collector writes itself (file:line, file:[index], ISO times)
PLAIN = (
    "where",
    "path",
    "time",
    "last_before",
    "first_after",
    "failure_times",
    "logins_by_hour",
    "first",
    "last",
)


@collector(name="logs.access", kind="logs.access", source="access_logs", ttl=timedelta(days=1), plain=PLAIN)
def access_logs(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Access-control logs (CloudTrail JSON, auth.log/secure, JSON Lines; plain or gzip), streamed into
    per-principal aggregates, runs of failed logins before a success, and silent gaps."""
    pattern = str(target["path"])
    fmt = target.get("format") or infer_format(pattern)
    tz_name = target.get("timezone", "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"access_logs {pattern}: timezone {tz_name!r} is not an IANA time zone") from None
    clock = Clock(tz, ctx.now().astimezone(UTC), target.get("year"))
    spec = dict(target)
    spec["personal_data_match"] = resource_matcher(list(target.get("personal_data_resources", ())))
    agg = Aggregator(
        source=pattern,
        system=target.get("system", pattern),
        fmt=fmt,
        personal_data=bool(target.get("personal_data", False)),
        tz_name=tz_name,
    )
    problems: list[dict] = []
    names = expand(pattern, ctx)
    for name in names:
        try:
            problems.extend(_read_file(name, READERS[fmt], agg, clock, spec, ctx))
        except UserError as exc:
            if len(names) == 1:
                raise
            problems.append({"where": name, "message": str(exc)})  # one bad file of many: the rest count
    return Collected(agg.items(), tuple(problems))

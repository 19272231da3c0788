"""Shared plumbing of the log readers: timestamps to minutes, and per-principal aggregates of the events.

The evidence of a log source keeps what the checks judge, not the events: one item per principal
(counts, first and last event, personal-data access, logins by local weekday and hour), each run of
failed logins that ended in a success, the largest silent gaps, and the file and line of every
event an item names. Memory grows with the number of principals and with the time span (one entry
per minute that has events, about 200 bytes: 100 MB for a year of logs), never with the number of
events or bytes read.
"""

from __future__ import annotations

import heapq
from collections import deque
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

# a cited event is packed in one int: file index, record index (CloudTrail) or line, and line
BITS = 26
MASK = (1 << BITS) - 1
MAX_PRINCIPALS = 100_000  # beyond this, events still count in the totals but no new principal is kept
MAX_STREAKS = 1_000  # runs of failed logins that ended in a success, kept per source
MIN_STREAK = 2  # a single failed attempt before a success is a typo, not a run worth keeping
RECENT_FAILURES = 10  # failure times kept per run: thresholds up to this many can be judged
MAX_GAPS = 100  # the largest silent gaps kept per source
MAX_IPS = 10
MAX_FILES_LISTED = 1_000
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def pack(file_index: int, index: int, line: int) -> int:
    return (file_index << (2 * BITS)) | (min(index, MASK) << BITS) | min(line, MASK)


_MINUTES: dict[int, str] = {}


def iso(seconds: int) -> str:
    """ "2026-11-30T12:34:56Z"; the minute's text is cached, since cited events bunch in time."""
    minute, second = divmod(int(seconds), 60)
    text = _MINUTES.get(minute)
    if text is None:
        if len(_MINUTES) > 100_000:
            _MINUTES.clear()
        text = _MINUTES[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")
    return f"{text}{second:02d}Z"


class Clock:
    """Timestamp text -> (epoch minute, local ISO weekday, local hour, second), cached per minute.

    Local means the source's time zone: it reads syslog times that carry no zone, and it is the
    clock the working hours of the unusual-hours check are read on."""

    def __init__(self, tz: tzinfo, now: datetime, year: int | None = None) -> None:
        self.tz = tz
        self.year = year
        self.today = now.astimezone(tz).date()
        self._cache: dict[Any, tuple[int, int, int]] = {}

    def _remember(self, key: Any, moment: datetime) -> tuple[int, int, int]:
        if len(self._cache) > 50_000:  # bounded: a long log is read in time order, old minutes go cold
            self._cache.clear()
        minute = int(moment.timestamp()) // 60
        local = datetime.fromtimestamp(minute * 60, self.tz)
        value = self._cache[key] = (minute, local.isoweekday(), local.hour)
        return value

    def iso(self, text: str) -> tuple[int, int, int, int]:
        """ISO 8601 with or without zone ("2026-11-30T12:34:56Z", "... 12:34:56.5+02:00"); naive
        times are in the source's zone. Raises ValueError."""
        if len(text) < 19 or text[16] != ":":
            raise ValueError(f"{text!r} is not an ISO 8601 time with seconds")
        zone = text[19:].lstrip(".0123456789")
        key = text[:16] + zone
        hit = self._cache.get(key)
        if hit is None:
            moment = datetime.fromisoformat(text[:16] + ":00" + zone)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            hit = self._remember(key, moment)
        return hit[0], hit[1], hit[2], int(text[17:19])

    def bsd(self, text: str) -> tuple[int, int, int, int]:
        """A syslog time without year or zone ("Nov 30 12:34:56"): the source's zone, and the source's
        `year` or else the latest year that does not put it more than a day after the collection."""
        key = text[:12]
        hit = self._cache.get(key)
        if hit is None:
            month = MONTHS[text[:3]]
            day, hour, minute = int(text[4:6]), int(text[7:9]), int(text[10:12])
            year = self.year
            if year is None:
                tomorrow = self.today + timedelta(days=1)
                year = tomorrow.year
                if (month, day) > (tomorrow.month, tomorrow.day):
                    year -= 1
            hit = self._remember(key, datetime(year, month, day, hour, minute, tzinfo=self.tz))
        return hit[0], hit[1], hit[2], int(text[13:15])

    def bsd_bytes(self, raw: bytes) -> tuple[int, int, int, int]:
        """bsd() on the raw bytes of a line (its first 15), cached on the bytes: the hot path of auth.log."""
        hit = self._cache.get(raw[:12])
        if hit is None:
            minute, weekday, hour, _ = self.bsd(raw[:15].decode("ascii"))
            hit = self._cache[raw[:12]] = (minute, weekday, hour)
        return hit[0], hit[1], hit[2], int(raw[13:15])

    def epoch(self, seconds: float) -> tuple[int, int, int, int]:
        whole = int(seconds)
        minute = whole // 60
        hit = self._cache.get(minute)
        if hit is None:
            hit = self._remember(minute, datetime.fromtimestamp(minute * 60, UTC))
        return hit[0], hit[1], hit[2], whole % 60


class Principal:
    __slots__ = (
        "name",
        "kind",
        "arn",
        "events",
        "ok",
        "failed",
        "first",
        "first_loc",
        "last",
        "last_loc",
        "pd",
        "pd_first",
        "pd_first_loc",
        "pd_last",
        "pd_last_loc",
        "hours",
        "ips",
        "via",
        "fails",
        "run",
    )

    def __init__(self, name: str, kind: str, arn: str | None) -> None:
        self.name, self.kind, self.arn = name, kind, arn
        self.events = self.ok = self.failed = self.pd = 0
        self.first = self.last = self.pd_first = self.pd_last = -1
        self.first_loc = self.last_loc = self.pd_first_loc = self.pd_last_loc = 0
        self.hours: dict[tuple[int, int], list] = {}  # (weekday, hour) -> [logins, first loc]
        self.ips: set[str] = set()
        self.via: set[str] = set()
        self.fails: deque = deque(maxlen=RECENT_FAILURES)  # (time, loc, ip) of the current run
        self.run = 0  # failed logins since the last success


class Aggregator:
    """Receives the events of one log source, in file order, and builds its evidence items."""

    def __init__(self, *, source: str, system: str, fmt: str, personal_data: bool, tz_name: str) -> None:
        self.source, self.system, self.fmt = source, system, fmt
        self.personal_data, self.tz_name = personal_data, tz_name
        self.files: list[dict] = []
        self.principals: dict[str, Principal] = {}
        self.unkept_principals = 0
        self.first_at: dict[int, int] = {}  # minute -> loc of its first event
        self.last_at: dict[int, int] = {}  # minute -> loc of its last event
        self.streaks: list[dict] = []
        self.streaks_dropped = 0
        self.events = 0
        self.file_index = -1

    # ---- files ----

    def open_file(self, path: str) -> None:
        self.file_index += 1
        self.files.append({"path": path, "complete": True})

    def close_file(self, read: int, complete: bool, stopped_at: str | None = None) -> None:
        """`read`: the records (CloudTrail) or lines read from the file."""
        entry = self.files[self.file_index]
        entry["records" if self.fmt == "cloudtrail" else "lines"], entry["complete"] = read, complete
        if stopped_at:
            entry["stopped_at"] = stopped_at

    def where(self, loc: int) -> str:
        path = self.files[loc >> (2 * BITS)]["path"]
        if self.fmt == "cloudtrail":
            return f"{path}:[{(loc >> BITS) & MASK}]"
        return f"{path}:{loc & MASK}"

    def cited(self, loc: int, at: int | None = None) -> dict:
        """The file and line of a packed event location, as evidence shows it."""
        path = self.files[loc >> (2 * BITS)]["path"]
        index, line = (loc >> BITS) & MASK, loc & MASK
        where = f"{path}:[{index}]" if self.fmt == "cloudtrail" else f"{path}:{line}"
        event = {"where": where, "path": path, "line": line}
        if at is not None:
            event["time"] = iso(at)
        return event

    # ---- events ----

    def seen(self, minute: int, loc: int) -> None:
        """The log was being written in this minute (readers call it per event, or per run of lines in
        one minute with the run's first and last line)."""
        if minute not in self.first_at:
            self.first_at[minute] = loc
        self.last_at[minute] = loc

    def event(
        self,
        minute: int,
        second: int,
        weekday: int,
        hour: int,
        loc: int,
        principal: str,
        kind: str = "user",
        login: bool = False,
        success: bool = True,
        personal_data: bool = False,
        ip: str | None = None,
        arn: str | None = None,
        via: str | None = None,
        count: int = 1,
    ) -> None:
        """One event of a principal (the reader counts events and calls seen() for their minutes)."""
        p = self.principals.get(principal)
        if p is None:
            if len(self.principals) >= MAX_PRINCIPALS:
                self.unkept_principals += count  # events: the check reports them as not judged
                return
            p = self.principals[principal] = Principal(principal, kind, arn)
        at = minute * 60 + second
        p.events += count
        if p.first < 0 or at < p.first:
            p.first, p.first_loc = at, loc
        if at >= p.last:
            p.last, p.last_loc = at, loc
        if ip is not None and len(p.ips) < MAX_IPS:
            p.ips.add(ip)
        if via is not None and len(p.via) < MAX_IPS:
            p.via.add(via)
        if login:
            if success:
                p.ok += count
                slot = p.hours.get((weekday, hour))
                if slot is None:
                    p.hours[(weekday, hour)] = [count, loc, at]
                else:
                    slot[0] += count
                if p.run >= MIN_STREAK:
                    self._streak(p, at, loc, ip)
                p.run = 0
                p.fails.clear()
            else:
                p.failed += count
                p.run += count
                for _ in range(min(count, RECENT_FAILURES)):
                    p.fails.append((at, loc, ip))
                return
        if success and (personal_data or self.personal_data):
            p.pd += count
            if p.pd_first < 0 or at < p.pd_first:
                p.pd_first, p.pd_first_loc = at, loc
            if at >= p.pd_last:
                p.pd_last, p.pd_last_loc = at, loc

    def _streak(self, p: Principal, at: int, loc: int, ip: str | None) -> None:
        if len(self.streaks) >= MAX_STREAKS:
            self.streaks_dropped += 1
            return
        first_at, first_loc, _ = p.fails[0]
        success = self.cited(loc, at)
        self.streaks.append(
            {
                "record": "login_streak",
                "system": self.system,
                "principal": p.name,
                "failures": p.run,
                "failure_times": [iso(t) for t, _, _ in p.fails],
                "failure_ips": sorted({i for _, _, i in p.fails if i}),
                "first_failure_kept": self.cited(first_loc, first_at),
                "success": success,
                "success_ip": ip,
                "where": success["where"],
            }
        )

    # ---- evidence ----

    def items(self) -> list[dict]:
        items = [self._source_item()]
        for p in sorted(self.principals.values(), key=lambda p: p.name):
            if p.ok or p.pd or p.kind == "root" or p.events > p.failed:
                items.append(self._principal_item(p))
        items.extend(self.streaks)
        items.extend(self._gaps())
        return items

    def _source_item(self) -> dict:
        minutes = self.first_at.keys()
        failed_only = [p for p in self.principals.values() if p.events == p.failed]
        top = heapq.nlargest(20, failed_only, key=lambda p: p.failed)
        item = {
            "record": "source",
            "source": self.source,
            "system": self.system,
            "format": self.fmt,
            "personal_data": self.personal_data,
            "timezone": self.tz_name,
            "events": self.events,
            "first": iso(min(minutes) * 60) if minutes else None,
            "last": iso(max(minutes) * 60 + 59) if minutes else None,
            "principals": len(self.principals),
            "events_of_principals_not_kept": self.unkept_principals,
            "login_streaks_not_kept": self.streaks_dropped,
            "failed_only_principals": len(failed_only),
            "most_failed": [
                {"principal": p.name, "failures": p.failed, **self.cited(p.first_loc, p.first)} for p in top
            ],
            "files_total": len(self.files),
            "files": self.files[:MAX_FILES_LISTED],
        }
        item["where"] = self.files[0]["path"] if self.files else self.source
        return item

    def _principal_item(self, p: Principal) -> dict:
        first = self.cited(p.first_loc, p.first)
        item = {
            "record": "principal",
            "system": self.system,
            "principal": p.name,
            "kind": p.kind,
            "events": p.events,
            "logins_ok": p.ok,
            "logins_failed": p.failed,
            "first_event": first,
            "last_event": self.cited(p.last_loc, p.last),
            "personal_data_events": p.pd,
            "personal_data_first": self.cited(p.pd_first_loc, p.pd_first) if p.pd else None,
            "personal_data_last": self.cited(p.pd_last_loc, p.pd_last) if p.pd else None,
            # [ISO weekday, hour (local), logins, first login's where, its time], compact: one row per
            # weekday and hour the principal logged in, up to 168
            "logins_by_hour": [
                [d, h, n, self.where(loc), iso(at)] for (d, h), (n, loc, at) in sorted(p.hours.items())
            ],
            "source_ips": sorted(p.ips),
            "where": first["where"],
        }
        if p.arn:
            item["arn"] = p.arn
        if p.via:
            item["via"] = sorted(p.via)
        return item

    def _gaps(self) -> list[dict]:
        minutes = sorted(self.first_at)
        gaps = heapq.nlargest(
            MAX_GAPS, ((b - a - 1, a, b) for a, b in zip(minutes, minutes[1:], strict=False) if b - a > 1)
        )
        items = []
        for silent, before, after in sorted(gaps, key=lambda g: g[1]):
            resumed = self.cited(self.first_at[after])
            items.append(
                {
                    "record": "gap",
                    "system": self.system,
                    "silent_minutes": silent,
                    "last_before": iso(before * 60)[:16] + "Z",
                    "first_after": iso(after * 60)[:16] + "Z",
                    "previous_event": self.cited(self.last_at[before]),
                    "next_event": resumed,
                    "where": resumed["where"],
                }
            )
        return items

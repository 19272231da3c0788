"""Linux auth.log / secure (syslog): sshd logins, su to root and root console logins, line by line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import BinaryIO

from .aggregate import BITS, Aggregator, Clock

CHUNK = 1 << 20
# "Accepted publickey for alice from 10.0.0.5 port 51234 ssh2", "Failed password for invalid user admin
# from 203.0.113.9 port 4242 ssh2", and rsyslog's "message repeated 3 times: [ Failed password for ...]"
SSHD = re.compile(
    rb"\]: (?:message repeated (\d+) times: \[ )?(Accepted|Failed) \S+ for (invalid user )?(\S+) from (\S+)"
)
SU_ROOT = re.compile(rb"session opened for user root(?:\(uid=0\))? by ([^\s(]*)")
INVALID = "unknown user"  # attempts on accounts that do not exist are counted under one name


class Lines:
    """Line numbers of positions in one chunk, counted forward (positions must not go back)."""

    __slots__ = ("chunk", "pos", "number")

    def __init__(self, chunk: bytes, first_line: int) -> None:
        self.chunk, self.pos, self.number = chunk, 0, first_line

    def at(self, pos: int) -> int:
        self.number += self.chunk.count(b"\n", self.pos, pos)
        self.pos = pos
        return self.number


def _time(line: bytes, clock: Clock) -> tuple[int, int, int, int]:
    if line[:1].isdigit():
        return clock.iso(line[: line.find(b" ")].decode("ascii"))
    return clock.bsd_bytes(line)


def _key_time(key: bytes, clock: Clock) -> int:
    """The epoch minute of a line-start key; ValueError/KeyError when it is no syslog time."""
    if key[:1].isdigit():
        return clock.iso(key.decode("ascii"))[0]
    if len(key) != 12 or key[3:4] != b" " or key[9:10] != b":":
        raise ValueError("no syslog time")
    return clock.bsd(key.decode("ascii") + ":00")[0]


def _minutes(chunk: bytes, first_line: int, agg: Aggregator, clock: Clock, base: int) -> list[bytes]:
    """Mark every minute the chunk has lines in, with its first and last line; returns the line-start
    keys that are not a time. Python sees each line once (a slice into a dict, in C) and each distinct
    minute once; positions are found with bytes.find."""
    lines = chunk.split(b"\n")
    if chunk[:1].isdigit():
        keys = dict.fromkeys(line[: line.find(b" ")] for line in lines)
    else:
        keys = dict.fromkeys(line[:12] for line in lines)
    bad = []
    firsts = []  # (key, minute, position of its first line), in order of first appearance
    pos = 0
    for key in keys:
        if not key:
            continue
        try:
            minute = _key_time(key, clock)
        except (ValueError, KeyError, UnicodeDecodeError):
            bad.append(key)
            continue
        first = 0 if pos == 0 and chunk.startswith(key) else chunk.find(b"\n" + key, pos) + 1
        firsts.append((key, minute, first))
        nxt = chunk.find(b"\n", first)
        pos = first + 1 if nxt < 0 else nxt
    counter = Lines(chunk, first_line)
    for i, (key, minute, first) in enumerate(firsts):
        # the last line of the minute, looked for before the next minute starts: logs are written in
        # time order, and a line out of order only moves which line of its minute is cited
        until = firsts[i + 1][2] if i + 1 < len(firsts) else len(chunk)
        last = chunk.rfind(b"\n" + key, first, until) + 1 or first
        number = counter.at(first)
        agg.seen(minute, base | (number << BITS) | number)
        last_number = number + chunk.count(b"\n", first, last) if last > first else number
        agg.seen(minute, base | (last_number << BITS) | last_number)
    return bad


SSHD_NEEDLES = (b"]: Accepted ", b"]: Failed ", b"]: message repeated ")


def _events(chunk: bytes, first_line: int, agg: Aggregator, clock: Clock, base: int) -> int:
    """Logins (sshd), su to root and root console logins, found with bytes.find and parsed in order;
    returns the events beyond one per line that "message repeated N times" lines stand for."""
    found = []
    for needle in SSHD_NEEDLES:
        at = chunk.find(needle)
        while at >= 0:
            found.append(at)
            at = chunk.find(needle, at + 3)
    for needle in (
        b"(su:session): session opened for user root",
        b"(su-l:session): session opened for user root",
        b"]: ROOT LOGIN ",
    ):
        at = chunk.find(needle)
        while at >= 0:
            found.append(at)
            at = chunk.find(needle, at + 3)
    found.sort()
    extra = 0
    number, counted = first_line, 0  # line number at chunk[counted]
    event, match, count_lines, rfind = agg.event, SSHD.match, chunk.count, chunk.rfind
    for at in found:
        start = rfind(b"\n", 0, at) + 1
        head = chunk[start : at + 1]
        number += count_lines(b"\n", counted, start)
        counted = start
        loc = base | (number << BITS) | number
        if chunk[at] == 93 and b" sshd[" in head:  # "]"
            m = match(chunk, at)
            if m is None:
                continue
            minute, weekday, hour, second = _time(head, clock)
            user = INVALID if m[3] else m[4].decode("utf-8", "replace")
            count = int(m[1]) if m[1] else 1
            extra += count - 1
            event(
                minute,
                second,
                weekday,
                hour,
                loc,
                user,
                "root" if user == "root" else "user",
                True,
                m[2] == b"Accepted",
                False,
                m[5].decode("ascii", "replace"),
                None,
                None,
                count,
            )
        elif chunk.startswith(b"]: ROOT", at) and b" login[" in head:
            minute, weekday, hour, second = _time(head, clock)
            agg.event(minute, second, weekday, hour, loc, "root", kind="root", login=True, via="console")
        elif chunk.startswith(b"(su", at):
            m = SU_ROOT.search(chunk, at, at + 200)
            if m is None:
                continue
            minute, weekday, hour, second = _time(head, clock)
            via = m[1].decode("utf-8", "replace") or "?"
            agg.event(minute, second, weekday, hour, loc, "root", kind="root", via=via)
    return extra


def _find_bad(chunk: bytes, first_line: int, bad: list[bytes], name: str, progress) -> int:
    """Report the lines whose start is no syslog time (slow path, rare); returns how many."""
    iso = chunk[:1].isdigit()
    keys = set(bad)
    count = 0
    for offset, line in enumerate(chunk.split(b"\n")):
        if line and (line[: line.find(b" ")] if iso else line[:12]) in keys:
            progress.malformed(f"{name}:{first_line + offset}", "no syslog time at the start of the line")
            count += 1
    return count


def read(stream: BinaryIO, agg: Aggregator, clock: Clock, file_index: int, spec: Mapping, progress) -> None:
    """Read 1 MiB chunks cut at line ends; C regex scans find the minutes and the few lines that matter,
    so Python code runs per login event and per minute, not per line."""
    name = agg.files[file_index]["path"]
    base = file_index << (2 * BITS)
    tail = b""
    number = 0  # lines before the current chunk
    while True:
        data = stream.read1(CHUNK)
        progress.bytes += len(data)
        if data:
            chunk = tail + data
            cut = chunk.rfind(b"\n")
            if cut < 0:
                tail = chunk
                continue
            chunk, tail = chunk[:cut], chunk[cut + 1 :]
        else:
            chunk, tail = tail, b""
            if not chunk:
                break
        _judge_chunk(chunk, number + 1, agg, clock, base, name, progress)
        number += chunk.count(b"\n") + 1
        progress.line = number
        if not data:
            break


def _judge_chunk(
    chunk: bytes, first_line: int, agg: Aggregator, clock: Clock, base: int, name: str, progress
) -> None:
    bad = _minutes(chunk, first_line, agg, clock, base)
    untimed = _find_bad(chunk, first_line, bad, name, progress) if bad else 0
    extra = _events(chunk, first_line, agg, clock, base)
    blank = chunk.count(b"\n\n") + chunk.startswith(b"\n") + chunk.endswith(b"\n")
    agg.events += chunk.count(b"\n") + 1 - blank - untimed + extra

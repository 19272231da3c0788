"""Generic JSON Lines access logs: one JSON object per line, its keys mapped to vigil's event fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, BinaryIO

from .aggregate import Aggregator, Clock, pack

CHUNK = 1 << 20
FIELDS = {
    "time": "timestamp",
    "principal": "user",
    "action": "action",
    "outcome": "outcome",
    "source_ip": "source_ip",
    "resource": "resource",
}
SUCCESS = ("success", "succeeded", "ok", "allow", "allowed", "granted", "true", "pass", "passed")
LOGIN_ACTIONS = ("login", "log_in", "logon", "signin", "sign_in", "authenticate", "consolelogin")
ROOT_NAMES = ("root",)


def _getter(path: str):
    """A key, or a dotted path into nested objects ("actor.email")."""
    if "." not in path:
        return lambda obj: obj.get(path)
    parts = path.split(".")

    def get(obj: Any) -> Any:
        for part in parts:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(part)
        return obj

    return get


def read(stream: BinaryIO, agg: Aggregator, clock: Clock, file_index: int, spec: Mapping, progress) -> None:
    name = agg.files[file_index]["path"]
    mapping = {**FIELDS, **(spec.get("fields") or {})}
    get = {field: _getter(key) for field, key in mapping.items()}
    success = {v.lower() for v in spec.get("success_values", SUCCESS)}
    logins = {v.lower() for v in spec.get("login_actions", LOGIN_ACTIONS)}
    match = spec.get("personal_data_match")
    tail = b""
    number = 0

    def handle(raw: bytes) -> None:
        where = f"{name}:{number}"
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            progress.malformed(where, f"not JSON ({exc})")
            return
        if not isinstance(obj, dict):
            progress.malformed(where, "not a JSON object")
            return
        when = get["time"](obj)
        try:
            if isinstance(when, int | float) and not isinstance(when, bool):
                minute, weekday, hour, second = clock.epoch(when / 1000 if when > 1e11 else when)
            elif isinstance(when, str):
                minute, weekday, hour, second = clock.iso(when)
            else:
                progress.malformed(where, f"no time under {mapping['time']!r}")
                return
        except (ValueError, OverflowError, OSError) as exc:
            progress.malformed(where, f"{mapping['time']}: {exc}")
            return
        loc = pack(file_index, number, number)
        agg.seen(minute, loc)
        agg.events += 1
        principal = get["principal"](obj)
        if principal is None or principal == "":
            return
        principal = str(principal)
        outcome = get["outcome"](obj)
        ok = outcome is None or str(outcome).lower() in success  # no outcome field: the event happened
        action = get["action"](obj)
        resource = get["resource"](obj)
        agg.event(
            minute,
            second,
            weekday,
            hour,
            loc,
            principal,
            kind="root" if principal.lower() in ROOT_NAMES else "user",
            login=str(action).lower() in logins,
            success=ok,
            personal_data=bool(match and resource is not None and match(str(resource))),
            ip=None if get["source_ip"](obj) is None else str(get["source_ip"](obj)),
        )

    while True:
        chunk = stream.read1(CHUNK)
        progress.bytes += len(chunk)
        if not chunk:
            break
        chunk = tail + chunk
        cut = chunk.rfind(b"\n")
        if cut < 0:
            tail = chunk
            continue
        tail = chunk[cut + 1 :]
        for raw in chunk[:cut].split(b"\n"):
            number += 1
            if raw.strip():
                handle(raw)
        progress.line = number
    if tail.strip():
        number += 1
        handle(tail)
        progress.line = number

"""Fast JSON for large documents: orjson where it can (5-10x faster than json on results and evidence),
the standard library for what orjson refuses (integers over 64 bits, lone surrogates, NaN). Output is
compact UTF-8, the same bytes json.dumps(ensure_ascii=False, separators=(",", ":")) gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_SORTED = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    try:
        return orjson.dumps(value, option=_SORTED if sort_keys else _OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        # json writes what orjson refuses (big integers, NaN); a range() stands for a count
        # (ASCII escapes keep a lone surrogate valid JSON)
        text = json.dumps(
            value, ensure_ascii=True, separators=(",", ":"), sort_keys=sort_keys, default=_default
        )
        return text.encode("ascii")


def _default(value: Any) -> Any:
    if isinstance(value, range | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class JsonLines:
    """The documents of a file of JSON lines, read one at a time each time it is iterated (a spool of
    finding documents another part of the run, or another process, wrote)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[Any]:
        loads = orjson.loads
        with open(self.path, "rb") as fh:
            for line in fh:
                yield loads(line)

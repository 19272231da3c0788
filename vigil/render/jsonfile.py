"""The canonical JSON result (vigil.render stages and commits it, like every report)."""

from __future__ import annotations

import json
from pathlib import Path

CHUNK = 2_000  # findings encoded at a time: bounded memory on 100,000-finding runs


def _dumps(value) -> str:
    # compact and one-shot: only json.dumps without indent takes the C encoder (pretty-print with jq)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_json(results: dict, path: Path, ctx) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{")
        for position, (key, value) in enumerate(results.items()):
            fh.write(("," if position else "") + _dumps(key) + ":")
            if key == "findings":
                fh.write("[")
                for start in range(0, len(value), CHUNK):
                    fh.write(("," if start else "") + _dumps(value[start : start + CHUNK])[1:-1])
                fh.write("]")
            else:
                fh.write(_dumps(value))
        fh.write("}\n")

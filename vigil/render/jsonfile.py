"""The canonical JSON result, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path


def render_json(results: dict, path: Path, ctx) -> None:
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1, ensure_ascii=False, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)

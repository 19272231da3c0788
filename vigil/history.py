"""Earlier runs in the same output folder: archived results.json files that reports compare against."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HISTORY_DIR = "history"
KEEP = 50  # summaries carried in results.json; the archived files themselves are never deleted


def archive_previous(out_dir: Path) -> dict | None:
    """Copy OUT/results.json into OUT/history/ before a new run replaces it; return it. The file itself
    stays until the new run commits its own, so an interrupted run leaves the last one whole."""
    current = out_dir / "results.json"
    try:
        previous = json.loads(current.read_text(encoding="utf-8"))
        stamp = previous["run"]["finished_at"].replace(":", "").replace("-", "")[:15]
        name = f"{stamp}-{previous['run']['id'][:8]}.json"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no earlier run, or not one of ours: nothing to compare against
    (out_dir / HISTORY_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(current, out_dir / HISTORY_DIR / name)
    return previous


HEAD_LIMIT = 64 << 20  # bytes read looking for the findings before reading a whole file instead
FINDINGS = b',"findings":['


def read_head(path: Path) -> dict:
    """A results.json without its findings, read only as far as they start: vigil writes run, scores and
    summary first, so an archived run of millions of findings is summarised without parsing them. A file
    laid out otherwise is read whole."""
    with open(path, "rb") as fh:
        data = b""
        while len(data) < HEAD_LIMIT:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            data += chunk
            cut = data.find(FINDINGS)
            if cut >= 0:
                try:
                    head = json.loads(data[:cut] + b"}")
                except ValueError:
                    break  # "findings" inside something else: read the whole file
                if isinstance(head, dict):
                    return head
                break
    return json.loads(path.read_bytes())


def summaries(out_dir: Path) -> list[dict]:
    """Oldest first: run id, time, overall score and coverage of each archived run."""
    rows = []
    for path in sorted((out_dir / HISTORY_DIR).glob("*.json"))[-KEEP:]:
        try:
            doc = read_head(path)
            overall = doc["scores"]["overall"]
            rows.append(
                {
                    "run_id": doc["run"]["id"],
                    "finished_at": doc["run"]["finished_at"],
                    "score": overall["score"],
                    "coverage": overall["coverage"],
                    "file": f"{HISTORY_DIR}/{path.name}",
                }
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    rows.sort(key=lambda row: row["finished_at"])
    return rows

"""GitHub code scanning's SARIF upload limits, and trimming a run to fit them without hiding that we did."""

from __future__ import annotations

import sys
import zlib
from collections import Counter
from collections.abc import Callable

import sarif_om

from vigil.model import SEVERITIES, SEVERITY_RANK

# From GitHub's "SARIF support for code scanning" page (table "SARIF data / Maximum values") and the
# upload-sarif REST endpoint. Above a maximum GitHub rejects the whole upload, so we trim instead.
MAX_RESULTS_PER_RUN = 25_000
# Below the maximum GitHub still keeps only this many results per run (in file order, whatever its docs
# say about severity), which is why every run is written most severe first, not only trimmed runs.
SHOWN_RESULTS_PER_RUN = 5_000
MAX_RULES_PER_RUN = 25_000
# GitHub rejects more than 20 tags per rule and shows the first 10: rules list the important tags first.
MAX_TAGS_PER_RULE = 20
# "10 MB" gzip-compressed: we read MB as 10**6 bytes, the stricter reading, so a file that fits here
# fits whichever GitHub means.
MAX_GZIP_BYTES = 10_000_000
# Met by construction, stated so nobody has to look them up: one run per file, one location per result.
MAX_RUNS_PER_FILE = 20
MAX_LOCATIONS_PER_RESULT = 1_000
# upload-sarif gzips with Node's default level, which is also gzip(1)'s default
GZIP_LEVEL = 6

# result groups, in the order they are kept
OPEN, WAIVED, FIXED = "open", "waived", "fixed"
_GROUP_ORDER = {OPEN: 0, WAIVED: 1, FIXED: 2}


def priority(entry: tuple[dict, str | None, str]) -> tuple[int, int]:
    """Sort key for (finding, baselineState, group): open before waived before fixed, then most severe."""
    finding, _state, group = entry
    return _GROUP_ORDER[group], -SEVERITY_RANK.get(finding.get("severity"), 2)


def gzip_size(data: bytes) -> int:
    """Size of data gzip-compressed as upload-sarif does it, or its raw size when that obviously fits."""
    # gzip never grows data by more than a few bytes per 16 KB block, so small files need no compressing
    if len(data) * 1.01 + 1024 <= MAX_GZIP_BYTES:
        return len(data)
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: gzip container
    return len(compressor.compress(data)) + len(compressor.flush())


def fit(build: Callable[[int], bytes], n: int) -> tuple[bytes, int]:
    """Call build(n) with fewer results until its gzip size fits; returns the bytes and the n used."""
    data = build(n)
    size = gzip_size(data)
    while size > MAX_GZIP_BYTES and n > 0:
        # results are most of the file and alike in size, so shrink proportionally, with a margin
        n = min(n - 1, int(n * MAX_GZIP_BYTES / size * 0.95))
        data = build(n)
        size = gzip_size(data)
    return data, n


def trim_report(
    total: int, dropped: list[tuple[dict, str | None, str]], rules_total: int, rules_written: int, tags: int
) -> dict | None:
    """What was left out, for run.properties["vigil-trimmed"]; None when nothing was."""
    if not dropped and rules_written == rules_total and not tags:
        return None
    by_severity = Counter(f.get("severity", "medium") for f, _s, _g in dropped)
    by_group = Counter(g for _f, _s, g in dropped)
    return {
        "reason": "GitHub code scanning upload limits",
        "results_total": total,
        "results_written": total - len(dropped),
        "results_dropped_by_severity": {s: by_severity[s] for s in SEVERITIES if by_severity[s]},
        "results_dropped_by_group": {g: by_group[g] for g in _GROUP_ORDER if by_group[g]},
        "rules_total": rules_total,
        "rules_written": rules_written,
        "rule_tags_dropped": tags,
        "limits": {
            "results_per_run": MAX_RESULTS_PER_RUN,
            "rules_per_run": MAX_RULES_PER_RUN,
            "tags_per_rule": MAX_TAGS_PER_RULE,
            "gzip_bytes": MAX_GZIP_BYTES,
        },
    }


def describe(trim: dict) -> str:
    """One sentence for a notification and for stderr."""
    parts = []
    if trim["results_written"] < trim["results_total"]:
        sev = trim["results_dropped_by_severity"]
        parts.append(
            f"kept {trim['results_written']:,} of {trim['results_total']:,} results, most severe first "
            f"(left out: {', '.join(f'{n:,} {s}' for s, n in sev.items())})"
        )
    if trim["rules_written"] < trim["rules_total"]:
        parts.append(f"kept {trim['rules_written']:,} of {trim['rules_total']:,} rules")
    if trim["rule_tags_dropped"]:
        parts.append(f"left out {trim['rule_tags_dropped']:,} rule tags beyond {MAX_TAGS_PER_RULE} per rule")
    return (
        "SARIF trimmed to fit GitHub code scanning limits: "
        + "; ".join(parts)
        + ". Every finding is still in results.json and findings.csv;"
        + ' details in run.properties["vigil-trimmed"].'
    )


def notifications(trim: dict | None, written: int) -> list[sarif_om.Notification]:
    """toolExecutionNotifications: a warning when we trimmed, a note when GitHub will hide results."""
    out = []
    if trim:
        out.append(
            sarif_om.Notification(
                message=sarif_om.Message(text=describe(trim)),
                level="warning",
                descriptor=sarif_om.ReportingDescriptorReference(id="vigil/sarif-trimmed"),
            )
        )
    if written > SHOWN_RESULTS_PER_RUN:
        out.append(
            sarif_om.Notification(
                message=sarif_om.Message(
                    text=f"This run has {written:,} results; GitHub code scanning shows only the first "
                    f"{SHOWN_RESULTS_PER_RUN:,}, and vigil writes them most severe first."
                ),
                level="note",
                descriptor=sarif_om.ReportingDescriptorReference(id="vigil/sarif-display-limit"),
            )
        )
    return out


def warn(trim: dict) -> None:
    """The one stderr line a trimmed file gets, so CI logs show it too."""
    print(f"vigil: warning: {describe(trim)}", file=sys.stderr)

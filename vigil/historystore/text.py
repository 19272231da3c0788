"""Plain-text and JSON views of history, diff and findings, for the command line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vigil.compare import Change, failing_by_fingerprint

SPARK = "▁▂▃▄▅▆▇█"
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}"


def sparkline(values: Sequence[float | None]) -> str:
    """One character per run, low to high over 0..100; a gap where nothing was scoreable."""
    return "".join(
        " " if v is None else SPARK[min(len(SPARK) - 1, int(v / 100 * len(SPARK)))] for v in values
    )


def runs_text(rows: list[dict]) -> str:
    if not rows:
        return "no runs recorded yet: run `vigil scan` (it records every run in the store)"
    head = f"{'run':<10} {'finished (UTC)':<17} {'target':<14} {'mode':<8} {'score':>14} {'coverage':>15} "
    head += f"{'failing':>8} {'new':>5} {'fixed':>5} {'reop':>5}  gate"
    lines = [head]
    for r in rows:
        gate = "passed" if r["gate_passed"] else f"FAILED ({r['blocking']})"
        lines.append(
            f"{r['run_id'][:8]:<10} {(r['finished_at'] or '')[:16].replace('T', ' '):<17} "
            f"{r['target'][:14]:<14} "
            f"{r['mode'][:8]:<8} {_pct(r['score']):>7} {_signed(r['score_delta']):>6} "
            f"{_pct(r['coverage']):>7} {_signed(r['coverage_delta']):>7} "
            f"{r['failing']:>8} {r['new']:>5} {r['fixed']:>5} {r['reopened']:>5}  {gate}"
        )
    by_target: dict[str, list[dict]] = {}
    for r in rows:
        by_target.setdefault(r["target"], []).append(r)
    lines.append("")
    for target, runs in by_target.items():
        first, last = runs[0], runs[-1]
        lines.append(
            f"trend {target}: score {sparkline([r['score'] for r in runs])} "
            f"{_pct(first['score'])} -> {_pct(last['score'])}; coverage "
            f"{sparkline([r['coverage'] for r in runs])} "
            f"{_pct(first['coverage'])} -> {_pct(last['coverage'])}"
            f" over {len(runs)} run(s)"
        )
    return "\n".join(lines)


def _brief(f: Mapping) -> dict:
    return {
        "fingerprint": f["fingerprint"],
        "check_id": f["check_id"],
        "resource": f.get("resource"),
        "status": f["status"],
        "severity": f.get("severity"),
        "message": f.get("message"),
        "waiver_id": (f.get("waiver") or {}).get("id"),
        "control_ids": list(f.get("control_ids") or ()),
    }


def _side(doc: Mapping) -> dict:
    run = doc.get("run") or {}
    overall = ((doc.get("scores") or {}).get("overall")) or {}
    return {
        "source": doc.get("source"),
        "run_id": run.get("id"),
        "finished_at": run.get("finished_at"),
        "score": overall.get("score"),
        "coverage": overall.get("coverage"),
    }


def _order(items: list[Mapping]) -> list[Mapping]:
    return sorted(
        items, key=lambda f: (SEVERITY_RANK.get(f.get("severity"), 5), f["check_id"], f.get("resource"))
    )


def diff_json(change: Change, a: Mapping, b: Mapping) -> dict:
    before = failing_by_fingerprint(a.get("findings") or ())
    waived = change.newly_waived(a)
    return {
        "a": _side(a),
        "b": _side(b),
        "counts": {
            "new": len(change.new),
            "fixed": len(change.absent),
            "changed": len(change.updated),
            "unchanged": len(change.unchanged),
            "not_evaluated": len(change.not_evaluated),
            "newly_waived": len(waived),
        },
        "new": [_brief(f) for f in _order(change.new)],
        "fixed": [_brief(f) for f in _order(change.absent)],
        "changed": [
            {**_brief(f), "before": _brief(before[f["fingerprint"]])} for f in _order(change.updated)
        ],
        "unchanged": [_brief(f) for f in _order(change.unchanged)],
        "not_evaluated": [_brief(f) for f in _order(change.not_evaluated)],
        "newly_waived": [f["fingerprint"] for f in waived],
    }


def _line(f: Mapping) -> str:
    waiver = f" [waived: {f['waiver_id']}]" if f.get("waiver_id") else ""
    where = f"{f['check_id']}  {f.get('resource')}"
    return f"  {f.get('severity') or '':<8} {f['status']:<5} {where}: {f.get('message')}{waiver}"


def diff_text(doc: Mapping, limit: int) -> str:
    a, b, counts = doc["a"], doc["b"], doc["counts"]
    lines = [
        f"A: {a['source']}" + (f" ({a['finished_at']})" if a.get("finished_at") else ""),
        f"B: {b['source']}" + (f" ({b['finished_at']})" if b.get("finished_at") else ""),
    ]
    if a.get("score") is not None or b.get("score") is not None:
        lines.append(f"score {_pct(a.get('score'))} -> {_pct(b.get('score'))}")
    lines.append(
        f"{counts['new']} new, {counts['fixed']} fixed, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged ({counts['newly_waived']} newly waived: accepted, not fixed)"
        + (f", {counts['not_evaluated']} not evaluated in B" if counts["not_evaluated"] else "")
    )
    for key, title in (
        ("new", "New"),
        ("fixed", "Fixed"),
        ("changed", "Changed"),
        ("not_evaluated", "Not evaluated in B"),
    ):
        items = doc[key]
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        for f in items[:limit]:
            lines.append(_line(f))
            if key == "changed":
                before = f["before"]
                lines.append(f"      was: {before['status']} {before.get('message')}")
        if len(items) > limit:
            lines.append(f"  … and {len(items) - limit} more (--limit N, or --json for all)")
    return "\n".join(lines)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def findings_text(rows: list[dict], limit: int) -> str:
    if not rows:
        return "no findings match"
    lines = [
        f"{'state':<7} {'severity':<8} {'first seen':<11} {'last seen':<11} {'age/fix':>7} {'reop':>4}  "
        "check  resource: message"
    ]
    for r in rows[:limit]:
        spent = r["time_to_fix_s"] if r["state"] == "fixed" else r["age_s"]
        lines.append(
            f"{r['state']:<7} {r['severity']:<8} "
            f"{(r['first_seen'] or '')[:10]:<11} {(r['last_seen'] or '')[:10]:<11} "
            f"{duration(spent):>7} {r['reopened']:>4}  {r['check_id']}  {r['resource']}: {r['message']}"
        )
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more (--limit N, or --json for all)")
    states: dict[str, int] = {}
    for r in rows:
        states[r["state"]] = states.get(r["state"], 0) + 1
    fixes = sorted(r["time_to_fix_s"] for r in rows if r["time_to_fix_s"] is not None)
    tail = f"; median time to fix {duration(fixes[len(fixes) // 2])}" if fixes else ""
    lines.append(
        f"{len(rows)} finding(s): " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) + tail
    )
    return "\n".join(lines)

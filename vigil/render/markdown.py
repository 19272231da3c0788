"""summary.md: a short Markdown summary for a pull-request comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from vigil.compare import FAILING, compare
from vigil.model import DOMAINS, SEVERITIES, SEVERITY_RANK, STATUSES

# GitHub refuses comments over 65,536 characters; stay under with room for a bot's own header
MAX_CHARS = 65_000
MAX_ROWS = 20  # per list; the rest is counted in an "and N more" line
TOP_CONTROLS = 10
MAX_CELL = 160  # characters of data per cell, before escaping
FULL_REPORT = "The full list is in report.html, findings.csv and results.json."

# What can start Markdown or HTML markup from inside a line, and | which ends a table cell. Line-start
# markup (lists, headings) cannot happen: data never starts a line.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~&])")
# GitHub makes @name a notification and #12 (or owner/repo#12) a cross-reference even when escaped, as it
# works on the rendered text; a zero-width space after the sign stops both and stays invisible.
_REFERENCE = re.compile(r"((?<!\w)@(?=\w)|#(?=\d))")


def _clip(value: object, limit: int = MAX_CELL) -> str:
    text = " ".join(str("" if value is None else value).split())  # a newline would end the table row
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(value: object, limit: int = MAX_CELL) -> str:
    """Data as inert Markdown text: no markup, no broken tables, no mentions."""
    return _REFERENCE.sub("\\1\u200b", _MARKUP.sub(r"\\\1", _clip(value, limit)))


def esc_paragraph(value: object) -> str:
    """Free text (a description, a remediation) as one inert Markdown paragraph of any length: markup
    escaped, line breaks folded (so no line can start a list or heading), a leading list marker escaped."""
    text = esc(value, limit=1 << 30)
    return "\\" + text if re.match(r"[-+=]|\d+[.)]", text) else text


def link(url: object) -> str:
    """An http(s) address as an autolink; anything else (javascript:, data:, a relative path) as text."""
    text = str(url or "")
    if re.fullmatch(r"https?://[^\s<>\\`]+", text):
        return f"<{text}>"
    return esc(text, limit=1 << 30)


def code(value: object, limit: int = MAX_CELL) -> str:
    """An identifier as a code span: nothing inside is markup or a mention; only | needs escaping."""
    text = _clip(value, limit).replace("|", "\\|")
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _when(text: str | None) -> str:
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return "unknown time"


def _table(headers: list[str], rows: list[list[str]], total: int | None = None, budget: int = 10_000):
    """A table of at most MAX_ROWS rows and about `budget` characters, then a line saying what is left."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    used = sum(map(len, lines))
    shown = 0
    for row in rows[:MAX_ROWS]:
        line = "| " + " | ".join(row) + " |"
        if used + len(line) > budget:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    left = (len(rows) if total is None else total) - shown
    if left > 0:
        lines.append(f"\n…and {left:,} more. {FULL_REPORT}")
    return lines


def _verdict(results: dict) -> list[str]:
    gate = results.get("gate") or {}
    run = results.get("run") or {}
    baseline = results.get("baseline") or {}
    overall = (results.get("scores") or {}).get("overall") or {}
    fail_on, blocking = gate.get("fail_on", "high"), gate.get("blocking", 0)
    if fail_on == "none":
        verdict = "⚪ **Gate off** (fail_on: none): findings are reported, nothing blocks."
    elif gate.get("passed"):
        verdict = f"✅ **Gate passed**: no unwaived fail or error findings at or above **{esc(fail_on)}**."
    else:
        verdict = f"❌ **Gate failed**: {blocking:,} blocking findings at or above **{esc(fail_on)}**."
    title = baseline.get("title") or baseline.get("name") or "baseline"
    facts = [
        f"score **{_pct(overall.get('score'))}**",
        f"coverage **{_pct(overall.get('coverage'))} %**",
        f"{overall.get('controls', 0):,} controls",
        f"{gate.get('manual', 0):,} findings need a person",
        f"as of {_when(run.get('as_of') or run.get('finished_at'))}",
    ]
    if not run.get("waivers_applied", True):
        facts.append("**waivers not applied**")
    return [f"## vigil: {esc(title)}", "", verdict, "", " · ".join(facts)]


def _scores(results: dict) -> list[str]:
    scores = results.get("scores") or {}
    domains = scores.get("domains") or {}
    names = [d for d in DOMAINS if d in domains] + sorted(d for d in domains if d not in DOMAINS)
    rows = []
    for name, s in [(esc(n), domains[n]) for n in names] + [("**overall**", scores.get("overall") or {})]:
        rows.append(
            [
                name,
                _pct(s.get("score")),
                _pct(s.get("coverage")),
                str(s.get("controls", 0)),
                str(s.get("scored_controls", 0)),
            ]
        )
    return [
        "### Score and coverage by domain",
        "",
        *_table(["Domain", "Score", "Coverage %", "Controls", "Scored controls"], rows),
    ]


def _counts(results: dict) -> list[str]:
    summary = results.get("summary") or {}
    status, severity = summary.get("status") or {}, summary.get("severity") or {}
    return [
        "### Findings",
        "",
        "| " + " | ".join(s.replace("_", " ") for s in STATUSES) + " | waived |",
        "|" + "---:|" * (len(STATUSES) + 1),
        "| " + " | ".join(f"{status.get(s, 0):,}" for s in STATUSES) + f" | {summary.get('waived', 0):,} |",
        "",
        "Unwaived fail and error findings by severity:",
        "",
        "| " + " | ".join(SEVERITIES) + " |",
        "|" + "---:|" * len(SEVERITIES),
        "| " + " | ".join(f"{severity.get(s, 0):,}" for s in SEVERITIES) + " |",
    ]


def _top_controls(results: dict, open_findings: list[dict], budget: int) -> list[str]:
    per_control = Counter(cid for f in open_findings for cid in f.get("control_ids") or ())
    failing = [c for c in results.get("controls") or () if c.get("status") in FAILING]
    if not failing:
        return ["### Failing controls", "", "None."]
    failing.sort(key=lambda c: (-per_control[c["id"]], -(c.get("weight") or 0), c["id"]))
    rows = [
        [
            code(c["id"]),
            esc(c.get("title")),
            esc(c.get("domain")),
            esc(c["status"]),
            _pct(c.get("score")),
            f"{per_control[c['id']]:,}",
        ]
        for c in failing[:TOP_CONTROLS]
    ]
    head = ["Control", "Title", "Domain", "Status", "Score", "Open findings"]
    return ["### Top failing controls", "", *_table(head, rows, total=len(failing), budget=budget)]


def _finding_rows(findings: list[dict]) -> list[list[str]]:
    return [
        [
            esc(f.get("severity")),
            esc(f["status"]),
            code(f["check_id"]),
            code(f.get("resource")),
            esc(f.get("message")),
        ]
        for f in findings[:MAX_ROWS]
    ]


def _blocking(results: dict, open_findings: list[dict], budget: int) -> list[str]:
    gate = results.get("gate") or {}
    floor = SEVERITY_RANK.get(gate.get("fail_on"), 99)  # "none" blocks nothing
    blocking = [f for f in open_findings if SEVERITY_RANK.get(f.get("severity"), 0) >= floor]
    if not blocking:
        return ["### Blocking findings", "", "None."]
    blocking.sort(key=lambda f: -SEVERITY_RANK.get(f.get("severity"), 0))
    head = ["Severity", "Status", "Check", "Resource", "Message"]
    rows = _finding_rows(blocking)
    return [f"### Blocking findings ({len(blocking):,})", "", *_table(head, rows, len(blocking), budget)]


def _waivers(results: dict, budget: int) -> list[str]:
    soon = [w for w in results.get("waivers") or () if w.get("state") in ("expiring", "expired")]
    if not soon:
        return []
    soon.sort(key=lambda w: (w.get("days_left") is None, w.get("days_left") or 0))
    rows = [
        [
            code(w.get("id")),
            esc(w.get("state")),
            code(w.get("check")),
            code(w.get("resource")) or "_whole check_",
            esc(w.get("owner")),
            esc(str(w.get("expires") or "")[:10]),
            esc(w.get("days_left")),
        ]
        for w in soon[:MAX_ROWS]
    ]
    head = ["Waiver", "State", "Check", "Resource", "Owner", "Expires", "Days left"]
    return ["### Waivers expiring soon or expired", "", *_table(head, rows, len(soon), budget)]


def _changes(results: dict, previous: dict | None, budget: int) -> list[str]:
    change = compare(results, previous)
    if change is None:
        return []
    before = ((previous.get("scores") or {}).get("overall") or {}).get("score")
    now = ((results.get("scores") or {}).get("overall") or {}).get("score")
    score = f"score {_pct(before)} → {_pct(now)}"
    if before is not None and now is not None:
        score += f" ({now - before:+.1f})"
    lines = [
        "### Changes since the previous run",
        "",
        f"{len(change.new):,} new · {len(change.absent):,} fixed or gone · {len(change.updated):,} changed · "
        f"{len(change.still_failing):,} still open · {score}",
    ]
    # vigil.compare: a waiver accepts a risk, it does not fix it
    waived = len(change.newly_waived(previous))
    if waived or change.not_evaluated:
        lines.append("")
        lines.append(
            f"{waived:,} newly waived (accepted, still counted as open here) · "
            f"{len(change.not_evaluated):,} not evaluated this run"
        )
    head = ["Severity", "Status", "Check", "Resource", "Message"]
    for title, found in (("New", change.new), ("Fixed or gone", change.absent)):
        if found:
            found = sorted(found, key=lambda f: -SEVERITY_RANK.get(f.get("severity"), 0))
            rows = _finding_rows(found)
            lines += ["", f"**{title}**", "", *_table(head, rows, len(found), budget // 2)]
    return lines


def summary(results: dict, previous: dict | None = None) -> str:
    """The Markdown text; always under MAX_CHARS."""
    open_findings = [
        f for f in results.get("findings") or () if f["status"] in FAILING and not f.get("waiver")
    ]
    head = _verdict(results) + [""] + _scores(results) + [""] + _counts(results)
    budget = (MAX_CHARS - 2_000 - sum(len(line) + 1 for line in head)) // 5  # five lists share the rest
    sections = [
        _blocking(results, open_findings, budget),
        _top_controls(results, open_findings, budget),
        _waivers(results, budget),
        _changes(results, previous, budget * 2),
    ]
    tool = results.get("tool") or {}
    run_id = (results.get("run") or {}).get("id") or "?"
    foot = [f"<sub>vigil {esc(tool.get('version', ''))} · run {code(run_id)} · {FULL_REPORT}</sub>"]
    lines = head + [line for s in sections if s for line in ["", *s]] + ["", *foot]
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_CHARS:  # a backstop only: the budgets above should make this unreachable
        cut = text.rfind("\n", 0, MAX_CHARS - 200)
        text = text[:cut] + f"\n\n…summary cut to fit a GitHub comment. {FULL_REPORT}\n"
    return text


def render_markdown(results: dict, path: Path, ctx) -> None:
    """Write summary.md (also fit for $GITHUB_STEP_SUMMARY)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(summary(results, ctx.previous), encoding="utf-8")
    os.replace(tmp, path)


def _failing(f: dict) -> bool:
    return f["status"] in FAILING


def open_sink(head: dict, path: Path, ctx):
    """summary.md lists failing findings only (open ones, and waived ones in "what changed"): those are
    all it keeps."""
    from vigil.render import Subset

    return Subset(head, path, ctx, _failing, render_markdown)

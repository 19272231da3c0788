"""summary.md: the verdict first, short enough for a PR comment, and data that cannot turn into markup."""

from __future__ import annotations

import copy
import re

from tests.factories import make_results
from vigil.render import RenderContext, render
from vigil.render.markdown import MAX_CHARS, MAX_ROWS, code, esc

HOSTILE = [
    "a|b|c",
    "<img src=x onerror=alert(1)>",
    "[click](https://evil.example)",
    "**bold** _it_ ~~s~~ `tick`",
    "@octo-org/security please look",
    "closes #12",
    "&lt;entity&gt;",
    "line\nbreak | more",
]


def summary(results: dict, tmp_path, previous: dict | None = None) -> str:
    path = render(results, "md", tmp_path, RenderContext(previous=previous))
    return path.read_text(encoding="utf-8")


def cells(line: str) -> list[str]:
    """A table row's cells, split the way GitHub does: on pipes not escaped with a backslash."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def section(text: str, title: str) -> list[str]:
    """The lines of one ### section."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"### {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("### ")), len(lines))
    return lines[start:end]


def test_verdict_scores_and_counts_come_first(tmp_path):
    results = make_results(300, 30, seed=1)
    text = summary(results, tmp_path)
    lines = text.splitlines()
    assert lines[0] == "## vigil: Privacy policy commitments"
    blocking = results["gate"]["blocking"]
    assert lines[2] == f"❌ **Gate failed**: {blocking:,} blocking findings at or above **high**."
    domains = section(text, "Score and coverage by domain")
    rows = [cells(line) for line in domains if line.startswith("| ") and "---" not in line][1:]
    assert [r[0].strip() for r in rows] == ["technical", "administrative", "physical", "**overall**"]
    tech = results["scores"]["domains"]["technical"]
    assert rows[0][1].strip() == f"{tech['score']:.1f}" and rows[0][2].strip() == f"{tech['coverage']:.1f}"
    counts = section(text, "Findings")
    status = results["summary"]["status"]
    assert cells(counts[4])[1].strip() == f"{status['fail']:,}"


def test_a_passed_gate_and_a_disabled_gate_say_so(tmp_path):
    results = make_results(100, 15, seed=2, fail_on="none")
    assert "⚪ **Gate off**" in summary(results, tmp_path / "off")
    results["gate"].update(fail_on="critical", passed=True, blocking=0)
    text = summary(results, tmp_path / "on")
    assert "✅ **Gate passed**" in text


def test_blocking_findings_are_capped_with_a_count_of_the_rest(tmp_path):
    results = make_results(2000, 30, seed=3)
    blocking = section(summary(results, tmp_path), "Blocking findings")
    rows = [line for line in blocking if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == MAX_ROWS
    n = int(re.search(r"\(([\d,]+)\)", blocking[0]).group(1).replace(",", ""))
    assert n == results["gate"]["blocking"]
    assert f"…and {n - MAX_ROWS:,} more." in "\n".join(blocking)
    severities = [cells(r)[0].strip() for r in rows]
    assert severities[0] == "critical" and "medium" not in severities  # gate fails on high


def test_hostile_data_cannot_add_markup_break_tables_or_mention_anyone(tmp_path):
    results = make_results(200, 30, seed=1)
    failing = [f for f in results["findings"] if f["status"] == "fail" and not f["waiver"]]
    failing.sort(key=lambda f: f["severity"] != "critical")
    for f, text in zip(failing, HOSTILE, strict=False):
        f["severity"] = "critical"
        f["resource"], f["message"] = text, text
    out = summary(results, tmp_path)
    # code spans are inert (no markup, no mentions); outside them every sign must be escaped
    prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", out)
    assert "<img" not in prose.replace("\\<img", "")
    assert "[click](" not in prose.replace("\\[click\\](", "")
    assert "@octo-org" not in prose and "@\u200bocto-org" in prose
    assert "#12" not in prose and "\\#\u200b12" in prose
    for line in section(out, "Blocking findings"):
        if line.startswith("| ") and "---" not in line:
            assert len(cells(line)) == 5, line


def test_escaping_helpers():
    assert esc("a|b") == "a\\|b"
    assert esc("<b>") == "\\<b\\>"
    assert esc("ping @team") == "ping @\u200bteam"
    assert esc("mail bob@example.com") == "mail bob@example.com"  # not a mention, left readable
    assert esc("see #3") == "see \\#\u200b3"
    assert esc("two\nlines") == "two lines"
    assert code("x|y") == "`x\\|y`"
    assert code("a `b` c") == "``a `b` c``"
    assert len(esc("x" * 1000)) == 160


def test_waivers_expiring_soon_are_listed_soonest_first(tmp_path):
    results = make_results(300, 30, seed=1)
    lines = section(summary(results, tmp_path), "Waivers expiring soon")
    rows = [cells(line) for line in lines if line.startswith("| `W-")]
    soon = sorted(
        (w for w in results["waivers"] if w["state"] in ("expiring", "expired")), key=lambda w: w["days_left"]
    )
    assert [r[0].strip() for r in rows] == [f"`{w['id']}`" for w in soon]


def test_changes_since_the_previous_run(tmp_path):
    now, before = make_results(400, 30, seed=1), make_results(400, 30, seed=2)
    assert "### Changes since the previous run" not in summary(now, tmp_path / "alone")
    lines = section(summary(now, tmp_path / "both", previous=before), "Changes since the previous run")
    fact = lines[2]
    assert re.match(r"[\d,]+ new · [\d,]+ fixed or gone · [\d,]+ changed · [\d,]+ still open · score ", fact)
    assert "**New**" in lines and "**Fixed or gone**" in lines


def test_always_fits_a_github_comment(tmp_path):
    results = make_results(3000, 60, seed=9)
    huge = copy.deepcopy(results)
    for i, f in enumerate(huge["findings"]):
        f["status"], f["severity"], f["waiver"] = "fail", "critical", None
        f["resource"] = "|<`*_[" * 200 + str(i)
        f["message"] = "&#@" * 2000
    for c in huge["controls"]:
        c["status"], c["title"] = "fail", "|" * 5000
    for w in huge["waivers"]:
        w["state"], w["owner"] = "expiring", "@x|" * 3000
    huge["waivers"] *= 50
    previous = copy.deepcopy(results)
    text = summary(huge, tmp_path, previous=previous)
    assert len(text) < MAX_CHARS
    assert text.startswith("## vigil:") and "❌ **Gate failed**" in text

"""Inline SVG charts for the HTML report, drawn at render time so the report needs no chart library."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from markupsafe import Markup, escape

# Colours live in report.css (classes below), not in the SVG: one palette for screen and print, and
# no style attributes, which the report's Content-Security-Policy would block.
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(
    width: int, height: int, title: str, desc: str, body: list[str], cls: str, stretch: bool = False
) -> Markup:
    """Wrap shapes in an accessible <svg>; title and desc are what a screen reader announces."""
    # ids from the content, not a counter or hash(): the same results always give the same bytes
    ident = "c" + hashlib.sha256(f"{cls}|{title}|{desc}".encode()).hexdigest()[:10]
    aspect = ' preserveAspectRatio="none"' if stretch else ""
    head = (
        f'<svg class="chart {escape(cls)}" viewBox="0 0 {width} {height}" width="100%"{aspect} '
        f'role="img" aria-labelledby="{ident}t {ident}d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text and class above is escaped


def _hbars(
    rows: Sequence[tuple[str, float | None, str, str]], maximum: float, title: str, cls: str
) -> Markup:
    """Horizontal bars: (label, value or None, value text, css class) per row."""
    label_w, bar_w, text_w, row_h = 118, 220, 76, 26
    width, height = label_w + bar_w + text_w, row_h * len(rows) + 4
    body, said = [], []
    for i, (label, value, text, bar_cls) in enumerate(rows):
        y = 2 + i * row_h
        body.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 5}" width="{bar_w}" height="14" rx="3"/>'
        )
        if value:
            w = max(2.0, bar_w * min(value, maximum) / maximum) if maximum else 0
            body.append(
                f'<rect class="bar {escape(bar_cls)}" x="{label_w}" y="{y + 5}" width="{w:.1f}" '
                f'height="14" rx="3"/>'
            )
        body.append(f'<text class="value" x="{label_w + bar_w + 8}" y="{y + 17}">{escape(text)}</text>')
        said.append(f"{label}: {text}")
    return _svg(width, height, title, "; ".join(said), body, cls)


def domain_scores(scores: dict) -> Markup:
    """Score of the whole baseline and of each domain, 0..100; a domain with no score says so."""
    rows = [("Overall", scores["overall"]["score"], "overall")]
    rows += [(name.capitalize(), d["score"], name) for name, d in scores["domains"].items()]
    return _hbars(
        [(label, v, "no score" if v is None else _fmt(v), f"dom-{c}") for label, v, c in rows],
        100,
        "Score by domain (0 to 100)",
        "chart-domains",
    )


def severity_counts(counts: dict) -> Markup:
    """Open (unwaived fail and error) findings per severity."""
    top = max([counts.get(s, 0) for s in SEVERITY_ORDER] + [1])
    rows = [(s.capitalize(), counts.get(s, 0), f"{counts.get(s, 0):,}", f"sev-{s}") for s in SEVERITY_ORDER]
    return _hbars(rows, top, "Open findings by severity", "chart-severity")


def status_counts(counts: dict) -> Markup:
    """All findings per status."""
    order = ("fail", "error", "manual", "pass", "not_applicable")
    top = max([counts.get(s, 0) for s in order] + [1])
    rows = [
        (s.replace("_", " ").capitalize(), counts.get(s, 0), f"{counts.get(s, 0):,}", f"st-{s}")
        for s in order
    ]
    return _hbars(rows, top, "Findings by status", "chart-status")


def coverage_bar(percent: float | None, label: str) -> Markup:
    """A thin bar for a score card: how much of the domain the evidence could judge."""
    value = max(0.0, min(100.0, percent or 0.0))
    return _svg(
        200,
        8,
        label,
        f"{_fmt(value)} percent",
        [
            '<rect class="track" x="0" y="0" width="200" height="8" rx="4"/>',
            f'<rect class="bar cov" x="0" y="0" width="{2 * value:.1f}" height="8" rx="4"/>' if value else "",
        ],
        "chart-coverage",
        stretch=True,
    )


def trend(points: Sequence[dict]) -> Markup | None:
    """Score and coverage across runs, oldest first; None with fewer than two points to draw a line."""
    if len(points) < 2:
        return None
    left, top, plot_w, plot_h = 36, 12, 500, 150
    width, height = left + plot_w + 40, top + plot_h + 44
    step = plot_w / (len(points) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - v / 100)

    body = []
    for v in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - v / 100)
        body.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v}</text>'
        )
    said = []
    for key, cls in (("coverage", "line-coverage"), ("score", "line-score")):
        coords = [(i, p[key]) for i, p in enumerate(points) if p.get(key) is not None]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in coords))
            body.append(f'<polyline class="{cls}" points="{path}"/>')
            for i, v in coords:
                x, y = xy(i, v)
                body.append(
                    f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                    f"<title>{escape(key)} {escape(_fmt(v))} on {escape(points[i]['label'])}</title></circle>"
                )
    every = max(1, len(points) // 8)  # keep date labels from overlapping on long histories
    for i, p in enumerate(points):
        said.append(f"{p['label']}: score {p.get('score')}, coverage {p.get('coverage')}")
        if i % every == 0 or i == len(points) - 1:
            x, _ = xy(i, 0)
            body.append(
                f'<text class="axis" x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f"{escape(p['label'])}</text>"
            )
    legend_y = top + plot_h + 38
    body.append(
        f'<rect class="line-score key" x="{left}" y="{legend_y - 9}" width="14" height="4"/>'
        f'<text class="axis" x="{left + 20}" y="{legend_y - 4}">score</text>'
        f'<rect class="line-coverage key" x="{left + 80}" y="{legend_y - 9}" width="14" height="4"/>'
        f'<text class="axis" x="{left + 100}" y="{legend_y - 4}">evidence coverage</text>'
    )
    return _svg(width, height, "Score and coverage across runs", "; ".join(said), body, "chart-trend")

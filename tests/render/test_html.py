"""The HTML report as text: structure, first-screen facts, the embedded data, escaping and the CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.factories import PAYLOADS, make_results, with_payloads
from vigil.compare import compare
from vigil.render import RenderContext, charts, render
from vigil.render.html import evidence_href, script_json


class Tags(HTMLParser):
    """Every start tag with its attributes, plus the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


def write(tmp_path: Path, results: dict, **ctx) -> str:
    path = render(results, "html", tmp_path, RenderContext(**ctx))
    assert path.name == "report.html"
    return path.read_text(encoding="utf-8")


def embedded_data(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="vigil-data">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(n_findings=300, n_controls=30, seed=3, with_history=True)


@pytest.fixture(scope="module")
def html(results, tmp_path_factory) -> str:
    previous = make_results(n_findings=300, n_controls=30, seed=4)
    return write(tmp_path_factory.mktemp("html"), results, previous=previous, link_base="../")


def test_headings_are_in_order_and_there_is_one_h1(html):
    levels = [int(t[1]) for t, _ in parse(html).tags if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert max(levels) == 3


def test_first_screen_shows_gate_scores_and_coverage(results, html):
    gate = results["gate"]
    assert ("Gate passed" if gate["passed"] else "Gate failed") in html
    assert f"<strong>{gate['blocking']}</strong> blocking finding" in html
    for name in ("Overall", "Technical", "Administrative", "Physical"):
        assert f">{name}</h3>" in html
    overall = results["scores"]["overall"]
    assert f">{overall['score']:g}</span>" in html
    assert f"<strong>{overall['coverage']:g}%</strong>" in html
    for domain in results["scores"]["domains"].values():
        assert f"{domain['scored_controls']} of {domain['controls']} controls scored" in html


def test_waivers_needing_attention_lists_expiring_expired_and_invalid(results, html):
    attention = html.split('id="h-attention"')[1].split("</article>")[0]
    for w in results["waivers"]:
        if w["state"] in ("expiring", "expired", "invalid"):
            assert f"</span> {w['id']}<br>" in attention, w["id"]
        else:
            assert f"</span> {w['id']}<br>" not in attention
    assert "approver is the same person as the owner" in attention


def test_changes_since_previous_run_match_compare(results, html):
    change = compare(results, make_results(n_findings=300, n_controls=30, seed=4))
    panel = html.split('id="h-changes"')[1].split("</article>")[0]
    assert f"<strong>{len(change.new)}</strong> new" in panel
    assert f"<strong>{len(change.absent)}</strong> fixed or gone" in panel
    assert f"<strong>{len(change.unchanged) + len(change.updated)}</strong> still open" in panel


def test_without_previous_or_history_there_is_no_change_panel_or_trend(tmp_path):
    html = write(tmp_path, make_results(n_findings=50, n_controls=10))
    assert "No previous run was given" in html
    assert 'class="chart chart-trend"' not in html and 'id="f-change"' not in html


def test_trend_chart_has_a_point_per_run(results, html):
    trend = html.split('class="chart chart-trend"')[1].split("</svg>")[0]
    assert trend.count('<circle class="line-score"') == len(results["history"]) + 1


def test_controls_are_grouped_by_section_with_quote_and_frameworks(results, html):
    for control in results["controls"]:
        assert '<h3 id="h-section-' in html
        assert f"<blockquote>{control['quote']}</blockquote>" in html
    sections = {c["section"] for c in results["controls"]}
    headings = re.findall(r'<h3 id="h-section-\d+">(.*?)</h3>', html)
    assert sorted(headings) == sorted(sections)
    assert "<dt>SOC 2</dt><dd>CC6.1</dd>" in html


def test_embedded_data_holds_every_finding_sorted_open_first(results, html):
    data = embedded_data(html)
    assert len(data["findings"]) == len(results["findings"])
    statuses = [row[2] for row in data["findings"]]
    assert statuses == sorted(statuses)  # fail, error, manual, pass, n/a
    resources = {row[4] for row in data["findings"]}
    assert resources == {f["resource"] for f in results["findings"]}


def test_evidence_links_use_link_base(results, html):
    path = results["evidence"][0]["path"]
    assert f'href="../{path}"' in html
    assert [row[1] for row in embedded_data(html)["evidence"]][0] == f"../{path}"


def test_evidence_href_cannot_become_a_script_url():
    assert evidence_href("", "javascript:alert(1)") == "javascript%3Aalert%281%29"
    assert evidence_href("../", "evidence/objects/ab/x.json") == "../evidence/objects/ab/x.json"


def test_csp_forbids_fetching_and_allows_exactly_the_inline_script_and_style(html):
    tags = parse(html)
    csp = next(
        a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp.startswith("default-src 'none';")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "require-trusted-types-for 'script'" in csp
    code = [
        s for (t, a), s in zip([x for x in tags.tags if x[0] == "script"], tags.scripts, strict=True) if not a
    ]
    assert len(code) == 1
    digest = base64.b64encode(hashlib.sha256(code[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'" in csp


def test_nothing_is_loaded_from_elsewhere(html):
    for tag, attrs in parse(html).tags:
        assert "src" not in attrs, tag
        assert tag not in ("link", "iframe", "object", "embed", "img")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "@import" not in html and "url(" not in html


def test_render_is_deterministic(results, tmp_path):
    a = write(tmp_path, results)
    b = write(tmp_path, results)
    assert a == b


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[dict, str]:
    results = with_payloads(make_results(n_findings=120, n_controls=20, seed=5, with_history=True))
    results["history"][0]["finished_at"] = "<script>alert(3)</script>"
    results["scores"]["domains"]["<b>x</b>"] = {
        "score": 1.0,
        "coverage": 1.0,
        "controls": 1,
        "scored_controls": 1,
    }
    html = write(tmp_path_factory.mktemp("hostile"), results, previous=make_results(120, 20, seed=6))
    return results, html


def test_payloads_never_become_markup(hostile):
    _, html = hostile
    for payload in PAYLOADS:
        if "<" in payload:  # "{{ 7*7 }}" is harmless text and must appear as it is
            assert payload not in html, payload
    tags = parse(html)
    assert [t for t, _ in tags.tags].count("script") == 2  # the JSON data and our own script
    assert not [t for t, _ in tags.tags if t == "img"]
    assert not [(t, a) for t, a in tags.tags if any(k.startswith("on") for k in a)]
    assert "<b>x</b>" not in html


def test_payloads_are_shown_as_text(hostile):
    results, html = hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    title = results["controls"][2]["title"]
    assert title.endswith("{{ 7*7 }}")
    assert f'<span class="control-title">{title}</span>' in html


def test_template_syntax_in_data_is_not_evaluated(hostile):
    results, html = hostile
    for c in results["controls"]:
        if c["title"].endswith("{{ 7*7 }}"):
            assert c["title"][: -len("{{ 7*7 }}")] + "49" not in html
    data = embedded_data(html)
    assert any(row[4].endswith("{{ 7*7 }}") for row in data["findings"])


def test_embedded_data_survives_script_closing_text(hostile):
    results, html = hostile
    block = html.split('id="vigil-data">')[1].split("</script>")[0]
    assert "<" not in block and ">" not in block and "&" not in block
    data = embedded_data(html)
    assert sorted(row[4] for row in data["findings"]) == sorted(f["resource"] for f in results["findings"])


def test_script_json_escapes_everything_that_could_end_the_element():
    text = script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_chart_text_is_escaped():
    svg = charts.trend(
        [{"label": "<i>a</i>", "score": 1.0, "coverage": 2.0}, {"label": "b", "score": 3.0, "coverage": None}]
    )
    assert "<i>" not in svg and "&lt;i&gt;a&lt;/i&gt;" in svg
    scores = {"overall": {"score": None}, "domains": {'"><svg onload=alert(1)>': {"score": 10.0}}}
    svg = charts.domain_scores(scores)
    assert "<svg onload" not in svg and "no score" in svg


def test_trend_needs_two_points():
    assert charts.trend([{"label": "now", "score": 1.0, "coverage": 1.0}]) is None


@pytest.mark.parametrize(
    "path, href",
    [
        ("//evil.example/x.json", "evil.example/x.json"),
        ("../../etc/passwd", "etc/passwd"),
        ("javascript:alert(1)", "javascript%3Aalert%281%29"),
        ("evidence/objects/ab/ab.json", "evidence/objects/ab/ab.json"),
    ],
)
def test_evidence_links_stay_relative_and_below_the_report(path, href):
    from vigil.render.html import evidence_href

    assert evidence_href("", path) == href
    assert evidence_href("../run/", path) == "../run/" + href

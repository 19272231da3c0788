"""The HTML report in real headless Chromium: no errors, no network, working filters, inert payloads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import make_results, with_payloads
from vigil.render import RenderContext, render

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGE = 100

pytestmark = pytest.mark.chromium


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"chromium not installed: {CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield browser
    browser.close()
    pw.stop()


class Watched:
    """A page with everything it logs, requests and pops up recorded."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = url
        self.page.goto(url)
        self.page.wait_for_selector("html[data-ready]")

    def rows(self):
        return self.page.locator("#findings-body tr:not(.empty)")

    def result_count(self) -> int:
        text = self.page.locator("#result-line").inner_text()
        if text.startswith("No matching"):
            return 0
        return int(text.split(" of ")[1].split(" matching")[0].replace(",", ""))

    def choose(self, select_id: str, value: str) -> None:
        self.page.select_option(select_id, value)


@pytest.fixture(scope="module")
def results() -> dict:
    data = with_payloads(make_results(n_findings=640, n_controls=30, seed=7, with_history=True))
    data["history"][0]["finished_at"] = "<img src=x onerror=alert(4)>"
    return data


@pytest.fixture(scope="module")
def report(results, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    previous = make_results(n_findings=640, n_controls=30, seed=8)
    return render(results, "html", out, RenderContext(previous=previous, link_base="./"))


@pytest.fixture
def page(browser, report):
    watched = Watched(browser, report.as_uri())
    yield watched
    watched.page.close()


def test_opens_without_errors_or_network_and_saves_a_screenshot(page, report):
    page.page.wait_for_timeout(200)
    assert page.errors == []
    assert page.console == []
    assert page.requests == [report.as_uri()]
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_payloads_do_not_execute(page, results):
    page.page.fill("#f-search", "alert")
    expect(page.page.locator("#result-line")).to_contain_text("matching")
    for d in page.page.query_selector_all("details.control"):
        d.evaluate("d => { d.open = true; }")
    page.page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.errors == []
    assert page.page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.page.evaluate("document.scripts.length") == 2
    shown = page.page.locator("#findings-body code.res").first.inner_text()
    assert "alert" in shown  # the payload is there, as text
    assert page.page.locator("text=<script>alert(1)</script>").count() > 0


def test_first_page_is_the_first_hundred(page, results):
    assert page.result_count() == len(results["findings"])
    assert page.rows().count() == PAGE
    assert page.rows().first.get_attribute("data-status") == "fail"


def test_status_filter_shows_only_that_status(page, results):
    page.choose("#f-status", "fail")
    expected = sum(1 for f in results["findings"] if f["status"] == "fail")
    assert page.result_count() == expected
    statuses = page.rows().evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses and set(statuses) == {"fail"}
    assert len(statuses) == min(PAGE, expected)


def test_open_filter_excludes_waived_findings(page, results):
    page.choose("#f-status", "open")
    expected = sum(1 for f in results["findings"] if f["status"] in ("fail", "error") and not f["waiver"])
    assert page.result_count() == expected == sum(results["summary"]["severity"].values())


def test_severity_domain_and_framework_filters_combine(page, results):
    page.choose("#f-severity", "high")
    page.choose("#f-domain", "technical")
    page.choose("#f-framework", "soc2:CC6.1")
    controls = {c["id"]: c for c in results["controls"]}
    expected = [
        f
        for f in results["findings"]
        if f["severity"] == "high"
        and results["checks"][f["check_id"]]["domain"] == "technical"
        and any("CC6.1" in controls[c]["frameworks"].get("soc2", []) for c in f["control_ids"])
    ]
    assert 0 < page.result_count() == len(expected)
    assert set(page.rows().evaluate_all("rows => rows.map(r => r.dataset.severity)")) == {"high"}


def test_search_narrows_to_one_resource(page, results):
    def text(f):
        return " ".join([f["resource"], f["message"], f["check_id"], *f["control_ids"]]).lower()

    # a resource name (without its payload suffix) that no other finding mentions
    target = next(
        name
        for name in (f["resource"].split(" ")[0] for f in results["findings"][30:])
        if sum(name.lower() in text(f) for f in results["findings"]) == 1
    )
    page.page.fill("#f-search", target.upper())  # search ignores case
    expect(page.page.locator("#result-line")).to_contain_text(" of 1 ")
    assert page.rows().count() == 1
    assert page.rows().first.locator("code.res").inner_text().startswith(target)


def test_pagination_walks_all_pages(page, results):
    total = len(results["findings"])
    last_page = (total - 1) // PAGE + 1
    page.page.click("#pager [data-page=next]")
    assert page.page.locator("#page-info").inner_text() == f"Page 2 of {last_page}"
    page.page.click("#pager [data-page=last]")
    assert page.rows().count() == total - (last_page - 1) * PAGE
    assert page.page.locator("#pager [data-page=next]").is_disabled()
    page.page.click("#pager [data-page=first]")
    assert page.page.locator("#page-info").inner_text() == f"Page 1 of {last_page}"


def test_reset_clears_filters(page, results):
    page.choose("#f-status", "pass")
    page.page.click("#f-reset")
    expect(page.page.locator("#result-line")).to_contain_text(f"of {len(results['findings'])} ")
    assert page.rows().count() == PAGE


def test_opening_a_control_lists_its_findings_and_links_evidence(page, results):
    first = page.page.locator("details.control").first
    first.locator("summary").click()
    rows = first.locator(".control-findings tbody tr")
    rows.first.wait_for()
    index = int(first.get_attribute("data-control"))
    mine = [f for f in results["findings"] if results["controls"][index]["id"] in f["control_ids"]]
    assert rows.count() == min(50, len(mine))
    href = first.locator("a.ev-link").first.get_attribute("href")
    assert href.startswith("./evidence/objects/")


def test_new_findings_button_filters_by_change(page):
    page.page.click(".delta-new button")
    assert page.page.locator("#f-change").input_value() == "1"
    labels = page.rows().evaluate_all(
        "rows => rows.map(r => r.querySelector('.chg') && r.querySelector('.chg').textContent)"
    )
    assert labels and set(labels) == {"new"}


def test_print_hides_filters_and_opens_every_control(page):
    page.page.emulate_media(media="print")
    page.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert not page.page.locator("#filters").is_visible()
    assert page.page.evaluate("[...document.querySelectorAll('details.control')].every(d => d.open)")
    assert page.page.locator(".control-findings table").count() > 0
    pdf = page.page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 50_000


def test_fifty_thousand_findings_are_paged_filtered_and_drawn_only_near_the_screen(browser, tmp_path):
    # how fast (time to interactive, under 3 s) is measured by bench/render_reports.py, not asserted here:
    # a timed test fails on a busy CI machine for reasons that are not the report's
    path = render(make_results(n_findings=50_000, n_controls=500, seed=11), "html", tmp_path)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-ready]")
        page.select_option("#f-status", "fail")
        expect(page.locator("#f-status")).to_have_value("fail")
        page.wait_for_function("() => document.querySelector('#findings-body tr').dataset.status === 'fail'")
        assert errors == []
        assert page.locator("#findings-body tr").count() == PAGE
        statuses = page.locator("#findings-body tr").evaluate_all("rows => rows.map(r => r.dataset.status)")
        assert set(statuses) == {"fail"}
        # opening all 500 controls draws only the findings near the screen
        page.click("#expand-all")
        page.locator("details.control[open] .control-findings tbody tr").first.wait_for()
        assert page.locator(".control-findings tbody tr").count() < 2000
    finally:
        page.close()

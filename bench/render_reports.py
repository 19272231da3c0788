"""Render every report format for 50,000 findings and print time, memory and HTML time-to-interactive."""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import make_results  # noqa: E402
from vigil.render import FORMATS, RenderContext, render  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
TARGET_TOTAL_S, TARGET_MB, TARGET_INTERACTIVE_MS = 10.0, 500, 3000


def maxrss_mb() -> float:
    # Linux reports ru_maxrss in KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render_one(results: dict, fmt: str, out: Path) -> tuple[str, int]:
    try:
        path = render(results, fmt, out, RenderContext(link_base=""))
    except (ImportError, AttributeError) as exc:  # another engineer's format that is not written yet
        return f"not available ({type(exc).__name__})", 0
    return "ok", path.stat().st_size


def render_all(results: dict, out: Path) -> list[tuple[str, str, float, float, int]]:
    """(format, outcome, seconds, tracemalloc peak MB, bytes written) per format.

    Each format renders twice: once timed, once under tracemalloc, which slows Python down
    two to three times and would otherwise inflate the times.
    """
    rows = []
    for fmt in FORMATS:
        started = time.perf_counter()
        outcome, size = render_one(results, fmt, out)
        seconds = time.perf_counter() - started
        peak = 0.0
        if outcome == "ok":
            tracemalloc.start()
            render_one(results, fmt, out)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        rows.append((fmt, outcome, seconds, peak, size))
    return rows


def time_to_interactive(report: Path) -> tuple[float, float] | None:
    """(ms until the first page is drawn, as the page measures it; wall seconds to a filtered page)."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(report.as_uri())
        page.wait_for_selector("html[data-ready]")
        page.select_option("#f-status", "fail")
        page.wait_for_function("() => document.querySelector('#findings-body tr').dataset.status === 'fail'")
        wall = time.perf_counter() - started
        ready = float(page.evaluate("document.documentElement.dataset.ready"))
        browser.close()
    return ready, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--controls", type=int, default=500)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results = make_results(n_findings=args.findings, n_controls=args.controls, seed=1, with_history=True)
    print(
        f"built {args.findings:,} findings, {args.controls} controls: {time.perf_counter() - started:.2f} s"
    )

    rows = render_all(results, args.out)
    print(f"\n{'format':<8} {'result':<32} {'seconds':>8} {'peak MB':>8} {'size MB':>8}")
    for fmt, outcome, seconds, peak, size in rows:
        print(f"{fmt:<8} {outcome:<32} {seconds:8.2f} {peak:8.1f} {size / 2**20:8.1f}")
    total = sum(r[2] for r in rows)
    rss = maxrss_mb()
    print(f"{'total':<8} {'':<32} {total:8.2f}   max RSS {rss:.0f} MB (process, data included)")

    tti = time_to_interactive(args.out / "report.html")
    if tti is None:
        print(f"\nHTML time to interactive: chromium not installed at {CHROMIUM}")
    else:
        print(f"\nHTML first page drawn {tti[0]:.0f} ms after navigation start; "
              f"filtered page (status=fail) {tti[1] * 1000:.0f} ms after goto")  # fmt: skip
    verdicts = [
        ("all formats", total < TARGET_TOTAL_S, f"{total:.2f} s < {TARGET_TOTAL_S:.0f} s"),
        ("memory", rss < TARGET_MB, f"{rss:.0f} MB < {TARGET_MB} MB"),
    ]
    if tti:
        verdicts.append(("interactive", tti[1] * 1000 < TARGET_INTERACTIVE_MS,
                         f"{tti[1] * 1000:.0f} ms < {TARGET_INTERACTIVE_MS} ms"))  # fmt: skip
    print()
    for name, ok, text in verdicts:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {text}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())

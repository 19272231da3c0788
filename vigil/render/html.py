"""The HTML report: one self-contained file with inline CSS, JS, SVG charts and the findings as JSON data."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from vigil import compare as comparing
from vigil import jsonfast
from vigil.render import RenderContext, charts

STATUS_ORDER = ("fail", "error", "manual", "waived", "pass", "not_applicable")
STATUS_LABEL = {
    "fail": "Fail",
    "error": "Error",
    "manual": "Manual",
    "waived": "Waived",
    "pass": "Pass",
    "not_applicable": "N/A",
}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
STATUS_INDEX = {s: i for i, s in enumerate(STATUS_ORDER)}
SEVERITY_INDEX = {s: i for i, s in enumerate(SEVERITY_ORDER)}
DOMAINS = ("technical", "administrative", "physical")
FRAMEWORK_NAMES = {
    "soc2": "SOC 2",
    "iso27001": "ISO/IEC 27001",
    "nist_800_53": "NIST SP 800-53",
    "gdpr": "GDPR",
}
CHANGE_CODES = {"new": 1, "unchanged": 2, "updated": 3}
# how many findings a "what changed" list shows before pointing at the findings explorer
CHANGE_LIST_LIMIT = 8


def _environment() -> jinja2.Environment:
    # vigil.report_templates is its own package (report_templates/ in the source tree), so load through
    # the package rather than a path: works editable, installed and from a zipped wheel alike.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vigil.report_templates", "."),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_label"] = lambda s: STATUS_LABEL.get(s, str(s))
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1f}".rstrip("0").rstrip(".")
    env.filters["num"] = lambda v: f"{v:,}"
    env.filters["day"] = lambda v: (v or "")[:10]
    env.filters["days"] = _days_left
    env.filters["when"] = _when
    return env


def _when(value: str | None) -> str:
    """2026-11-30T12:04:00.644+00:00 -> 2026-11-30 12:04 UTC: minutes are what a reader compares."""
    if not value:
        return ""
    try:
        t = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)  # shown as given (and escaped); a report never fails on an odd timestamp
    if t.utcoffset() is None:
        return t.strftime("%Y-%m-%d %H:%M")
    zone = "UTC" if t.utcoffset() == timedelta(0) else t.strftime("UTC%z")
    return f"{t:%Y-%m-%d %H:%M} {zone}"


def _days_left(days: int | None) -> str:
    if days is None:
        return ""
    if days < 0:
        return f"{-days} day{'' if days == -1 else 's'} ago"
    return "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} left"


def _asset(name: str) -> str:
    return files("vigil.report_templates").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(css: str, js: str) -> str:
    """Allow exactly our one <style> and one <script>; nothing may be fetched, and Trusted Types make
    any accidental innerHTML-with-a-string throw instead of parsing markup."""
    return (
        f"default-src 'none'; script-src {_sha256(js)}; style-src {_sha256(css)}; "
        "base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
    )


def script_bytes(value: object) -> bytes:
    """UTF-8 JSON for <script type="application/json">: no <, > or & left to end the element or open a
    comment, no line or paragraph separator; made as bytes, since the findings can be hundreds of MB."""
    return _script_safe(jsonfast.dumps(value))


_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                   ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))  # fmt: skip


def _script_safe(data: bytes) -> bytes:
    for raw, escaped in _SCRIPT_ESCAPES:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


def script_json(value: object) -> Markup:
    """script_bytes as text, for small documents."""
    # S704: the text holds no <, > or &, so it cannot be markup
    return Markup(script_bytes(value).decode("utf-8"))  # noqa: S704


def evidence_href(link_base: str, path: str) -> str:
    """A relative URL that stays below the report's folder whatever `path` holds: empty, `.` and `..`
    segments are dropped (so `//host/x` cannot become a protocol-relative link off the machine) and each
    segment is quoted (":" becomes %3A: no scheme)."""
    parts = [quote(p, safe="") for p in str(path).replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return link_base + "/".join(parts)


def set_anchor(set_id: str) -> str:
    return "ev-" + "".join(ch if ch.isalnum() else "-" for ch in set_id)


def _location(loc: dict | None) -> str | None:
    if not loc:
        return None
    return f"{loc['path']}:{loc['line']}" if loc.get("line") else loc.get("path")


def _finding_order(f: dict) -> tuple:
    """Open and severe first, so page one of an unfiltered report is the page that matters."""
    return (
        STATUS_ORDER.index(f["status"]) if f["status"] in STATUS_ORDER else 9,
        bool(f.get("waiver")),
        SEVERITY_ORDER.index(f["severity"]) if f["severity"] in SEVERITY_ORDER else 9,
        f["check_id"],
        f["resource"],
    )


class FindingsTable:
    """The findings explorer's data, built one finding at a time: lookup tables plus one small array per
    finding (tuples shared between findings where they repeat), sorted open and severe first at the end."""

    def __init__(self, head: dict, ctx: RenderContext) -> None:
        self.ctx = ctx
        self.checks_meta = head.get("checks", {})
        self.controls = head.get("controls", [])
        self.control_index = {c["id"]: i for i, c in enumerate(self.controls)}
        self.check_ids = sorted(self.checks_meta)
        self.check_index = {c: i for i, c in enumerate(self.check_ids)}
        self.head = head
        self.evidence = head.get("evidence", [])
        self.evidence_index = {e["id"]: i for i, e in enumerate(self.evidence)}
        # a set is one more link, to its row in the appendix: a finding never repeats the set's documents.
        # A run's reports are fed while it is judged, before it knows every set: one first cited then
        # takes the next row (its documents are read from the head, complete by then, in data())
        self.set_ids = [s["id"] for s in head.get("evidence_sets") or []]
        self.evidence_index.update({sid: len(self.evidence) + i for i, sid in enumerate(self.set_ids)})
        self.waivers: dict[str, int] = {}
        self.waiver_rows: list[list] = []
        # rows by where they sort: (status, waived, severity, check id). Each row is kept as its
        # JSON behind its resource and a NUL, so that sorting the bucket sorts by resource
        # and a million rows cost bytes, not lists. With a previous run, failing rows stay lists until
        # close, beside their fingerprint: their "what changed" code is known only then.
        self._buckets: dict[tuple, list] = {}
        self._changes = ctx.previous is not None
        self._shared: dict[tuple, tuple] = {}
        self._refs: dict[tuple, tuple] = {}

    def _share(self, items: tuple) -> tuple:
        return self._shared.setdefault(items, items)

    def _evidence_row(self, evidence_id: str) -> int | None:
        row = self.evidence_index.get(evidence_id)
        if row is None and evidence_id.startswith("set:"):
            row = self.evidence_index[evidence_id] = len(self.evidence) + len(self.set_ids)
            self.set_ids.append(evidence_id)
        return row

    def add(self, f: dict) -> None:
        w = f.get("waiver")
        wi = -1
        if w:
            wi = self.waivers.setdefault(w["id"], len(self.waiver_rows))
            if wi == len(self.waiver_rows):
                self.waiver_rows.append(
                    [w["id"], w.get("owner") or "", w.get("approver") or "", (w.get("expires") or "")[:10],
                     w.get("justification") or ""]
                )  # fmt: skip
        check = self.check_index.get(f["check_id"])
        if check is None:
            check = self.check_index[f["check_id"]] = len(self.check_ids)
            self.check_ids.append(f["check_id"])
        status = f["status"]
        # a finding's controls and evidence as row numbers, made once per distinct pair (a few per check)
        key = (*f["control_ids"], None, *f["evidence"])
        refs = self._refs.get(key)
        if refs is None:
            controls = tuple(self.control_index[c] for c in f["control_ids"] if c in self.control_index)
            evidence = tuple(self._evidence_row(e) for e in f["evidence"])
            evidence = tuple(i for i in evidence if i is not None)
            refs = (self._share(controls), self._share(evidence))
            if len(self._refs) < 100_000:
                self._refs[key] = refs
        loc = f.get("location")
        resource = f["resource"]
        row = [
            check,
            refs[0],
            STATUS_INDEX[status],
            SEVERITY_INDEX.get(f["severity"], 4),
            resource,
            f["message"],
            refs[1],
            (_location(loc) if loc else None) or "; ".join(f.get("where") or ()) or None,
            wi,
            0,
        ]  # fmt: skip
        order = (row[2], wi >= 0, row[3], f["check_id"])
        bucket = self._buckets.get(order)
        if bucket is None:
            bucket = self._buckets[order] = []
        if self._changes and status in comparing.FAILING:
            bucket.append((resource, f["fingerprint"], row))
        else:
            sort_key = resource.encode("utf-8", "surrogatepass") if type(resource) is str else b""
            bucket.append(sort_key + b"\0" + jsonfast.dumps(row))  # made script-safe by rows()

    def rows(self, states: dict[str, str]) -> Iterator[bytes]:
        """The rows as script-safe JSON, comma-separated, in _finding_order: open and severe first."""
        first = True
        for order in sorted(self._buckets):
            bucket = self._buckets.pop(order)
            if bucket and type(bucket[0]) is tuple:  # failing rows of a run with a previous one
                bucket.sort(key=lambda item: item[0])
                for _resource, fingerprint, row in bucket:
                    row[9] = CHANGE_CODES.get(states.get(fingerprint, ""), 0)
                encoded = [jsonfast.dumps(row) for _r, _f, row in bucket]
            else:
                bucket.sort()
                # the JSON never holds a raw NUL (it is escaped), so the last one ends the sort key
                encoded = [row[row.rindex(b"\0") + 1 :] for row in bucket]
            del bucket
            for start in range(0, len(encoded), 4096):
                # escaped a few thousand rows at once: the escapes never cross a row's end
                yield (b"" if first else b",") + _script_safe(b",".join(encoded[start : start + 4096]))
                first = False

    def data(self) -> dict:
        """The explorer's lookup tables: everything of its data but the rows (`rows()`)."""
        ids = self.check_ids
        checks_meta = self.checks_meta
        sets = {s["id"]: s["documents"] for s in self.head.get("evidence_sets") or []}

        def check_row(cid: str) -> list:
            meta = checks_meta.get(cid, {})
            domain = meta.get("domain")
            return [cid, meta.get("title") or cid, meta.get("remediation") or "",
                    DOMAINS.index(domain) if domain in DOMAINS else -1]  # fmt: skip

        return {
            "statuses": [STATUS_LABEL[s] for s in STATUS_ORDER],
            "statusKeys": list(STATUS_ORDER),
            "severities": list(SEVERITY_ORDER),
            "domains": list(DOMAINS),
            "checks": [check_row(c) for c in ids],
            "controls": [
                [
                    c["id"],
                    c["title"],
                    DOMAINS.index(c["domain"]) if c.get("domain") in DOMAINS else -1,
                    [f"{k}:{ref}" for k, refs in (c.get("frameworks") or {}).items() for ref in refs],
                ]
                for c in self.controls
            ],  # fmt: skip
            "evidence": [
                [
                    e.get("kind") or e["id"][:12],
                    evidence_href(self.ctx.link_base, e["path"]),
                    e.get("status", ""),
                ]
                for e in self.evidence
            ]
            + [[f"{len(sets.get(sid, ()))} documents", "#" + set_anchor(sid), ""] for sid in self.set_ids],
            "waivers": self.waiver_rows,
            "hasPrevious": self.ctx.previous is not None,
        }

    def script_data(self, states: dict[str, str]) -> Iterator[bytes]:
        """The whole data block, script-safe, in pieces: the lookup tables, then `findings`, the rows."""
        tables = script_bytes(self.data())
        yield tables[:-1] + b',"findings":['
        yield from self.rows(states)
        yield b"]}"


class ControlCounts:
    """Findings per control and per (control, check), by status ("waived" for waived failures). Each
    finding adds one to a flat tally by (check, status, controls); the per-control counts are made from
    the few distinct keys when first read."""

    def __init__(self) -> None:
        self._tally: dict[tuple, int] = {}
        self._counts: tuple[dict, dict] | None = None

    def add(self, f: dict) -> None:
        status = f["status"]
        key = (f["check_id"], "waived" if status == "fail" and f.get("waiver") else status, *f["control_ids"])
        self._tally[key] = self._tally.get(key, 0) + 1

    def _made(self) -> tuple[dict, dict]:
        if self._counts is None:
            per_control: dict[str, Counter] = defaultdict(Counter)
            per_check: dict[tuple[str, str], Counter] = defaultdict(Counter)
            for (check, status, *controls), n in self._tally.items():
                for cid in controls:
                    per_control[cid][status] += n
                    per_check[(cid, check)][status] += n
            self._counts = per_control, per_check
        return self._counts

    @property
    def per_control(self) -> dict[str, Counter]:
        return self._made()[0]

    @property
    def per_check(self) -> dict[tuple[str, str], Counter]:
        return self._made()[1]


def _controls_view(results: dict, counted: ControlCounts) -> list[dict]:
    """Controls grouped by the policy section their quote comes from, in baseline order."""
    per_control, per_check = counted.per_control, counted.per_check
    checks_meta = results.get("checks", {})
    sections: dict[str, list[dict]] = {}
    for i, c in enumerate(results.get("controls", [])):
        checks = [
            {"id": ch, "meta": checks_meta.get(ch, {}), "counts": per_check[(c["id"], ch)]}
            for ch in c.get("checks", ())
        ]
        frameworks = [(FRAMEWORK_NAMES.get(k, k), refs) for k, refs in (c.get("frameworks") or {}).items()]
        counts = per_control[c["id"]]
        sections.setdefault(c.get("section") or "Other commitments", []).append(
            {"c": c, "index": i, "checks": checks, "frameworks": frameworks, "counts": counts,
             "total": sum(counts.values())}
        )  # fmt: skip
    return [{"name": name, "controls": items} for name, items in sections.items()]


def _framework_options(results: dict) -> list[dict]:
    refs: dict[str, set[str]] = defaultdict(set)
    for c in results.get("controls", []):
        for key, values in (c.get("frameworks") or {}).items():
            refs[key].update(values)
    return [
        {"key": k, "name": FRAMEWORK_NAMES.get(k, k), "refs": sorted(refs[k])}
        for k in sorted(refs, key=lambda k: FRAMEWORK_NAMES.get(k, k))
    ]


def _changes(change: comparing.Change | None, previous: dict | None) -> dict | None:
    if change is None:
        return None
    order = sorted(change.new, key=_finding_order)
    return {
        "new": len(change.new),
        "fixed": len(change.absent),
        # failing in both runs, waived or not (vigil.compare: a waiver is not a fix)
        "still_open": len(change.still_failing),
        "updated": len(change.updated),
        "newly_waived": len(change.newly_waived(previous)),
        "not_evaluated": len(change.not_evaluated),
        "new_list": order[:CHANGE_LIST_LIMIT],
        "fixed_list": sorted(change.absent, key=_finding_order)[:CHANGE_LIST_LIMIT],
    }


def _trend_points(results: dict) -> list[dict]:
    points = [
        {"label": (h.get("finished_at") or "")[:10], "score": h.get("score"), "coverage": h.get("coverage")}
        for h in results.get("history") or []
    ]
    overall = results["scores"]["overall"]
    run = results.get("run", {})
    label = (run.get("finished_at") or run.get("as_of") or "now")[:10]
    return points + [{"label": label, "score": overall.get("score"), "coverage": overall.get("coverage")}]


def build_view(
    results: dict, ctx: RenderContext, change: comparing.Change | None, counted: ControlCounts
) -> dict:
    """Everything the template shows on its first screen and in the controls list; `change` and
    `counted` were gathered from the findings as they went by."""
    scores = results["scores"]
    cards = [("overall", "Overall", scores["overall"])] + [
        (d, d.capitalize(), scores["domains"][d]) for d in DOMAINS if d in scores.get("domains", {})
    ]
    waivers = results.get("waivers") or []
    summary = results.get("summary", {})
    return {
        "change": change,
        "changes": _changes(change, ctx.previous),
        "cards": [
            {
                "key": k,
                "name": name,
                "s": s,
                "bar": charts.coverage_bar(s.get("coverage"), f"{name} evidence coverage"),
            }
            for k, name, s in cards
        ],  # fmt: skip
        "expiring": sorted(
            (w for w in waivers if w.get("state") == "expiring"),
            key=lambda w: (w.get("days_left") is None, w.get("days_left") or 0),  # a damaged file sorts too
        ),
        "broken": [w for w in waivers if w.get("state") in ("expired", "invalid")],
        "status_counts": [(s, summary.get("status", {}).get(s, 0)) for s in STATUS_ORDER],
        "severity_counts": [(s, summary.get("severity", {}).get(s, 0)) for s in SEVERITY_ORDER],
        "open_total": sum(summary.get("severity", {}).values()),
        "chart_domains": charts.domain_scores(scores),
        "chart_severity": charts.severity_counts(summary.get("severity", {})),
        "chart_status": charts.status_counts(summary.get("status", {})),
        "chart_trend": charts.trend(_trend_points(results)) if results.get("history") else None,
        "sections": _controls_view(results, counted),
        "frameworks": _framework_options(results),
        "evidence": [
            dict(e, href=evidence_href(ctx.link_base, e["path"])) for e in results.get("evidence", [])
        ],
        "evidence_sets": _sets_view(results, ctx),
        "status_order": STATUS_ORDER,
        "severity_order": SEVERITY_ORDER,
        "domains": DOMAINS,
    }


def _sets_view(results: dict, ctx: RenderContext) -> list[dict]:
    """Evidence sets for the appendix: each with its anchor and a link to each of its documents."""
    by_id = {e["id"]: e for e in results.get("evidence", [])}
    view = []
    for s in results.get("evidence_sets") or []:
        docs = [by_id[d] for d in s["documents"] if d in by_id]
        view.append(
            {
                "id": s["id"],
                "anchor": set_anchor(s["id"]),
                "documents": [
                    {
                        "id": d["id"],
                        "label": d.get("target") or d["id"][:12],
                        "kind": d.get("kind", ""),
                        "href": evidence_href(ctx.link_base, d["path"]),
                    }
                    for d in docs
                ],  # fmt: skip
            }
        )
    return view


class HtmlSink:
    """report.html: keeps the compact rows the explorer embeds, the counts per control, and (when there
    is a previous run) the open findings "what changed" lists; renders the page when the last is in."""

    def __init__(self, head: dict, path: Path, ctx: RenderContext) -> None:
        self.head, self.path, self.ctx = head, Path(path), ctx
        self.table = FindingsTable(head, ctx)
        self.counts = ControlCounts()
        self.failing: Iterable[dict] = []  # what "what changed" compares, kept only with a previous run
        self._keep_failing = ctx.previous is not None

    def failing_from(self, findings: Iterable[dict]) -> None:
        """Read the failing findings "what changed" compares from `findings` at close (a run's spool of
        them, vigil.render.stream) instead of keeping them."""
        self.failing, self._keep_failing = findings, False

    def add(self, f: dict) -> None:
        self.table.add(f)
        self.counts.add(f)
        if self._keep_failing and f["status"] in comparing.FAILING:
            self.failing.append(f)

    def close(self) -> None:
        env = _environment()
        css, js = _asset("report.css"), _asset("report.js")
        current = {"findings": self.failing, "checks": self.head.get("checks")}
        change = comparing.compare(current, self.ctx.previous)
        view = build_view(self.head, self.ctx, change, self.counts)
        states = change.state_of() if change else {}
        data = self.table.script_data(states)
        slot = f"\x00vigil-data-{secrets.token_hex(16)}\x00"  # no text of the results can forge it
        # the page is streamed to the file with the data written in place as bytes: the report is
        # never held as one string
        chunks = env.get_template("report.html.j2").generate(
            r=self.head,
            v=view,
            css=Markup(css),  # noqa: S704 - our own packaged stylesheet, hashed into the CSP below
            js=Markup(js),  # noqa: S704 - our own packaged script, hashed into the CSP below
            csp=content_security_policy(css, js),
            data=Markup(slot),  # noqa: S704 - a placeholder replaced by the escaped JSON bytes
        )
        with open(self.path, "wb") as fh:
            for chunk in chunks:
                if slot in chunk:
                    before, after = chunk.split(slot, 1)
                    fh.write(before.encode("utf-8"))
                    for piece in data:  # each bucket of rows is let go once written
                        fh.write(piece)
                    chunk = after
                fh.write(chunk.encode("utf-8"))


def open_sink(head: dict, path: Path, ctx: RenderContext) -> HtmlSink:
    return HtmlSink(head, path, ctx)


def render_html(results: dict, path: Path, ctx: RenderContext) -> None:
    """Write the report to path (vigil.render stages and commits it, like every other report)."""
    from vigil.render import feed, head_of

    feed(open_sink(head_of(results), path, ctx), results.get("findings") or ())

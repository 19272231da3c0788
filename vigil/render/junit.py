"""JUnit XML for CI test views: one testcase per (check, resource), one testsuite per control domain."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from vigil.model import DOMAINS

# XML 1.0 cannot carry these at all, escaped or not; ElementTree would write them and break the file
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _timestamp(text: str | None) -> str | None:
    """JUnit's schema wants a timestamp without offset: UTC, to the second."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return None


def _seconds(run: dict) -> str:
    try:
        start = datetime.fromisoformat(run["started_at"])
        return f"{max(0.0, (datetime.fromisoformat(run['finished_at']) - start).total_seconds()):.3f}"
    except (KeyError, TypeError, ValueError):
        return "0"


def _details(finding: dict, check: dict, control_titles: dict[str, str]) -> str:
    """The body of a failure or error: what a CI reader needs to act without opening the report."""
    lines = [
        f"check: {finding['check_id']} ({check.get('title') or 'no title'})",
        f"severity: {finding.get('severity')}",
        f"resource: {finding.get('resource')}",
    ]
    where = finding.get("location") or {}
    if where.get("path"):
        lines.append(f"location: {where['path']}:{where.get('line') or 1}")
    for cid in finding.get("control_ids") or ():
        lines.append(f"control: {cid} {control_titles.get(cid, '')}".rstrip())
    if check.get("remediation"):
        lines.append(f"remediation: {check['remediation']}")
    lines.append(f"fingerprint: {finding.get('fingerprint')}")
    return "\n".join(lines)


def _text(value: object) -> str:
    return escape(_x(value))


def _case_xml(finding: dict, check: dict, control_titles, procedures) -> tuple[str, str]:
    """One testcase as XML text, and which counter it adds to; the same content _testcase builds, made
    as a string (an element tree per finding costs ten times as much)."""
    head = (
        f"  <testcase{_attrs(classname=finding['check_id'], name=finding.get('resource') or '(no resource)')}"
        ' time="0"'
    )
    status, message, waiver = finding["status"], _x(finding.get("message")), finding.get("waiver")
    if status in ("fail", "error") and waiver:
        note = (
            f"WAIVED {waiver.get('id')}: {status} ({finding.get('severity')}) accepted until "
            f"{waiver.get('expires')}; owner {waiver.get('owner')}, approver {waiver.get('approver')}.\n"
            f"justification: {waiver.get('justification')}\nfinding: {finding.get('message')}"
        )
        return f"{head}>\n   <system-out>{_text(note)}</system-out>\n  </testcase>\n", "pass"
    if status == "fail":
        body = _text(_details(finding, check, control_titles))
        tag = f"<failure{_attrs(message=message, type=finding.get('severity'))}>{body}</failure>"
        return f"{head}>\n   {tag}\n  </testcase>\n", "failures"
    if status == "error":
        body = _text(_details(finding, check, control_titles))
        attrs = _attrs(message=f"evaluation error: {message}", type="evaluation-error")
        return f"{head}>\n   <error{attrs}>{body}</error>\n  </testcase>\n", "errors"
    if status == "manual":
        steps = [procedures[c] for c in finding.get("control_ids") or () if procedures.get(c)]
        attrs = _attrs(message=f"manual: {message}")
        inner = f"<skipped{attrs}>{_text(chr(10).join(steps))}</skipped>" if steps else f"<skipped{attrs} />"
        return f"{head}>\n   {inner}\n  </testcase>\n", "skipped"
    if status == "not_applicable":
        return (
            f"{head}>\n   <skipped{_attrs(message=f'not applicable: {message}')} />\n  </testcase>\n",
            "skipped",
        )
    return f"{head} />\n", "pass"


# what quoteattr would change or _x replace: text without any of it is quoted as it is (most values)
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _quoted(value: object) -> str:
    text = value if type(value) is str else str(value)
    if _ATTR_SPECIAL.search(text) is None:
        return f'"{text}"'
    return quoteattr(_x(text))


def _attrs(**values: object) -> str:
    return "".join(f" {k}={_quoted(v)}" for k, v in values.items() if v is not None)


class JunitSink:
    """junit.xml written as findings arrive: each testcase is serialised at once into its domain's
    spool file; close() writes the suites with their counts around the spooled testcases."""

    def __init__(self, head: dict, path: Path, ctx) -> None:
        self._checks = head.get("checks") or {}
        controls = head.get("controls") or ()
        self._titles = {c["id"]: c.get("title") or "" for c in controls}
        self._procedures = {c["id"]: c["manual_procedure"] for c in controls if c.get("manual_procedure")}
        self._head = head
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._spools: dict[str, IO[bytes]] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._per_check: dict[str, tuple] = {}

    def add(self, finding: dict) -> None:
        cid = finding["check_id"]
        per_check = self._per_check.get(cid)
        if per_check is None:
            check = self._checks.get(cid) or {}
            domain = check.get("domain") or "unknown"
            spool = self._spools.get(domain)
            if spool is None:
                spool = self._spools[domain] = tempfile.TemporaryFile(dir=self._path.parent)  # noqa: SIM115
                self._counts[domain] = dict.fromkeys(("tests", "failures", "errors", "skipped", "pass"), 0)
            # a passing testcase, most of a large run, is this prefix, its name and a fixed end
            prefix = f"  <testcase classname={_quoted(cid)} name="
            per_check = self._per_check[cid] = (check, spool.write, self._counts[domain], prefix)
        check, write, counts, prefix = per_check
        if finding["status"] == "pass":
            text, counter = (
                f'{prefix}{_quoted(finding.get("resource") or "(no resource)")} time="0" />\n',
                "pass",
            )
        else:
            text, counter = _case_xml(finding, check, self._titles, self._procedures)
        counts[counter] += 1
        counts["tests"] += 1
        write(text.encode("utf-8"))

    def close(self) -> None:
        run = self._head.get("run") or {}
        baseline = (self._head.get("baseline") or {}).get("name") or "baseline"
        stamp = _timestamp(run.get("finished_at") or run.get("started_at"))
        order = [d for d in DOMAINS if d in self._spools] + sorted(
            d for d in self._spools if d not in DOMAINS
        )
        totals = {
            k: sum(self._counts[d][k] for d in order) for k in ("tests", "failures", "errors", "skipped")
        }
        try:
            with open(self._path, "wb") as out:
                out.write(b"<?xml version='1.0' encoding='utf-8'?>\n")
                top = _attrs(name=f"vigil {baseline}", time=_seconds(run), **totals, timestamp=stamp)
                out.write(f"<testsuites{top}>\n".encode())
                for i, domain in enumerate(order):
                    counts = {k: self._counts[domain][k] for k in ("tests", "failures", "errors", "skipped")}
                    attrs = _attrs(name=domain, id=i, time="0", timestamp=stamp, **counts)
                    out.write(f" <testsuite{attrs}>\n  <properties>\n".encode())
                    for name, value in (
                        ("baseline", baseline),
                        ("run_id", run.get("id")),
                        ("domain", domain),
                    ):
                        prop = _attrs(name=name, value="" if value is None else value)
                        out.write(f"   <property{prop} />\n".encode())
                    out.write(b"  </properties>\n")
                    spool = self._spools[domain]
                    spool.seek(0)
                    shutil.copyfileobj(spool, out, 1 << 20)
                    out.write(b" </testsuite>\n")
                out.write(b"</testsuites>\n")
        finally:
            for spool in self._spools.values():
                spool.close()


def open_sink(head: dict, path: Path, ctx) -> JunitSink:
    return JunitSink(head, path, ctx)


def render_junit(results: dict, path: Path, ctx) -> None:
    """Write junit.xml; unwaived fail is a failure, error an error, manual and not_applicable skipped."""
    from vigil.render import feed, head_of

    feed(open_sink(head_of(results), path, ctx), results.get("findings") or ())

"""Code audits: static analysis (bandit) of the configured source trees finds no serious issue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

LEVELS = {"low": 1, "medium": 2, "high": 3}


@check(
    id="code.bandit.high_severity",
    title="Static analysis (bandit) finds no high-severity issue in the code",
    severity="high",
    domain="technical",
    needs=["code.bandit"],
    params={"code.min_severity": "high", "code.min_confidence": "low", "code.ignore_tests": []},
    references=(
        "https://bandit.readthedocs.io/en/latest/plugins/index.html",
        "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
    ),
    tags=["code", "static-analysis"],
)
def high_severity(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every bandit issue of severity code.min_severity or above (low, medium, high) with confidence
    code.min_confidence or above is a finding at the file and line of the code, so SARIF viewers show
    it in place. code.ignore_tests lists bandit test ids (B101) that do not count. A source tree with
    no such issue passes. Files bandit could not parse are error findings: unaudited code is not safe.

    Remediation: fix the flagged code (bandit's test documentation says how for each test id), or
    mark a reviewed false positive with `# nosec BXXX` and a comment saying why.
    """
    severity = LEVELS.get(str(params["code.min_severity"]).lower())
    confidence = LEVELS.get(str(params["code.min_confidence"]).lower())
    if severity is None or confidence is None:
        yield error(
            "check:code.bandit.high_severity", "code.min_severity/min_confidence: low, medium or high"
        )
        return
    ignored = {t.upper() for t in params["code.ignore_tests"]}
    found: dict[str, int] = defaultdict(int)
    scans = [i for i in evidence["code.bandit"] if i.get("record") == "scan"]
    for item in evidence["code.bandit"]:
        if item.get("record") != "issue" or item["test_id"] in ignored:
            continue
        if LEVELS[item["severity"]] < severity or LEVELS[item["confidence"]] < confidence:
            continue
        owner = next((s["path"] for s in scans if _inside(item["file"], s["tree"])), "?")
        found[owner] += 1
        cwe = f", CWE-{item['cwe']}" if item.get("cwe") else ""
        yield fail(
            f"code:{item['file']}:{item['line']}:{item['test_id']}",
            f"{item['test_id']} {item['test_name']} ({item['severity']} severity, {item['confidence']} "
            f"confidence{cwe}): {item['text']} `{item['code'].splitlines()[0] if item['code'] else ''}`",
            {"path": item["file"], "line": item["line"]},
            cite=item,
        )
    for scan in scans:
        if not found[scan["path"]]:
            yield ok(
                f"code:{scan['path']}",
                f"{scan['tool']}: {scan['files_audited']} file(s) audited, no issue at or above "
                f"{params['code.min_severity']} severity",
                cite=scan,
            )


def _inside(file: str, tree: str) -> bool:
    tree = tree.rstrip("/")
    return tree in (".", "") or file == tree or file.startswith(tree + "/")

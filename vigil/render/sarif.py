"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers, built with the sarif-om object model."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote, urlsplit

import attr
import sarif_om as so

from vigil import jsonfast
from vigil.compare import FAILING, compare
from vigil.model import SEVERITY_RANK
from vigil.render import sarif_limits as limits
from vigil.render.markdown import code, esc_paragraph, link
from vigil.render.sarif_limits import FIXED, OPEN, WAIVED

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub ranks security alerts by this CVSS-like score: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
# 0.1-3.9 low; the values sit inside those bands so a rounding consumer still lands in the right one.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "vigil/v1"
# where findings about things that are not files (accounts, hosts, people) point: see docs/sarif.md
DEFAULT_ARTIFACT = "vigil.yaml"

# ---- serialiser: sarif-om objects are attrs classes with the SARIF name in each field's metadata ----

# sarif-om 1.0.4 was generated from a 2.1.0 draft; the final schema renamed suppression.state to status
_RENAMED = {(so.Suppression, "state"): "status"}
# Written even when equal to sarif-om's default or empty: a result without level inherits its rule's
# level, and a run without "results" means "the tool did not run" where [] means "nothing found".
_ALWAYS = frozenset({"level", "kind", "results"})
_KEEP = object()
_PLAIN = frozenset({str, int, float, bool, dict, type(None)})
_SPECS: dict[type, dict[str, tuple[str, object]]] = {}


def _spec(cls: type) -> dict[str, tuple[str, object]]:
    spec = {}
    for f in attr.fields(cls):
        key = _RENAMED.get((cls, f.name), f.metadata["schema_property_name"])
        default = f.default.factory() if isinstance(f.default, attr.Factory) else f.default
        spec[f.name] = (key, _KEEP if key in _ALWAYS or default is attr.NOTHING else default)
    return spec


def to_json(value):
    """sarif-om objects as SARIF JSON: schema names; None, sarif-om defaults and empty lists/dicts left out.

    Plain dicts are property bags (or parts already converted) and pass through unchanged.
    """
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is list or cls is tuple:
        return [to_json(v) for v in value]
    spec = _SPECS.get(cls)
    if spec is None:
        if not attr.has(cls):
            return value
        spec = _SPECS[cls] = _spec(cls)
    out = {}
    # sarif-om classes are plain (not slotted) attrs classes: __dict__ holds every field, in field order
    for name, v in value.__dict__.items():
        if v is None:
            continue
        key, default = spec[name]
        vtype = type(v)
        if (vtype is list or vtype is dict) and not v:
            if key in _ALWAYS:
                out[key] = v
            continue
        if default is not _KEEP and v == default:
            continue
        out[key] = v if vtype in _PLAIN else to_json(v)
    return out


# ---- rules ----


def _controls_by_check(results: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for control in results.get("controls") or ():
        for check_id in control.get("checks") or ():
            out.setdefault(check_id, []).append(control)
    return out


def _tags(meta: dict, controls: list[dict]) -> tuple[list[str], int]:
    """Most useful first, since GitHub shows only the first 10; returns the tags and how many were cut."""
    tags = ["security", meta.get("domain")]
    for control in controls:
        for framework, ids in sorted((control.get("frameworks") or {}).items()):
            tags += [f"{framework}/{i}" for i in ids]
    tags += list(meta.get("tags") or ())
    unique = list(dict.fromkeys(t for t in tags if t))
    return unique[: limits.MAX_TAGS_PER_RULE], max(0, len(unique) - limits.MAX_TAGS_PER_RULE)


def _rule(check_id: str, meta: dict, controls: list[dict]) -> tuple[so.ReportingDescriptor, int]:
    severity = meta.get("severity") or "medium"
    title = meta.get("title") or check_id
    description = meta.get("description") or title
    remediation = meta.get("remediation")
    refs = [r for r in meta.get("references") or () if isinstance(r, str) and r]
    # the Markdown is made of data (check docstrings, plugin metadata): every piece is escaped, as in
    # every other format, so a remediation like [x](javascript:...) stays text
    text, markdown = [description], [esc_paragraph(description)]
    if meta.get("implemented") is False:
        note = "No installed plugin provides this check, so a person has to verify it by hand."
        text.append(note)
        markdown.append(f"_{note}_")
    if remediation:
        text.append(f"Remediation: {remediation}")
        markdown.append(f"**Remediation:** {esc_paragraph(remediation)}")
    if controls:
        text.append("Controls: " + "; ".join(f"{c['id']} {c.get('title') or ''}".strip() for c in controls))
        markdown.append(
            "**Controls:**\n\n"
            + "\n".join(f"- {code(c['id'])} {esc_paragraph(c.get('title') or '')}" for c in controls)
        )
    if refs:
        text.append("References: " + " ".join(refs))
        markdown.append("**References:**\n\n" + "\n".join(f"- {link(r)}" for r in refs))
    tags, cut = _tags(meta, controls)
    rule = so.ReportingDescriptor(
        id=check_id,
        short_description=so.MultiformatMessageString(text=title),
        full_description=so.MultiformatMessageString(text=description),
        help=so.MultiformatMessageString(text="\n\n".join(text), markdown="\n\n".join(markdown)),
        help_uri=next((r for r in refs if r.startswith(("https://", "http://"))), None),
        default_configuration=so.ReportingConfiguration(level=LEVEL.get(severity, "warning")),
        properties={
            "tags": tags,
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "vigil-severity": severity,
            "vigil-domain": meta.get("domain"),
            "vigil-controls": [c["id"] for c in controls],
        },
    )
    return rule, cut


def _rules(results: dict, previous: dict | None, entries: list) -> tuple[list, dict[str, int], int, int]:
    """Rules (one per check), check id -> ruleIndex, tags cut, and how many rules there were in all."""
    checks = dict(results.get("checks") or {})
    before = (previous or {}).get("checks") or {}
    for finding, _state, _group in entries:
        # a fixed finding of a check this run no longer has, or a finding without check metadata
        check_id = finding["check_id"]
        if check_id not in checks:
            checks[check_id] = before.get(check_id) or {"severity": finding.get("severity")}
    order = list(checks)
    if len(order) > limits.MAX_RULES_PER_RUN:
        used = {f["check_id"] for f, _s, _g in entries}
        order.sort(key=lambda c: (c not in used, -SEVERITY_RANK.get(checks[c].get("severity"), 2)))
        order = order[: limits.MAX_RULES_PER_RUN]
    controls_of = _controls_by_check(results)
    rules, cut = [], 0
    for check_id in order:
        rule, n = _rule(check_id, checks[check_id], controls_of.get(check_id, []))
        rules.append(rule)
        cut += n
    return rules, {check_id: i for i, check_id in enumerate(order)}, cut, len(checks)


# ---- results ----


def _entries(results: dict, previous: dict | None, fixed_too: bool) -> list[tuple[dict, str | None, str]]:
    """(finding, baselineState, group) for every result the log carries."""
    failing = [f for f in results.get("findings") or () if f["status"] in FAILING]
    if previous is None:
        return [(f, None, WAIVED if f.get("waiver") else OPEN) for f in failing]
    # one definition of fixed (vigil.compare): a waived finding is still failing, so waiving a finding
    # keeps it unchanged, with a suppression; it never makes it "absent"
    change = compare(results, previous)
    states = change.state_of()
    out = [(f, states.get(f["fingerprint"], "new"), WAIVED if f.get("waiver") else OPEN) for f in failing]
    if not fixed_too:
        return out
    return out + [(f, "absent", FIXED) for f in change.absent]


def _short_name(resource: str) -> str:
    """A short display name: the host of a URL, else the last path or colon segment."""
    if "://" in resource:
        return urlsplit(resource).hostname or resource
    for sep in ("/", ":"):
        if sep in resource:
            return resource.rsplit(sep, 1)[1] or resource
    return resource


def _artifact(path: str, source_root: Path | None) -> so.ArtifactLocation:
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute() or PureWindowsPath(path).drive:
        try:
            posix = Path(path).resolve().relative_to(Path(source_root).resolve()).as_posix()
        except (TypeError, ValueError):  # no source root, or outside it: keep the absolute file URI
            return so.ArtifactLocation(uri=Path(path).as_uri())
    return so.ArtifactLocation(uri=quote(posix, safe="/"), uri_base_id=SRCROOT)


def _location(finding: dict, elsewhere: dict, source_root: Path | None) -> so.Location:
    """A file finding's own file and line; any other finding points at `elsewhere` and names its resource."""
    where = finding.get("location") or {}
    if where.get("path"):
        line = where.get("line")
        # GitHub wants a startLine to place and fingerprint an alert; without one, point at the top
        line = line if isinstance(line, int) and line >= 1 else 1
        return so.Location(
            physical_location=so.PhysicalLocation(
                artifact_location=_artifact(where["path"], source_root), region=so.Region(start_line=line)
            )
        )
    resource = finding.get("resource") or ""
    return so.Location(
        physical_location=elsewhere,
        logical_locations=[
            so.LogicalLocation(name=_short_name(resource), fully_qualified_name=resource, kind="resource")
        ],
    )


def _message(finding: dict, group: str) -> str:
    text = finding.get("message") or ""
    if not (finding.get("location") or {}).get("path") and finding.get("resource"):
        # GitHub shows the message and the (shared) location, not logical locations: name the resource
        text = f"{finding['resource']}: {text}"
    if finding["status"] == "error":
        text = f"Evaluation error, vigil could not judge this (it counts as failing): {text}"
    if group == FIXED:
        return f"No longer failing since the previous run (fixed or gone). It was: {text}"
    waiver = finding.get("waiver")
    if waiver:
        # GitHub shows suppressed results as open alerts unless dismissals are automated; say it here
        text += f" [waived: {waiver.get('id')}, expires {waiver.get('expires')}]"
    return text


def _suppression(waiver: dict) -> so.Suppression:
    props = {k: waiver.get(k) for k in ("expires", "owner", "approver")}
    props["waiver_id"] = waiver.get("id")
    return so.Suppression(
        kind="external",
        state="accepted",  # written as "status": see _RENAMED
        justification=waiver.get("justification"),
        properties={k: v for k, v in props.items() if v is not None},
    )


def _result(entry: tuple, index: dict[str, int], elsewhere: dict, source_root) -> so.Result:
    finding, state, group = entry
    severity = finding.get("severity") or "medium"
    waiver = finding.get("waiver") if group != FIXED else None
    return so.Result(
        rule_id=finding["check_id"],
        rule_index=index[finding["check_id"]],
        # fixed: SARIF says a result that is not a problem has kind "pass" and level "none"
        kind="pass" if group == FIXED else "fail",
        level="none" if group == FIXED else LEVEL.get(severity, "warning"),
        message=so.Message(text=_message(finding, group)),
        locations=[_location(finding, elsewhere, source_root)],
        partial_fingerprints={FINGERPRINT_KEY: finding["fingerprint"]},
        baseline_state=state,
        suppressions=[_suppression(waiver)] if waiver else None,
        properties={
            "vigil-status": finding["status"],
            "vigil-severity": severity,
            "vigil-controls": list(finding.get("control_ids") or ()),
            # what the finding was judged on: evidence document or set ids, and record file:line
            "vigil-evidence": list(finding.get("evidence") or ()),
            **({"vigil-records": list(finding["where"])} if finding.get("where") else {}),
            # attested by a person, not machine-verified: who, when, until when, which document
            **({"vigil-attestation": finding["attestation"]} if finding.get("attestation") else {}),
        },
    )


# ---- the run ----


def _segment(text: object) -> str:
    """One segment of automationDetails.id: GitHub reads everything before the last '/' as category."""
    return str(text or "").strip().replace("/", "-") or "default"


def automation_id(results: dict) -> str:
    run = results.get("run") or {}
    label = run.get("target_label") or (Path(run["config"]).name if run.get("config") else "default")
    return f"vigil/{_segment((results.get('baseline') or {}).get('name'))}/{_segment(label)}/"


def config_location(results: dict) -> so.PhysicalLocation:
    """Where non-file findings point: line 1 of the config when its path is relative, else of vigil.yaml."""
    config = (results.get("run") or {}).get("config")
    if config:
        path = PurePosixPath(str(config).replace("\\", "/"))
        uri = path.as_posix() if not path.is_absolute() and ".." not in path.parts else path.name
    else:
        uri = DEFAULT_ARTIFACT
    return so.PhysicalLocation(
        artifact_location=so.ArtifactLocation(uri=quote(uri, safe="/"), uri_base_id=SRCROOT),
        region=so.Region(start_line=1),
    )


def _utc(text: str | None) -> str | None:
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None


def _run(results: dict, ctx, rules: list[dict], written: list[dict], trim: dict | None) -> so.Run:
    run = results.get("run") or {}
    tool = results.get("tool") or {}
    baseline = results.get("baseline") or {}
    props = {
        "vigil-run-id": run.get("id"),
        "vigil-baseline": {k: baseline.get(k) for k in ("name", "version", "title")},
        "vigil-gate": results.get("gate"),
        "vigil-score": ((results.get("scores") or {}).get("overall") or {}).get("score"),
    }
    if trim:
        props["vigil-trimmed"] = trim
    base_ids = None
    if ctx.source_root:
        root = Path(ctx.source_root).resolve().as_uri().rstrip("/") + "/"
        base_ids = {SRCROOT: to_json(so.ArtifactLocation(uri=root))}
    return so.Run(
        tool=so.Tool(
            driver=so.ToolComponent(
                name=tool.get("name") or "vigil",
                version=tool.get("version"),
                semantic_version=tool.get("version"),
                rules=rules,
            )
        ),
        automation_details=so.RunAutomationDetails(id=automation_id(results)),
        invocations=[
            so.Invocation(
                execution_successful=True,
                start_time_utc=_utc(run.get("started_at")),
                end_time_utc=_utc(run.get("finished_at")),
                tool_execution_notifications=limits.notifications(trim, len(written)),
            )
        ],
        results=written,
        column_kind="utf16CodeUnits",
        original_uri_base_ids=base_ids,
        properties={k: v for k, v in props.items() if v is not None},
    )


def render_sarif(results: dict, path: Path, ctx) -> None:
    """Write results.sarif: one run, failing findings most severe first, trimmed to GitHub's limits."""
    # always most severe first: GitHub keeps only the first 5,000 results of a run
    # GitHub shows every result as an alert whatever its kind or baselineState, and closes fixed alerts
    # by itself, so an upload to GitHub is better off without fixed results: ctx.extra can leave them out
    fixed_too = ctx.extra.get("sarif_absent", True)
    entries = sorted(_entries(results, ctx.previous, fixed_too), key=limits.priority)
    capped = entries[: limits.MAX_RESULTS_PER_RUN]
    rules, index, tags_cut, rules_total = _rules(results, ctx.previous, capped)
    left_out = entries[limits.MAX_RESULTS_PER_RUN :] + [e for e in capped if e[0]["check_id"] not in index]
    capped = [e for e in capped if e[0]["check_id"] in index]
    # converted once and shared by every non-file result, since it is the same for all of them
    elsewhere = to_json(config_location(results))
    # results and rules are converted once; only the outer run is rebuilt if the size needs trimming
    written = [to_json(_result(e, index, elsewhere, ctx.source_root)) for e in capped]
    rules_json = [to_json(r) for r in rules]
    trims: list[dict | None] = []

    def build(n: int) -> bytes:
        trim = limits.trim_report(len(entries), left_out + capped[n:], rules_total, len(rules), tags_cut)
        trims.append(trim)
        log = so.SarifLog(
            version="2.1.0",
            schema_uri=SCHEMA_URI,
            runs=[_run(results, ctx, rules_json, written[:n], trim)],
        )
        return jsonfast.dumps(to_json(log))

    data, _n = limits.fit(build, len(written))
    if trims[-1]:
        limits.warn(trims[-1])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _failing(f: dict) -> bool:
    return f["status"] in FAILING


def open_sink(head: dict, path: Path, ctx):
    """SARIF carries failing findings only (waived ones as suppressed results): those are all it keeps."""
    from vigil.render import Subset

    return Subset(head, path, ctx, _failing, render_sarif)

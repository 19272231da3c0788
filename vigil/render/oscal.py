"""OSCAL assessment results (NIST OSCAL 1.x JSON) from results.json, built with compliance-trestle's models.

Mapping (docs/reports.md, "OSCAL"): one OSCAL result per run; each control of the baseline is a reviewed
control and an OSCAL finding whose target is the control, `satisfied` only when vigil says `pass`; each
automated check outcome is an observation with its message, resource and links to the evidence files it
was judged on, related to the findings of the controls it proves. UUIDs are derived (uuid5) from the run
id, control ids and fingerprints, so the same results.json always gives the same document.
"""

from __future__ import annotations

import os
import re
import uuid
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from trestle.oscal import OSCAL_VERSION
from trestle.oscal import assessment_results as ar
from trestle.oscal import common as oc

NS = "https://vigil.invalid/ns/oscal"  # qualifies vigil's own property names (OSCAL requires a URI)
ROOT = uuid.UUID("6f0d3b1e-4c7a-5e2b-9a51-3c2f8d7e1b40")  # vigil's namespace for uuid5
STATE = {"pass": "satisfied"}  # every other status (fail, error, manual, not judged) is not-satisfied
REASON = {"pass": "pass", "fail": "fail"}  # error, manual: "other", with vigil's status in a property


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(ROOT, "\x00".join(parts)))


def _line(text, limit: int = 1000) -> str:
    """A property value or title: one line, no edge whitespace (OSCAL's string pattern)."""
    value = re.sub(r"\s+", " ", str(text)).strip()
    return (value[: limit - 1] + "…" if len(value) > limit else value) or "-"


_NS_URL = oc.Property(name="ns", value="ns", ns=NS).ns


def _prop(name: str, value) -> oc.Property:
    # built without re-validation: names are our constants, _line makes the value match OSCAL's pattern,
    # and at tens of thousands of findings validating each leaf again costs seconds (tests validate the
    # whole document with trestle)
    return oc.Property.model_construct(name=name, value=_line(value), ns=_NS_URL)


def _time(text: str | None, fallback: datetime) -> datetime:
    try:
        value = datetime.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback
    return value if value.tzinfo else fallback


@lru_cache(maxsize=4096)
def _link(href: str, description: str, sha256: str, status: str) -> oc.RelevantEvidence:
    # one object per evidence document, shared by every observation that cites it
    return oc.RelevantEvidence.model_construct(
        href=href,
        description=description,
        props=[_prop("sha256", sha256), _prop("evidence-status", status)],
    )


def _evidence_link(e: dict, link_base: str) -> oc.RelevantEvidence:
    description = f"{e['kind']} of {e['target']}, collected {e['collected_at']}"
    return _link(link_base + e["path"], description, e["id"], e.get("status") or "unknown")


def _observation(
    finding: dict, run_id: str, evidence: dict, link_base: str, as_of: datetime, check: dict
) -> oc.Observation:
    cited = [evidence[e] for e in finding.get("evidence") or () if e in evidence]
    links = [_evidence_link(e, link_base) for e in cited]
    collected = min((_time(e.get("collected_at"), as_of) for e in cited), default=as_of)
    expires = [_time(e.get("expires_at"), as_of) for e in cited if e.get("expires_at")]
    props = [
        _prop("vigil-status", finding["status"]),
        _prop("severity", finding["severity"]),
        _prop("check-id", finding["check_id"]),
        _prop("resource", finding["resource"]),
        _prop("fingerprint", finding["fingerprint"]),
    ]
    if finding.get("waiver"):
        props.append(_prop("waiver-id", finding["waiver"]["id"]))
    location = finding.get("location") or {}
    if location.get("path"):
        props.append(_prop("location", f"{location['path']}:{location.get('line') or 1}"))
    return oc.Observation.model_construct(  # every field is built to its pattern above, as for _prop
        uuid=_uuid(run_id, "observation", finding["fingerprint"]),
        title=_line(f"{check.get('title', finding['check_id'])}: {finding['resource']}", 250),
        description=f"{finding['status']}: {finding['message']}",
        props=props,
        methods=["TEST"],
        types=["finding" if finding["status"] in ("fail", "error") else "control-objective"],
        relevant_evidence=links or None,
        collected=collected,
        expires=min(expires) if expires else None,
    )


def _finding(control: dict, run_id: str, observations: list[str], manual: bool) -> oc.Finding:
    status = control["status"]
    props = [_prop("vigil-status", status), _prop("domain", control["domain"])]
    if control.get("score") is not None:
        props.append(_prop("score", control["score"]))
    for framework, refs in sorted((control.get("frameworks") or {}).items()):
        props.extend(_prop(f"framework-{re.sub(r'[^a-z0-9]+', '-', framework.lower())}", r) for r in refs)
    remarks = None
    if manual:
        remarks = "Needs manual review: no automated check judged this control." + (
            f" Procedure: {control['manual_procedure']}" if control.get("manual_procedure") else ""
        )
    return oc.Finding(
        uuid=_uuid(run_id, "finding", control["id"]),
        title=_line(control["title"], 250),
        description=f"{control['section']}: \u201c{control['quote']}\u201d",
        props=props,
        target=oc.FindingTarget(
            type="objective-id",
            target_id=control["id"],
            title=_line(control["title"], 250),
            status=oc.ObjectiveStatus(
                state=STATE.get(status, "not-satisfied"), reason=REASON.get(status, "other")
            ),
        ),
        related_observations=[oc.RelatedObservation(observation_uuid=u) for u in observations] or None,
        remarks=remarks,
    )


def build_oscal(results: dict, link_base: str = "") -> ar.AssessmentResults:
    run = results["run"]
    run_id = run["id"]
    finished = _time(run.get("finished_at"), datetime.fromisoformat("1970-01-01T00:00:00+00:00"))
    started = _time(run.get("started_at"), finished)
    as_of = _time(run.get("as_of"), finished)
    evidence = {e["id"]: e for e in results.get("evidence") or ()}
    checks = results.get("checks") or {}
    observations, by_control = [], defaultdict(list)
    for finding in results["findings"]:
        if finding["status"] == "manual":
            continue  # nothing was observed; the control's finding says it needs review
        obs = _observation(finding, run_id, evidence, link_base, as_of, checks.get(finding["check_id"], {}))
        observations.append(obs)
        for control_id in finding["control_ids"]:
            by_control[control_id].append(obs.uuid)
    findings = [
        _finding(c, run_id, by_control.get(c["id"], []), c["status"] == "manual") for c in results["controls"]
    ]
    baseline = results["baseline"]
    overall = results["scores"]["overall"]
    gate = results["gate"]
    baseline_uuid = _uuid(run_id, "baseline", baseline["name"])
    result = ar.Result(
        uuid=_uuid(run_id, "result"),
        title=_line(f"vigil {run.get('mode', 'scan')} of {run.get('target_label') or 'default'}"),
        description=(
            f"Controls of baseline {baseline['name']} judged on evidence at {as_of.isoformat()}: "
            f"score {overall['score']} on {overall['coverage']}% evidence coverage; gate "
            f"{'passed' if gate['passed'] else 'failed'} at {gate['fail_on']}."
        ),
        start=started,
        end=finished,
        props=[
            _prop("run-id", run_id),
            _prop("score", "n/a" if overall["score"] is None else overall["score"]),
            _prop("coverage", overall["coverage"]),
            _prop("gate", "passed" if gate["passed"] else "failed"),
        ],
        reviewed_controls=oc.ReviewedControls(
            control_selections=[
                oc.ControlSelections(
                    include_controls=[oc.SelectControlById(control_id=c["id"]) for c in results["controls"]]
                    or None
                )
            ]
        ),
        observations=observations or None,
        findings=findings or None,
    )
    return ar.AssessmentResults(
        uuid=_uuid(run_id, "assessment-results"),
        metadata=oc.Metadata(
            title=_line(f"vigil assessment results: {baseline['title']}"),
            last_modified=finished,
            version=_line(baseline.get("version") or "1"),
            oscal_version=OSCAL_VERSION,
            props=[_prop("tool", f"{results['tool']['name']} {results['tool']['version']}")],
        ),
        import_ap=ar.ImportAp(
            href=f"#{baseline_uuid}",
            remarks="vigil plans its assessment from a baseline, not an OSCAL assessment plan: "
            "the back matter names it.",
        ),
        results=[result],
        back_matter=oc.BackMatter(
            resources=[
                oc.Resource(
                    uuid=baseline_uuid,
                    title=_line(f"Baseline {baseline['name']}: {baseline['title']}"),
                    description="Baseline chain: " + " -> ".join(baseline.get("chain") or [baseline["name"]]),
                    rlinks=[oc.Rlink(href=link_base + "results.json", media_type="application/json")],
                )
            ]
        ),
    )


def render_oscal(results: dict, path: Path, ctx) -> None:
    document = build_oscal(results, ctx.link_base)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(document.oscal_serialize_json_bytes(pretty=True) + b"\n")
    os.replace(tmp, path)

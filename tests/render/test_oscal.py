"""OSCAL assessment results: valid by compliance-trestle's NIST OSCAL models, traceable, deterministic."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from trestle.common.err import TrestleError
from trestle.oscal.assessment_results import AssessmentResults

from tests.factories import make_results
from vigil.cli import main
from vigil.render import RenderContext, render


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("oscal")
    assert main(["demo", "--output", str(out), "--format", "json,oscal"]) == 0
    return out


def _read(path: Path) -> AssessmentResults:
    """Parse with trestle's models: every OSCAL constraint they carry (required fields, uuid and token
    patterns, enums, no unknown fields) is checked here."""
    return AssessmentResults.oscal_read(path)


def test_demo_document_is_valid_oscal_and_tells_the_story(demo):
    doc = _read(demo / "results.oscal.json")
    results = json.loads((demo / "results.json").read_text())
    (result,) = doc.results
    assert len(result.findings) == len(results["controls"])
    reviewed = [s.control_id for s in result.reviewed_controls.control_selections[0].include_controls]
    assert reviewed == [c["id"] for c in results["controls"]]
    by_control = {f.target.target_id: f for f in result.findings}
    status = {c["id"]: c["status"] for c in results["controls"]}
    for control_id, finding in by_control.items():  # satisfied exactly when vigil says pass
        assert (finding.target.status.state.value == "satisfied") == (status[control_id] == "pass")
    assert "pass" in status.values() and "manual" in status.values()
    assert by_control["PP-INCIDENT-RESPONSE"].target.status.state.value == "satisfied"  # the attested plan
    training = by_control["PP-TRAINING-ANNUAL"]
    assert status["PP-TRAINING-ANNUAL"] == "fail"
    assert training.target.status.state.value == "not-satisfied"
    assert training.target.status.reason == "fail"
    manual = next(c for c, s in status.items() if s == "manual")
    assert by_control[manual].remarks.startswith("Needs manual review")
    assert by_control[manual].target.status.reason == "other"
    assert by_control["PP-PRIVACY-NOTICE-PUBLISHED"].remarks.startswith("Needs manual review")
    assert by_control["PP-PRIVACY-NOTICE-PUBLISHED"].target.status.state.value == "not-satisfied"
    # finding -> observation -> evidence file, each link resolvable
    observations = {o.uuid: o for o in result.observations}
    related = [observations[r.observation_uuid] for r in training.related_observations]
    e1002 = next(o for o in related if "person:e1002" in o.title)
    assert e1002.description.startswith("fail: last compliance training")
    hrefs = [e.href for e in e1002.relevant_evidence]
    assert hrefs and all((demo / href).is_file() for href in hrefs)
    props = {p.name: p.value for p in e1002.props}
    assert props["check-id"] == "records.training.annual_completion" and props["vigil-status"] == "fail"
    frameworks = {p.name for p in training.props if p.name.startswith("framework-")}
    assert frameworks  # the control's SOC 2 / ISO / NIST references travel with it


def test_same_results_give_the_same_document(demo, tmp_path):
    results = json.loads((demo / "results.json").read_text())
    render(results, "oscal", tmp_path, RenderContext())
    assert (tmp_path / "results.oscal.json").read_bytes() == (demo / "results.oscal.json").read_bytes()


def test_the_validator_rejects_what_is_not_oscal(demo, tmp_path):
    """The validity check is not vacuous: a missing required part, a malformed uuid, an unknown field fail."""
    doc = json.loads((demo / "results.oscal.json").read_text())
    for breakage in ("drop_target", "bad_uuid", "unknown_field"):
        broken = copy.deepcopy(doc)
        finding = broken["assessment-results"]["results"][0]["findings"][0]
        if breakage == "drop_target":
            del finding["target"]
        elif breakage == "bad_uuid":
            finding["uuid"] = "not-a-uuid"
        else:
            finding["vigil-extra"] = 1
        path = tmp_path / f"{breakage}.json"
        path.write_text(json.dumps(broken))
        with pytest.raises(TrestleError, match="validation failed"):
            _read(path)


def test_large_and_hostile_results_stay_valid(tmp_path):
    """Multi-line messages, edge whitespace and odd resources still make valid property values."""
    results = make_results(n_findings=3000, seed=7)
    results["findings"][0]["message"] = "  line one\nline two\t "
    results["findings"][0]["resource"] = "\n"
    results["findings"][0]["status"] = "fail"
    render(results, "oscal", tmp_path, RenderContext(link_base="../out/"))
    doc = _read(tmp_path / "results.oscal.json")
    observations = doc.results[0].observations
    assert len(observations) == sum(1 for f in results["findings"] if f["status"] != "manual")
    linked = [e.href for o in observations for e in o.relevant_evidence or ()]
    assert linked and all(href.startswith("../out/") for href in linked)

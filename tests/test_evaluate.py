"""Evaluation: the baseline's checks judged on stored evidence, with freshness, errors and manual controls."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil import registry
from vigil.baseline import load_baseline
from vigil.errors import UserError
from vigil.evaluate import evaluate
from vigil.model import Evidence

registry.load_plugins()

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COLLECTED = AS_OF - timedelta(days=1)

BASELINE = """\
name: acme-eval
title: ACME training and access commitments
parameters:
  training:
    max_age_days: 365
checks:
  records.training.known_people:
    severity: low
controls:
  - id: ACME-TRAINING
    title: Everyone handling personal data is trained every year
    domain: administrative
    section: Security
    quote: "all employees receive compliance training every year"
    frameworks: {iso27001: [A.6.3]}
    checks: [records.training.annual_completion, records.training.known_people]
  - id: ACME-ACCESS
    title: Only current employees reach personal data
    domain: administrative
    section: Security
    quote: "only authorised employees have access to personal data"
    frameworks: {iso27001: [A.5.18]}
    checks: [records.personnel.access_only_active]
  - id: ACME-BADGES
    title: Data-centre entry is logged
    domain: physical
    section: Security
    quote: "entry to our data centres is logged"
    frameworks: {iso27001: [A.7.2]}
    manual_procedure: Sample ten days of badge logs and match them to the visitor book.
  - id: ACME-PENTEST
    title: A penetration test runs every year
    domain: technical
    section: Security
    quote: "we commission an annual penetration test"
    frameworks: {iso27001: [A.8.8]}
    checks: [vendor.pentest.report_current]
"""

PEOPLE = [
    {"id": "e1001", "name": "Ada Okafor", "status": "active", "personal_data_access": True},
    {"id": "e1002", "name": "Ben Whitlock", "status": "active", "personal_data_access": True},
    {"id": "e1005", "name": "Eve Marsh", "status": "terminated", "personal_data_access": True},
]
TRAINING = [
    {"person_id": "e1001", "course": "Privacy basics", "completed_at": "2026-08-22"},  # 100 days
    {"person_id": "e1002", "course": "Privacy basics", "completed_at": "2025-10-26"},  # 400 days
    {"person_id": "x9999", "course": "Privacy basics", "completed_at": "2026-11-01"},
]


def _evidence(kind: str, **fields) -> Evidence:
    target = fields.setdefault("target", "?")
    defaults = dict(
        kind=kind,
        collector=kind,
        collector_version="1",
        source=kind.split(".")[1],
        collected_at=COLLECTED,
        expires_at=COLLECTED + timedelta(days=7),
        sha256=(kind + target).encode().hex()[:64].ljust(64, "0"),
    )
    return Evidence(**(defaults | fields))


def roster(**changes) -> Evidence:
    return _evidence("records.personnel", **({"data": PEOPLE, "target": "hr/roster.csv"} | changes))


def training(**changes) -> Evidence:
    return _evidence("records.training", **({"data": TRAINING, "target": "lms/export.csv"} | changes))


def _write(tmp_path: Path, text: str, name: str = "baseline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def baseline(tmp_path):
    return load_baseline(_write(tmp_path, BASELINE))


@pytest.fixture()
def scratch_registry(monkeypatch):
    """Checks registered by the test are registered for it only: the registry is restored afterwards."""
    monkeypatch.setattr(registry.checks, "_items", dict(registry.checks._items))
    monkeypatch.setattr(registry.checks, "_origin", dict(registry.checks._origin))


def _by(findings, check_id: str) -> dict[str, tuple[str, str]]:
    return {f.resource: (f.status, f.message) for f in findings if f.check_id == check_id}


def test_fresh_evidence_gives_pass_and_fail_findings(baseline):
    result = evaluate(baseline, [roster(), training()], AS_OF)
    annual = _by(result.findings, "records.training.annual_completion")
    assert annual == {
        "person:e1001": ("pass", "trained 2026-08-22, 100 days ago (limit 365)"),
        "person:e1002": ("fail", "last compliance training 2025-10-26, 400 days ago (limit 365)"),
    }
    assert _by(result.findings, "records.training.known_people") == {
        "person:e1001": ("pass", "1 training record(s), person on the roster"),
        "person:e1002": ("pass", "1 training record(s), person on the roster"),
        "person:x9999": ("fail", "1 training record(s) for a person who is not on the roster"),
    }
    access = _by(result.findings, "records.personnel.access_only_active")
    assert access["person:e1001"][0] == "pass"
    assert access["person:e1005"] == ("fail", "status 'terminated' but still has personal-data access")

    finding = next(f for f in result.findings if f.resource == "person:e1002")
    assert finding.control_ids == ("ACME-TRAINING",)
    assert finding.severity == "high"
    assert finding.evidence == (roster().sha256, training().sha256)
    assert {ev.status for ev in result.evidence} == {"ok"}


def test_severity_override_is_applied(baseline):
    result = evaluate(baseline, [roster(), training()], AS_OF)
    assert {f.severity for f in result.findings if f.check_id == "records.training.known_people"} == {"low"}
    assert result.checks["records.training.known_people"].severity == "low"
    assert result.checks["records.training.annual_completion"].severity == "high"  # the check's own


def test_stale_evidence_is_an_error_never_a_pass(baseline):
    expired = COLLECTED + timedelta(hours=12)  # before AS_OF
    result = evaluate(baseline, [roster(expires_at=expired), training()], AS_OF)
    automated = [f for f in result.findings if not f.check_id.startswith(("manual.", "vendor."))]
    assert automated
    assert "pass" not in {f.status for f in automated}
    roster_errors = [f for f in automated if f.resource == "evidence:records.personnel:hr/roster.csv"]
    assert {f.check_id for f in roster_errors} == {
        "records.training.annual_completion",
        "records.training.known_people",
        "records.personnel.access_only_active",
    }
    assert all(f.status == "error" and "stale" in f.message for f in roster_errors)
    assert {ev.target: ev.status for ev in result.evidence} == {
        "hr/roster.csv": "stale",
        "lms/export.csv": "ok",
    }


def test_evidence_expiring_exactly_now_is_stale(baseline):
    result = evaluate(baseline, [roster(expires_at=AS_OF), training()], AS_OF)
    assert result.evidence[0].status == "stale"


def test_error_evidence_gives_error_findings(baseline):
    broken = training(data=None, error="/org/lms/export.csv: file not found")
    result = evaluate(baseline, [roster(), broken], AS_OF)
    annual = _by(result.findings, "records.training.annual_completion")
    assert annual == {
        "evidence:records.training:lms/export.csv": ("error", "/org/lms/export.csv: file not found")
    }
    # the check that does not need training evidence still judges
    assert _by(result.findings, "records.personnel.access_only_active")["person:e1005"][0] == "fail"


def test_tampered_evidence_gives_error_findings(baseline):
    altered = roster(
        data=None, error="evidence ab.json does not match its sha256: altered", status="tampered"
    )
    result = evaluate(baseline, [altered, training()], AS_OF)
    access = _by(result.findings, "records.personnel.access_only_active")
    assert access == {
        "evidence:records.personnel:hr/roster.csv": (
            "error",
            "evidence ab.json does not match its sha256: altered",
        )
    }
    assert result.evidence[0].status == "tampered"


def test_evidence_never_collected_is_an_error_naming_the_kind(baseline):
    result = evaluate(baseline, [roster()], AS_OF)
    annual = _by(result.findings, "records.training.annual_completion")
    assert list(annual) == ["evidence:records.training"]
    status, message = annual["evidence:records.training"]
    assert status == "error" and "no evidence of kind records.training" in message
    assert _by(result.findings, "records.personnel.access_only_active")["person:e1001"][0] == "pass"


def test_problems_in_evidence_are_error_findings_naming_where(baseline):
    problem = {"where": "lms/export.csv:7", "message": "training record skipped: completion_date is empty"}
    result = evaluate(baseline, [roster(), training(problems=(problem,))], AS_OF)
    annual = _by(result.findings, "records.training.annual_completion")
    assert annual["lms/export.csv:7"] == ("error", "training record skipped: completion_date is empty")
    # the rows that did load are still judged
    assert annual["person:e1001"][0] == "pass" and annual["person:e1002"][0] == "fail"


def test_control_without_checks_is_a_manual_finding(baseline):
    result = evaluate(baseline, [roster(), training()], AS_OF)
    [badges] = [f for f in result.findings if "ACME-BADGES" in f.control_ids]
    assert badges.check_id == "manual.acme_badges"
    assert badges.status == "manual"
    assert badges.resource == "control:ACME-BADGES"
    assert badges.evidence == ()
    check = result.checks["manual.acme_badges"]
    assert check.check is None
    assert check.description == "Sample ten days of badge logs and match them to the visitor book."


def test_check_no_plugin_provides_is_manual(baseline):
    result = evaluate(baseline, [roster(), training()], AS_OF)
    [pentest] = [f for f in result.findings if f.check_id == "vendor.pentest.report_current"]
    assert pentest.status == "manual"
    assert pentest.resource == "control:ACME-PENTEST"
    assert "no installed plugin provides it" in pentest.message
    assert result.checks["vendor.pentest.report_current"].title.endswith("(not installed)")


def test_disabling_every_check_of_a_control_makes_it_manual(tmp_path):
    text = BASELINE.replace(
        "checks:\n  records.training.known_people:",
        "checks:\n  records.personnel.access_only_active:\n    enabled: false\n"
        "  records.training.known_people:",
    )
    result = evaluate(load_baseline(_write(tmp_path, text)), [roster(), training()], AS_OF)
    [access] = [f for f in result.findings if "ACME-ACCESS" in f.control_ids]
    assert (access.check_id, access.status) == ("manual.acme_access", "manual")
    assert not any(f.check_id == "records.personnel.access_only_active" for f in result.findings)


def test_a_check_that_raises_is_an_error_finding(baseline):
    # an older collector's roster without a status column: the access check cannot read it
    people = [{"id": "e1001", "personal_data_access": True}]
    result = evaluate(baseline, [roster(data=people), training()], AS_OF)
    access = _by(result.findings, "records.personnel.access_only_active")
    assert access == {
        "check:records.personnel.access_only_active": ("error", "check raised KeyError('status')")
    }


def test_nothing_to_judge_is_not_applicable(baseline):
    people = [{"id": "e1004", "name": "Dana Costa", "status": "active", "personal_data_access": False}]
    result = evaluate(baseline, [roster(data=people), training(data=[])], AS_OF)
    access = _by(result.findings, "records.personnel.access_only_active")
    assert access == {
        "evidence:records.personnel": ("not_applicable", "the evidence holds nothing this check applies to")
    }


def test_several_files_of_one_kind_are_judged_together(baseline):
    contractors = roster(
        target="hr/contractors.csv",
        data=[{"id": "c2001", "status": "active", "personal_data_access": True}],
        sha256="c" * 64,
    )
    result = evaluate(baseline, [roster(), contractors, training()], AS_OF)
    annual = _by(result.findings, "records.training.annual_completion")
    assert annual["person:c2001"] == ("fail", "no compliance training on record")
    assert "c" * 64 in next(f for f in result.findings if f.resource == "person:c2001").evidence


def test_only_restricts_checks_and_controls(baseline):
    result = evaluate(baseline, [roster(), training()], AS_OF, only=["records.personnel.access_only_active"])
    assert {f.check_id for f in result.findings} == {"records.personnel.access_only_active"}
    assert [c.id for c in result.controls] == ["ACME-ACCESS"]
    manual = evaluate(baseline, [], AS_OF, only=["manual.acme_badges"])
    assert [(f.check_id, f.status) for f in manual.findings] == [("manual.acme_badges", "manual")]


def test_only_with_an_unknown_check_is_a_user_error(baseline):
    with pytest.raises(UserError, match=r"--only: records\.training\.annual not in baseline acme-eval"):
        evaluate(baseline, [], AS_OF, only=["records.training.annual", "records.training.known_people"])


def test_override_of_the_wrong_type_names_file_and_line(tmp_path):
    path = _write(
        tmp_path,
        BASELINE.replace(
            "    severity: low\n",
            "    severity: low\n  records.training.annual_completion:\n    params:\n"
            "      training.courses: [Privacy basics]\n      training.max_age_days: a year\n",
        ),
    )
    baseline = load_baseline(path)
    with pytest.raises(UserError) as exc:
        evaluate(baseline, [roster(), training()], AS_OF)
    assert str(exc.value) == (
        f"{path.name}:12: checks.records.training.annual_completion.params.training.max_age_days: "
        "parameter training.max_age_days of records.training.annual_completion must be int, not 'a year'"
    )


def test_shared_parameter_of_the_wrong_type_names_file_and_line(tmp_path):
    path = _write(tmp_path, BASELINE.replace("    max_age_days: 365\n", "    courses: Privacy basics\n"))
    with pytest.raises(UserError, match=rf"^{path.name}:5: parameters.training.courses: .* must be list"):
        evaluate(load_baseline(path), [roster(), training()], AS_OF)


def test_unknown_parameter_names_file_line_and_the_known_ones(tmp_path):
    path = _write(
        tmp_path,
        BASELINE.replace(
            "    severity: low\n",
            "    severity: low\n  records.training.annual_completion:\n    params:\n"
            "      training.max_age: 30\n",
        ),
    )
    with pytest.raises(UserError) as exc:
        evaluate(load_baseline(path), [roster(), training()], AS_OF)
    message = str(exc.value)
    assert message.startswith(f"{path.name}:11: ")
    assert "has no parameter 'training.max_age'" in message
    assert "training.max_age_days" in message


def test_parameters_reach_the_check(tmp_path):
    path = _write(tmp_path, BASELINE.replace("max_age_days: 365", "max_age_days: 450"))
    result = evaluate(load_baseline(path), [roster(), training()], AS_OF)
    assert _by(result.findings, "records.training.annual_completion")["person:e1002"][0] == "pass"
    assert result.checks["records.training.annual_completion"].params["training.max_age_days"] == 450


def test_same_inputs_give_identical_findings(baseline):
    evidence = [roster(), training(problems=({"where": "lms/export.csv:9", "message": "bad date"},))]
    first = evaluate(baseline, evidence, AS_OF)
    second = evaluate(baseline, list(evidence), AS_OF)
    assert first.findings == second.findings
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
    # and a day later the ages move, nothing else
    later = evaluate(baseline, evidence, AS_OF + timedelta(days=1))
    assert [replace(f, message="") for f in later.findings] == [
        replace(f, message="") for f in first.findings
    ]


def _with_where(records: list[dict], file: str) -> list[dict]:
    return [dict(r, where=f"{file}:{line}") for line, r in enumerate(records, start=2)]


def test_findings_over_several_documents_cite_the_one_they_rest_on(baseline):
    east = roster(data=_with_where(PEOPLE[:1], "hr/east.csv"), target="hr/east.csv")
    west = roster(data=_with_where(PEOPLE[1:], "hr/west.csv"), target="hr/west.csv")
    old = training(data=_with_where(TRAINING[:1], "lms/2025.csv"), target="lms/2025.csv")
    new = training(data=_with_where(TRAINING[1:], "lms/2026.csv"), target="lms/2026.csv")
    assert len({east.sha256, west.sha256, old.sha256, new.sha256}) == 4
    result = evaluate(baseline, [east, west, old, new], AS_OF)
    cites = {(f.check_id, f.resource): (f.evidence, f.where) for f in result.findings}

    # e1001 is on the east roster, trained per the 2025 export; e1002 is on the west one, 2026 export
    assert cites[("records.training.annual_completion", "person:e1001")] == (
        (east.sha256, old.sha256),
        ("hr/east.csv:2", "lms/2025.csv:2"),
    )
    assert cites[("records.training.annual_completion", "person:e1002")] == (
        (west.sha256, new.sha256),
        ("hr/west.csv:2", "lms/2026.csv:2"),
    )
    assert cites[("records.personnel.access_only_active", "person:e1005")] == (
        (west.sha256,),
        ("hr/west.csv:3",),
    )
    # a training record of someone not on any roster cites only the export that holds it
    assert cites[("records.training.known_people", "person:x9999")] == ((new.sha256,), ("lms/2026.csv:3",))
    assert result.evidence_sets == {}  # every outcome of these checks cites its own items


def test_an_outcome_without_cite_refers_to_its_evidence_set_once(tmp_path, scratch_registry):
    from vigil.model import ok
    from vigil.registry import check

    @check(
        id="test.cite.whole_roster",
        title="The roster is judged as a whole",
        severity="low",
        domain="administrative",
        needs=["records.personnel"],
    )
    def whole_roster(evidence, params):
        """Judges the whole roster; cites nothing in particular."""
        for person in evidence["records.personnel"]:
            yield ok(f"person:{person['id']}", "seen")
        yield ok("roster", "a copy is not traceable", cite=dict(evidence["records.personnel"][0]))

    text = BASELINE.replace(
        "checks: [records.personnel.access_only_active]", "checks: [test.cite.whole_roster]"
    )
    east, west = roster(target="hr/east.csv", data=PEOPLE[:1]), roster(target="hr/west.csv", data=PEOPLE[1:])
    result = evaluate(load_baseline(_write(tmp_path, text)), [east, west, training()], AS_OF)
    mine = [f for f in result.findings if f.check_id == "test.cite.whole_roster"]
    assert len(mine) == 4
    [set_id] = result.evidence_sets
    assert set_id.startswith("set:")
    assert result.evidence_sets[set_id] == tuple(sorted((east.sha256, west.sha256)))
    assert {f.evidence for f in mine} == {(set_id,)}
    assert all(f.where == () for f in mine)


OPTIONAL = """\
name: acme-optional
title: Optional evidence kinds
controls:
  - id: ACME-SCREENING
    title: People with data access are screened first
    domain: administrative
    section: Security
    quote: "only employees who passed the background check"
    frameworks: {iso27001: [A.6.1]}
    checks: [records.background_checks.before_access]
  - id: ACME-PLAN
    title: The security plan is current
    domain: administrative
    section: Security
    quote: "a complete security plan"
    frameworks: {iso27001: [A.5.24]}
    checks: [records.incidents.security_plan]
"""


def test_an_optional_kind_no_source_provides_is_an_empty_list_not_an_error(tmp_path):
    # background checks read records.access_list? and aws.iam.users?: judged without them
    people = [{"id": "e1001", "status": "active", "personal_data_access": True, "where": "r.csv:2"}]
    checks = [{"person_id": "e1001", "completed_at": "2020-01-01", "status": "clear", "where": "bg.csv:2"}]
    screened = _evidence("records.background_checks", data=checks, target="bg.csv")
    result = evaluate(load_baseline(_write(tmp_path, OPTIONAL)), [roster(data=people), screened], AS_OF)
    assert _by(result.findings, "records.background_checks.before_access") == {
        "person:e1001": ("pass", "background check clear on 2020-01-01")
    }
    # attestation-only control: no attestation configured keeps it manual, not an error
    assert [f.status for f in result.findings if f.check_id == "records.incidents.security_plan"] == [
        "manual"
    ]


def test_an_optional_kind_with_broken_evidence_is_still_an_error(tmp_path):
    people = [{"id": "e1001", "status": "active", "personal_data_access": True, "where": "r.csv:2"}]
    broken = _evidence(
        "records.access_list", data=None, error="access.csv: file not found", target="access.csv"
    )
    screened = _evidence("records.background_checks", data=[], target="bg.csv")
    result = evaluate(
        load_baseline(_write(tmp_path, OPTIONAL)), [roster(data=people), screened, broken], AS_OF
    )
    found = _by(result.findings, "records.background_checks.before_access")
    assert found["evidence:records.access_list:access.csv"] == ("error", "access.csv: file not found")


def test_an_attested_outcome_becomes_an_attested_finding(tmp_path):
    plan = {
        "id": "plan",
        "subject": "security_plan",
        "covers": ["emergency_response", "monitoring", "user_notification"],
        "attester": "CISO",
        "attested_at": "2026-06-01",
        "expires": "2027-06-01",
        "statement": "reviewed",
        "document": None,
        "sha256": None,
        "where": "attestation plan",
    }
    attested = _evidence("records.attestations", data=plan, target="plan")
    result = evaluate(load_baseline(_write(tmp_path, OPTIONAL)), [roster(), attested], AS_OF)
    [finding] = [f for f in result.findings if f.check_id == "records.incidents.security_plan"]
    assert finding.status == "pass" and finding.attestation["attester"] == "CISO"


def _many_people(n: int) -> list[dict]:
    return [
        {"id": f"e{i:05d}", "name": f"P {i}", "status": "terminated" if i % 3 else "active",
         "personal_data_access": True}
        for i in range(n)
    ]  # fmt: skip


def test_findings_handed_on_in_batches_are_the_evaluation_in_order(baseline, monkeypatch):
    """A run's reports take the findings a chunk at a time (Judgment.batches): the chunks, joined, are
    exactly what evaluate() gives, and a check longer than a chunk goes on where it stopped."""
    import vigil.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "CHUNK", 7)
    evidence = [roster(data=_many_people(50)), training()]
    batches = list(evaluate_module.Judgment(baseline, evidence, AS_OF).batches())
    assert all(0 < len(batch) <= 7 for batch in batches)
    joined = [f for batch in batches for f in batch]
    whole = evaluate(baseline, evidence, AS_OF).findings
    assert joined == list(whole)
    access = [f for f in joined if f.check_id == "records.personnel.access_only_active"]
    assert [f.resource for f in access] == [f"person:e{i:05d}" for i in range(50)]
    assert len(batches) > 50 // 7  # the access check alone filled several chunks


def test_a_check_that_raises_after_a_full_chunk_keeps_what_it_judged_and_adds_the_error(
    tmp_path, monkeypatch
):
    import vigil.evaluate as evaluate_module
    from vigil.model import ok
    from vigil.registry import check

    monkeypatch.setattr(evaluate_module, "CHUNK", 4)

    @check(
        id="test.chunk.breaks_late",
        title="Breaks after ten people",
        severity="low",
        domain="administrative",
        needs=["records.personnel"],
    )
    def breaks_late(evidence, params):
        """Judges ten people, then fails on the eleventh."""
        for n, person in enumerate(evidence["records.personnel"]):
            if n == 10:
                raise ValueError("eleventh")
            yield ok(f"person:{person['id']}", "seen", cite=person)

    text = BASELINE.replace(
        "checks: [records.personnel.access_only_active]", "checks: [test.chunk.breaks_late]"
    )
    result = evaluate(
        load_baseline(_write(tmp_path, text)), [roster(data=_many_people(30)), training()], AS_OF
    )
    mine = [f for f in result.findings if f.check_id == "test.chunk.breaks_late"]
    assert [f.status for f in mine] == ["pass"] * 10 + ["error"]
    assert mine[-1].message == "check raised ValueError('eleventh')"


def test_a_check_with_only_unreadable_rows_is_still_not_applicable_beside_them(baseline, monkeypatch):
    import vigil.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "CHUNK", 1)
    problem = {"where": "hr/roster.csv:4", "message": "row 4: not UTF-8", "resource": "row:abc"}
    people = [{"id": "e1004", "name": "Dana Costa", "status": "active", "personal_data_access": False}]
    result = evaluate(baseline, [roster(data=people, problems=(problem,)), training()], AS_OF)
    access = _by(result.findings, "records.personnel.access_only_active")
    assert access == {
        "row:abc": ("error", "row 4: not UTF-8"),
        "evidence:records.personnel": ("not_applicable", "the evidence holds nothing this check applies to"),
    }

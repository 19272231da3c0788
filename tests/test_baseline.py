"""Baselines: the shipped privacy-policy profile, `extends:` inheritance, and mistakes named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil import registry
from vigil.baseline import load_baseline
from vigil.errors import UserError
from vigil.evaluate import effective_checks

TRAINING_CONTROL = """\
  - id: PP-TRAINING-ANNUAL
    title: Everyone handling customer data is trained twice a year
    domain: administrative
    section: Information security measures
    quote: "all employees receive compliance training every year"
    frameworks:
      iso27001: [A.6.3]
    weight: 3
    checks: [records.training.annual_completion]
"""

CHILD = f"""\
# ACME's profile: the shipped policy, stricter on training, without the data-centre cameras
name: acme
title: ACME privacy commitments
version: 2
extends: privacy-policy
parameters:
  training:
    max_age_days: 180
    courses: ["Privacy basics"]
exclude_controls: [PP-DC-SURVEILLANCE]
checks:
  records.training.known_people:
    severity: high
controls:
{TRAINING_CONTROL}waivers:
  warn_days: 30
  items:
    - id: W-ACME-1
      check: records.training.annual_completion
      resource: person:e1003
      justification: parental leave
      owner: hr@acme.example
      approver: dpo@acme.example
      expires: "2027-01-31T00:00:00+00:00"
"""

GRANDCHILD = """\
name: acme-eu
extends: ../acme.yaml
parameters:
  training.max_age_days: 90
exclude_controls:
  - PP-FIREWALL
checks:
  records.training.known_people:
    params: {}
controls:
  - id: ACME-EU-REPRESENTATIVE
    title: An EU representative is appointed
    domain: administrative
    section: Contact us
    quote: "our representative in the European Union"
    frameworks:
      gdpr: ["Art. 27"]
waivers:
  items:
    - id: W-EU-1
      check: records.training.known_people
      justification: contractor roster import pending
      owner: it@acme.example
      approver: dpo@acme.example
      expires: "2027-02-28T00:00:00+00:00"
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def family(tmp_path, monkeypatch) -> Path:
    """acme.yaml extends the shipped baseline; eu/acme-eu.yaml extends acme.yaml by relative path."""
    _write(tmp_path / "acme.yaml", CHILD)
    grandchild = _write(tmp_path / "eu" / "acme-eu.yaml", GRANDCHILD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # `extends:` paths are relative to the file, not to the working directory
    return grandchild


def test_shipped_privacy_policy_baseline():
    baseline = load_baseline("privacy-policy")
    assert baseline.name == "privacy-policy"
    assert baseline.chain == ("privacy-policy",)
    assert len(baseline.controls) == 64
    assert len({c.id for c in baseline.controls}) == 64
    assert baseline.parameters["training.max_age_days"] == 365
    assert baseline.parameters["tls.min_version"] == "1.2"  # a string: "1.2", not the float 1.2
    assert baseline.parameters["network.allowed_ports"] == [80, 443]
    assert baseline.parameters["jwt.max_lifetime_minutes"] == 60
    # the records checks' deadlines, as the policy states them
    assert baseline.parameters["dsr.max_business_days"] == 5
    assert baseline.parameters["dsr.early_deletion_working_days"] == 15
    assert baseline.parameters["retention.support_max_days"] == 30
    assert baseline.parameters["retention.account_months"] == 6
    assert baseline.parameters["retention.transaction_years"] == 7
    controls = {c.id: c for c in baseline.controls}
    training = controls["PP-TRAINING-ANNUAL"]
    assert training.checks == ("records.training.annual_completion", "records.training.known_people")
    assert training.domain == "administrative"
    assert training.quote in baseline.policy_text
    assert controls["PP-ACCESS-AUTHORIZED-ONLY"].checks[0] == "records.personnel.access_only_active"
    assert "aws.iam.console_mfa" in controls["PP-ACCESS-AUTHORIZED-ONLY"].checks
    assert "jwt.tokens.unforgeable" in controls["PP-ACCESS-AUTHORIZED-ONLY"].checks
    assert controls["PP-FIREWALL"].checks == (
        "hosts.ports.unexpected_open",
        "hosts.ports.risky_service",
        "aws.ec2.sg_public_ingress",
        "aws.ec2.nacl_public_ingress",
    )
    assert controls["PP-BACKGROUND-CHECK"].checks == ("records.background_checks.before_access",)
    assert "records.personnel.access_only_active" in controls["PP-ACCESS-AUTHORIZED-ONLY"].checks
    assert "logs.access.personal_data_authorised" in controls["PP-ACCESS-AUTHORIZED-ONLY"].checks
    assert controls["PP-CODE-AUDIT"].checks == ("code.bandit.high_severity",)
    # controls without a check carry what the auditor does by hand
    assert all(c.manual_procedure for c in baseline.controls if not c.checks)
    assert baseline.policy_title == "Privacy Policy"
    assert baseline.policy_file.name == "privacy-policy.txt"
    assert baseline.policy_text.startswith("Privacy Policy\n")
    assert baseline.waivers == () and baseline.warn_days == 14


def test_child_extends_a_shipped_baseline_by_name(family):
    child = load_baseline(family.parent.parent / "acme.yaml")
    assert child.chain == ("acme", "privacy-policy")
    assert child.version == "2"
    assert child.parameters == {
        **load_baseline("privacy-policy").parameters,  # inherited, then overridden
        "training.max_age_days": 180,
        "training.courses": ["Privacy basics"],
    }
    assert child.parameters["tls.min_version"] == "1.2"  # inherited from the shipped baseline
    assert child.parameters["training.max_age_days"] == 180
    assert child.parameters["training.courses"] == ["Privacy basics"]
    assert child.parameters["pentest.max_age_days"] == 365  # inherited
    ids = [c.id for c in child.controls]
    assert "PP-DC-SURVEILLANCE" not in ids and len(ids) == 63
    assert child.check_overrides == {"records.training.known_people": {"severity": "high", "params": {}}}
    # the policy is inherited along with the controls that quote it
    assert child.policy_title == "Privacy Policy"
    assert child.policy_file == load_baseline("privacy-policy").policy_file


def test_grandchild_inherits_through_a_relative_path(family):
    grand = load_baseline(family)
    shipped = load_baseline("privacy-policy")
    assert grand.chain == ("acme-eu", "acme", "privacy-policy")  # child first

    # parameters: the nearest baseline wins, the rest are inherited
    assert grand.parameters == {
        **shipped.parameters,
        "training.max_age_days": 90,
        "training.courses": ["Privacy basics"],
    }
    assert grand.parameters["training.max_age_days"] == 90
    assert grand.parameters["training.courses"] == ["Privacy basics"]
    assert grand.parameters["dsr.max_business_days"] == shipped.parameters["dsr.max_business_days"]

    # controls: same id replaces in place, exclusions accumulate, new ones come last
    controls = {c.id: c for c in grand.controls}
    ids = [c.id for c in grand.controls]
    assert "PP-DC-SURVEILLANCE" not in controls and "PP-FIREWALL" not in controls
    assert len(ids) == len(shipped.controls) - 2 + 1
    assert ids[-1] == "ACME-EU-REPRESENTATIVE"
    shipped_order = [c.id for c in shipped.controls if c.id in controls]
    assert ids[:-1] == shipped_order
    training = controls["PP-TRAINING-ANNUAL"]
    assert training.title == "Everyone handling customer data is trained twice a year"
    assert training.weight == 3.0
    assert training.checks == ("records.training.annual_completion",)

    # check overrides merge along the chain
    assert grand.check_overrides["records.training.known_people"] == {"severity": "high", "params": {}}

    # waivers accumulate, ancestors first, each remembering where it was written
    assert [w.data["id"] for w in grand.waivers] == ["W-ACME-1", "W-EU-1"]
    # outside the working directory (no config folder given) a file is named by its name, never by an
    # absolute path
    assert grand.waivers[0].where.startswith("acme.yaml:")
    assert grand.waivers[1].where.startswith("acme-eu.yaml:")
    rooted = load_baseline(family, root=family.parent.parent)
    assert [w.where.split(":")[0] for w in rooted.waivers] == ["acme.yaml", "eu/acme-eu.yaml"]
    assert rooted.shown == "eu/acme-eu.yaml"
    assert grand.warn_days == 30  # inherited from acme.yaml


def test_parameter_location_points_at_its_own_line(tmp_path):
    path = _write(
        tmp_path / "acme.yaml",
        "name: acme\n"
        "extends: privacy-policy\n"
        "parameters:\n"
        "  training.courses: []\n"
        "  training.scope: all\n"
        "checks:\n"
        "  records.training.annual_completion:\n"
        "    params:\n"
        "      training.courses: [Privacy basics]\n"
        "      training.max_age_days: 30\n",
    )
    baseline = load_baseline(path)
    assert baseline.where[("parameters", "training.scope")].startswith(f"{path.name}:5: ")
    where = baseline.where[("checks", "records.training.annual_completion", "training.max_age_days")]
    assert where == (
        f"{path.name}:10: checks.records.training.annual_completion.params.training.max_age_days"
    )
    # the parent's parameter is still located in the parent's file
    assert ":" in baseline.where[("parameters", "training.max_age_days")]
    assert baseline.where[("parameters", "training.max_age_days")].startswith("privacy-policy.yaml:")


def test_extends_cycle_is_a_user_error(tmp_path):
    _write(tmp_path / "a.yaml", "name: a\nextends: b.yaml\n")
    _write(tmp_path / "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(UserError, match="inheritance cycle") as exc:
        load_baseline(tmp_path / "a.yaml")
    assert "a.yaml -> " in str(exc.value) and "b.yaml" in str(exc.value)


def test_self_extension_is_a_cycle(tmp_path):
    _write(tmp_path / "loop.yaml", "name: loop\nextends: loop.yaml\n")
    with pytest.raises(UserError, match="inheritance cycle"):
        load_baseline(tmp_path / "loop.yaml")


def test_unknown_parent_is_a_user_error_listing_shipped_names(tmp_path):
    _write(tmp_path / "acme.yaml", "name: acme\nextends: privacy-polcy\n")
    with pytest.raises(UserError, match="'privacy-polcy' not found.*privacy-policy"):
        load_baseline(tmp_path / "acme.yaml")


def test_missing_policy_file_names_its_line(tmp_path):
    path = _write(
        tmp_path / "acme.yaml",
        "name: acme\npolicy:\n  title: ACME Privacy Notice\n  file: policies/notice.txt\n",
    )
    with pytest.raises(UserError) as exc:
        load_baseline(path)
    assert str(exc.value).startswith(f"{path.name}:4: policy.file: no such file")
    assert "notice.txt" in str(exc.value)


def test_own_policy_file_is_read_relative_to_the_baseline(tmp_path):
    _write(tmp_path / "policies" / "notice.txt", "ACME Privacy Notice\nWe train everyone.\n")
    path = _write(
        tmp_path / "acme.yaml",
        "name: acme\nextends: privacy-policy\npolicy:\n  title: ACME Privacy Notice\n"
        "  file: policies/notice.txt\n",
    )
    baseline = load_baseline(path)
    assert baseline.policy_title == "ACME Privacy Notice"
    assert baseline.policy_text == "ACME Privacy Notice\nWe train everyone.\n"


def test_duplicate_control_id_names_the_second_line(tmp_path):
    path = _write(tmp_path / "acme.yaml", "name: acme\ncontrols:\n" + TRAINING_CONTROL + TRAINING_CONTROL)
    with pytest.raises(UserError) as exc:
        load_baseline(path)
    second = 3 + TRAINING_CONTROL.count("\n")
    assert str(exc.value) == f"{path.name}:{second}: controls[1].id: duplicate control 'PP-TRAINING-ANNUAL'"


def test_excluding_a_control_that_is_not_inherited_names_the_line(tmp_path):
    path = _write(
        tmp_path / "acme.yaml",
        "name: acme\nextends: privacy-policy\nexclude_controls:\n  - PP-FIREWALL\n  - PP-FIREWAL\n",
    )
    with pytest.raises(UserError, match=rf"^{path.name}:5: exclude_controls\[1\]: no inherited"):
        load_baseline(path)


def test_schema_violation_in_a_parent_names_the_parent(tmp_path):
    parent = _write(tmp_path / "parent.yaml", "name: parent\nwaivers:\n  warn_days: soon\n")
    _write(tmp_path / "child.yaml", "name: child\nextends: parent.yaml\n")
    with pytest.raises(UserError, match=rf"^{parent.resolve()}:3: waivers.warn_days: 'soon'"):
        load_baseline(tmp_path / "child.yaml")


def test_a_baseline_must_be_a_mapping(tmp_path):
    path = _write(tmp_path / "list.yaml", "- name: acme\n")
    with pytest.raises(UserError, match=r":1: a baseline is a mapping"):
        load_baseline(path)


def test_a_parameter_too_large_for_the_code_is_a_user_error_naming_its_line(tmp_path):
    registry.load_plugins()
    path = tmp_path / "acme.yaml"
    path.write_text(
        "name: acme\nextends: privacy-policy\nparameters:\n  training.max_age_days: 99999999999999999999\n"
    )
    with pytest.raises(
        UserError, match=r"acme.yaml:4: parameters.training.max_age_days: parameter .* must be int between"
    ):
        effective_checks(load_baseline(str(path)))

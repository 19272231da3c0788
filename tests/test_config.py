"""vigil.yaml: the starter validates, mistakes are named by file, line and field, sources normalise."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.config import STARTER, load_config
from vigil.errors import UserError


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vigil.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_starter_parses_and_validates(tmp_path):
    config = load_config(_config(tmp_path, STARTER))
    assert config.baseline == "privacy-policy"
    assert config.output == "vigil-out"
    assert config.fail_on == "high"
    assert config.target_label == "production"
    assert config.concurrency == 8
    assert config.base_dir == tmp_path.resolve()
    assert config.sources["personnel"] == (
        {
            "path": "records/personnel.csv",
            "columns": {"id": "employee_id", "personal_data_access": "pii_access"},
        },
    )
    assert config.sources["training"] == (
        {
            "path": "records/training.csv",
            "columns": {"person_id": "employee_id", "completed_at": "completion_date"},
        },
    )
    assert set(config.sources) == {"personnel", "training"}  # the later sources are comments


def test_defaults_for_a_minimal_config(tmp_path):
    org = tmp_path / "acme-prod"
    org.mkdir()
    config = load_config(_config(org, "sources:\n  personnel: hr/roster.csv\n"))
    assert config.baseline == "privacy-policy"
    assert config.output is None and config.fail_on is None
    assert config.concurrency == 8
    assert config.target_label == "acme-prod"  # the folder the config lives in names the environment


def test_empty_config_is_all_defaults(tmp_path):
    config = load_config(_config(tmp_path, "# nothing configured yet\n"))
    assert config.sources == {}
    assert config.baseline == "privacy-policy"


def test_records_entry_forms_all_become_lists_of_mappings(tmp_path):
    config = load_config(
        _config(
            tmp_path,
            "sources:\n"
            "  personnel: hr/roster.csv\n"
            "  training:\n"
            "    path: lms/completions.json\n"
            "    format: json\n"
            "  background_checks:\n"
            "    - vetting/2025.csv\n"
            "    - path: vetting/2026.csv\n"
            "      delimiter: ';'\n"
            "      date_format: '%d/%m/%Y'\n"
            "      ttl_hours: 48\n",
        )
    )
    assert config.sources["personnel"] == ({"path": "hr/roster.csv"},)
    assert config.sources["training"] == ({"path": "lms/completions.json", "format": "json"},)
    assert config.sources["background_checks"] == (
        {"path": "vetting/2025.csv"},
        {"path": "vetting/2026.csv", "delimiter": ";", "date_format": "%d/%m/%Y", "ttl_hours": 48},
    )


def test_unknown_source_names_file_line_and_field(tmp_path):
    path = _config(tmp_path, "baseline: privacy-policy\nsources:\n  ldap:\n    - host: dc1.acme.example\n")
    with pytest.raises(UserError) as exc:
        load_config(path)
    message = str(exc.value)
    assert message.startswith(f"{path}:3: sources.ldap: unknown key")
    assert "personnel" in message and "training" in message  # what is allowed


def test_port_out_of_range_names_file_line_and_field(tmp_path):
    path = _config(
        tmp_path,
        "sources:\n  tls:\n    - host: portal.acme.example\n      port: 443\n"
        "    - host: api.acme.example\n      port: 70000\n",
    )
    with pytest.raises(UserError, match=rf"^{path}:6: sources.tls\[1\].port: 70000 is greater than"):
        load_config(path)


def test_wrong_type_names_file_line_and_field(tmp_path):
    path = _config(tmp_path, "baseline: privacy-policy\nconcurrency: eight\n")
    with pytest.raises(UserError, match=rf"^{path}:2: concurrency: 'eight' is not of type 'integer'$"):
        load_config(path)


def test_misspelt_key_inside_a_records_entry_names_that_key(tmp_path):
    path = _config(tmp_path, "sources:\n  personnel:\n    path: roster.csv\n    colums:\n      id: emp_no\n")
    with pytest.raises(UserError, match=rf"^{path}:4: sources.personnel.colums: unknown key"):
        load_config(path)


def test_bad_gate_level_lists_the_choices(tmp_path):
    path = _config(tmp_path, "fail_on: sometimes\n")
    with pytest.raises(UserError, match=rf"^{path}:1: fail_on: 'sometimes' is not one of critical, high"):
        load_config(path)


def test_target_label_must_be_a_slug(tmp_path):
    path = _config(tmp_path, "target_label: acme production\n")
    with pytest.raises(UserError, match=rf"^{path}:1: target_label: 'acme production' does not match"):
        load_config(path)


def test_a_config_must_be_a_mapping(tmp_path):
    path = _config(tmp_path, "- personnel.csv\n")
    with pytest.raises(UserError, match=rf"^{path}:1: the config is a mapping"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        load_config(tmp_path / "vigil.yaml")


def test_every_record_source_and_attestations_validate(tmp_path):
    path = _config(
        tmp_path,
        "sources:\n"
        "  background_checks: {path: bg.xlsx, sheet: Checks, values: {status: {Cleared: clear}}}\n"
        "  access_list: {path: access.csv, date_format: ['%d.%m.%Y', '%Y-%m-%d'], timezone: Europe/Berlin}\n"
        "  marketing: {path: m.jsonl, max_cell_chars: 2000}\n"
        "  incidents: incidents.csv\n"
        "  data_inventory: [inv.json]\n"
        "  dc_authorised: dc.csv\n"
        "  attestations:\n"
        "    - {name: plan, subject: security_plan, attester: CISO, date: '2026-06-01',\n"
        f"       expires: '2027-06-01', document: plan.pdf, sha256: {'ab' * 32}}}\n",
    )
    config = load_config(path)
    assert config.sources["background_checks"][0]["sheet"] == "Checks"
    assert config.sources["attestations"][0]["subject"] == "security_plan"


@pytest.mark.parametrize(
    "entry, field",
    [
        (
            "{name: plan, subject: security_plan, attester: CISO, date: '2026-06-01', expires: '2027-06-01'}",
            "",
        ),
        (
            "{name: plan, subject: security_plan, attester: CISO, date: '2026-06-01', expires: '2027-06-01', "
            "document: plan.pdf, statement: signed}",
            "",
        ),
        (
            "{name: plan, subject: coffee, attester: CISO, date: '2026-06-01', expires: '2027-06-01', "
            "statement: s}",
            ".subject",
        ),
        (
            "{name: plan, subject: dr_test, attester: CISO, date: 1 June, expires: '2027-06-01', "
            "statement: s}",
            ".date",
        ),
    ],
)
def test_an_attestation_needs_a_statement_or_a_pinned_document(tmp_path, entry, field):
    path = _config(tmp_path, f"sources:\n  attestations:\n    - {entry}\n")
    with pytest.raises(UserError, match=rf"^{path}:3: sources.attestations\[0\]{field}"):
        load_config(path)


def test_max_cell_chars_is_bounded(tmp_path):
    path = _config(tmp_path, "sources:\n  training: {path: t.csv, max_cell_chars: 0}\n")
    with pytest.raises(UserError, match="max_cell_chars"):
        load_config(path)

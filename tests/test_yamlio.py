"""Reading user YAML: syntax and schema errors name file, line and field; dates stay text."""

from __future__ import annotations

import os
import re
import time

import pytest

from vigil.errors import UserError
from vigil.yamlio import load_yaml, schema, validate

BASELINE_SCHEMA = schema("vigil.baselines", "schema/baseline.schema.json")

CONTROL = """\
name: acme
title: ACME commitments
controls:
  - id: ACME-TRAINING
    title: Staff are trained every year
    domain: administrative
    section: Security
    quote: "all staff are trained every year"
    frameworks:
      iso27001: [A.6.3]
    checks: [records.training.annual_completion]
"""


def _load_and_validate(path):
    data, lines = load_yaml(path)
    validate(data, BASELINE_SCHEMA, path, lines)
    return data


def test_valid_baseline_loads_with_a_line_for_every_key(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(CONTROL)
    data, lines = load_yaml(path)
    validate(data, BASELINE_SCHEMA, path, lines)
    assert data["controls"][0]["frameworks"] == {"iso27001": ["A.6.3"]}
    assert lines[("name",)] == 1
    assert lines[("controls", 0, "quote")] == 8
    assert lines[("controls", 0, "checks", 0)] == 11


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    # line 5 is indented one space short of the mapping it belongs to
    path.write_text("name: acme\ncontrols:\n  - id: X\n    title: t\n   domain: technical\n")
    with pytest.raises(UserError) as exc:
        load_yaml(path)
    assert str(exc.value).startswith(f"{path}:5: invalid YAML: ")


def test_tab_indentation_is_a_syntax_error_at_its_line(tmp_path):
    path = tmp_path / "tabs.yaml"
    path.write_text("name: acme\nparameters:\n\ttraining.max_age_days: 30\n")
    with pytest.raises(UserError, match=rf"^{path}:3: invalid YAML"):
        load_yaml(path)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")


def test_unknown_key_in_a_control_names_its_line_and_field(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(CONTROL + "    owner: security-team\n")
    with pytest.raises(UserError) as exc:
        _load_and_validate(path)
    assert f"{path}:12: controls[0].owner: unknown key" in str(exc.value)
    assert "manual_procedure" in str(exc.value)  # says what is allowed


def test_unknown_key_with_a_block_value_names_the_key_line_not_the_value_line(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(CONTROL.replace("controls:", "severity_overrides:\n  high: [x]\ncontrols:"))
    data, lines = load_yaml(path)
    assert lines[("severity_overrides",)] == 3
    assert lines[("controls",)] == 5  # the key, although its list starts on line 6
    assert lines[("controls", 0)] == 6
    with pytest.raises(UserError, match=rf"^{path}:3: severity_overrides: unknown key"):
        validate(data, BASELINE_SCHEMA, path, lines)


def test_wrong_enum_value_names_line_field_and_the_choices(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(CONTROL.replace("domain: administrative", "domain: organisational"))
    with pytest.raises(UserError) as exc:
        _load_and_validate(path)
    message = str(exc.value)
    assert f"{path}:6: controls[0].domain: 'organisational' is not one of" in message
    assert "technical, administrative, physical" in message


def test_every_violation_is_reported_in_line_order(tmp_path):
    path = tmp_path / "acme.yaml"
    text = CONTROL.replace("domain: administrative", "domain: organisational")
    text = text.replace("name: acme", "name: ACME Corp")  # names are lower-case slugs
    path.write_text(text)
    with pytest.raises(UserError) as exc:
        _load_and_validate(path)
    message = str(exc.value)
    assert message.index(f"{path}:1: name") < message.index(f"{path}:6: controls[0].domain")


def test_missing_required_field_names_the_control(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(CONTROL.replace('    quote: "all staff are trained every year"\n', ""))
    with pytest.raises(UserError, match=rf"{path}:4: controls\[0\]: 'quote' is a required property"):
        _load_and_validate(path)


def test_timestamps_stay_strings(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "expires: 2027-01-31T23:59:59+00:00\n"
        "day: 2026-12-01\n"
        "quoted: '2026-12-01'\n"
        "version: 1.5\n"
        "enabled: true\n"
    )
    data, _ = load_yaml(path)
    assert data["expires"] == "2027-01-31T23:59:59+00:00"
    assert data["day"] == "2026-12-01"
    assert data["quoted"] == "2026-12-01"
    # the other implicit types are still resolved
    assert data["version"] == 1.5 and data["enabled"] is True


def test_unsafe_tags_are_refused(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(UserError, match=rf"^{path}:1: invalid YAML"):
        load_yaml(path)


def test_empty_file_is_none_with_no_lines(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    assert load_yaml(path) == (None, {})


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(UserError, match="once aliases are expanded; refused"):
        load_yaml(path)
    assert time.perf_counter() - started < 10


def test_duplicate_keys_name_both_lines(tmp_path):
    path = tmp_path / "vigil.yaml"
    path.write_text("baseline: privacy-policy\nfail_on: high\nfail_on: none\n")
    with pytest.raises(UserError, match=r"vigil.yaml:3: fail_on: duplicate key \(first at line 2\)"):
        load_yaml(path)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 64 levels"),
        ("".join("  " * i + f"k{i}:\n" for i in range(100)), ":66: nested deeper than 64 levels"),
        ("? [a, b]\n: c\n", ":1: (top level): a key must be plain text"),
        ("a: 1\x00\n", "invalid YAML"),
    ],
)
def test_hostile_shapes_are_one_line_errors(tmp_path, text, problem):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=re.escape(problem)):
        load_yaml(path)


def test_a_fifo_or_an_oversized_file_is_not_read(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        load_yaml(fifo)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (17 << 20))
    with pytest.raises(UserError, match="over the limit"):
        load_yaml(big)

"""Redaction: secrets are masked before evidence is written; descriptions of secrets are kept."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vigil import registry
from vigil.collect import CollectContext, Task, collect, plan, run_task
from vigil.config import parse_config
from vigil.model import Collected, Collector
from vigil.redact import MASK, redact, redact_text
from vigil.store import EvidenceStore

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlMTAwMSIsIm5hbWUiOiJBZGEifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "Passphrase",
        "client_secret",
        "api_key",
        "apiKey",
        "SecretAccessKey",
        "aws_access_key_id",
        "session_token",
        "Authorization",
        "private_key",
        "cookie",
    ],
)
def test_secret_by_key_name_is_masked_whatever_it_looks_like(key):
    data = {"user": "svc-backup", key: "correct-horse-battery-staple"}
    assert redact(data) == ({"user": "svc-backup", key: MASK}, 1)


def test_nested_secrets_are_masked_and_counted():
    doc = {
        "users": [
            {"name": "ada", "credentials": {"password": "hunter2", "token": "t0k3n"}},
            {"name": "ben", "api_key": "k-123"},
        ]
    }
    original = copy.deepcopy(doc)
    redacted, count = redact(doc)
    assert redacted == {
        "users": [
            {"name": "ada", "credentials": {"password": MASK, "token": MASK}},
            {"name": "ben", "api_key": MASK},
        ]
    }
    assert count == 3
    assert doc == original  # a copy: the input is not changed


def test_flags_about_secrets_are_kept():
    report = {
        "user": "ada",
        "password_enabled": True,
        "password_last_used": "2026-11-01T08:00:00+00:00",
        "mfa_active": False,
        "auth": True,  # a boolean under a secret-looking name describes, it does not reveal
        "cookie": False,
        "token": "",  # nothing to hide
        "secret": None,
    }
    assert redact(report) == (report, 0)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("deploy used key AKIAIOSFODNN7EXAMPLE from CI", "AKIAIOSFODNN7EXAMPLE"),
        ("temporary ASIAY34FZKBOKMUTVV7A expires soon", "ASIAY34FZKBOKMUTVV7A"),
        (f"session={JWT}", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
        (f"cookie carries {JWT} for ada", "eyJzdWIiOiJlMTAwMSIsIm5hbWUiOiJBZGEifQ"),
        (
            f"found in repo:\n{PEM}\nend of file",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        ),
        ("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4", "9f8e7d6c5b4a39281706f5e4"),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a in .env", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ],
)
def test_secret_values_are_masked_wherever_they_appear(text, secret):
    redacted, count = redact_text(text)
    assert secret not in redacted
    assert MASK in redacted and count >= 1


def test_url_password_is_masked_and_the_user_kept():
    text = "DATABASE_URL=postgres://app_rw:S3cr3t!pw@db.internal:5432/orders"
    redacted, count = redact_text(text)
    assert redacted == f"DATABASE_URL=postgres://app_rw:{MASK}@db.internal:5432/orders"
    assert count == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("password=hunter2", f"password={MASK}"),
        ("login failed; password: 'hunter 2' rejected", f"login failed; password: {MASK} rejected"),
        ("export DB_PASSWORD=hunter2 && run", f"export DB_PASSWORD={MASK} && run"),
        ("MYSQL_PWD=hunter2", f"MYSQL_PWD={MASK}"),
        ("api_token: abc123def", f"api_token: {MASK}"),
        ('aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG"', f"aws_secret_access_key = {MASK}"),
        ("x-api-key=abc&user=ada", f"x-api-key={MASK}&user=ada"),
    ],
)
def test_inline_key_value_secrets_are_masked(text, expected):
    assert redact_text(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "password reset requested by ada.okafor@acme.example",
        "password_enabled=true",
        "https://portal.acme.example/login?next=/account",
        "arn:aws:iam::123456789012:user/ada",
        "sha256 3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
        "AKIA is the prefix of long-term AWS key ids",
        "Annual privacy & security compliance",
        "logs/db01/auth.log:72",  # a file and line (CONTRACTS.md `where`), not a key named auth
        "first kept failure 2026-11-30T10:00:20Z (var/log/auth.log:1204)",
        "config/secrets.yaml:3",
    ],
)
def test_non_secrets_are_untouched(text):
    assert redact_text(text) == (text, 0)


def test_non_string_values_pass_through():
    data = {"ports": [22, 443], "open": True, "ratio": 0.5, "owner": None}
    assert redact(data) == (data, 0)


ROSTER = """\
employee_id,full_name,work_email,pii_access
e1001,Ada Okafor,ada.okafor@acme.example,yes
e1002,Ben Whitlock (temp password=hunter2),ben.whitlock@acme.example,yes
e1003,Chen Liu,chen.liu@acme.example,token=abc123xyz
"""


def test_records_evidence_on_disk_holds_no_secret(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    config = parse_config(
        {
            "sources": {
                "personnel": {
                    "path": "roster.csv",
                    "columns": {
                        "id": "employee_id",
                        "name": "full_name",
                        "personal_data_access": "pii_access",
                    },
                }
            }
        },
        None,
        tmp_path,
    )
    store = EvidenceStore(tmp_path / "out" / "evidence")
    [evidence] = collect(plan(config), CollectContext(tmp_path, lambda: NOW), store, concurrency=2)

    names = {r["id"]: r["name"] for r in evidence.data}
    assert names["e1002"].startswith(f"Ben Whitlock (temp password={MASK}")
    # the malformed row's problem quotes the bad cell, and that quote is redacted too
    assert [p["where"] for p in evidence.problems] == ["roster.csv:4"]
    assert "abc123xyz" not in evidence.problems[0]["message"]

    written = [p.read_text() for p in (tmp_path / "out" / "evidence").rglob("*.json")]
    assert len(written) == 1
    assert "hunter2" not in written[0] and "abc123xyz" not in written[0]
    assert "Ada Okafor" in written[0]  # the rest of the roster is kept


def _vault(target, ctx):
    """A collector that returns what a secrets manager API might: names, ARNs and some secret values."""
    if target["name"] == "down":
        raise ConnectionError("https://auditor:Pa55word@vault.acme.example/v1 refused the connection")
    return Collected(
        {
            "secrets": [
                {"name": "prod/db", "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab"},
                {"name": "ci/deploy", "SecretString": "AKIAIOSFODNN7EXAMPLE", "rotation_enabled": False},
            ],
            "note": f"last rotated by pipeline with {JWT}",
        },
        ({"where": "ci/deploy", "message": "value looks like password=letmein"},),
    )


VAULT = Collector(
    name="test.vault",
    version="1",
    kind="test.vault.secrets",
    source="vault",
    ttl=timedelta(hours=1),
    description="",
    func=_vault,
)


def test_collector_output_problems_and_errors_are_redacted_before_storage(tmp_path):
    ctx = CollectContext(base_dir=Path(tmp_path), now=lambda: NOW)
    store = EvidenceStore(tmp_path / "evidence")
    good = store.put(run_task(Task(VAULT, {"name": "prod"}), ctx))
    down = store.put(run_task(Task(VAULT, {"name": "down"}), ctx))

    assert good.data["secrets"][0] == {  # identifiers are not secrets
        "name": "prod/db",
        "kms_key": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab",
    }
    assert good.data["secrets"][1] == {"name": "ci/deploy", "SecretString": MASK, "rotation_enabled": False}
    assert good.problems == ({"where": "ci/deploy", "message": f"value looks like password={MASK}"},)
    assert (
        down.error == f"ConnectionError: https://auditor:{MASK}@vault.acme.example/v1 refused the connection"
    )
    assert down.expires_at == NOW + timedelta(hours=1)

    on_disk = "".join(p.read_text() for p in (tmp_path / "evidence").rglob("*.json"))
    for secret in ("AKIAIOSFODNN7EXAMPLE", "letmein", "Pa55word", JWT.split(".")[2]):
        assert secret not in on_disk


def test_arn_segments_named_secret_are_resource_ids_not_secrets():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
    assert redact_text(arn) == (arn, 0)
    assert redact_text("export DB_PASSWORD=hunter2") == (f"export DB_PASSWORD={MASK}", 1)


GOOGLE_KEY = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
PEM_NO_END = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACD2mJXy"
)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("pass=hunter2 user=ada", "hunter2"),
        ("passphrase: correct-horse", "correct-horse"),
        ("secret_key=wJalrXUtnFEMI", "wJalrXUtnFEMI"),
        ("dbpassword=Tr0ub4dor", "Tr0ub4dor"),
        ("DBPassword: Tr0ub4dor", "Tr0ub4dor"),
        ("token_value='abc def'", "abc def"),
        ("curl -H 'Authorization: Basic YWRhOmh1bnRlcjI=' https://x", "YWRhOmh1bnRlcjI="),
        ("Authorization: Basic YWRhOmh1bnRlcjI=", "YWRhOmh1bnRlcjI="),
        ("sent Basic YWRhOmh1bnRlcjI= upstream", "YWRhOmh1bnRlcjI="),
        (f"maps key {GOOGLE_KEY} in app.js", GOOGLE_KEY),
        (f"leaked:\n{PEM_NO_END}", "QyNTUxOQAAACD2mJXy"),
        ("webhook https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXX"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
        ("charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz"),
        ("NPM_TOKEN npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
        ("glpat-abcdefghij0123456789 in ci", "glpat-abcdefghij0123456789"),
        ("signing_key=9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c", "9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c"),
    ],
)
def test_wider_secret_forms_are_masked_in_text(text, secret):
    redacted, count = redact_text(text)
    assert secret not in redacted, redacted
    assert MASK in redacted and count >= 1


@pytest.mark.parametrize(
    "key",
    [
        "credentials",
        "password_hash",
        "secretKey",
        "private_key_pem",
        "token_value",
        "dbpassword",
        "secret_key",
        "passphrase",
        "pass",
        "X-Api-Key",
        "clientSecret",
        "aws_secret_access_key",
        "connection_string",
    ],
)
def test_secret_keys_are_matched_by_their_words(key):
    assert redact({key: "s3cr3t-value"}) == ({key: MASK}, 1)


@pytest.mark.parametrize(
    "key, value",
    [
        ("password_last_used", "2026-11-01T08:00:00+00:00"),
        ("password_last_changed", "N/A"),
        ("token_expiry", "in 3 days"),
        ("secret_name", "prod/db"),
        ("secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"),
        ("passport_number", "X1234567"),
        ("compass", "north"),
        ("author", "Ada Okafor"),
        ("kms_key", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab"),
        ("key", "department"),
        ("signature_version", "v4"),
        ("password_policy", "min 14 characters"),
    ],
)
def test_keys_that_describe_or_only_resemble_secrets_are_kept(key, value):
    assert redact({key: value}) == ({key: value}, 0)


def test_high_entropy_value_beside_a_key_that_may_name_a_secret_is_masked():
    doc = {"key": "Zx8Qp2Lm9Rt4Vb7Nc1Kd6Fh3Jg5Ws0Ya", "salt": "aaaaaaaaaaaaaaaaaaaa", "seed": "short"}
    redacted, count = redact(doc)
    assert redacted == {"key": MASK, "salt": "aaaaaaaaaaaaaaaaaaaa", "seed": "short"}
    assert count == 1


def test_a_value_named_by_a_secret_name_field_is_masked():
    env = [
        {"name": "DB_PASSWORD", "value": "hunter2"},
        {"Name": "LOG_LEVEL", "Value": "debug"},
        {"ParameterKey": "ApiToken", "ParameterValue": "abc"},
    ]
    redacted, count = redact(env)
    assert redacted == [
        {"name": "DB_PASSWORD", "value": MASK},
        {"Name": "LOG_LEVEL", "Value": "debug"},
        {"ParameterKey": "ApiToken", "ParameterValue": MASK},
    ]
    assert count == 2


def test_numbers_under_secret_keys_are_masked_and_other_numbers_kept():
    assert redact({"pin_code": 1234, "password": 123456, "port": 5432}) == (
        {"pin_code": 1234, "password": MASK, "port": 5432},
        1,
    )


def test_fields_a_collector_declares_plain_are_not_scanned_and_the_rest_are():
    record = {"where": "people.csv:7", "note": "pass=hunter2", "token": "x"}
    redacted, count = redact([record], plain=("where", "token"))
    assert redacted == [{"where": "people.csv:7", "note": f"pass={MASK}", "token": "x"}]
    assert count == 1


def test_unchanged_data_is_returned_as_is_and_changed_data_is_a_copy():
    clean = [{"id": "e1", "name": "Ada"}]
    assert redact(clean)[0] is clean
    dirty = [{"id": "e1", "note": "password=x"}]
    out, _ = redact(dirty)
    assert out is not dirty and dirty[0]["note"] == "password=x"


def test_a_secret_inside_a_non_secret_pair_value_is_still_found():
    redacted, count = redact_text(f"session={JWT} next=/home")
    assert JWT not in redacted and redacted.endswith(" next=/home") and count == 1


@pytest.mark.parametrize("text", ["tokens.txt:2", "secrets.csv:[3]", "see passwords.xlsx:14 for the row"])
def test_a_file_and_line_is_a_location_not_a_secret(text):
    assert redact_text(text) == (text, 0)


def test_a_dotted_secret_key_with_a_numeric_value_is_still_a_secret():
    assert redact_text("db.password: 1234") == ("db.password: [REDACTED]", 1)


def test_a_key_naming_the_verdict_about_a_secret_is_not_masked():
    doc = {"signature_check": "verified", "password_valid": "no", "signature": "c2lnbmF0dXJl"}
    assert redact(doc)[0] == {"signature_check": "verified", "password_valid": "no", "signature": MASK}


@pytest.mark.parametrize(
    "field",
    [
        "password=hunter2",
        f"issued {JWT}",
        "AKIAIOSFODNN7EXAMPLE",
        "Authorization: Bearer abcdefgh12345678",
        "https://user:pa55word@db.example/x",
    ],
)
def test_a_flat_record_looked_at_whole_still_masks_a_secret_in_any_of_its_fields(field):
    # records of a roster are judged in one scan of their joined text; a secret in any field still shows
    record = {"id": "e1", "name": "Ada", "department": "Support", "note": field, "active": True, "n": 3}
    masked, count = redact([record], plain=("where",))
    assert count == 1 and masked[0]["note"] != field and masked[0]["name"] == "Ada"
    assert masked[0]["note"] == redact_text(field)[0]


def test_a_flat_record_without_secrets_is_kept_as_it_is_even_beside_dates_and_plain_fields():
    record = {"id": "e1", "name": "Ada", "completed_at": "2026-01-02", "where": "people.csv:2", "ok": False}
    out, count = redact([record], plain=("where",))
    assert out[0] is record and count == 0


def test_the_marks_looked_for_in_many_strings_at_once_are_those_looked_for_in_each():
    from vigil.redact import _any_marks, _candidates

    samples = [
        "Person 12", "person.12@corp.example", "a:b", "x=1", "-----BEGIN RSA PRIVATE KEY-----", "Bearer",
        "BEARER", "Basic", JWT, "https://hooks.slack.com/services/T0/B0/x", "AKIAIOSFODNN7EXAMPLE",
        "abcdefghijk", "abcdefghijkl", "2026-01-02", "", "Support", "ghp_" + "a" * 36, "eyJ",
    ]  # fmt: skip
    for a in samples:
        assert _any_marks([a]) == bool(_candidates(a)), a
        for b in samples:
            assert _any_marks([a, b]) == (bool(_candidates(a)) or bool(_candidates(b))), (a, b)

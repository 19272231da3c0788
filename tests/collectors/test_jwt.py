"""JWT collector: real tokens signed with pyjwt, a real JWKS served on 127.0.0.1; tokens never stored."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.config import load_config
from vigil.errors import UserError
from vigil.loopback import Servers
from vigil.model import Evidence

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
IAT = int(NOW.timestamp())
SERVICE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLAIMS = {"iss": "https://auth.shop.example", "aud": "api", "sub": "user-4711", "email": "ada@shop.example"}


def sign(claims: dict, key, alg: str, kid: str | None = "k1") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjwt warns about the short HMAC keys these tests mean to use
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid} if kid else None)


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


TOKENS = {
    "good": sign({**CLAIMS, "iat": IAT, "exp": IAT + 900}, SERVICE_KEY, "RS256"),
    "none": sign({**CLAIMS, "iat": IAT, "exp": IAT + 900}, None, "none", kid=None),
    "weak": sign({**CLAIMS, "iat": IAT, "exp": IAT + 900}, "your-256-bit-secret", "HS256", kid=None),
    "strong_hmac_no_exp": sign(
        {"iss": "a", "aud": "b"}, "q8Yv1Z-3Tn0kR7pLw9sXc2mFh6Jd4GbE", "HS256", kid=None
    ),
    "forged": sign({**CLAIMS, "iat": IAT, "exp": IAT + 900}, OTHER_KEY, "RS256"),
    "unknown_kid": sign({**CLAIMS, "iat": IAT, "exp": IAT + 900}, SERVICE_KEY, "RS256", kid="k9"),
    "month": sign({"sub": "x", "iat": IAT, "exp": IAT + 30 * 86400}, SERVICE_KEY, "RS256"),
}


@pytest.fixture(scope="module")
def jwks_url():
    servers = Servers()
    port = servers.json("/.well-known/jwks.json", {"keys": [public_jwk(SERVICE_KEY, "k1")]})
    yield f"http://127.0.0.1:{port}/.well-known/jwks.json"
    servers.stop()


def collect(target: dict, base: Path) -> Evidence:
    return run_task(Task(registry.collectors.get("jwt.tokens"), target), CollectContext(base, lambda: NOW))


def write_tokens(folder: Path, *names: str, extra: str = "") -> str:
    lines = ["# tokens captured from the staging API, 2026-11-30"] + [TOKENS[n] for n in names]
    (folder / "tokens.txt").write_text("\n".join(lines) + "\n" + extra)
    return "tokens.txt"


def test_each_token_is_described_by_header_claims_and_signature(tmp_path, jwks_url):
    path = write_tokens(tmp_path, *TOKENS)
    evidence = collect({"path": path, "url": jwks_url}, tmp_path)
    assert evidence.error is None and evidence.problems == ()
    tokens = {t["where"]: t for t in evidence.data["tokens"]}
    assert list(tokens) == [f"tokens.txt:{n}" for n in range(2, 9)]
    good, none, weak, strong, forged, unknown, month = tokens.values()
    assert good["header"] == {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    assert good["claims"] == {"iss": "https://auth.shop.example", "aud": "api", "iat": IAT, "exp": IAT + 900}
    assert good["claim_names"] == ["aud", "email", "exp", "iat", "iss", "sub"]
    assert (good["lifetime_minutes"], good["signature_check"], good["weak_secret"]) == (15, "verified", None)
    assert none["header"]["alg"] == "none" and none["signature_check"] == "not_checked"
    assert weak["weak_secret"] is True and weak["weak_secret_entry"] == 1
    assert strong["weak_secret"] is False and "exp" not in strong["claims"]
    assert forged["signature_check"] == "invalid"
    assert unknown["signature_check"] == "no_key"
    assert month["lifetime_minutes"] == 43200
    assert evidence.data["jwks_keys"] == [
        {
            "kid": "k1",
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "curve": "",
            "rsa_bits": 2048,
            "symmetric": False,
            "private_parts": [],
        }
    ]
    assert evidence.data["weak_secret_list"]["entries"] >= 50


def test_token_values_and_personal_claims_never_reach_evidence(tmp_path, jwks_url):
    evidence = collect({"path": write_tokens(tmp_path, *TOKENS), "url": jwks_url}, tmp_path)
    text = json.dumps(evidence.data)
    for token in TOKENS.values():
        assert token not in text
        assert token.split(".")[1] not in text  # not even the payload segment
    assert "user-4711" not in text and "ada@shop.example" not in text
    assert "your-256-bit-secret" not in text  # the matched secret is named by its entry number only


def test_a_malformed_line_is_a_problem_named_by_line_and_the_rest_loads(tmp_path):
    path = write_tokens(tmp_path, "good", extra="not-a-jwt\n")
    evidence = collect({"path": path}, tmp_path)
    assert [t["where"] for t in evidence.data["tokens"]] == ["tokens.txt:2"]
    assert evidence.problems == ({"where": "tokens.txt:3", "message": "not a readable JWT (DecodeError)"},)
    assert evidence.data["tokens"][0]["signature_check"] == "not_checked"  # no JWKS configured


def test_lines_copied_from_request_logs_keep_working(tmp_path):
    (tmp_path / "captured.txt").write_text(
        f"Authorization: Bearer {TOKENS['weak']}\nbearer {TOKENS['none']}\n"
    )
    evidence = collect({"path": "captured.txt"}, tmp_path)
    assert [t["header"]["alg"] for t in evidence.data["tokens"]] == ["HS256", "none"]
    assert evidence.problems == ()


def test_a_token_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_API_TOKEN", TOKENS["weak"])
    evidence = collect({"token_env": "SHOP_API_TOKEN"}, tmp_path)
    [token] = evidence.data["tokens"]
    assert token["where"] == "$SHOP_API_TOKEN" and token["weak_secret"] is True
    monkeypatch.delenv("SHOP_API_TOKEN")
    missing = collect({"token_env": "SHOP_API_TOKEN"}, tmp_path)
    assert missing.error == "jwt: environment variable SHOP_API_TOKEN is not set (it should hold a token)"


def test_a_jwks_with_secret_material_is_recorded(tmp_path):
    leaky = public_jwk(SERVICE_KEY, "k1")
    leaky["d"] = "AQAB"  # the private exponent has no business in a public document
    servers = Servers()
    try:
        port = servers.json("/jwks", {"keys": [leaky, {"kty": "oct", "kid": "h1", "k": "c2VjcmV0"}]})
        evidence = collect({"url": f"http://127.0.0.1:{port}/jwks"}, tmp_path)
    finally:
        servers.stop()
    keys = {k["kid"]: k for k in evidence.data["jwks_keys"]}
    assert keys["k1"]["private_parts"] == ["d"] and keys["h1"]["symmetric"] is True
    assert "c2VjcmV0" not in json.dumps(evidence.data)


def test_an_unreachable_jwks_or_missing_file_is_error_evidence(tmp_path):
    assert collect({"path": "absent.txt"}, tmp_path).error == "absent.txt: file not found"
    servers = Servers()
    port = servers.json("/jwks", {"keys": []})
    servers.stop()
    error = collect({"url": f"http://127.0.0.1:{port}/jwks"}, tmp_path).error
    assert error.startswith(f"JWKS http://127.0.0.1:{port}/jwks: ")


def test_a_jwt_entry_without_tokens_or_jwks_is_refused_at_load(tmp_path):
    (tmp_path / "vigil.yaml").write_text("sources:\n  jwt:\n    - name: api\n")
    with pytest.raises(UserError) as raised:
        load_config(tmp_path / "vigil.yaml")
    assert str(raised.value).endswith(
        "vigil.yaml:3: sources.jwt[0]: needs path (a token file), token_env (a variable holding a token) "
        "or url (a JWKS), or several"
    )

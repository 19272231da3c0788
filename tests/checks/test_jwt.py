"""JWT checks: forgeable tokens, lifetimes, issuer and audience, and what a JWKS publishes."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from vigil.collectors.jwt import describe, summarise_jwks

from vigil import registry

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
IAT = int(NOW.timestamp())
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1"}
JWKS = {"keys": [JWK]}
GOOD_CLAIMS = {"iss": "https://auth.shop.example", "aud": "api", "sub": "u1", "iat": IAT, "exp": IAT + 900}


def token(claims: dict, key=KEY, alg: str = "RS256", kid: str | None = "k1") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid} if kid else None)


def source(*tokens: str, jwks: dict | None = JWKS) -> dict:
    """A jwt.tokens evidence item as the collector writes it, each token described by the collector."""
    return {
        "name": "staging",
        "jwks_url": "https://auth.shop.example/jwks" if jwks is not None else None,
        "jwks_keys": summarise_jwks(jwks) if jwks is not None else None,
        "tokens": [describe(t, f"tokens.txt:{n}", jwks) for n, t in enumerate(tokens, start=1)],
        "weak_secret_list": {"file": "lists/weak-jwt-secrets.txt", "entries": 62, "sha256": "0" * 64},
    }


def run(check_id: str, sources: list[dict], **params) -> dict:
    check = registry.checks.get(check_id)
    outcomes = list(check.func({"jwt.tokens": sources}, {**check.params, **params, "now": NOW}))
    resources = [o.resource for o in outcomes]
    assert len(resources) == len(set(resources)), "one outcome per resource"
    return {o.resource.split(" (")[0]: (o.status, o.message) for o in outcomes}


def test_a_service_token_verified_by_the_jwks_passes_every_token_check():
    good = [source(token(GOOD_CLAIMS))]
    assert run("jwt.tokens.unforgeable", good) == {
        "jwt tokens.txt:1": ("pass", "tokens.txt:1: RS256, verified against the JWKS")
    }
    assert run("jwt.tokens.lifetime", good) == {
        "jwt tokens.txt:1": ("pass", "tokens.txt:1: valid 15 minutes (limit 60)")
    }
    assert run("jwt.tokens.audience_issuer", good) == {
        "jwt tokens.txt:1": ("pass", "tokens.txt:1: iss and aud present")
    }


def test_unsigned_weak_secret_forged_and_unknown_key_tokens_fail():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = source(
        token(GOOD_CLAIMS, None, "none", kid=None),
        token(GOOD_CLAIMS, "secret", "HS256", kid=None),
        token(GOOD_CLAIMS, other),
        token(GOOD_CLAIMS, kid="retired-2024"),
        token(GOOD_CLAIMS, "Jq4-9vT2xLm8Rw3Zp6Ys1Nc7Bd5Kf0Hg", "HS512", kid=None),
    )
    result = run("jwt.tokens.unforgeable", [bad])
    assert result["jwt tokens.txt:1"] == ("fail", "tokens.txt:1: unsigned token (alg none)")
    status, message = result["jwt tokens.txt:2"]
    assert status == "fail" and message.startswith(
        "tokens.txt:2: HS256 secret found in the weak-secret list (entry "
    )
    assert result["jwt tokens.txt:3"] == (
        "fail",
        "tokens.txt:3: RS256 signature does not verify against the JWKS",
    )
    assert result["jwt tokens.txt:4"] == (
        "fail",
        "tokens.txt:4: the JWKS has no key 'retired-2024' for this RS256 token",
    )
    assert result["jwt tokens.txt:5"] == ("pass", "tokens.txt:5: HS512, secret not in the weak-secret list")
    unverified = run("jwt.tokens.unforgeable", [source(token(GOOD_CLAIMS), jwks=None)])
    assert unverified == {
        "jwt tokens.txt:1": (
            "pass",
            "tokens.txt:1: RS256, signed (no JWKS configured, so the signature itself was not verified)",
        )
    }


@pytest.mark.parametrize(
    ("claims", "status", "message"),
    [
        ({"iss": "a", "aud": "b"}, "fail", "tokens.txt:1: no exp claim, the token never expires"),
        ({"exp": IAT + 60}, "fail", "tokens.txt:1: exp without iat, so its lifetime cannot be shown"),
        ({"iat": IAT, "exp": IAT + 7 * 86400}, "fail", "tokens.txt:1: valid 10080 minutes (limit 60)"),
        ({"iat": IAT, "exp": IAT + 3600}, "pass", "tokens.txt:1: valid 60 minutes (limit 60)"),
    ],
)
def test_lifetime_needs_exp_and_iat_within_the_limit(claims, status, message):
    assert run("jwt.tokens.lifetime", [source(token(claims))]) == {"jwt tokens.txt:1": (status, message)}


def test_lifetime_limit_is_the_baseline_parameter():
    week = [source(token({"iat": IAT, "exp": IAT + 7 * 86400}))]
    assert (
        run("jwt.tokens.lifetime", week, **{"jwt.max_lifetime_minutes": 10080})["jwt tokens.txt:1"][0]
        == "pass"
    )


def test_missing_issuer_or_audience_fails_naming_them():
    result = run("jwt.tokens.audience_issuer", [source(token({"exp": IAT}), token({"iss": "x", "exp": IAT}))])
    assert result == {
        "jwt tokens.txt:1": ("fail", "tokens.txt:1: no iss and no aud claim"),
        "jwt tokens.txt:2": ("fail", "tokens.txt:2: no aud claim"),
    }


def test_jwks_with_public_keys_passes_secret_material_or_short_keys_fail():
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    short_jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(short.public_key())), "kid": "old"}
    leaked = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY)), "kid": "k2"}  # private key JWK
    jwks = {"keys": [JWK, short_jwk, leaked, {"kty": "oct", "kid": "h1", "k": "c2VjcmV0"}]}
    result = run("jwt.jwks.public_keys_only", [source(jwks=jwks)])
    assert result == {
        "jwks https://auth.shop.example/jwks key k1": ("pass", "public RSA key 'k1' (2048 bits)"),
        "jwks https://auth.shop.example/jwks key old": ("fail", "RSA key 'old' has 1024 bits (minimum 2048)"),
        "jwks https://auth.shop.example/jwks key k2": (
            "fail",
            "key 'k2' publishes secret material (d, dp, dq, p, q, qi)",
        ),
        "jwks https://auth.shop.example/jwks key h1": ("fail", "key 'h1' publishes secret material (k)"),
    }
    assert run("jwt.jwks.public_keys_only", [source(token(GOOD_CLAIMS), jwks=None)]) == {}

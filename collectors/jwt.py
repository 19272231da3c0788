"""Tokens: sample JWTs (from a file or an environment variable) and a JWKS; token values are never kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import ssl
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from importlib import resources
from typing import Any

import jwt

from vigil.model import CollectContext, Collected, UserError
from vigil.registry import collector

MAX_JWKS_BYTES = 1 << 20
HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
HEADER_KEPT = ("alg", "kid", "typ", "cty")
CLAIMS_KEPT = ("iss", "aud", "exp", "iat", "nbf")  # never sub, email or other personal data
WEAK_SECRETS_FILE = "lists/weak-jwt-secrets.txt"
BEARER = re.compile(r"^(?:authorization:\s*)?bearer\s+", re.I)


def load_weak_secrets(text: str) -> tuple[str, ...]:
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


_WEAK_TEXT = resources.files("vigil.baselines").joinpath(WEAK_SECRETS_FILE).read_text(encoding="utf-8")
WEAK_SECRETS = load_weak_secrets(_WEAK_TEXT)
WEAK_SECRETS_SHA256 = hashlib.sha256(_WEAK_TEXT.encode()).hexdigest()


def fingerprint(token: str) -> str:
    """Names a token in evidence and reports without revealing it."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def weak_secret_index(token: str, alg: str, secrets: tuple[str, ...]) -> int | None:
    """Position in the weak-secret list of the secret that verifies this HMAC token, if any."""
    digest = HMAC_DIGESTS.get(alg)
    if digest is None:
        return None
    head, _, signature = token.rpartition(".")
    try:
        expected = _b64decode(signature)
    except (ValueError, TypeError):
        return None
    message = head.encode()
    for index, secret in enumerate(secrets):
        if hmac.compare_digest(hmac.new(secret.encode(), message, digest).digest(), expected):
            return index
    return None


def summarise_jwks(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise UserError("the JWKS is not a JSON object with a keys list")
    keys = []
    for raw in document["keys"]:
        if not isinstance(raw, dict):
            continue
        kty = raw.get("kty", "")
        size = None
        if kty == "RSA" and isinstance(raw.get("n"), str):
            size = int.from_bytes(_b64decode(raw["n"]), "big").bit_length()
        keys.append(
            {
                "kid": raw.get("kid", ""),
                "kty": kty,
                "alg": raw.get("alg", ""),
                "use": raw.get("use", ""),
                "curve": raw.get("crv", ""),
                "rsa_bits": size,
                "symmetric": kty == "oct",
                "private_parts": sorted(k for k in ("d", "p", "q", "dp", "dq", "qi", "k") if k in raw),
            }
        )
    return keys


def fetch_jwks(url: str, target: Mapping[str, Any], ctx: CollectContext) -> dict[str, Any]:
    if not url.lower().startswith(("http://", "https://")):
        raise UserError(f"JWKS {url}: only http:// and https:// URLs are fetched")
    context = ssl.create_default_context()
    if target.get("ca_bundle"):
        with ctx.open_binary(target["ca_bundle"]) as handle:
            context.load_verify_locations(cadata=handle.read().decode("ascii", "replace"))
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "vigil"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15, context=context) as response:  # noqa: S310 - http(s) only
            body = response.read(MAX_JWKS_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise UserError(f"JWKS {url}: {exc}") from None
    if len(body) > MAX_JWKS_BYTES:
        raise UserError(f"JWKS {url}: larger than {MAX_JWKS_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise UserError(f"JWKS {url}: not JSON ({exc.msg})") from None


def _verify(token: str, alg: str, kid: str, jwks: Mapping[str, Any] | None) -> str:
    """verified / invalid / no_key / not_checked: the token's signature against the published keys."""
    if jwks is None or alg.lower() == "none" or alg in HMAC_DIGESTS:
        return "not_checked"
    candidates = [k for k in jwks.get("keys", []) if isinstance(k, dict) and (not kid or k.get("kid") == kid)]
    if not candidates:
        return "no_key"
    for raw in candidates:
        try:
            key = jwt.PyJWK(raw, algorithm=alg)
            jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
            return "verified"
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    return "invalid"


def describe(token: str, where: str, jwks: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a token says about itself and how it is signed, without the token or personal claims."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    if not isinstance(claims, dict):
        raise jwt.DecodeError("the payload is not a JSON object")
    alg = str(header.get("alg", ""))
    exp, iat = claims.get("exp"), claims.get("iat")
    lifetime = None
    if isinstance(exp, int | float) and isinstance(iat, int | float):
        lifetime = round((exp - iat) / 60, 1)
    weak = weak_secret_index(token, alg, WEAK_SECRETS)
    return {
        "fingerprint": fingerprint(token),
        "where": where,
        "header": {k: header[k] for k in HEADER_KEPT if k in header},
        "claim_names": sorted(claims),
        "claims": {k: claims[k] for k in CLAIMS_KEPT if k in claims},
        "lifetime_minutes": lifetime,
        "hmac": alg in HMAC_DIGESTS,
        "weak_secret": None if alg not in HMAC_DIGESTS else weak is not None,
        "weak_secret_entry": None if weak is None else weak + 1,
        "signature_check": _verify(token, alg, str(header.get("kid", "")), jwks),
    }


def _read_tokens(target: Mapping[str, Any], ctx: CollectContext) -> list[tuple[str, str]]:
    tokens = []
    if target.get("path"):
        name = target["path"]
        with ctx.open_binary(name) as handle:
            text = handle.read().decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), start=1):
            line = BEARER.sub("", line.strip())  # lines pasted from request logs keep their prefix
            if line and not line.startswith("#"):
                tokens.append((f"{name}:{number}", line))
    if target.get("token_env"):
        variable = target["token_env"]
        value = os.environ.get(variable, "").strip()
        if not value:
            raise UserError(f"jwt: environment variable {variable} is not set (it should hold a token)")
        tokens.append((f"${variable}", value))
    return tokens


# fields vigil writes itself: file:line locations, hashes, verdicts and list positions, never token text
PLAIN = ("where", "fingerprint", "signature_check", "weak_secret_entry", "file")


@collector(name="jwt.tokens", kind="jwt.tokens", source="jwt", ttl=timedelta(hours=24), plain=PLAIN)
def collect_tokens(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Read sample tokens (a file with one token per line, or an environment variable) and the
    service's JWKS: each token's header, lifetime claims, whether a weak secret from the bundled list
    verifies it, and whether it verifies against the JWKS. Tokens are named by a hash, never stored."""
    jwks = fetch_jwks(target["url"], target, ctx) if target.get("url") else None
    tokens, problems = [], []
    for where, token in _read_tokens(target, ctx):
        try:
            tokens.append(describe(token, where, jwks))
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            problems.append({"where": where, "message": f"not a readable JWT ({type(exc).__name__})"})
    return Collected(
        {
            "name": target.get("name")
            or target.get("url")
            or target.get("path")
            or f"${target.get('token_env')}",
            "jwks_url": target.get("url"),
            "jwks_keys": summarise_jwks(jwks) if jwks is not None else None,
            "tokens": tokens,
            "weak_secret_list": {
                "file": WEAK_SECRETS_FILE,
                "entries": len(WEAK_SECRETS),
                "sha256": WEAK_SECRETS_SHA256,
            },
        },
        tuple(problems),
    )

"""Tokens: JWTs that nobody can forge, that expire soon enough, and that say who issued them and for whom."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vigil.model import Outcome, fail, ok
from vigil.registry import check

JWT_REFERENCES = (
    "https://www.rfc-editor.org/rfc/rfc8725",  # JWT best current practices
    "https://www.rfc-editor.org/rfc/rfc7519",
)


def _tokens(evidence: Mapping) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    for source in evidence["jwt.tokens"]:
        for token in source["tokens"]:
            yield source, token


def _resource(token: Mapping[str, Any]) -> str:
    return f"jwt {token['where']} ({token['fingerprint']})"


@check(
    id="jwt.tokens.unforgeable",
    title="Tokens are signed: no alg none, no guessable HMAC secret, valid against the JWKS",
    severity="critical",
    domain="technical",
    needs=["jwt.tokens"],
    references=JWT_REFERENCES,
    tags=["tokens", "authentication"],
)
def unforgeable(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Anyone can mint a token that is unsigned (alg none) or signed with a secret from the list of
    secrets seen in documentation and templates (baselines/lists/weak-jwt-secrets.txt), and so
    reach every account. A token the service issued must also verify against the keys it publishes
    (JWKS); one that does not, or names a key the JWKS lacks, is a fail.

    Remediation: reject alg none in the verifying library (pass an explicit algorithms list); sign
    with a random secret of at least 256 bits from a secrets manager, or with an asymmetric key
    published in the JWKS; rotate the leaked secret and revoke the tokens it signed.
    """
    for source, token in _tokens(evidence):
        alg = str(token["header"].get("alg", ""))
        resource = _resource(token)
        if alg.lower() == "none" or not alg:
            yield fail(resource, f"{token['where']}: unsigned token (alg {alg or 'missing'})", cite=source)
        elif token["weak_secret"]:
            yield fail(
                resource,
                f"{token['where']}: {alg} secret found in the weak-secret list (entry "
                f"{token['weak_secret_entry']})",
                cite=source,
            )
        elif token["signature_check"] == "invalid":
            yield fail(
                resource, f"{token['where']}: {alg} signature does not verify against the JWKS", cite=source
            )
        elif token["signature_check"] == "no_key":
            kid = token["header"].get("kid", "")
            yield fail(
                resource, f"{token['where']}: the JWKS has no key {kid!r} for this {alg} token", cite=source
            )
        else:
            if token["signature_check"] == "verified":
                how = "verified against the JWKS"
            elif token["hmac"]:
                how = "secret not in the weak-secret list"
            else:
                how = "signed (no JWKS configured, so the signature itself was not verified)"
            yield ok(resource, f"{token['where']}: {alg}, {how}", cite=source)


@check(
    id="jwt.tokens.lifetime",
    title="Tokens expire, within the allowed lifetime",
    severity="high",
    domain="technical",
    needs=["jwt.tokens"],
    params={"jwt.max_lifetime_minutes": 60},
    references=JWT_REFERENCES,
    tags=["tokens", "authentication"],
)
def lifetime(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A token without exp is valid forever once stolen; one valid for longer than
    jwt.max_lifetime_minutes (exp minus iat) leaves a stolen token usable too long. A token with exp
    but no iat cannot show its lifetime and fails too.

    Remediation: issue access tokens with exp and iat and a short lifetime (minutes, not days); keep
    sessions alive with refresh tokens that the server can revoke.
    """
    limit = params["jwt.max_lifetime_minutes"]
    for source, token in _tokens(evidence):
        resource = _resource(token)
        claims = token["claims"]
        if "exp" not in claims:
            yield fail(resource, f"{token['where']}: no exp claim, the token never expires", cite=source)
        elif token["lifetime_minutes"] is None:
            yield fail(
                resource, f"{token['where']}: exp without iat, so its lifetime cannot be shown", cite=source
            )
        elif token["lifetime_minutes"] > limit:
            yield fail(
                resource,
                f"{token['where']}: valid {token['lifetime_minutes']:g} minutes (limit {limit})",
                cite=source,
            )
        else:
            yield ok(
                resource,
                f"{token['where']}: valid {token['lifetime_minutes']:g} minutes (limit {limit})",
                cite=source,
            )


@check(
    id="jwt.tokens.audience_issuer",
    title="Tokens name their issuer and audience",
    severity="medium",
    domain="technical",
    needs=["jwt.tokens"],
    references=JWT_REFERENCES,
    tags=["tokens", "authentication"],
)
def audience_issuer(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Without iss and aud a token issued for one service is accepted by another that trusts the same
    keys (token substitution): every token must carry both.

    Remediation: set iss and aud when issuing tokens, and have every service verify both.
    """
    for source, token in _tokens(evidence):
        missing = [claim for claim in ("iss", "aud") if claim not in token["claims"]]
        if missing:
            yield fail(
                _resource(token), f"{token['where']}: no {' and no '.join(missing)} claim", cite=source
            )
        else:
            yield ok(_resource(token), f"{token['where']}: iss and aud present", cite=source)


@check(
    id="jwt.jwks.public_keys_only",
    title="The JWKS publishes only strong public keys",
    severity="critical",
    domain="technical",
    needs=["jwt.tokens"],
    params={"jwt.min_rsa_bits": 2048},
    references=JWT_REFERENCES,
    tags=["tokens", "authentication"],
)
def public_keys_only(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A JWKS is public: a symmetric key (kty oct) or the private part of a key (d, p, q...) in it lets
    anyone sign tokens, and an RSA key shorter than jwt.min_rsa_bits can be factored.

    Remediation: publish only the public parts of asymmetric keys, rotate any key that was exposed,
    and use RSA keys of 2048 bits or more (or EC P-256).
    """
    minimum = params["jwt.min_rsa_bits"]
    for source in evidence["jwt.tokens"]:
        if source["jwks_keys"] is None:
            continue
        if not source["jwks_keys"]:
            yield fail(f"jwks {source['jwks_url']}", "the JWKS holds no keys", cite=source)
        for key in source["jwks_keys"]:
            resource = f"jwks {source['jwks_url']} key {key['kid'] or key['kty']}"
            if key["symmetric"] or key["private_parts"]:
                parts = ", ".join(key["private_parts"]) or "k"
                yield fail(resource, f"key {key['kid']!r} publishes secret material ({parts})", cite=source)
            elif key["rsa_bits"] is not None and key["rsa_bits"] < minimum:
                yield fail(
                    resource,
                    f"RSA key {key['kid']!r} has {key['rsa_bits']} bits (minimum {minimum})",
                    cite=source,
                )
            else:
                size = f"{key['rsa_bits']} bits" if key["rsa_bits"] else key["curve"] or key["kty"]
                yield ok(resource, f"public {key['kty']} key {key['kid']!r} ({size})", cite=source)

"""TLS endpoints accept only current protocol versions and strong cipher suites with forward secrecy."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .evidence import KIND, REFERENCES, TAGS, VERSIONS, listed, per_suite_list, resource

# what makes a cipher suite weak, matched against its IANA name (RFC 9325 section 4.1 and NIST SP 800-52r2)
WEAK_MARKERS = (
    ("_NULL_", "no encryption"),
    ("_EXPORT", "export-grade"),
    ("_anon_", "anonymous: no server authentication"),
    ("_RC4_", "RC4"),
    ("_RC2_", "RC2"),
    ("_DES_", "DES"),
    ("3DES", "3DES (64-bit block, Sweet32)"),
    ("_IDEA_", "IDEA (64-bit block)"),
    ("_MD5", "MD5 MAC"),
)


def version_label(text: str) -> str | None:
    """'1.2', 'TLS 1.2', 'TLSv1.2' or 'tls1.2' -> 'TLS 1.2'; None when it names no version we know."""
    match = re.fullmatch(r"\s*(ssl|tls)?\s*v?\s*(\d\.\d)\s*", str(text).lower())
    if not match:
        return None
    family = (match[1] or ("ssl" if match[2] in ("2.0", "3.0") else "tls")).upper()
    label = f"{family} {match[2]}"
    return label if label in VERSIONS else None


@check(
    id="tls.endpoint.min_version",
    title="TLS endpoints accept no protocol version older than the minimum",
    severity="high",
    domain="technical",
    needs=[KIND],
    params={"tls.min_version": "1.2"},
    references=REFERENCES,
    tags=TAGS,
)
def min_version(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1 are broken or deprecated (RFC 8996): an endpoint that still
    accepts one lets an attacker or an old client fall back to it. tls.min_version is the oldest
    version allowed ("1.2" or "1.3"). A version that could not be tested counts as unknown, not as
    refused.

    Remediation: disable the old versions in the server or load balancer configuration (for example
    `ssl_protocols TLSv1.2 TLSv1.3;` in nginx, `SSLProtocol -all +TLSv1.2 +TLSv1.3` in Apache, or a
    TLS 1.2+ security policy on a cloud load balancer).
    """
    minimum = version_label(params["tls.min_version"])
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        if minimum is None:
            yield error(name, f"tls.min_version {params['tls.min_version']!r} is not a TLS version")
            continue
        floor = VERSIONS.index(minimum)
        protocols = {p["version"]: p["accepted"] for p in endpoint["protocols"]}
        accepted = [v for v in VERSIONS if protocols.get(v)]
        old = [v for v in VERSIONS[:floor] if protocols.get(v)]
        unknown = [v for v in VERSIONS[:floor] if protocols.get(v) is None]
        if old:
            yield fail(name, f"accepts {', '.join(old)} (minimum {minimum})", cite=endpoint)
        elif unknown:
            yield error(name, f"{', '.join(unknown)} could not be tested; minimum {minimum}", cite=endpoint)
        elif not accepted:
            yield error(name, "no protocol version was accepted: nothing to judge", cite=endpoint)
        else:
            yield ok(name, f"accepts {', '.join(accepted)} (minimum {minimum})", cite=endpoint)


def weak_reasons(suite: Mapping[str, Any], min_bits: int) -> list[str]:
    reasons = [why for marker, why in WEAK_MARKERS if marker in suite["name"]]
    if suite.get("anonymous") and "anonymous: no server authentication" not in reasons:
        reasons.append("anonymous: no server authentication")
    if suite.get("key_size") is not None and 0 < suite["key_size"] < min_bits:
        reasons.append(f"{suite['key_size']}-bit key")
    return reasons


@check(
    id="tls.endpoint.weak_ciphers",
    title="TLS endpoints accept no weak cipher suite",
    severity="high",
    domain="technical",
    needs=[KIND],
    params={"tls.min_cipher_bits": 128},
    references=REFERENCES,
    tags=TAGS,
)
def weak_ciphers(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A weak cipher suite lets an attacker read or alter the traffic: no encryption (NULL), export-grade
    keys, anonymous key exchange (no server authentication), RC4, RC2, DES and 3DES, IDEA, MD5 MACs,
    or a symmetric key shorter than tls.min_cipher_bits.

    Remediation: restrict the server's cipher list to AEAD suites with ECDHE key exchange (for
    example Mozilla's "intermediate" configuration) and reload it.
    """

    def judge(name: str, endpoint: Mapping, found: Mapping) -> Outcome:
        weak = [
            f"{suite['name']} ({'; '.join(reasons)}, {version})"
            for version, suite in found["suites"]
            if (reasons := weak_reasons(suite, params["tls.min_cipher_bits"]))
        ]
        if weak:
            return fail(name, f"{len(weak)} weak cipher suite(s) accepted: {listed(weak)}", cite=endpoint)
        return ok(name, f"{len(found['suites'])} cipher suite(s) accepted, none weak", cite=endpoint)

    return per_suite_list(evidence, judge)


@check(
    id="tls.endpoint.forward_secrecy",
    title="TLS endpoints negotiate only cipher suites with forward secrecy",
    severity="medium",
    domain="technical",
    needs=[KIND],
    references=REFERENCES,
    tags=TAGS,
)
def forward_secrecy(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Without an ephemeral (EC)DHE key exchange, whoever obtains the server's private key later can
    decrypt every recorded session. TLS 1.3 suites always have forward secrecy; RSA key-exchange suites
    of older versions do not.

    Remediation: remove the static-RSA (`kRSA`) and static-DH suites from the cipher list, keeping ECDHE
    and DHE suites only.
    """

    def judge(name: str, endpoint: Mapping, found: Mapping) -> Outcome:
        static = sorted({s["name"] for _, s in found["suites"] if not s["forward_secrecy"]})
        if static:
            return fail(
                name, f"{len(static)} suite(s) without forward secrecy: {listed(static)}", cite=endpoint
            )
        return ok(
            name, f"all {len(found['suites'])} accepted suite(s) use an ephemeral key exchange", cite=endpoint
        )

    return per_suite_list(evidence, judge)

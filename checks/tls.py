"""TLS endpoints: protocol versions, cipher suites and the certificate a client would have to trust."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from vigil.model import Outcome, error, fail, not_applicable, ok
from vigil.registry import check

KIND = "tls.endpoint"
VERSIONS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")
REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/52/r2/final",
    "https://www.rfc-editor.org/rfc/rfc8996",
    "https://www.rfc-editor.org/rfc/rfc9325",
)
TAGS = ("tls", "encryption-in-transit")
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
SHOWN = 5  # suites named in one message; the evidence holds them all


def resource(endpoint: Mapping[str, Any]) -> str:
    base = f"tls:{endpoint['host']}:{endpoint['port']}"
    name = endpoint.get("server_name")
    return base if not name or name == endpoint["host"] else f"{base}/{name}"


def version_label(text: str) -> str | None:
    """'1.2', 'TLS 1.2', 'TLSv1.2' or 'tls1.2' -> 'TLS 1.2'; None when it names no version we know."""
    match = re.fullmatch(r"\s*(ssl|tls)?\s*v?\s*(\d\.\d)\s*", str(text).lower())
    if not match:
        return None
    family = (match[1] or ("ssl" if match[2] in ("2.0", "3.0") else "tls")).upper()
    label = f"{family} {match[2]}"
    return label if label in VERSIONS else None


def _names(items: list[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")


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
    name = suite["name"]
    reasons = [why for marker, why in WEAK_MARKERS if marker in name]
    if suite.get("anonymous") and "anonymous: no server authentication" not in reasons:
        reasons.append("anonymous: no server authentication")
    if suite.get("key_size") is not None and 0 < suite["key_size"] < min_bits:
        reasons.append(f"{suite['key_size']}-bit key")
    return reasons


def _accepted_suites(endpoint: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for protocol in endpoint["protocols"]:
        for suite in protocol["cipher_suites"]:
            yield protocol["version"], suite


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
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        weak = [
            f"{suite['name']} ({'; '.join(reasons)}, {version})"
            for version, suite in _accepted_suites(endpoint)
            if (reasons := weak_reasons(suite, params["tls.min_cipher_bits"]))
        ]
        total = sum(1 for _ in _accepted_suites(endpoint))
        untested = [p["version"] for p in endpoint["protocols"] if p["accepted"] is None]
        if weak:
            yield fail(name, f"{len(weak)} weak cipher suite(s) accepted: {_names(weak)}", cite=endpoint)
        elif untested:
            yield error(name, f"cipher suites of {', '.join(untested)} could not be tested", cite=endpoint)
        elif total == 0:
            yield error(name, "no cipher suite was accepted: nothing to judge", cite=endpoint)
        else:
            yield ok(name, f"{total} cipher suite(s) accepted, none weak", cite=endpoint)


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
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        suites = list(_accepted_suites(endpoint))
        static = sorted({s["name"] for _, s in suites if not s["forward_secrecy"]})
        untested = [p["version"] for p in endpoint["protocols"] if p["accepted"] is None]
        if static:
            yield fail(
                name, f"{len(static)} suite(s) without forward secrecy: {_names(static)}", cite=endpoint
            )
        elif untested:
            yield error(name, f"cipher suites of {', '.join(untested)} could not be tested", cite=endpoint)
        elif not suites:
            yield error(name, "no cipher suite was accepted: nothing to judge", cite=endpoint)
        else:
            yield ok(
                name, f"all {len(suites)} accepted suite(s) use an ephemeral key exchange", cite=endpoint
            )


def _certificate(endpoint: Mapping[str, Any]) -> Mapping[str, Any] | None:
    cert = endpoint.get("certificate")
    return cert if cert and cert.get("chain") else None


def _dates(cert: Mapping[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(cert["not_before"]), datetime.fromisoformat(cert["not_after"])


def validity_reasons(chain: list[Mapping[str, Any]], now: datetime) -> list[str]:
    reasons = []
    for cert in chain:
        start, end = _dates(cert)
        if now > end:
            reasons.append(f"expired {end.date().isoformat()} ({cert['subject']})")
        elif now < start:
            reasons.append(f"not valid before {start.date().isoformat()} ({cert['subject']})")
    return reasons


@check(
    id="tls.certificate.trusted",
    title="TLS endpoints present a trusted, valid certificate for their name",
    severity="high",
    domain="technical",
    needs=[KIND],
    references=REFERENCES,
    tags=TAGS,
)
def trusted(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A client connecting by the configured server name must be able to trust the certificate: a chain
    to a CA of the trust store (the system's, or the endpoint's ca_bundle for an internal PKI), the name
    among its subjectAltNames, and every certificate in its validity period at the time of the run.
    The finding names every reason: unknown issuer, self-signed, missing Authority Key Identifier,
    name mismatch, expired, not yet valid, or the verifier's own words.

    Remediation: install a certificate issued by a trusted CA for the exact name clients use, send the
    intermediate certificates with it, and renew it before it expires; for an internal CA, give its
    root to vigil as ca_bundle.
    """
    now = params["now"]
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = _certificate(endpoint)
        if cert is None:
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
            continue
        trust = cert["trust"]
        # expiry is judged at the run's time, not at collection
        reasons = [r["message"] for r in trust["reasons"] if r["code"] not in ("expired", "not_yet_valid")]
        reasons += validity_reasons(cert["chain"], now)
        if reasons:
            yield fail(name, f"not trusted ({trust['store']} store): {'; '.join(reasons)}", cite=endpoint)
        else:
            yield ok(
                name, f"chain to {trust['anchor']} ({trust['store']} store), name matches", cite=endpoint
            )


@check(
    id="tls.certificate.not_expired",
    title="TLS certificates are within their validity period",
    severity="high",
    domain="technical",
    needs=[KIND],
    references=REFERENCES,
    tags=TAGS,
)
def not_expired(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Clients refuse an expired certificate (or one not yet valid), or teach their users to click
    through the warning. Judged at the time of the run, so re-evaluating stored evidence later can turn
    a pass into a fail.

    Remediation: renew the certificate and deploy it with its chain; automate renewal (ACME or the
    internal CA's enrolment) so it cannot lapse again.
    """
    now = params["now"]
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = _certificate(endpoint)
        if cert is None:
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
            continue
        reasons = validity_reasons(cert["chain"], now)
        if reasons:
            yield fail(name, "; ".join(reasons), cite=endpoint)
        else:
            end = _dates(cert["chain"][0])[1]
            yield ok(
                name, f"valid until {end.date().isoformat()}, {(end - now).days} days left", cite=endpoint
            )


@check(
    id="tls.certificate.expiry_warning",
    title="TLS certificates are renewed well before they expire",
    severity="medium",
    domain="technical",
    needs=[KIND],
    params={"tls.expiry_warning_days": 30},
    references=REFERENCES,
    tags=TAGS,
)
def expiry_warning(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A certificate that expires within tls.expiry_warning_days is an outage waiting to happen: the
    renewal is due now. Certificates already expired are judged by tls.certificate.not_expired.

    Remediation: renew the certificate now and check that the renewal job or reminder works.
    """
    now = params["now"]
    days = params["tls.expiry_warning_days"]
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = _certificate(endpoint)
        if cert is None:
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
            continue
        end = min(_dates(c)[1] for c in cert["chain"])
        left = end - now
        if left.total_seconds() < 0:
            yield not_applicable(name, "already expired: see tls.certificate.not_expired", cite=endpoint)
        elif left.days < days:
            yield fail(
                name, f"expires {end.date().isoformat()}, in {left.days} days (warn at {days})", cite=endpoint
            )
        else:
            yield ok(name, f"expires {end.date().isoformat()}, in {left.days} days", cite=endpoint)


@check(
    id="tls.certificate.key_strength",
    title="TLS certificates use strong keys and signature algorithms",
    severity="medium",
    domain="technical",
    needs=[KIND],
    params={"tls.min_rsa_bits": 2048, "tls.min_ec_bits": 256},
    references=REFERENCES,
    tags=TAGS,
)
def key_strength(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """RSA and DSA keys below tls.min_rsa_bits and elliptic-curve keys below tls.min_ec_bits can be
    broken with affordable computing; DSA keys, and MD5 or SHA-1 signatures on the leaf or
    intermediate certificates, are deprecated (a root's self-signature is not used and not judged).

    Remediation: issue a new certificate on an RSA 2048+ or ECDSA P-256+ key, signed with SHA-256 or
    better.
    """
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = _certificate(endpoint)
        if cert is None:
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
            continue
        problems = []
        for item in cert["chain"]:
            kind, bits = item["key_type"], item["key_size"]
            if kind in ("RSA", "DSA") and (bits or 0) < params["tls.min_rsa_bits"]:
                problems.append(f"{kind} {bits}-bit key ({item['subject']})")
            elif kind == "EC" and (bits or 0) < params["tls.min_ec_bits"]:
                problems.append(f"EC {bits}-bit key ({item['subject']})")
            elif kind == "DSA":
                problems.append(f"DSA key ({item['subject']})")
            if not item["self_signed"] and item["signature_hash"] in ("md5", "sha1"):
                problems.append(f"{item['signature_algorithm']} signature ({item['subject']})")
        leaf = cert["chain"][0]
        if problems:
            yield fail(name, "; ".join(problems), cite=endpoint)
        else:
            yield ok(
                name,
                f"{leaf['key_type']} {leaf['key_size']}-bit key, {leaf['signature_algorithm']}",
                cite=endpoint,
            )


@check(
    id="tls.certificate.revocation",
    title="TLS certificates can be checked for revocation",
    severity="low",
    domain="technical",
    needs=[KIND],
    references=REFERENCES,
    tags=TAGS,
)
def revocation(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A publicly trusted certificate must name an OCSP responder or a CRL so that clients can learn it
    was revoked. A stapled OCSP response that says "revoked", or a must-staple certificate served without
    a staple, fails. On a certificate of an internal CA (given as ca_bundle) missing revocation
    information is reported for information only: many internal PKIs rely on short lifetimes instead.

    Remediation: have the CA include an OCSP URL (Authority Information Access) or a CRL distribution
    point, and enable OCSP stapling on the server.
    """
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = _certificate(endpoint)
        if cert is None:
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
            continue
        leaf, ocsp = cert["chain"][0], cert["ocsp"]
        stapled = "OCSP response stapled" if ocsp["stapled"] else "no OCSP staple"
        if ocsp["stapled"] and ocsp.get("certificate_status") == "revoked":
            yield fail(name, "the stapled OCSP response says the certificate is revoked", cite=endpoint)
        elif ocsp["must_staple"] and not ocsp["stapled"]:
            yield fail(
                name, "the certificate requires OCSP stapling (must-staple) but none is sent", cite=endpoint
            )
        elif leaf["ocsp_urls"] or leaf["crl_urls"]:
            yield ok(
                name,
                f"revocation via {', '.join(leaf['ocsp_urls'] + leaf['crl_urls'])}; {stapled}",
                cite=endpoint,
            )
        elif cert["internal_ca"]:
            yield ok(
                name,
                f"informational: no OCSP or CRL on a certificate of the internal CA; {stapled}",
                cite=endpoint,
            )
        else:
            yield fail(name, "no OCSP responder or CRL distribution point in the certificate", cite=endpoint)

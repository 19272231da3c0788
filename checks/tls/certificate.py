"""TLS certificates: trusted for the name clients use, valid now and for a while, strong, revocable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from vigil.model import Outcome, error, fail, not_applicable, ok
from vigil.registry import check

from .evidence import KIND, REFERENCES, TAGS, per_certificate

# reasons that mean the chain was never verified, so neither a pass nor a fail can be given
UNJUDGED = ("no_trust_store", "verifier_error")


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

    def judge(name: str, endpoint: Mapping, cert: Mapping) -> Outcome:
        trust = cert["trust"]
        unjudged = [r["message"] for r in trust["reasons"] if r["code"] in UNJUDGED]
        if unjudged:
            return error(name, f"trust not judged: {'; '.join(unjudged)}", cite=endpoint)
        # expiry is judged at the run's time, not at collection
        reasons = [r["message"] for r in trust["reasons"] if r["code"] not in ("expired", "not_yet_valid")]
        reasons += validity_reasons(cert["chain"], params["now"])
        if reasons:
            return fail(name, f"not trusted ({trust['store']} store): {'; '.join(reasons)}", cite=endpoint)
        return ok(name, f"chain to {trust['anchor']} ({trust['store']} store), name matches", cite=endpoint)

    return per_certificate(evidence, judge)


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

    def judge(name: str, endpoint: Mapping, cert: Mapping) -> Outcome:
        reasons = validity_reasons(cert["chain"], now)
        if reasons:
            return fail(name, "; ".join(reasons), cite=endpoint)
        end = _dates(cert["chain"][0])[1]
        return ok(name, f"valid until {end.date().isoformat()}, {(end - now).days} days left", cite=endpoint)

    return per_certificate(evidence, judge)


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
    """A certificate of the chain that expires within tls.expiry_warning_days is an outage waiting to
    happen: the renewal is due now. Certificates already expired are judged by
    tls.certificate.not_expired.

    Remediation: renew the certificate now and check that the renewal job or reminder works.
    """
    now, days = params["now"], params["tls.expiry_warning_days"]

    def judge(name: str, endpoint: Mapping, cert: Mapping) -> Outcome:
        end = min(_dates(c)[1] for c in cert["chain"])
        left = end - now
        if left.total_seconds() < 0:
            return not_applicable(name, "already expired: see tls.certificate.not_expired", cite=endpoint)
        if left.days < days:
            return fail(
                name, f"expires {end.date().isoformat()}, in {left.days} days (warn at {days})", cite=endpoint
            )
        return ok(name, f"expires {end.date().isoformat()}, in {left.days} days", cite=endpoint)

    return per_certificate(evidence, judge)


def key_problems(item: Mapping[str, Any], params: Mapping) -> list[str]:
    kind, bits, subject = item["key_type"], item["key_size"] or 0, item["subject"]
    problems = []
    if kind in ("RSA", "DSA") and bits < params["tls.min_rsa_bits"]:
        problems.append(f"{kind} {bits}-bit key ({subject})")
    elif kind == "EC" and bits < params["tls.min_ec_bits"]:
        problems.append(f"EC {bits}-bit key ({subject})")
    elif kind == "DSA":
        problems.append(f"DSA key ({subject})")
    if not item["self_signed"] and item["signature_hash"] in ("md5", "sha1"):
        problems.append(f"{item['signature_algorithm']} signature ({subject})")
    return problems


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

    def judge(name: str, endpoint: Mapping, cert: Mapping) -> Outcome:
        problems = [p for item in cert["chain"] for p in key_problems(item, params)]
        if problems:
            return fail(name, "; ".join(problems), cite=endpoint)
        leaf = cert["chain"][0]
        return ok(
            name,
            f"{leaf['key_type']} {leaf['key_size']}-bit key, {leaf['signature_algorithm']}",
            cite=endpoint,
        )

    return per_certificate(evidence, judge)


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

    def judge(name: str, endpoint: Mapping, cert: Mapping) -> Outcome:
        leaf, ocsp = cert["chain"][0], cert["ocsp"]
        stapled = "OCSP response stapled" if ocsp["stapled"] else "no OCSP staple"
        if ocsp["stapled"] and ocsp.get("certificate_status") == "revoked":
            return fail(name, "the stapled OCSP response says the certificate is revoked", cite=endpoint)
        if ocsp["must_staple"] and not ocsp["stapled"]:
            return fail(
                name, "the certificate requires OCSP stapling (must-staple) but none is sent", cite=endpoint
            )
        if leaf["ocsp_urls"] or leaf["crl_urls"]:
            where = ", ".join(leaf["ocsp_urls"] + leaf["crl_urls"])
            return ok(name, f"revocation via {where}; {stapled}", cite=endpoint)
        if cert["internal_ca"]:
            message = f"informational: no OCSP or CRL on a certificate of the internal CA; {stapled}"
            return ok(name, message, cite=endpoint)
        return fail(name, "no OCSP responder or CRL distribution point in the certificate", cite=endpoint)

    return per_certificate(evidence, judge)

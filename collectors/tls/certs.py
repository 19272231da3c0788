"""Certificate facts and trust diagnosis with `cryptography`: why a chain is distrusted, not only that."""

from __future__ import annotations

import functools
import ipaddress
import ssl
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from vigil.model import UserError


def parse_bundle(data: bytes, shown: str) -> list[x509.Certificate]:
    """The certificates of a PEM bundle; a file with none is the user's mistake, named as configured."""
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise UserError(f"{shown}: not a PEM certificate bundle ({exc})") from None
    if not certs:
        raise UserError(f"{shown}: holds no PEM certificate")
    return certs


@functools.cache
def system_store() -> tuple[x509.Certificate, ...]:
    """The operating system's trusted roots, as OpenSSL finds them (read once per process)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            try:
                with warnings.catch_warnings():  # some distributions ship a root with a negative serial
                    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                    return tuple(x509.load_pem_x509_certificates(Path(candidate).read_bytes()))
            except ValueError:
                continue
    return ()


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> Any:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def key_facts(cert: x509.Certificate) -> dict[str, Any]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return {"key_type": "RSA", "key_size": key.key_size}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"key_type": "EC", "key_size": key.curve.key_size, "curve": key.curve.name}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"key_type": "Ed25519", "key_size": 256}
    if isinstance(key, ed448.Ed448PublicKey):
        return {"key_type": "Ed448", "key_size": 456}
    if isinstance(key, dsa.DSAPublicKey):
        return {"key_type": "DSA", "key_size": key.key_size}
    return {"key_type": type(key).__name__, "key_size": None}


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any verification failure means "not by itself"
        return False
    return True


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """What an auditor reads about one certificate; dates as ISO 8601 UTC."""
    san = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    aia = _extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    crl = _extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    basic = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    sig_hash = cert.signature_hash_algorithm
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "not_before": _when(cert.not_valid_before_utc),
        "not_after": _when(cert.not_valid_after_utc),
        **key_facts(cert),
        "signature_algorithm": getattr(cert.signature_algorithm_oid, "_name", None)
        or cert.signature_algorithm_oid.dotted_string,
        "signature_hash": sig_hash.name if sig_hash else None,
        "dns_names": san.get_values_for_type(x509.DNSName) if san else [],
        "ip_addresses": [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] if san else [],
        "is_ca": bool(basic and basic.ca),
        "self_signed": is_self_signed(cert),
        "authority_key_identifier": _extension(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) is not None,
        "ocsp_urls": [
            d.access_location.value
            for d in (aia or [])
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ],
        "crl_urls": [
            name.value
            for point in (crl or [])
            for name in (point.full_name or [])
            if isinstance(name, x509.UniformResourceIdentifier)
        ],
    }


def name_matches(name: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """RFC 6125 matching: exact DNS name (case-insensitive), a wildcard for the left-most label only, or
    an IP address SAN for an IP name; the subject CN is not consulted, as browsers no longer do."""
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in ip_addresses)
    wanted = name.rstrip(".").lower()
    for pattern in (n.rstrip(".").lower() for n in dns_names):
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            head, _, rest = wanted.partition(".")
            if head and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def _reference(leaf: x509.Certificate) -> x509.GeneralName | None:
    """A name the leaf itself claims, to check the chain apart from the host name."""
    san = _extension(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is None:
        return None
    for name in san:
        if isinstance(name, x509.DNSName) and not name.value.startswith("*."):
            return name
        if isinstance(name, x509.IPAddress):
            return name
    wildcard = san.get_values_for_type(x509.DNSName)
    return x509.DNSName("vigil-probe" + wildcard[0][1:]) if wildcard else None


def _inside_validity(chain: Sequence[x509.Certificate], now: datetime) -> datetime:
    """`now` if every certificate is valid then, else a moment when all are (the leaf's midpoint if none),
    so that expiry is reported as expiry and the chain is still judged on its own."""
    start = max(c.not_valid_before_utc for c in chain)
    end = min(c.not_valid_after_utc for c in chain)
    if start <= now <= end:
        return now
    if start < end:
        return start + (end - start) / 2
    leaf = chain[0]
    return leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2


def diagnose(
    chain: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    server_name: str,
    now: datetime,
    store_label: str,
) -> dict[str, Any]:
    """Trust of a received chain (leaf first) against `anchors`, with every reason it fails."""
    leaf = chain[0]
    reasons: list[dict[str, str]] = []
    verified_anchor = None
    chain_message = None
    if not anchors:
        reasons.append({"code": "no_trust_store", "message": f"the {store_label} trust store holds no CA"})
    reference = _reference(leaf)
    if reference is None:
        reasons.append({"code": "no_subject_alt_name", "message": "the certificate has no subjectAltName"})
    elif anchors:
        # judged first at `now`; if that fails, again at a moment when the chain is valid, so that an
        # expired but otherwise sound chain reads "expired", not "untrusted"
        for moment in dict.fromkeys((now, _inside_validity(chain, now))):
            verifier = (
                PolicyBuilder().store(Store(list(anchors))).time(moment).build_server_verifier(reference)
            )
            try:
                verified_anchor = verifier.verify(leaf, list(chain[1:]))[-1]
                break
            except VerificationError as exc:
                chain_message = chain_message or str(exc)
            except Exception as exc:  # noqa: BLE001 - e.g. a key type the verifier cannot handle: no verdict
                reasons.append({"code": "verifier_error", "message": f"chain could not be verified: {exc}"})
                return _verdict(reasons, None, server_name, leaf, chain, now, store_label, None)
    if verified_anchor is None and reference is not None and anchors:
        top = chain[-1]
        specific = len(reasons)
        if is_self_signed(leaf) and leaf not in anchors:
            reasons.append(
                {"code": "self_signed", "message": "self-signed certificate, not in the trust store"}
            )
        elif top.issuer not in {a.subject for a in anchors} and top not in anchors:
            reasons.append(
                {
                    "code": "unknown_issuer",
                    "message": f"unknown issuer {top.issuer.rfc4514_string()} ({store_label} store)",
                }
            )
        if not is_self_signed(leaf) and _extension(leaf, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) is None:
            reasons.append(
                {
                    "code": "missing_authority_key_identifier",
                    "message": "no Authority Key Identifier extension",
                }
            )
        if len(reasons) == specific:
            reasons.append({"code": "chain_invalid", "message": f"chain rejected: {chain_message}"})
    return _verdict(reasons, verified_anchor, server_name, leaf, chain, now, store_label, chain_message)


def _verdict(
    reasons: list[dict[str, str]],
    anchor: x509.Certificate | None,
    server_name: str,
    leaf: x509.Certificate,
    chain: Sequence[x509.Certificate],
    now: datetime,
    store_label: str,
    chain_message: str | None,
) -> dict[str, Any]:
    if not name_matches(server_name, *_names(leaf)):
        reasons.append(
            {
                "code": "name_mismatch",
                "message": f"{server_name} is not among the certificate's names "
                f"({', '.join(sum(_names(leaf), [])) or 'none'})",
            }
        )
    for cert in chain:
        if now > cert.not_valid_after_utc:
            reasons.append(
                {"code": "expired", "message": f"{_cn(cert)} expired {_when(cert.not_valid_after_utc)}"}
            )
        elif now < cert.not_valid_before_utc:
            reasons.append(
                {
                    "code": "not_yet_valid",
                    "message": f"{_cn(cert)} valid only from {_when(cert.not_valid_before_utc)}",
                }
            )
    return {
        "store": store_label,
        "chain_trusted": anchor is not None,
        "anchor": anchor.subject.rfc4514_string() if anchor is not None else None,
        "hostname_matches": name_matches(server_name, *_names(leaf)),
        "reasons": reasons,
        "verifier_message": chain_message if anchor is None else None,
        "checked_at": _when(now),
    }


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    san = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is None:
        return [], []
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def _cn(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

"""Builders of `tls.endpoint` evidence shaped as the collector writes it, for the TLS check tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vigil import registry

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ECDHE = {"type": "ECDH", "size": 256}


def suite(name: str, *, fs: bool = True, bits: int = 128, anonymous: bool = False) -> dict:
    return {
        "name": name,
        "openssl_name": name,
        "key_size": bits,
        "anonymous": anonymous,
        "forward_secrecy": fs,
        "key_exchange": ECDHE if fs else None,
    }


GOOD_12 = [
    suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    suite("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", bits=256),
]
GOOD_13 = [suite("TLS_AES_128_GCM_SHA256"), suite("TLS_AES_256_GCM_SHA384", bits=256)]


def cert(
    subject: str = "CN=shop.example",
    *,
    days_left: int = 200,
    key: tuple[str, int] = ("EC", 256),
    sig: tuple[str, str] = ("ecdsa-with-SHA256", "sha256"),
    ocsp: list[str] | None = None,
    self_signed: bool = False,
) -> dict:
    return {
        "subject": subject,
        "issuer": "CN=Example Issuing CA",
        "not_before": (NOW - timedelta(days=100)).isoformat(),
        "not_after": (NOW + timedelta(days=days_left)).isoformat(),
        "key_type": key[0],
        "key_size": key[1],
        "signature_algorithm": sig[0],
        "signature_hash": sig[1],
        "dns_names": ["shop.example"],
        "ip_addresses": [],
        "is_ca": False,
        "self_signed": self_signed,
        "authority_key_identifier": True,
        "ocsp_urls": ocsp if ocsp is not None else ["http://ocsp.example-ca.test"],
        "crl_urls": [],
    }


def endpoint(
    versions: dict[str, list[dict] | None] | None = None,
    *,
    chain: list[dict] | None = None,
    reasons: list[dict] | None = None,
    internal: bool = False,
    ocsp: dict | None = None,
    certificate: bool = True,
) -> dict:
    versions = versions if versions is not None else {"TLS 1.2": GOOD_12, "TLS 1.3": GOOD_13}
    protocols = []
    for name in ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"):
        suites = versions.get(name, [])
        protocols.append(
            {
                "version": name,
                "accepted": None if suites is None else bool(suites),
                "cipher_suites": suites or [],
            }
        )
    trust = {
        "store": "system",
        "chain_trusted": not reasons,
        "anchor": None if reasons else "CN=Example Root",
        "hostname_matches": True,
        "reasons": reasons or [],
        "checked_at": NOW.isoformat(),
    }
    return {
        "host": "10.0.0.5",
        "port": 443,
        "server_name": "shop.example",
        "protocols": protocols,
        "certificate": {
            "chain": chain or [cert()],
            "trust": trust,
            "internal_ca": internal,
            "ocsp": ocsp or {"stapled": False, "must_staple": False},
        }
        if certificate
        else None,
    }


def run(check_id: str, *endpoints: dict, now: datetime = NOW, **params) -> list[tuple[str, str]]:
    check = registry.checks.get(check_id)
    merged = {**check.params, **params, "now": now}
    return [(o.status, o.message) for o in check.func({"tls.endpoint": list(endpoints)}, merged)]


RESOURCE = "tls:10.0.0.5:443/shop.example"

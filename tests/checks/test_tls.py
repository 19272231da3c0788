"""TLS checks on evidence shaped as the collector writes it: a good and a bad case for each check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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


def test_resource_names_the_endpoint_and_server_name():
    check = registry.checks.get("tls.endpoint.min_version")
    (outcome,) = check.func({"tls.endpoint": [endpoint()]}, {**check.params, "now": NOW})
    assert outcome.resource == RESOURCE


def test_min_version_passes_tls12_and_tls13():
    assert run("tls.endpoint.min_version", endpoint()) == [
        ("pass", "accepts TLS 1.2, TLS 1.3 (minimum TLS 1.2)")
    ]


def test_min_version_fails_tls10_and_names_it():
    old = endpoint({"TLS 1.0": GOOD_12[:1], "TLS 1.2": GOOD_12})
    assert run("tls.endpoint.min_version", old) == [("fail", "accepts TLS 1.0 (minimum TLS 1.2)")]


def test_min_version_13_fails_a_tls12_server():
    assert run("tls.endpoint.min_version", endpoint(), **{"tls.min_version": "TLSv1.3"})[0][0] == "fail"


def test_min_version_untested_version_is_an_error_not_a_pass():
    unknown = endpoint({"TLS 1.1": None, "TLS 1.2": GOOD_12})
    assert run("tls.endpoint.min_version", unknown) == [
        ("error", "TLS 1.1 could not be tested; minimum TLS 1.2")
    ]


def test_min_version_nothing_accepted_is_an_error():
    assert run("tls.endpoint.min_version", endpoint({}))[0][0] == "error"


@pytest.mark.parametrize("bad", ["1.5", "high", ""])
def test_min_version_bad_parameter_is_an_error(bad):
    assert run("tls.endpoint.min_version", endpoint(), **{"tls.min_version": bad})[0][0] == "error"


def test_weak_ciphers_good_and_bad():
    assert run("tls.endpoint.weak_ciphers", endpoint()) == [("pass", "4 cipher suite(s) accepted, none weak")]
    bad = endpoint(
        {
            "TLS 1.2": [
                *GOOD_12,
                suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA", fs=False, bits=168),
                suite("TLS_ECDH_anon_WITH_AES_128_CBC_SHA", anonymous=True),
                suite("TLS_RSA_WITH_RC4_128_MD5", fs=False),
            ]
        }
    )
    ((status, message),) = run("tls.endpoint.weak_ciphers", bad)
    assert status == "fail"
    assert message.startswith("3 weak cipher suite(s) accepted: TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES")
    assert "anonymous" in message and "RC4; MD5 MAC" in message


def test_weak_ciphers_short_key():
    short = endpoint({"TLS 1.2": [suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", bits=56)]})
    assert "56-bit key" in run("tls.endpoint.weak_ciphers", short)[0][1]
    assert run("tls.endpoint.weak_ciphers", short, **{"tls.min_cipher_bits": 56})[0][0] == "pass"


def test_forward_secrecy_good_and_bad():
    assert run("tls.endpoint.forward_secrecy", endpoint())[0][0] == "pass"
    static = endpoint({"TLS 1.2": [*GOOD_12, suite("TLS_RSA_WITH_AES_128_GCM_SHA256", fs=False)]})
    assert run("tls.endpoint.forward_secrecy", static) == [
        ("fail", "1 suite(s) without forward secrecy: TLS_RSA_WITH_AES_128_GCM_SHA256")
    ]


def test_trusted_good_and_bad_with_reasons():
    assert run("tls.certificate.trusted", endpoint())[0] == (
        "pass",
        "chain to CN=Example Root (system store), name matches",
    )
    reasons = [
        {"code": "unknown_issuer", "message": "unknown issuer CN=Corp CA (system store)"},
        {"code": "name_mismatch", "message": "shop.example is not among the certificate's names (other)"},
        {"code": "expired", "message": "judged again at the run's time"},
    ]
    ((status, message),) = run("tls.certificate.trusted", endpoint(reasons=reasons))
    assert status == "fail"
    assert message == (
        "not trusted (system store): unknown issuer CN=Corp CA (system store); "
        "shop.example is not among the certificate's names (other)"
    )


def test_trusted_recomputes_expiry_at_the_run_time():
    later = NOW + timedelta(days=400)
    ((status, message),) = run("tls.certificate.trusted", endpoint(), now=later)
    assert status == "fail" and "expired 2027-06-18 (CN=shop.example)" in message


def test_no_certificate_is_an_error_for_every_certificate_check():
    for check_id in (
        "tls.certificate.trusted",
        "tls.certificate.not_expired",
        "tls.certificate.expiry_warning",
        "tls.certificate.key_strength",
        "tls.certificate.revocation",
    ):
        assert run(check_id, endpoint(certificate=False))[0][0] == "error", check_id


def test_not_expired_good_bad_and_not_yet_valid():
    assert run("tls.certificate.not_expired", endpoint()) == [
        ("pass", "valid until 2027-06-18, 200 days left")
    ]
    expired = endpoint(chain=[cert(days_left=-2)])
    assert run("tls.certificate.not_expired", expired) == [("fail", "expired 2026-11-28 (CN=shop.example)")]
    early = NOW - timedelta(days=101)
    assert run("tls.certificate.not_expired", endpoint(), now=early)[0][1].startswith("not valid before")


def test_expiry_warning_window():
    soon = endpoint(chain=[cert(days_left=20)])
    assert run("tls.certificate.expiry_warning", soon) == [
        ("fail", "expires 2026-12-20, in 20 days (warn at 30)")
    ]
    assert run("tls.certificate.expiry_warning", soon, **{"tls.expiry_warning_days": 14})[0][0] == "pass"
    assert run("tls.certificate.expiry_warning", endpoint())[0][0] == "pass"
    assert (
        run("tls.certificate.expiry_warning", endpoint(chain=[cert(days_left=-1)]))[0][0] == "not_applicable"
    )


def test_expiry_warning_sees_an_intermediate_expiring_first():
    chain = [cert(), cert("CN=Example Issuing CA", days_left=10)]
    assert "in 10 days" in run("tls.certificate.expiry_warning", endpoint(chain=chain))[0][1]


def test_key_strength_good_and_bad():
    assert run("tls.certificate.key_strength", endpoint()) == [("pass", "EC 256-bit key, ecdsa-with-SHA256")]
    weak = endpoint(chain=[cert(key=("RSA", 1024), sig=("sha1WithRSAEncryption", "sha1"))])
    assert run("tls.certificate.key_strength", weak) == [
        ("fail", "RSA 1024-bit key (CN=shop.example); sha1WithRSAEncryption signature (CN=shop.example)")
    ]
    root_sha1 = endpoint(
        chain=[cert(), cert("CN=Old Root", sig=("sha1WithRSAEncryption", "sha1"), self_signed=True)]
    )
    assert run("tls.certificate.key_strength", root_sha1)[0][0] == "pass"


def test_revocation_public_certificate_without_ocsp_or_crl_fails():
    assert run("tls.certificate.revocation", endpoint())[0][0] == "pass"
    bare = endpoint(chain=[cert(ocsp=[])])
    assert run("tls.certificate.revocation", bare) == [
        ("fail", "no OCSP responder or CRL distribution point in the certificate")
    ]


def test_revocation_missing_on_internal_ca_is_informational():
    internal = endpoint(chain=[cert(ocsp=[])], internal=True)
    ((status, message),) = run("tls.certificate.revocation", internal)
    assert status == "pass" and message.startswith("informational: no OCSP or CRL")


def test_revocation_stapling_failures():
    must = endpoint(ocsp={"stapled": False, "must_staple": True})
    assert "must-staple" in run("tls.certificate.revocation", must)[0][1]
    revoked = endpoint(
        ocsp={
            "stapled": True,
            "must_staple": False,
            "response_status": "successful",
            "certificate_status": "revoked",
        }
    )
    assert run("tls.certificate.revocation", revoked) == [
        ("fail", "the stapled OCSP response says the certificate is revoked")
    ]

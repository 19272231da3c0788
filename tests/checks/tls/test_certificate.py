"""TLS certificate checks: a good and a bad case for each."""

from __future__ import annotations

from datetime import timedelta

from .evidence import NOW, cert, endpoint, run


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


def test_trust_not_judged_is_an_error_not_a_fail():
    broken = endpoint(reasons=[{"code": "verifier_error", "message": "chain could not be verified: boom"}])
    assert run("tls.certificate.trusted", broken) == [
        ("error", "trust not judged: chain could not be verified: boom")
    ]
    empty = endpoint(reasons=[{"code": "no_trust_store", "message": "the system trust store holds no CA"}])
    assert run("tls.certificate.trusted", empty)[0][0] == "error"

"""TLS protocol and cipher-suite checks: a good and a bad case for each."""

from __future__ import annotations

import pytest

from .evidence import GOOD_12, NOW, RESOURCE, endpoint, registry, run, suite


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

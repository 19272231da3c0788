"""Certificate diagnosis on certificates made with `cryptography`: each reason a chain is distrusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from vigil.collectors.tls.certs import describe, diagnose, name_matches, parse_bundle

from vigil.demo_tls import issue, make_ca
from vigil.errors import UserError

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def ca():
    return make_ca("unit CA", now=NOW)


def codes(verdict: dict) -> list[str]:
    return [r["code"] for r in verdict["reasons"]]


@pytest.mark.parametrize(
    ("name", "dns", "ips", "expected"),
    [
        ("shop.example", ["shop.example"], [], True),
        ("SHOP.example.", ["shop.EXAMPLE"], [], True),
        ("a.shop.example", ["*.shop.example"], [], True),
        ("a.b.shop.example", ["*.shop.example"], [], False),  # a wildcard covers one label only
        ("shop.example", ["*.shop.example"], [], False),
        ("evil-shop.example", ["*shop.example"], [], False),
        ("10.0.0.5", ["10.0.0.5"], [], False),  # an IP name matches only an IP SAN
        ("10.0.0.5", [], ["10.0.0.5"], True),
        ("::1", [], ["0:0:0:0:0:0:0:1"], True),
    ],
)
def test_name_matching(name, dns, ips, expected):
    assert name_matches(name, dns, ips) is expected


def test_trusted_chain(ca):
    leaf = issue(["svc.internal"], ca, now=NOW)
    verdict = diagnose([leaf.cert], [ca.cert], "svc.internal", NOW, "ca_bundle pki.pem")
    assert verdict["chain_trusted"] and verdict["reasons"] == []
    assert verdict["anchor"] == "CN=unit CA,O=vigil demo"


def test_every_reason_is_named_at_once(ca):
    other = make_ca("other CA", now=NOW)
    leaf = issue(["svc.internal"], other, now=NOW, days_before=60, days_after=-1, authority_key_id=False)
    verdict = diagnose([leaf.cert], [ca.cert], "api.internal", NOW, "system")
    assert codes(verdict) == [
        "unknown_issuer",
        "missing_authority_key_identifier",
        "name_mismatch",
        "expired",
    ]
    assert verdict["verifier_message"]


def test_self_signed_certificate(ca):
    leaf = issue(["pinned.internal"], None, now=NOW)
    verdict = diagnose([leaf.cert], [ca.cert], "pinned.internal", NOW, "system")
    assert codes(verdict) == ["self_signed"]
    assert describe(leaf.cert)["self_signed"] is True


def test_empty_store_gives_no_verdict(ca):
    leaf = issue(["svc.internal"], ca, now=NOW)
    verdict = diagnose([leaf.cert], [], "svc.internal", NOW, "system")
    assert codes(verdict) == ["no_trust_store"] and verdict["chain_trusted"] is False


def test_expired_leaf_of_a_good_ca_is_expired_not_untrusted(ca):
    leaf = issue(["svc.internal"], ca, now=NOW - timedelta(days=400), days_after=365)
    verdict = diagnose([leaf.cert], [ca.cert], "svc.internal", NOW, "system")
    assert codes(verdict) == ["expired"] and verdict["chain_trusted"] is True


def test_describe_rsa_certificate(ca):
    facts = describe(issue(["10.1.2.3", "svc.internal"], ca, now=NOW, key_kind="rsa").cert)
    assert (facts["key_type"], facts["key_size"]) == ("RSA", 2048)
    assert facts["ip_addresses"] == ["10.1.2.3"] and facts["dns_names"] == ["svc.internal"]
    assert facts["authority_key_identifier"] and not facts["self_signed"] and not facts["is_ca"]
    assert facts["signature_algorithm"] == "ecdsa-with-SHA256"  # signed by the EC CA


def test_bundle_without_certificates_is_a_user_error():
    with pytest.raises(UserError, match=r"^pki/roots\.pem: "):
        parse_bundle(b"nothing here", "pki/roots.pem")


def test_chain_through_an_intermediate_and_a_missing_intermediate(ca):
    intermediate = make_ca("unit issuing CA", now=NOW, issuer=ca)
    leaf = issue(["svc.internal"], intermediate, now=NOW)
    sent = diagnose([leaf.cert, intermediate.cert], [ca.cert], "svc.internal", NOW, "ca_bundle pki.pem")
    assert sent["chain_trusted"] and sent["anchor"] == "CN=unit CA,O=vigil demo"
    # the server forgot to send its intermediate: clients cannot build the chain
    missing = diagnose([leaf.cert], [ca.cert], "svc.internal", NOW, "ca_bundle pki.pem")
    assert codes(missing) == ["unknown_issuer"]
    assert "CN=unit issuing CA" in missing["reasons"][0]["message"]

"""The TLS collector against real TLS servers on 127.0.0.1, made with Python's ssl and `cryptography`."""

from __future__ import annotations

import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from vigil.collectors.tls.endpoint import tls_endpoint

from vigil import registry
from vigil.demo_tls import TLSServer, issue, make_ca, server_context
from vigil.errors import UserError
from vigil.model import CollectContext

registry.load_plugins()

NOW = datetime.now(UTC)
LOCAL = ["localhost", "127.0.0.1"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca("test internal CA", now=NOW)
    (folder / "internal-ca.pem").write_bytes(ca.cert_pem)
    (folder / "not-pem.pem").write_text("this is not a certificate\n")
    other = make_ca("some other CA", now=NOW)
    certs = {
        "tls13": (issue(LOCAL, ca, now=NOW), "tls1.3"),
        "tls12": (issue(LOCAL, ca, now=NOW), "tls1.2"),
        "legacy": (issue(LOCAL, ca, now=NOW, key_kind="rsa"), "legacy"),
        "expired": (issue(LOCAL, ca, now=NOW, days_before=400, days_after=-3), "modern"),
        "wrongname": (issue(["intranet.example.com"], ca, now=NOW), "modern"),
        "selfsigned": (issue(LOCAL, None, now=NOW), "modern"),
        "expiring": (issue(LOCAL, ca, now=NOW, days_after=9), "modern"),
        "no_aki": (issue(LOCAL, ca, now=NOW, authority_key_id=False), "modern"),
        "other_ca": (issue(LOCAL, other, now=NOW), "modern"),
    }
    servers = {name: TLSServer(server_context(cert, versions=v)).start() for name, (cert, v) in certs.items()}
    intermediate = make_ca("test issuing CA", now=NOW, issuer=ca)
    chained = server_context(issue(LOCAL, intermediate, now=NOW), [intermediate], versions="modern")
    servers["chained"] = TLSServer(chained).start()
    yield folder, servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def scanned(pki):
    """Every endpoint scanned once, in parallel as the engine would, trusting the internal CA."""
    folder, servers = pki
    ctx = CollectContext(base_dir=folder, now=lambda: NOW)

    def scan(name):
        target = {"host": "127.0.0.1", "port": servers[name].port, "server_name": "localhost"}
        return name, tls_endpoint({**target, "ca_bundle": "internal-ca.pem"}, ctx)

    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        return dict(pool.map(scan, servers))


def accepted(collected) -> set[str]:
    return {p["version"] for p in collected.data["protocols"] if p["accepted"]}


def reasons(collected) -> set[str]:
    return {r["code"] for r in collected.data["certificate"]["trust"]["reasons"]}


def judge(check_id, collected, now=NOW, **params):
    """The check's outcomes on this one endpoint's evidence, parameters as given by the baseline."""
    check = registry.checks.get(check_id)
    return list(check.func({"tls.endpoint": [collected.data]}, {**check.params, **params, "now": now}))


def test_tls13_only_server_accepts_only_tls13_with_forward_secrecy(scanned):
    result = scanned["tls13"]
    assert result.problems == ()
    assert re.fullmatch(r"sslyze \d+\.\d+\.\d+", result.data["engine"])
    assert accepted(result) == {"TLS 1.3"}
    suites = result.data["protocols"][-1]["cipher_suites"]
    assert {s["name"] for s in suites} >= {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"}
    assert all(s["forward_secrecy"] for s in suites)
    assert [o.status for o in judge("tls.endpoint.min_version", result)] == ["pass"]
    assert [o.status for o in judge("tls.endpoint.min_version", result, **{"tls.min_version": "1.3"})] == [
        "pass"
    ]


def test_tls12_server_fails_a_tls13_minimum(scanned):
    result = scanned["tls12"]
    assert accepted(result) == {"TLS 1.2"}
    assert [o.status for o in judge("tls.endpoint.min_version", result)] == ["pass"]
    (outcome,) = judge("tls.endpoint.min_version", result, **{"tls.min_version": "1.3"})
    assert outcome.status == "fail" and "TLS 1.2" in outcome.message


def test_legacy_server_accepting_tls10_and_tls11_is_detected(scanned):
    result = scanned["legacy"]
    assert {"TLS 1.0", "TLS 1.1", "TLS 1.2"} <= accepted(result)
    assert not {"SSL 2.0", "SSL 3.0"} & accepted(result)
    (outcome,) = judge("tls.endpoint.min_version", result)
    assert outcome.status == "fail"
    assert "TLS 1.0, TLS 1.1" in outcome.message
    (weak,) = judge("tls.endpoint.weak_ciphers", result)
    assert weak.status == "fail" and "anon" in weak.message
    (fs,) = judge("tls.endpoint.forward_secrecy", result)
    assert fs.status == "fail" and "TLS_RSA_WITH_" in fs.message
    legacy_suites = [s for p in result.data["protocols"] for s in p["cipher_suites"]]
    assert any(not s["forward_secrecy"] and s["key_exchange"] is None for s in legacy_suites)


def test_modern_server_passes_cipher_checks(scanned):
    for name in ("tls13", "tls12"):
        assert [o.status for o in judge("tls.endpoint.weak_ciphers", scanned[name])] == ["pass"]
        assert [o.status for o in judge("tls.endpoint.forward_secrecy", scanned[name])] == ["pass"]


def test_certificate_from_private_ca_is_trusted_through_ca_bundle(scanned):
    cert = scanned["tls13"].data["certificate"]
    assert cert["trust"]["chain_trusted"] is True
    assert cert["trust"]["anchor"] == "CN=test internal CA,O=vigil demo"
    assert cert["trust"]["store"] == "ca_bundle internal-ca.pem"
    leaf = cert["chain"][0]
    assert (leaf["key_type"], leaf["key_size"], leaf["signature_hash"]) == ("EC", 256, "sha256")
    assert leaf["dns_names"] == ["localhost"] and leaf["ip_addresses"] == ["127.0.0.1"]
    assert cert["ocsp"] == {"stapled": False, "must_staple": False}
    assert [o.status for o in judge("tls.certificate.trusted", scanned["tls13"])] == ["pass"]
    (revocation,) = judge("tls.certificate.revocation", scanned["tls13"])
    assert revocation.status == "pass" and revocation.message.startswith("informational")


def test_private_ca_without_ca_bundle_is_an_unknown_issuer(pki):
    folder, servers = pki
    ctx = CollectContext(base_dir=folder, now=lambda: NOW)
    target = {"host": "127.0.0.1", "port": servers["tls12"].port, "server_name": "localhost"}
    result = tls_endpoint(target, ctx)
    assert result.data["certificate"]["trust"]["store"] == "system"
    assert reasons(result) == {"unknown_issuer"}
    (outcome,) = judge("tls.certificate.trusted", result)
    assert outcome.status == "fail" and "unknown issuer CN=test internal CA" in outcome.message
    (revocation,) = judge("tls.certificate.revocation", result)
    assert revocation.status == "fail"  # not an internal CA as far as this config says


def test_expired_certificate(scanned):
    result = scanned["expired"]
    assert reasons(result) == {"expired"}
    assert result.data["certificate"]["trust"]["chain_trusted"] is True  # only its dates are wrong
    (outcome,) = judge("tls.certificate.not_expired", result)
    assert outcome.status == "fail" and "expired" in outcome.message
    (trust,) = judge("tls.certificate.trusted", result)
    assert trust.status == "fail" and "expired" in trust.message
    assert [o.status for o in judge("tls.certificate.expiry_warning", result)] == ["not_applicable"]


def test_wrong_host_name(scanned):
    result = scanned["wrongname"]
    assert reasons(result) == {"name_mismatch"}
    assert result.data["certificate"]["trust"]["hostname_matches"] is False
    (outcome,) = judge("tls.certificate.trusted", result)
    assert outcome.status == "fail"
    assert "localhost is not among the certificate's names (intranet.example.com)" in outcome.message


def test_self_signed(scanned):
    result = scanned["selfsigned"]
    assert "self_signed" in reasons(result)
    assert result.data["certificate"]["chain"][0]["self_signed"] is True
    (outcome,) = judge("tls.certificate.trusted", result)
    assert outcome.status == "fail" and "self-signed" in outcome.message


def test_missing_authority_key_identifier_is_named(scanned):
    result = scanned["no_aki"]
    assert "missing_authority_key_identifier" in reasons(result)
    (outcome,) = judge("tls.certificate.trusted", result)
    assert outcome.status == "fail" and "Authority Key Identifier" in outcome.message


def test_certificate_of_another_ca(scanned):
    assert reasons(scanned["other_ca"]) == {"unknown_issuer"}


def test_expiring_soon_is_a_lower_severity_fail(scanned):
    result = scanned["expiring"]
    assert [o.status for o in judge("tls.certificate.not_expired", result)] == ["pass"]
    (warning,) = judge("tls.certificate.expiry_warning", result)
    assert warning.status == "fail" and "in 8 days (warn at 30)" in warning.message
    relaxed = judge("tls.certificate.expiry_warning", result, **{"tls.expiry_warning_days": 5})
    assert [o.status for o in relaxed] == ["pass"]
    # the same evidence judged later: the certificate has expired by then (evidence apart from judgment)
    (outcome,) = judge("tls.certificate.not_expired", result, now=NOW + timedelta(days=10))
    assert outcome.status == "fail"


def test_evidence_is_json_and_holds_no_private_key(scanned):
    text = json.dumps({name: r.data for name, r in scanned.items()})
    assert "PRIVATE KEY" not in text
    assert "BEGIN CERTIFICATE" in text  # the chain itself is kept for the auditor


def test_closed_port_is_a_clear_user_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = CollectContext(base_dir=tmp_path, now=lambda: NOW)
    with pytest.raises(UserError, match=rf"127\.0\.0\.1:{port}: no TLS connection"):
        tls_endpoint({"host": "127.0.0.1", "port": port}, ctx)


def test_ca_bundle_that_is_not_pem_names_the_file(pki):
    folder, servers = pki
    ctx = CollectContext(base_dir=folder, now=lambda: NOW)
    target = {"host": "127.0.0.1", "port": servers["tls13"].port, "ca_bundle": "not-pem.pem"}
    with pytest.raises(UserError, match=r"^not-pem\.pem: "):
        tls_endpoint(target, ctx)
    with pytest.raises(UserError, match=r"^missing\.pem: file not found"):
        tls_endpoint({**target, "ca_bundle": "missing.pem"}, ctx)


def test_scan_command_judges_tls_and_an_unreachable_endpoint_is_an_error(pki, tmp_path):
    from vigil.cli import main

    folder, servers = pki
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    config = tmp_path / "vigil.yaml"
    bundle = folder / "internal-ca.pem"
    trusting = f"server_name: localhost, ca_bundle: {bundle}"
    config.write_text(
        "sources:\n  tls:\n"
        f"    - {{host: 127.0.0.1, port: {servers['tls12'].port}, {trusting}}}\n"
        f"    - {{host: 127.0.0.1, port: {servers['legacy'].port}, {trusting}}}\n"
        f"    - {{host: 127.0.0.1, port: {closed}}}\n"
    )
    out = tmp_path / "out"
    assert main(["scan", "--config", str(config), "--output", str(out), "--format", "json"]) == 1
    doc = json.loads((out / "results.json").read_text())
    control = next(c for c in doc["controls"] if c["id"] == "PP-TLS-IN-TRANSIT")
    assert control["status"] == "fail"
    found = {(f["check_id"], f["resource"]): f for f in doc["findings"]}
    good = f"tls:127.0.0.1:{servers['tls12'].port}/localhost"
    legacy = f"tls:127.0.0.1:{servers['legacy'].port}/localhost"
    assert found[("tls.endpoint.min_version", good)]["status"] == "pass"
    assert found[("tls.certificate.trusted", good)]["status"] == "pass"
    assert found[("tls.endpoint.min_version", legacy)]["status"] == "fail"
    unreachable = [f for f in doc["findings"] if f["resource"] == f"evidence:tls.endpoint:127.0.0.1:{closed}"]
    assert len(unreachable) == 8 and {f["status"] for f in unreachable} == {"error"}
    assert "no TLS connection" in unreachable[0]["message"]
    # certificate facts are public: redaction (which runs on all evidence) leaves them whole
    stored = "".join(p.read_text() for p in (out / "evidence").rglob("*.json"))
    assert '"signature_hash": "sha256"' in stored.replace('":"', '": "')
    assert "REDACTED" not in stored and "BEGIN CERTIFICATE" in stored


def test_unknown_endpoint_key_is_refused_with_exit_2(tmp_path, capsys):
    from vigil.cli import main

    config = tmp_path / "vigil.yaml"
    config.write_text("sources:\n  tls:\n    - {host: 127.0.0.1, port: 443, ca_bundel: ca.pem}\n")
    assert main(["scan", "--config", str(config), "--output", str(tmp_path / "o")]) == 2
    assert "ca_bundel" in capsys.readouterr().err


def test_chain_sent_with_its_intermediate(scanned):
    cert = scanned["chained"].data["certificate"]
    assert [c["subject"] for c in cert["chain"]] == [
        "CN=localhost,O=vigil demo",
        "CN=test issuing CA,O=vigil demo",
    ]
    assert cert["chain"][1]["is_ca"] is True
    assert cert["trust"]["chain_trusted"] is True and cert["trust"]["reasons"] == []
    assert len(cert["pem"]) == 2

"""TLS endpoint collector: protocols and cipher suites with sslyze, certificate trust with `cryptography`."""

from __future__ import annotations

import ipaddress
import socket
import warnings
from collections.abc import Mapping
from datetime import timedelta
from importlib.metadata import version
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning
from nassl.ssl_client import ClientCertificateRequested
from sslyze import (
    ScanCommand,
    ScanCommandAttemptStatusEnum,
    Scanner,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.errors import (
    ConnectionToServerFailed,
    ServerRejectedTlsHandshake,
    ServerTlsConfigurationNotSupported,
    TlsHandshakeTimedOut,
)
from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
from sslyze.server_connectivity import ServerConnectivityInfo, TlsVersionEnum, check_connectivity_to_server

from vigil.model import CollectContext, Collected, UserError
from vigil.registry import collector

from . import certs

# sslyze loads its bundled trust stores, one of which holds a root with a negative serial number
warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"sslyze\.")

# (label, sslyze command, attribute of the scan result), oldest first
PROTOCOLS = (
    ("SSL 2.0", ScanCommand.SSL_2_0_CIPHER_SUITES, "ssl_2_0_cipher_suites"),
    ("SSL 3.0", ScanCommand.SSL_3_0_CIPHER_SUITES, "ssl_3_0_cipher_suites"),
    ("TLS 1.0", ScanCommand.TLS_1_0_CIPHER_SUITES, "tls_1_0_cipher_suites"),
    ("TLS 1.1", ScanCommand.TLS_1_1_CIPHER_SUITES, "tls_1_1_cipher_suites"),
    ("TLS 1.2", ScanCommand.TLS_1_2_CIPHER_SUITES, "tls_1_2_cipher_suites"),
    ("TLS 1.3", ScanCommand.TLS_1_3_CIPHER_SUITES, "tls_1_3_cipher_suites"),
)
# Versions probed first with one handshake offering every suite sslyze would test one by one (121
# each): most servers refuse all three, and enumerating them suite by suite is two thirds of a scan.
# Only a version the server accepts, or one whose probe went wrong, is enumerated.
PROBED = {
    "SSL 3.0": TlsVersionEnum.SSL_3_0,
    "TLS 1.0": TlsVersionEnum.TLS_1_0,
    "TLS 1.1": TlsVersionEnum.TLS_1_1,
}
# connections sslyze opens at once to one endpoint: its own default, which its authors tuned to stay
# below the rate limits of real servers
CONNECTIONS_PER_ENDPOINT = 5

SSLYZE_VERSION = version("sslyze")  # the module attribute is a submodule, not the version text


def _address(host: str) -> str:
    """The IP address to connect to: the host itself, or what it resolves to (first answer)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
    except OSError as exc:
        raise UserError(f"{host}: cannot resolve: {exc.strerror or exc}") from None


def _suite(accepted: Any, protocol: str) -> dict[str, Any]:
    suite = accepted.cipher_suite
    ephemeral = accepted.ephemeral_key
    return {
        "name": suite.name,
        "openssl_name": suite.openssl_name,
        "key_size": suite.key_size,
        "anonymous": suite.is_anonymous,
        # TLS 1.3 key exchange is always ephemeral; before it, only (EC)DHE suites are
        "forward_secrecy": protocol == "TLS 1.3" or ephemeral is not None,
        "key_exchange": (
            {"type": ephemeral.type_name, "size": ephemeral.size} if ephemeral is not None else None
        ),
    }


def probe(info: ServerConnectivityInfo, version: TlsVersionEnum) -> tuple[bool | None, str]:
    """One handshake with the legacy OpenSSL offering all of the version's suites: (accepted, how).
    None when the probe itself failed (the version is then enumerated suite by suite)."""
    suites = CipherSuitesRepository.get_all_cipher_suites(version)
    connection = info.get_preconfigured_tls_connection(
        override_tls_version=version, should_use_legacy_openssl=True
    )
    connection.ssl_client.set_cipher_list(":".join(sorted(s.openssl_name for s in suites)))
    offered = f"one handshake offering all {len(suites)} suites"
    try:
        connection.connect()
    except (ServerTlsConfigurationNotSupported, ClientCertificateRequested):
        return True, f"{offered}: accepted"
    except (ServerRejectedTlsHandshake, TlsHandshakeTimedOut) as exc:
        return False, f"{offered}: refused ({exc.error_message})"
    except Exception as exc:  # noqa: BLE001 - a network hiccup: enumerate the version instead
        return None, f"{offered}: {type(exc).__name__}"
    finally:
        connection.close()
    return True, f"{offered}: accepted"


def _protocols(
    result: Any, label: str, refused: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    protocols, problems = [], []
    for name, _command, attribute in PROTOCOLS:
        if name in refused:
            protocols.append(
                {"version": name, "accepted": False, "cipher_suites": [], "probe": refused[name]}
            )
            continue
        attempt = getattr(result, attribute) if result is not None else None
        if attempt is None or attempt.status != ScanCommandAttemptStatusEnum.COMPLETED:
            reason = getattr(attempt, "error_reason", None) if attempt is not None else "not run"
            trace = getattr(attempt, "error_trace", None)
            detail = str(trace).strip().splitlines()[-1] if trace else reason
            problems.append({"where": f"{label} {name}", "message": f"{name} could not be tested: {detail}"})
            protocols.append({"version": name, "accepted": None, "cipher_suites": []})
            continue
        suites = [_suite(s, name) for s in attempt.result.accepted_cipher_suites]
        protocols.append({"version": name, "accepted": bool(suites), "cipher_suites": suites})
    return protocols, problems


def _deployment(result: Any) -> Any:
    attempt = result.certificate_info if result is not None else None
    if attempt is None or attempt.status != ScanCommandAttemptStatusEnum.COMPLETED:
        return None, getattr(attempt, "error_reason", None) or "not run"
    deployments = attempt.result.certificate_deployments
    return (deployments[0] if deployments else None), None


def _ocsp(deployment: Any) -> dict[str, Any]:
    response = deployment.ocsp_response
    stapled: dict[str, Any] = {
        "stapled": response is not None,
        "must_staple": bool(deployment.leaf_certificate_has_must_staple_extension),
    }
    if response is not None:
        stapled["response_status"] = response.response_status.name.lower()
        try:
            stapled["certificate_status"] = response.certificate_status.name.lower()
        except ValueError:  # no single response inside an unsuccessful one
            stapled["certificate_status"] = None
    return stapled


def scan(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    host = str(target["host"])
    port = int(target["port"])
    server_name = str(target.get("server_name") or host)
    label = f"{host}:{port}"
    anchors: tuple = ()
    store_label = "system"
    if target.get("ca_bundle"):
        shown = str(target["ca_bundle"])
        with ctx.open_binary(shown) as fh:
            anchors = tuple(certs.parse_bundle(fh.read(), shown))
        store_label = f"ca_bundle {shown}"
    else:
        anchors = certs.system_store()
    location = ServerNetworkLocation(hostname=server_name, port=port, ip_address=_address(host))
    network = ServerNetworkConfiguration(tls_server_name_indication=server_name)
    try:
        info = ServerConnectivityInfo(location, network, check_connectivity_to_server(location, network))
    except ConnectionToServerFailed as exc:
        raise UserError(f"{label}: no TLS connection: {exc.error_message}") from None
    probes = {name: probe(info, version) for name, version in PROBED.items()}
    refused = {name: how for name, (accepted, how) in probes.items() if accepted is False}
    request = ServerScanRequest(
        server_location=location,
        network_configuration=network,
        scan_commands={command for name, command, _ in PROTOCOLS if name not in refused}
        | {ScanCommand.CERTIFICATE_INFO},
    )
    scanner = Scanner(
        per_server_concurrent_connections_limit=CONNECTIONS_PER_ENDPOINT, concurrent_server_scans_limit=1
    )
    scanner.queue_scans([request])
    (outcome,) = list(scanner.get_results())
    if outcome.scan_status == ServerScanStatusEnum.ERROR_NO_CONNECTIVITY:
        why = outcome.connectivity_error_trace
        detail = str(why).strip().splitlines()[-1] if why else "no TLS handshake succeeded"
        raise UserError(f"{label}: no TLS connection: {detail}")
    result = outcome.scan_result
    protocols, problems = _protocols(result, label, refused)
    data: dict[str, Any] = {
        "host": host,
        "port": port,
        "server_name": server_name,
        "address": location.ip_address,
        "engine": f"sslyze {SSLYZE_VERSION}",
        "protocols": protocols,
        "certificate": None,
    }
    deployment, why = _deployment(result)
    if deployment is None:
        problems.append({"where": f"{label} certificate", "message": f"certificate not read: {why}"})
        return Collected(data, tuple(problems))
    chain = list(deployment.received_certificate_chain)
    data["certificate"] = {
        "chain": [certs.describe(c) for c in chain],
        "trust": certs.diagnose(chain, anchors, server_name, ctx.now(), store_label),
        "internal_ca": bool(target.get("ca_bundle")),
        "ocsp": _ocsp(deployment),
        "pem": [certs.pem(c) for c in chain],
    }
    return Collected(data, tuple(problems))


# public certificate facts whose names or looks resemble secrets ("signature", hex fingerprints, PEM)
PLAIN = ("signature_algorithm", "signature_hash", "sha256", "serial", "pem", "authority_key_identifier")


@collector(
    name="tls.endpoint", kind="tls.endpoint", source="tls", version="1", ttl=timedelta(hours=24), plain=PLAIN
)
def tls_endpoint(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Connects to one TLS endpoint and records the protocol versions (SSL 2.0 to TLS 1.3) and cipher
    suites it accepts, whether each suite has forward secrecy, and the certificate chain it presents
    with its trust against the system store or the configured ca_bundle, host name match, validity
    dates, key, signature algorithm and OCSP stapling."""
    return scan(target, ctx)

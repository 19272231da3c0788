"""Bench: the candidate TLS engines on the same loopback servers, for docs/tls-engine.md.

Compares, per server kind (TLS 1.3 only, TLS 1.2 only, legacy TLS 1.0+ at @SECLEVEL=0): a scanner on
the standard library alone (one handshake per version, then one per cipher suite the system OpenSSL
knows), sslyze alone (every version, every suite, certificate), and vigil's collector (sslyze with a
probe before enumerating SSL 3.0/TLS 1.0/TLS 1.1, plus its own trust diagnosis with `cryptography`).
Prints time and what each one found. Run: .venv/bin/python bench/tls_engines.py
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sslyze import ScanCommand, Scanner, ServerNetworkConfiguration, ServerNetworkLocation, ServerScanRequest
from vigil.collectors.tls.endpoint import PROTOCOLS, tls_endpoint

from vigil import registry
from vigil.demo_tls import TLSServer, issue, make_ca, server_context
from vigil.model import CollectContext

registry.load_plugins()
warnings.simplefilter("ignore")
STDLIB_VERSIONS = {
    "TLS 1.0": ssl.TLSVersion.TLSv1,
    "TLS 1.1": ssl.TLSVersion.TLSv1_1,
    "TLS 1.2": ssl.TLSVersion.TLSv1_2,
    "TLS 1.3": ssl.TLSVersion.TLSv1_3,
}


def stdlib_scan(port: int) -> dict[str, int]:
    """Accepted suites per version as the system OpenSSL can see them (TLS 1.3: only the negotiated one)."""
    found: dict[str, int] = {}
    names = [c["name"] for c in ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ciphers()]
    every = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    every.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    names = sorted({c["name"] for c in every.get_ciphers() if c["protocol"] != "TLSv1.3"} | set(names))

    def handshake(version, cipher=None) -> bool:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        try:
            ctx.set_ciphers(f"{cipher or 'ALL:COMPLEMENTOFALL'}:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = version
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, ctx.wrap_socket(sock):
                return True
        except (OSError, ssl.SSLError):
            return False

    for label, version in STDLIB_VERSIONS.items():
        if not handshake(version):
            continue
        if version == ssl.TLSVersion.TLSv1_3:
            found[label] = 1  # Python cannot choose TLS 1.3 suites: only the server's pick is seen
        else:
            found[label] = sum(handshake(version, name) for name in names)
    return found


def sslyze_scan(port: int) -> dict[str, int]:
    scanner = Scanner()
    scanner.queue_scans(
        [
            ServerScanRequest(
                server_location=ServerNetworkLocation("localhost", port, ip_address="127.0.0.1"),
                network_configuration=ServerNetworkConfiguration(tls_server_name_indication="localhost"),
                scan_commands={command for _, command, _ in PROTOCOLS} | {ScanCommand.CERTIFICATE_INFO},
            )
        ]
    )
    (result,) = scanner.get_results()
    found = {}
    for label, _, attribute in PROTOCOLS:
        accepted = getattr(result.scan_result, attribute).result.accepted_cipher_suites
        if accepted:
            found[label] = len(accepted)
    return found


def vigil_scan(port: int, folder: Path) -> dict[str, int]:
    ctx = CollectContext(base_dir=folder, now=lambda: datetime.now(UTC))
    target = {"host": "127.0.0.1", "port": port, "server_name": "localhost", "ca_bundle": "ca.pem"}
    data = tls_endpoint(target, ctx).data
    return {p["version"]: len(p["cipher_suites"]) for p in data["protocols"] if p["accepted"]}


def testssl_scan(port: int, folder: Path) -> tuple[float, dict[str, int]] | None:
    """testssl.sh's time and its accepted suites per version (from its JSON file), when installed."""
    binary = next((b for b in ("/usr/bin/testssl", "/usr/bin/testssl.sh") if Path(b).exists()), None)
    if binary is None:
        return None
    report = folder / f"testssl-{port}.json"
    start = time.perf_counter()
    subprocess.run(
        [binary, "--quiet", "--color", "0", "--warnings", "off", "-p", "-E", "-S", "--jsonfile", str(report)]
        + [f"127.0.0.1:{port}"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    labels = {"ssl2": "SSL 2.0", "ssl3": "SSL 3.0", "tls1": "TLS 1.0", "tls1_1": "TLS 1.1"}
    labels |= {"tls1_2": "TLS 1.2", "tls1_3": "TLS 1.3"}
    found: dict[str, int] = {}
    for item in json.loads(report.read_text()) if report.exists() else []:
        if item["id"].startswith("cipher-"):
            version = labels.get(item["id"][len("cipher-") :].rsplit("_x", 1)[0], "?")
            found[version] = found.get(version, 0) + 1
    return seconds, found


def main() -> None:
    now = datetime.now(UTC)
    ca = make_ca(now=now)
    ec = issue(["localhost", "127.0.0.1"], ca, now=now)
    rsa = issue(["localhost", "127.0.0.1"], ca, now=now, key_kind="rsa")
    kinds = {"tls1.3": ec, "tls1.2": ec, "legacy": rsa}
    with TemporaryDirectory() as tmp:
        Path(tmp, "ca.pem").write_bytes(ca.cert_pem)
        for kind, cert in kinds.items():
            with TLSServer(server_context(cert, versions=kind)) as server:
                print(f"server {kind} (key {cert.cert.public_key().__class__.__name__.strip('_')})")
                for engine, scan in (
                    ("stdlib ssl", lambda p: stdlib_scan(p)),
                    ("sslyze alone", lambda p: sslyze_scan(p)),
                    ("vigil (sslyze+probe)", lambda p: vigil_scan(p, Path(tmp))),
                ):
                    start = time.perf_counter()
                    found = scan(server.port)
                    seconds = time.perf_counter() - start
                    shown = ", ".join(f"{v}: {n}" for v, n in found.items())
                    print(f"  {engine:22} {seconds:5.2f} s  accepted suites {shown}")
                measured = testssl_scan(server.port, Path(tmp))
                if measured is not None:
                    shown = ", ".join(f"{v}: {n}" for v, n in sorted(measured[1].items()))
                    print(f"  {'testssl.sh -p -E -S':22} {measured[0]:5.2f} s  accepted suites {shown}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

"""Loopback TLS servers with made-up certificates: the demo's good and bad endpoints; tests and bench too."""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import socket
import socketserver
import ssl
import tempfile
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and its private key, PEM-encoded, as a server loads them."""

    cert: x509.Certificate
    key: object

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def new_key(kind: str = "ec", bits: int = 2048):
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, bits)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vigil demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(
    common_name: str = "vigil demo internal CA",
    *,
    now: dt.datetime | None = None,
    issuer: Issued | None = None,
) -> Issued:
    """A private CA valid from five years ago for ten years: a root, or an intermediate of `issuer`."""
    now = now or dt.datetime.now(dt.UTC)
    key = new_key("ec")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    signer = issuer.key if issuer else key
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=5 * 365))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True
        )
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
        .sign(signer, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(
    names: Iterable[str],
    issuer: Issued | None,
    *,
    now: dt.datetime | None = None,
    days_before: int = 1,
    days_after: int = 365,
    key_kind: str = "ec",
    key_bits: int = 2048,
    key=None,
    authority_key_id: bool = True,
) -> Issued:
    """A server certificate for DNS names and IP addresses, signed by `issuer` (None: self-signed)."""
    now = now or dt.datetime.now(dt.UTC)
    names = list(names)
    key = key or new_key(key_kind, key_bits)
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    subject = _name(names[0])
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=days_before))
        .not_valid_after(now + dt.timedelta(days=days_after))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if authority_key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
        )
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


def server_context(
    issued: Issued, chain: Iterable[Issued] = (), *, versions: str = "modern"
) -> ssl.SSLContext:
    """A server context. versions: "tls1.3" (TLS 1.3 only), "tls1.2" (TLS 1.2 only), "modern"
    (1.2 and 1.3, strong ciphers), "legacy" (TLS 1.0 up, every cipher OpenSSL still has, @SECLEVEL=0)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if versions == "tls1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    elif versions == "tls1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    elif versions == "modern":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    elif versions == "legacy":
        with warnings.catch_warnings():  # deprecated is the point: a server a scanner must flag
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    else:
        raise ValueError(f"unknown versions {versions!r}")
    with tempfile.TemporaryDirectory(prefix="vigil-tls-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(issued.cert_pem + b"".join(c.cert_pem for c in chain))
        key_file.write_bytes(issued.key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            with self.server.context.wrap_socket(self.request, server_side=True) as tls:  # type: ignore[attr-defined]
                try:
                    if tls.recv(1024):
                        tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                except (OSError, ssl.SSLError):
                    pass
        except (OSError, ssl.SSLError):
            pass  # a refused handshake is what a scanner probes for


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:  # noqa: ARG002 - scanners hang up mid-handshake
        return


class TLSServer:
    """One TLS endpoint on 127.0.0.1 and a free port, served from a daemon thread until stop()."""

    def __init__(self, context: ssl.SSLContext, host: str = LOOPBACK) -> None:
        self._server = _Server((host, 0), _Handler)
        self._server.context = context  # type: ignore[attr-defined]
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )

    def start(self) -> TLSServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TLSServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_listening(host: str, port: int, timeout: float = 5.0) -> None:
    with socket.create_connection((host, port), timeout=timeout):
        pass


# ---------------------------------------------------------------------------------------- the demo
@dataclass(frozen=True, slots=True)
class DemoEndpoint:
    token: str  # placeholder in examples/demo/vigil.yaml, replaced by the port
    story: str


DEMO_ENDPOINTS = (
    DemoEndpoint("good", "TLS 1.2/1.3, strong ciphers, certificate from the internal CA"),
    DemoEndpoint("legacy", "accepts TLS 1.0 and 1.1, weak and non-forward-secret ciphers; RSA 1024-bit key"),
    DemoEndpoint("expired", "certificate expired ten days ago"),
    DemoEndpoint("expiring", "certificate expires in twelve days"),
    DemoEndpoint("selfsigned", "self-signed certificate"),
    DemoEndpoint("wrongname", "certificate issued for another host name"),
)


def demo_servers(now: dt.datetime) -> tuple[Issued, Mapping[str, TLSServer]]:
    """The internal CA and one started server per demo endpoint."""
    ca = make_ca(now=now)

    def names(endpoint: str) -> list[str]:  # each endpoint has its own name, so findings tell which is which
        return [f"{endpoint}.demo.localhost"]

    certs = {
        "good": issue(names("good"), ca, now=now),
        "legacy": issue(names("legacy"), ca, now=now, key_kind="rsa", key_bits=1024),
        "expired": issue(names("expired"), ca, now=now, days_before=100, days_after=-10),
        "expiring": issue(names("expiring"), ca, now=now, days_after=12),
        "selfsigned": issue(names("selfsigned"), None, now=now),
        "wrongname": issue(["intranet.example.com"], ca, now=now),
    }
    servers = {
        name: TLSServer(server_context(cert, versions="legacy" if name == "legacy" else "modern")).start()
        for name, cert in certs.items()
    }
    return ca, servers


def start_demo_tls(dest: Path, now: dt.datetime) -> None:
    """Start the demo's TLS servers for the life of this process and fill their ports into vigil.yaml."""
    config = dest / "vigil.yaml"
    text = config.read_text(encoding="utf-8")
    if "@tls-port:" not in text:
        return
    ca, servers = demo_servers(now)
    (dest / "internal-ca.pem").write_bytes(ca.cert_pem)
    for name, server in servers.items():
        text = text.replace(f"@tls-port:{name}", str(server.port))
        atexit.register(server.stop)
    config.write_text(text, encoding="utf-8")

"""Small real servers on 127.0.0.1 (free ports) for the demo and tests: listeners, banners, HTTP."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    """HTTP or HTTPS; the TLS handshake happens in the connection's own thread, so a client that never
    completes it (a port scanner's probe) cannot hold up the others; scanners' broken requests stay quiet."""

    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            request.settimeout(6.5)
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@dataclass
class Route:
    """What one path answers: a status, headers (repeatable, in order) and a body."""

    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b"<!doctype html><title>ok</title>"


@dataclass
class Servers:
    """Everything started for one demo or test; stop() closes all of it."""

    closers: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        while self.closers:
            close = self.closers.pop()
            try:
                close()
            except OSError:
                pass

    def listener(self) -> int:
        """A socket that accepts connections and says nothing: an open port, and nothing more."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((LOOPBACK, 0))
        sock.listen(64)
        self.closers.append(sock.close)
        return sock.getsockname()[1]

    def banner(self, greeting: bytes, address: str = LOOPBACK) -> int:
        """A socket that greets every client with `greeting` (an FTP or telnet server as nmap -sV sees it);
        `address` may be another loopback address such as 127.0.0.2 (Linux answers on all of 127/8)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((address, 0))
        sock.listen(64)
        stopping = threading.Event()

        def serve() -> None:
            while not stopping.is_set():
                try:
                    client, _ = sock.accept()
                except OSError:
                    return
                try:
                    client.settimeout(0.2)  # greet, wait briefly for a reply, hang up: nmap -sV moves on fast
                    client.sendall(greeting)
                    client.recv(1024)
                except OSError:
                    pass
                finally:
                    client.close()

        threading.Thread(target=serve, name="loopback-banner", daemon=True).start()

        def close() -> None:
            stopping.set()
            sock.close()

        self.closers.append(close)
        return sock.getsockname()[1]

    def http(self, routes: Mapping[str, Route], tls: ssl.SSLContext | None = None) -> int:
        """An HTTP server (HTTPS with `tls`) answering each path from `routes` (404 otherwise); its port."""
        table = dict(routes)

        class Handler(BaseHTTPRequestHandler):
            timeout = 6.5  # past nmap -sV's 6 s wait for a banner, so it then asks over HTTP; idle clients go

            def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
                route = table.get(self.path.split("?", 1)[0], Route(404, (), b"not found"))
                self.send_response(route.status)
                for name, value in route.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base
                pass

        server = _Server((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        server.tls = tls
        threading.Thread(target=server.serve_forever, name="loopback-http", daemon=True).start()

        def close() -> None:
            server.shutdown()
            server.server_close()

        self.closers.append(close)
        return server.server_address[1]

    def json(self, path: str, document: Any) -> int:
        """An HTTP server publishing one JSON document (a JWKS) at `path`."""
        body = json.dumps(document).encode()
        return self.http({path: Route(200, (("Content-Type", "application/json"),), body)})


def closed_port() -> int:
    """A port nothing listens on (bound, then released: good enough on loopback for a scan's duration)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `name` and 127.0.0.1, valid for a day, and its key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context

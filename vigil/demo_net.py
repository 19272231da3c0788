"""The demo's network: loopback web sites, a forgotten FTP service, a JWKS and sample tokens, good and bad."""

from __future__ import annotations

import atexit
import json
import re
import warnings
from datetime import datetime
from pathlib import Path

from vigil.loopback import Route, Servers, self_signed, server_context

# @net:name inside text becomes the value; "@number:name", quotes included, becomes a bare YAML number
PLACEHOLDER = re.compile(r'"@number:([a-z_]+)"|@net:([a-z_]+)')
LEGACY_HOST = "127.0.0.2"
HTML = ("Content-Type", "text/html; charset=utf-8")
GOOD_PAGE = b"<!doctype html><title>Demo shop</title><script src='/static/app.js'></script>"
# the legacy marketing site: an ad pixel and a session recorder (referenced only: nothing is fetched)
LEGACY_PAGE = (
    b"<!doctype html><title>Demo shop (legacy)</title>"
    b"<script src='https://connect.facebook.net/en_US/fbevents.js'></script>"
    b"<script src='https://static.hotjar.com/c/hotjar-1.js'></script>"
)


def _sites(servers: Servers, dest: Path) -> dict[str, int]:
    cert, key = self_signed(dest)
    https = servers.http(
        {
            "/login": Route(
                302, (("Location", "/"), ("Set-Cookie", "csrftoken=demo; Secure; SameSite=Strict"))
            ),
            "/": Route(
                200,
                (
                    HTML,
                    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
                    ("Set-Cookie", "session=opaque-demo-session; Path=/; Secure; HttpOnly; SameSite=Lax"),
                    ("Set-Cookie", "lang=en; Max-Age=31536000; Path=/; Secure; SameSite=Lax"),
                ),
                GOOD_PAGE,
            ),
        },
        tls=server_context(cert, key),
    )
    redirect = servers.http({"/": Route(301, (("Location", f"https://127.0.0.1:{https}/"),), b"")})
    legacy = servers.http(
        {
            "/": Route(
                200,
                (
                    HTML,
                    ("Set-Cookie", "PHPSESSID=demo0000000000000000; path=/"),
                    ("Set-Cookie", "visitor=7d444840-9dc0-11d1-b245-5ffdce74fad2; Max-Age=63072000; Path=/"),
                    ("Set-Cookie", "IDE=demo; Domain=.doubleclick.net; Path=/; SameSite=None; Secure"),
                ),
                LEGACY_PAGE,
            )
        }
    )
    return {"https_port": https, "redirect_port": redirect, "legacy_port": legacy}


def _tokens(servers: Servers, dest: Path, now: datetime) -> dict[str, int]:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "demo-1", "use": "sig"}
    port = servers.json("/.well-known/jwks.json", {"keys": [jwk]})
    iat = int(now.timestamp())
    good = {
        "iss": "https://auth.demo.example",
        "aud": "demo-api",
        "sub": "demo-user",
        "iat": iat,
        "exp": iat + 900,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjwt warns about the weak secret the demo means to show
        lines = [
            "# tokens captured from the demo API (written by `vigil demo`)",
            "# 1. the service's own token: RS256, 15 minutes, issuer and audience",
            jwt.encode(good, key, algorithm="RS256", headers={"kid": "demo-1"}),
            "# 2. a staging token signed with the secret from a tutorial, valid for 30 days",
            jwt.encode({**good, "exp": iat + 30 * 86400}, "secret", algorithm="HS256"),
            "# 3. an unsigned token with no audience and no expiry",
            jwt.encode({"iss": "https://auth.demo.example", "sub": "demo-admin"}, None, algorithm="none"),
        ]
    (dest / "tokens.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"jwks_port": port}


def start(dest: Path, now: datetime) -> None:
    """Start the demo's servers on 127.0.0.1 (stopped when the process ends) and write their ports
    into dest/vigil.yaml, where the demo config names them @net:<name> (or "@number:<name>")."""
    servers = Servers()
    atexit.register(servers.stop)
    ports: dict[str, int | str] = {**_sites(servers, dest), **_tokens(servers, dest, now)}
    ports["scan_ports"] = ",".join(str(p) for p in sorted(ports.values()))
    # a second, legacy host with a forgotten FTP server: risky wherever it listens. Linux answers on all
    # of 127/8; where only 127.0.0.1 exists (macOS), the legacy host shares it
    try:
        ports["ftp_port"] = servers.banner(b"220 (vsFTPd 3.0.3)\r\n", LEGACY_HOST)
        ports["legacy_host"] = LEGACY_HOST
    except OSError:
        ports["ftp_port"] = servers.banner(b"220 (vsFTPd 3.0.3)\r\n")
        ports["legacy_host"] = "127.0.0.1"
    config = dest / "vigil.yaml"
    text = config.read_text(encoding="utf-8")

    config.write_text(PLACEHOLDER.sub(lambda m: str(ports[m[1] or m[2]]), text), encoding="utf-8")

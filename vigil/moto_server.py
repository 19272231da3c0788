"""A moto server on a free loopback port, in a child process, that counts the API requests it serves.

Used by the demo's AWS account, the AWS end-to-end tests and bench/aws_scan.py. moto is a test
dependency: importing this module does not need it, starting a server does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.request import Request, urlopen

STATS_PATH = "/_vigil/requests"
THROTTLE_PATH = "/_vigil/throttle"
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class CountingApp:
    """WSGI middleware: counts each request by the AWS service named in its signature; for fault tests,
    answers the next N requests of a service with AWS's throttling error (VIGIL_MOTO_THROTTLE or
    MotoServer.throttle: "kms=50,iam=2")."""

    def __init__(self, app: Callable, throttle: str = "") -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.throttle = {
            name: int(count)
            for name, _, count in (part.partition("=") for part in throttle.split(",") if part)
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == THROTTLE_PATH:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            with self.lock:
                self.throttle = _throttle_spec(environ["wsgi.input"].read(size).decode())
            start_response("204 No Content", [])
            return [b""]
        if environ.get("PATH_INFO") == STATS_PATH:
            with self.lock:  # the counts so far; DELETE also starts counting anew
                body = json.dumps({"total": sum(self.counts.values()), "by_service": dict(self.counts)})
                if environ.get("REQUEST_METHOD") == "DELETE":
                    self.counts.clear()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body.encode()]
        match = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match[1] if match else "unsigned"
        with self.lock:
            self.counts[service] += 1
            throttled = self.throttle.get(service, 0) > 0
            if throttled:
                self.throttle[service] -= 1
        if throttled:
            return _throttled(environ, start_response)
        return self.app(environ, start_response)


def _throttle_spec(text: str) -> dict[str, int]:
    return {name: int(count) for name, _, count in (part.partition("=") for part in text.split(",") if part)}


def _throttled(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
    """The throttling error as the service's protocol spells it: JSON services or query/XML ones."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1")])
        return [body]
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
        b"</Error><RequestId>vigil-fault</RequestId></ErrorResponse>"
    )
    start_response("400 Bad Request", [("Content-Type", "text/xml")])
    return [body]


def _serve() -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = CountingApp(
        DomainDispatcherApplication(create_backend_app), os.environ.get("VIGIL_MOTO_THROTTLE", "")
    )
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    # the parent holds our stdin open: when it goes, however it goes (a killed test worker, an exit
    # that skips atexit), the pipe ends and so does this server, instead of lingering on its port
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


class MotoServer:
    """`with MotoServer() as url:` a moto server on 127.0.0.1 and a free port, stopped on exit."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vigil.moto_server"],
            stdin=subprocess.PIPE,  # kept open for the server's life: its end stops the server
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.env,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("the moto server did not start (is moto[server] installed?)")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.url

    def requests(self, reset: bool = False) -> dict[str, Any]:
        """Requests served so far ({"total": n, "by_service": {...}}); reset=True restarts the count."""
        req = Request(self.url + STATS_PATH, method="DELETE" if reset else "GET")  # noqa: S310 - loopback
        with urlopen(req, timeout=10) as reply:  # noqa: S310 - our own loopback server
            return json.loads(reply.read())

    def throttle(self, spec: str) -> None:
        """From now on answer the next N requests of each named service with a throttling error
        ("kms=50,iam=2")."""
        req = Request(self.url + THROTTLE_PATH, data=spec.encode(), method="POST")  # noqa: S310 - loopback
        with urlopen(req, timeout=10) as reply:  # noqa: S310 - our own loopback server
            reply.read()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    _serve()

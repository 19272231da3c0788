"""Bench: 50 TLS endpoints on loopback, scanned by `vigil scan` and by sslyze alone in the same run.

Target (issue 8): vigil within 1.2x of sslyze alone and under 15 s on 2 cores. Both are timed as a
user runs them, each in its own process (interpreter start included): `vigil scan` (protocols SSL 2.0
to TLS 1.3, every cipher suite, certificate, then judgment and results.json) against a plain sslyze
script making the same scan commands. testssl.sh, when installed, scans a few of the endpoints
(-p -E -S: protocols, ciphers per protocol, certificate) to compare per endpoint. The servers run in
a process of their own so they do not share the scanners' interpreter.
Run: .venv/bin/python bench/tls_scan.py [--endpoints 50] [--testssl 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# what the endpoints serve, in turn: mostly sound, some of each bad kind
MIX = (
    "modern",
    "modern",
    "tls1.3",
    "tls1.2",
    "legacy",
    "expired",
    "selfsigned",
    "wrongname",
    "modern",
    "tls1.3",
)

SSLYZE_ALONE = """
import sys
from sslyze import ScanCommand, Scanner, ServerNetworkConfiguration, ServerNetworkLocation, ServerScanRequest
ports = [int(p) for p in sys.argv[1:]]
commands = {
    ScanCommand.SSL_2_0_CIPHER_SUITES, ScanCommand.SSL_3_0_CIPHER_SUITES, ScanCommand.TLS_1_0_CIPHER_SUITES,
    ScanCommand.TLS_1_1_CIPHER_SUITES, ScanCommand.TLS_1_2_CIPHER_SUITES, ScanCommand.TLS_1_3_CIPHER_SUITES,
    ScanCommand.CERTIFICATE_INFO,
}
scanner = Scanner()
scanner.queue_scans([
    ServerScanRequest(
        server_location=ServerNetworkLocation("localhost", port, ip_address="127.0.0.1"),
        network_configuration=ServerNetworkConfiguration(tls_server_name_indication="localhost"),
        scan_commands=commands,
    )
    for port in ports
])
done = sum(1 for result in scanner.get_results() if result.scan_result is not None)
print(done)
"""


def serve(n: int, folder: str, ports_out, stop) -> None:
    """The endpoints, in this (child) process until `stop` is set."""
    from vigil.demo_tls import TLSServer, issue, make_ca, server_context

    now = datetime.now(UTC)
    ca = make_ca(now=now)
    Path(folder, "ca.pem").write_bytes(ca.cert_pem)
    host = ["localhost", "127.0.0.1"]
    certs = {
        "modern": issue(host, ca, now=now),
        "legacy": issue(host, ca, now=now, key_kind="rsa"),
        "expired": issue(host, ca, now=now, days_before=90, days_after=-1),
        "selfsigned": issue(host, None, now=now),
        "wrongname": issue(["other.example"], ca, now=now),
    }
    servers = []
    for i in range(n):
        kind = MIX[i % len(MIX)]
        versions = kind if kind in ("tls1.3", "tls1.2", "legacy") else "modern"
        cert = certs.get(kind, certs["modern"])
        servers.append(TLSServer(server_context(cert, versions=versions)).start())
    ports_out.send([s.port for s in servers])
    stop.wait()
    for server in servers:
        server.stop()


def timed(cmd: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, done


def _all(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--testssl", type=int, default=2, help="endpoints testssl.sh scans (0: none)")
    parser.add_argument("--rounds", type=int, default=2, help="alternated runs of each scanner")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    vigil = shutil.which("vigil", path=str(bin_dir)) or "vigil"
    with tempfile.TemporaryDirectory(prefix="vigil-bench-tls-") as tmp:
        folder = Path(tmp)
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        stop = ctx.Event()
        server = ctx.Process(target=serve, args=(args.endpoints, tmp, send, stop), daemon=True)
        server.start()
        ports = receive.recv()
        try:
            lines = ["sources:", "  tls:"]
            lines += [
                f"    - {{host: 127.0.0.1, port: {p}, server_name: localhost, ca_bundle: ca.pem}}"
                for p in ports
            ]
            (folder / "vigil.yaml").write_text("\n".join(lines) + "\n")
            # alternated, best of --rounds each: the machine is shared, so a single run says little
            sslyze_times, vigil_times = [], []
            for _ in range(args.rounds):
                seconds, out = timed([sys.executable, "-c", SSLYZE_ALONE, *map(str, ports)])
                sslyze_times.append(seconds)
                scanned = out.stdout.strip() or out.stderr.strip()[-300:]
                seconds, run = timed(
                    [vigil, "scan", "--config", str(folder / "vigil.yaml"), "--output", str(folder / "out")]
                    + ["--format", "json"],
                    env={**os.environ, "CI": "true"},
                )
                vigil_times.append(seconds)
                if run.returncode not in (0, 1):
                    print(run.stderr[-2000:], file=sys.stderr)
                    return 1
            t_sslyze, t_vigil = min(sslyze_times), min(vigil_times)
            load = os.getloadavg()
            print(f"endpoints: {len(ports)} on 127.0.0.1 ({', '.join(sorted(set(MIX)))})")
            rounds = f"best of {args.rounds}" if args.rounds > 1 else "one run"
            print(f"sslyze alone:   {t_sslyze:6.2f} s  ({scanned} scanned; {rounds}: {_all(sslyze_times)})")
            print(
                f"vigil scan:     {t_vigil:6.2f} s  ({t_vigil / t_sslyze:.2f}x sslyze; "
                f"targets: <= 1.2x and < 15 s; {rounds}: {_all(vigil_times)})"
            )
            testssl = shutil.which("testssl") or shutil.which("testssl.sh")
            if testssl and args.testssl:
                few = ports[: args.testssl]
                t_testssl = 0.0
                for port in few:
                    seconds, _ = timed(
                        [testssl, "--quiet", "--color", "0", "--warnings", "off", "-p", "-E", "-S"]
                        + [f"127.0.0.1:{port}"],
                        stdin=subprocess.DEVNULL,
                    )
                    t_testssl += seconds
                per = t_testssl / len(few)
                print(
                    f"testssl.sh:     {t_testssl:6.2f} s for {len(few)} endpoint(s), one after another: "
                    f"{per:.1f} s each, ~{per * len(ports):.0f} s for all {len(ports)} "
                    f"({per * len(ports) / t_sslyze:.0f}x sslyze)"
                )
            elif args.testssl:
                print("testssl.sh:     not installed (Debian package testssl.sh); skipped")
            print(f"load average:   {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        finally:
            stop.set()
            server.join(timeout=10)
    ok = t_vigil <= 1.2 * t_sslyze and t_vigil < 15
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

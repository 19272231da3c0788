"""Hosts collector: the real nmap binary scans real sockets on 127.0.0.1; hostile targets never reach it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from vigil.collectors.hosts import nmap_arguments, run_nmap, validate_address, validate_ports

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.errors import UserError
from vigil.loopback import Servers, closed_port
from vigil.model import Evidence

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def require_nmap() -> None:
    if shutil.which("nmap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "nmap is not installed: CI must run the port scans (scripts/system-deps.sh installs it)"
            )
        pytest.skip("nmap is not installed (install it with scripts/system-deps.sh)")


@pytest.fixture
def servers():
    running = Servers()
    yield running
    running.stop()


def scan(target: dict, tmp_path: Path = Path(".")) -> Evidence:
    require_nmap()
    collector = registry.collectors.get("hosts.nmap")
    return run_task(Task(collector, target), CollectContext(base_dir=tmp_path, now=lambda: NOW))


def test_open_and_closed_ports_on_loopback_are_seen(servers):
    first, second, shut = servers.listener(), servers.listener(), closed_port()
    evidence = scan({"address": "127.0.0.1", "ports": f"{first},{second},{shut}", "allowed_ports": [first]})
    assert evidence.error is None
    data = evidence.data
    [host] = data["hosts"]
    assert host["address"] == "127.0.0.1"
    assert [(p["port"], p["protocol"], p["state"]) for p in host["open_ports"]] == sorted(
        [(first, "tcp", "open"), (second, "tcp", "open")]
    )
    assert data["allowed_ports"] == [first]
    # evidence keeps nmap's own record: its XML and the command that produced it
    assert data["xml"].startswith("<?xml") and f'portid="{shut}"' in data["xml"]
    assert data["command_line"].startswith("nmap -oX - -p ")
    assert f"{first},{second},{shut}" in data["command_line"] and "127.0.0.1" in data["command_line"]


def test_service_detection_names_the_service_behind_an_odd_port(servers):
    ftp = servers.banner(b"220 (vsFTPd 3.0.3)\r\n")
    evidence = scan({"address": "127.0.0.1", "ports": str(ftp), "service_detection": True})
    [port] = evidence.data["hosts"][0]["open_ports"]
    assert (port["port"], port["service"], port["detection"]) == (ftp, "ftp", "probed")
    assert "-sV" in evidence.data["command_line"]


def test_scan_type_follows_privileges_and_config():
    assert nmap_arguments({}, euid=0)[0] == "-sS"
    assert nmap_arguments({}, euid=1000)[0] == "-sT"
    assert nmap_arguments({"scan_type": "connect"}, euid=0)[0] == "-sT"
    assert nmap_arguments({"timing": 2, "skip_discovery": True}, euid=1000)[1:3] == ["-T2", "-Pn"]
    with pytest.raises(UserError, match="needs root"):
        nmap_arguments({"scan_type": "syn"}, euid=1000)


def test_connect_scan_finds_the_same_ports(servers):
    port = servers.listener()
    evidence = scan({"address": "127.0.0.1", "ports": str(port), "scan_type": "connect"})
    assert evidence.data["scan_type"] == "connect" and "-sT" in evidence.data["command_line"]
    assert [p["port"] for p in evidence.data["hosts"][0]["open_ports"]] == [port]


def test_a_loopback_range_lists_each_answering_host(servers):
    port = servers.listener()
    evidence = scan({"address": "127.0.0.0/30", "ports": str(port), "timing": 5})
    addresses = [h["address"] for h in evidence.data["hosts"]]
    assert "127.0.0.1" in addresses
    opened = {h["address"]: [p["port"] for p in h["open_ports"]] for h in evidence.data["hosts"]}
    assert opened["127.0.0.1"] == [port]


def test_under_skip_discovery_a_host_counts_only_when_a_port_answers():
    # -Pn makes nmap call every host "up"; closed ports answer with a reset, so loopback is really up
    evidence = scan({"address": "127.0.0.1", "ports": str(closed_port()), "skip_discovery": True})
    assert [h["address"] for h in evidence.data["hosts"]] == ["127.0.0.1"]
    assert evidence.data["hosts"][0]["open_ports"] == []


@pytest.mark.parametrize(
    "hostile",
    ["-oN out.txt", "--script=x", "127.0.0.1; id", "127.0.0.1 -iL /etc/passwd", "$(id)", "`id`", "a|b", ""],
)
def test_hostile_targets_are_refused_before_nmap_runs(hostile, tmp_path, monkeypatch):
    def no_nmap(*args, **kwargs):
        raise AssertionError("nmap must not run for a refused target")

    monkeypatch.setattr(subprocess, "Popen", no_nmap)
    with pytest.raises(UserError, match="hosts: "):
        validate_address(hostile)
    evidence = scan({"address": hostile, "ports": "22"}, tmp_path)
    assert evidence.error is not None and evidence.error.startswith("hosts: ")
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize("ports", ["22 -oN x", "--top-ports=10", "0", "70000", "100-50", "22,,80", "T:22"])
def test_hostile_or_broken_port_lists_are_refused(ports):
    with pytest.raises(UserError, match="port list"):
        validate_ports(ports)


def test_valid_targets_pass_through_normalised():
    assert validate_address("127.0.0.1") == "127.0.0.1"
    assert validate_address("::1") == "::1"
    assert validate_address("127.0.0.5/30") == "127.0.0.4/30"
    assert validate_address("db-1.internal.example") == "db-1.internal.example"
    assert validate_ports("22, 80,8000-8100") == "22,80,8000-8100"
    with pytest.raises(UserError, match="split it"):
        validate_address("10.0.0.0/8")


HOSTILE_CONFIG = """\
baseline: privacy-policy
sources:
  hosts:
    - address: "{address}"
      ports: "{ports}"
"""


@pytest.mark.parametrize(
    ("address", "ports", "field"),
    [
        ("-oN out.txt", "22", "address"),
        ("--script=x", "22", "address"),
        ("127.0.0.1; id", "22", "address"),
        ("127.0.0.1", "22 --script=x", "ports"),
        ("127.0.0.1", "65536", "ports"),
    ],
)
def test_vigil_scan_refuses_hostile_config_with_exit_2_and_one_line(tmp_path, address, ports, field):
    (tmp_path / "vigil.yaml").write_text(HOSTILE_CONFIG.format(address=address, ports=ports))
    result = subprocess.run(
        [sys.executable, "-m", "vigil", "scan", "--config", "vigil.yaml", "--output", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = 5 if field == "ports" else 4
    assert lines[0].startswith(f"vigil: error: vigil.yaml:{line}: sources.hosts[0].{field}: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "out").exists()


def test_ipv6_loopback_is_scanned_with_nmap_in_ipv6_mode():
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.bind(("::1", 0))
    except OSError:
        sock.close()
        pytest.skip("this machine has no ::1")
    sock.listen(4)
    port = sock.getsockname()[1]
    try:
        evidence = scan({"address": "::1", "ports": str(port)})
    finally:
        sock.close()
    assert " -6 ::1" in evidence.data["command_line"]
    assert [(h["address"], [p["port"] for p in h["open_ports"]]) for h in evidence.data["hosts"]] == [
        ("::1", [port])
    ]


def test_a_scan_past_its_time_is_stopped_and_named(tmp_path):
    require_nmap()
    # -T0 waits minutes between probes: the scan is killed at the timeout, not left running
    with pytest.raises(UserError, match=r"nmap did not finish scanning 127.0.0.1 within 1 s"):
        run_nmap("127.0.0.1", "1-1000", ["-sT", "-T0"], timeout=1)


def test_without_the_nmap_binary_the_target_is_error_evidence_saying_how_to_install(monkeypatch):
    import nmap
    from vigil.collectors import hosts

    def missing(*args, **kwargs):
        raise nmap.PortScannerError("nmap program was not found in path")

    monkeypatch.setattr(hosts, "_local", threading.local())  # no scanner cached for this thread
    monkeypatch.setattr(nmap, "PortScanner", missing)
    evidence = run_task(
        Task(registry.collectors.get("hosts.nmap"), {"address": "127.0.0.1", "ports": "22"}),
        CollectContext(base_dir=Path("."), now=lambda: NOW),
    )
    assert evidence.error == (
        "nmap is not available: nmap program was not found in path (install it: scripts/system-deps.sh)"
    )

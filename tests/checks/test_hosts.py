"""Hosts checks: open ports outside the allowed list, risky services, and silent hosts never passing."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.loopback import Route, Servers

registry.load_plugins()

UNEXPECTED = "hosts.ports.unexpected_open"
RISKY = "hosts.ports.risky_service"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def port(number: int, service: str, product: str = "", proto: str = "tcp") -> dict:
    return {
        "port": number,
        "protocol": proto,
        "state": "open",
        "reason": "syn-ack",
        "service": service,
        "product": product,
        "version": "",
        "detection": "probed" if product else "port table",
    }


def scan(hosts: list[dict], allowed: list[int] | None = None, target: str = "10.0.4.0/29", **extra) -> dict:
    return {
        "target": target,
        "ports": "1-65535",
        "allowed_ports": allowed,
        "scan_type": "syn",
        "service_detection": True,
        "command_line": f"nmap -oX - -p 1-65535 -sS -T4 -sV --host-timeout 900s {target}",
        "nmap_version": "7.93",
        "nmap_error": "",
        "elapsed_seconds": 3.2,
        "hosts_total": 8,
        "hosts_down": 8 - len(hosts),
        "hosts": hosts,
        "xml": "<?xml version='1.0'?><nmaprun/>",
        **extra,
    }


def host(address: str, *ports: dict) -> dict:
    return {
        "address": address,
        "hostname": "",
        "state": "up",
        "reason": "echo-reply",
        "open_ports": list(ports),
    }


def run(check_id: str, scans: list[dict], **params) -> dict:
    check = registry.checks.get(check_id)
    outcomes = list(check.func({"hosts.ports": scans}, {**check.params, **params, "now": NOW}))
    resources = [o.resource for o in outcomes]
    assert len(resources) == len(set(resources)), "one outcome per resource"
    return {o.resource: (o.status, o.message) for o in outcomes}


def test_only_allowed_ports_open_passes():
    result = run(UNEXPECTED, [scan([host("10.0.4.2", port(443, "https", "nginx"), port(80, "http"))])])
    assert result == {"host:10.0.4.2": ("pass", "open ports 443/tcp, 80/tcp, all allowed")}


def test_unexpected_port_fails_naming_address_port_proto_and_service():
    web = host("10.0.4.2", port(443, "https"), port(8080, "http-proxy", "Apache Tomcat"))
    quiet = host("10.0.4.3", port(443, "https"))
    result = run(UNEXPECTED, [scan([web, quiet])])
    assert result == {
        "10.0.4.2:8080/tcp": (
            "fail",
            "10.0.4.2:8080/tcp http-proxy (Apache Tomcat) is open but not allowed (allowed: 80, 443)",
        ),
        "host:10.0.4.3": ("pass", "open ports 443/tcp, all allowed"),
    }


def test_the_host_allowed_list_overrides_the_baseline_parameter():
    ssh_box = scan([host("10.0.4.9", port(22, "ssh"))], allowed=[22])
    assert run(UNEXPECTED, [ssh_box])["host:10.0.4.9"][0] == "pass"
    # and the baseline parameter is what applies when the host sets none
    assert run(
        UNEXPECTED, [scan([host("10.0.4.9", port(22, "ssh"))])], **{"network.allowed_ports": [22]}
    ) == {"host:10.0.4.9": ("pass", "open ports 22/tcp, all allowed")}
    assert run(UNEXPECTED, [scan([host("10.0.4.9", port(443, "https"))], allowed=[])])["10.0.4.9:443/tcp"][
        0
    ] == ("fail")


@pytest.mark.parametrize("check_id", [UNEXPECTED, RISKY])
def test_a_host_that_does_not_answer_is_an_error_never_a_pass(check_id):
    silent = scan([], target="10.0.9.7")
    result = run(check_id, [silent])
    assert list(result) == ["host:10.0.9.7"]
    status, message = result["host:10.0.9.7"]
    assert status == "error" and "did not answer" in message


def test_an_nmap_failure_is_an_error():
    broken = scan([], target="db.internal.example", nmap_error="Failed to resolve db.internal.example")
    assert run(RISKY, [broken]) == {
        "host:db.internal.example": (
            "error",
            "nmap could not scan db.internal.example: Failed to resolve db.internal.example",
        )
    }


def test_risky_services_fail_by_name_or_port_even_when_allowed():
    box = host(
        "10.0.4.5",
        port(443, "https"),
        port(2323, "telnet", "Linux telnetd"),  # odd port, found by -sV
        port(3389, "ms-wbt-server"),
        port(5432, "postgresql"),
        port(2375, "unknown"),  # by port: the docker API
    )
    result = run(RISKY, [scan([box], allowed=[443, 2323, 3389, 5432, 2375])])
    assert result == {
        "10.0.4.5:2323/tcp": (
            "fail",
            "10.0.4.5:2323/tcp telnet (Linux telnetd) is reachable: cleartext remote login",
        ),
        "10.0.4.5:3389/tcp": (
            "fail",
            "10.0.4.5:3389/tcp ms-wbt-server is reachable: remote desktop (RDP), a common ransomware "
            "entry point",
        ),
        "10.0.4.5:5432/tcp": ("fail", "10.0.4.5:5432/tcp postgresql is reachable: database"),
        "10.0.4.5:2375/tcp": (
            "fail",
            "10.0.4.5:2375/tcp unknown is reachable: container engine API: root on the host when "
            "unauthenticated",
        ),
    }


def test_no_risky_service_passes_and_the_lists_are_parameters():
    box = host("10.0.4.6", port(443, "https"), port(6379, "redis"))
    assert run(RISKY, [scan([host("10.0.4.6", port(443, "https"))])]) == {
        "host:10.0.4.6": ("pass", "no risky service reachable")
    }
    relaxed = run(RISKY, [scan([box])], **{"network.risky_ports": [], "network.risky_services": ["telnet"]})
    assert relaxed == {"host:10.0.4.6": ("pass", "no risky service reachable")}


def test_risky_checks_have_higher_severity_than_unexpected_ports():
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    assert ranks[registry.checks.get(RISKY).severity] > ranks[registry.checks.get(UNEXPECTED).severity]


def test_end_to_end_a_real_scan_judged_by_both_checks(tmp_path: Path):
    if shutil.which("nmap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nmap is not installed: CI must run the port scans")
        pytest.skip("nmap is not installed")
    servers = Servers()
    try:
        # services that speak (-sV on a silent socket waits out every probe's timeout)
        web, extra = servers.http({"/": Route()}), servers.banner(b"220 (vsFTPd 3.0.3)\r\n")
        target = {
            "address": "127.0.0.1",
            "ports": f"{web},{extra}",
            "allowed_ports": [web],
            "service_detection": True,
        }
        evidence = run_task(
            Task(registry.collectors.get("hosts.nmap"), target), CollectContext(tmp_path, lambda: NOW)
        )
    finally:
        servers.stop()
    assert evidence.error is None
    unexpected = run(UNEXPECTED, [evidence.data])
    assert unexpected[f"127.0.0.1:{extra}/tcp"][0] == "fail"
    assert f"127.0.0.1:{extra}/tcp ftp (vsftpd" in unexpected[f"127.0.0.1:{extra}/tcp"][1]
    assert run(RISKY, [evidence.data])[f"127.0.0.1:{extra}/tcp"][0] == "fail"
    assert f"127.0.0.1:{web}/tcp" not in unexpected and f"127.0.0.1:{web}/tcp" not in run(
        RISKY, [evidence.data]
    )

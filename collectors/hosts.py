"""Hosts and firewalls: which ports answer, seen by the real nmap binary through python-nmap."""

from __future__ import annotations

import ipaddress
import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import nmap

from vigil.model import CollectContext, UserError
from vigil.registry import collector

# a host name as DNS allows it: labels of letters, digits and inner hyphens, never a leading "-"
HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
PORT_ITEM = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
MAX_ADDRESSES = 65536  # a /16: larger ranges take hours and are usually a typo; split them
SCAN_TYPES = {"connect": "-sT", "syn": "-sS"}


def validate_address(text: str) -> str:
    """An IP address, a CIDR range or a host name, and nothing nmap could read as an option or a list."""
    value = str(text).strip()
    if not value or value.startswith("-") or any(c.isspace() or c in ";|&$`'\"<>()\\*,!?{}[]" for c in value):
        raise UserError(f"hosts: {text!r} is not an IP address, CIDR range or host name")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if "/" in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise UserError(f"hosts: {text!r} is not a valid CIDR range") from None
        if network.num_addresses > MAX_ADDRESSES:
            raise UserError(
                f"hosts: {text!r} holds {network.num_addresses} addresses; split it into ranges of at most "
                f"{MAX_ADDRESSES}"
            )
        return str(network)
    if not HOSTNAME.match(value) or re.fullmatch(r"[\d.]+", value):
        raise UserError(f"hosts: {text!r} is not an IP address, CIDR range or host name")
    return value


def validate_ports(spec: str) -> str:
    """A comma-separated list of TCP ports and ranges (22,80,8000-8100), each 1-65535, low before high."""
    items = [item.strip() for item in str(spec).split(",")]
    for item in items:
        match = PORT_ITEM.match(item)
        if not match:
            raise UserError(f"hosts: port list {spec!r}: {item!r} is not a port or a range like 8000-8100")
        low = int(match[1])
        high = int(match[2]) if match[2] else low
        if not 1 <= low <= 65535 or not 1 <= high <= 65535:
            raise UserError(f"hosts: port list {spec!r}: {item!r} is outside 1-65535")
        if low > high:
            raise UserError(f"hosts: port list {spec!r}: range {item!r} runs backwards")
    return ",".join(items)


def nmap_arguments(target: Mapping[str, Any], euid: int | None = None) -> list[str]:
    """The options vigil passes nmap for one target (never anything taken verbatim from the config)."""
    euid = os.geteuid() if euid is None else euid
    scan_type = target.get("scan_type", "auto")
    if scan_type == "auto":
        scan_type = "syn" if euid == 0 else "connect"
    if scan_type not in SCAN_TYPES:
        raise UserError(f"hosts: scan_type {scan_type!r} is not one of auto, connect, syn")
    if scan_type == "syn" and euid != 0:
        raise UserError("hosts: scan_type syn needs root; use connect (or auto)")
    timing = int(target.get("timing", 4))
    if not 0 <= timing <= 5:
        raise UserError(f"hosts: timing {timing} is not 0-5")
    args = [SCAN_TYPES[scan_type], f"-T{timing}"]
    if target.get("service_detection", False):
        args.append("-sV")
    if target.get("skip_discovery", False):
        args.append("-Pn")
    timeout = int(target.get("host_timeout_seconds", 900))
    args += ["--host-timeout", f"{timeout}s"]
    return args


def _is_ipv6(address: str) -> bool:
    try:
        return ipaddress.ip_network(address, strict=False).version == 6
    except ValueError:
        return False


def _open_ports(host_result: Mapping[str, Any]) -> list[dict[str, Any]]:
    ports = []
    for proto in ("tcp", "udp", "sctp"):
        for port, info in sorted(host_result.get(proto, {}).items()):
            if info.get("state") not in ("open", "open|filtered"):
                continue
            ports.append(
                {
                    "port": int(port),
                    "protocol": proto,
                    "state": info.get("state"),
                    "reason": info.get("reason", ""),
                    "service": info.get("name") or "unknown",
                    "product": info.get("product", ""),
                    "version": info.get("version", ""),
                    "detection": "probed"
                    if info.get("product") or info.get("conf") == "10"
                    else "port table",
                }
            )
    return ports


def _answered(host: str, host_result: Mapping[str, Any], replied: set[str]) -> bool:
    """Up by a real reply; under -Pn nmap marks every host up ("user-set"), so a port must have answered."""
    status = host_result.get("status", {})
    if status.get("state") != "up":
        return False
    if status.get("reason") == "user-set":
        return host in replied or any(
            info.get("state") in ("open", "closed")
            for proto in ("tcp", "udp", "sctp")
            for info in host_result.get(proto, {}).values()
        )
    return True


def _hosts_with_closed_ports(xml: bytes) -> set[str]:
    """python-nmap drops <extraports>, where nmap folds many closed ports: a reset is an answer too."""
    replied = set()
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 - nmap's own output, not foreign XML
    except ElementTree.ParseError:
        return replied
    for host in root.iter("host"):
        if any(extra.get("state") in ("closed", "open") for extra in host.iter("extraports")):
            replied.update(a.get("addr", "") for a in host.iter("address") if a.get("addrtype") != "mac")
    return replied


_local = threading.local()


def _scanner() -> nmap.PortScanner:
    """One python-nmap scanner per collection thread: making one runs `nmap -V` (about 20 ms), and a
    scanner keeps the last scan's output, so threads must not share one."""
    scanner = getattr(_local, "scanner", None)
    if scanner is None:
        try:
            scanner = _local.scanner = nmap.PortScanner()
        except nmap.PortScannerError as exc:
            message = str(getattr(exc, "value", exc)).strip()
            raise UserError(
                f"nmap is not available: {message} (install it: scripts/system-deps.sh)"
            ) from None
    return scanner


def run_nmap(
    address: str, ports: str | None, args: list[str], timeout: int = 0
) -> tuple[nmap.PortScanner, dict, float]:
    """Run nmap (killed after `timeout` seconds when given, so an abandoned scan leaves no process)."""
    scanner = _scanner()
    started = time.perf_counter()
    try:
        result = scanner.scan(hosts=address, ports=ports, arguments=" ".join(args), timeout=timeout)
    except nmap.PortScannerTimeout:
        raise UserError(f"nmap did not finish scanning {address} within {timeout} s") from None
    except nmap.PortScannerError as exc:
        raise UserError(f"nmap failed on {address}: {str(getattr(exc, 'value', exc)).strip()}") from None
    return scanner, result, time.perf_counter() - started


@collector(name="hosts.nmap", kind="hosts.ports", source="hosts", ttl=timedelta(hours=24))
def collect_hosts(target: Mapping[str, Any], ctx: CollectContext) -> dict[str, Any]:
    """Scan one address or range with nmap: TCP connect scan, or SYN scan when running as root; open
    ports with the service nmap saw, nmap's XML output and its command line."""
    address = validate_address(target["address"])
    ports = validate_ports(target["ports"]) if target.get("ports") else None
    allowed = target.get("allowed_ports")
    if allowed is not None and any(not isinstance(p, int) or not 1 <= p <= 65535 for p in allowed):
        raise UserError(f"hosts: allowed_ports of {address} must be port numbers 1-65535")
    args = nmap_arguments(target)
    if _is_ipv6(address):
        args.append("-6")
    # one host cannot take longer than nmap's --host-timeout; a range scans hosts in parallel groups
    # whose total nmap cannot bound, so there the run's task timeout (limits.task_timeout_seconds) rules
    single = "/" not in address or address.endswith(("/32", "/128"))
    timeout = int(target.get("host_timeout_seconds", 900)) + 60 if single else 0
    scanner, result, seconds = run_nmap(address, ports, args, timeout)
    info = result.get("nmap", {})
    error_text = " ".join(info.get("scaninfo", {}).get("error", [])).strip()
    xml = scanner.get_nmap_last_output()
    replied = _hosts_with_closed_ports(xml)
    hosts = []
    silent = 0
    for host, host_result in sorted(result.get("scan", {}).items()):
        if not _answered(host, host_result, replied):
            silent += 1
            continue
        hostnames = [h["name"] for h in host_result.get("hostnames", []) if h.get("name")]
        hosts.append(
            {
                "address": host,
                "hostname": hostnames[0] if hostnames else "",
                "state": host_result["status"]["state"],
                "reason": host_result["status"].get("reason", ""),
                "open_ports": _open_ports(host_result),
            }
        )
    stats = info.get("scanstats", {})
    return {
        "target": address,
        "ports": ports or "nmap default (top 1000)",
        "allowed_ports": sorted(set(allowed)) if allowed is not None else None,
        "scan_type": "syn" if "-sS" in args else "connect",
        "service_detection": "-sV" in args,
        "command_line": scanner.command_line(),
        "nmap_version": ".".join(map(str, scanner.nmap_version())),
        "nmap_error": error_text,
        "elapsed_seconds": round(seconds, 3),
        "hosts_total": int(stats.get("totalhosts", 0) or 0),
        "hosts_down": int(stats.get("downhosts", 0) or 0) + silent,
        "hosts": hosts,
        "xml": xml.decode("utf-8", "replace"),
    }

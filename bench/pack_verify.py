"""Pack and verify evidence sets of 50 and 200 MB; print seconds and peak memory (target: < 5 s, flat).

Each size runs in a fresh process so its peak RSS is its own. The evidence is generated once into
bench/out/ (git-ignored): JSON documents shaped like collector output, with random ids and hashes so
they compress about as much as real evidence does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
DOC_BYTES = 2 << 20  # one evidence document: about 2 MB, like a large export
TARGET_S = 5.0


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _document(rng: random.Random, n: int) -> bytes:
    rows = []
    size = 0
    while size < DOC_BYTES:
        row = {
            "event_id": rng.getrandbits(128).to_bytes(16, "big").hex(),
            "user": f"user{rng.randrange(5000)}@example.com",
            "action": rng.choice(["GetObject", "PutObject", "AssumeRole", "Login", "DeleteUser"]),
            "source_ip": f"127.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "at": f"2026-11-{rng.randrange(1, 30):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
            "resource": f"arn:aws:s3:::bucket-{rng.randrange(100)}/key-{rng.getrandbits(40):x}",
            "ok": rng.random() > 0.1,
        }
        rows.append(row)
        size += 260
    doc = {"kind": "bench.events", "collector": "bench", "target": f"set-{n}", "data": rows}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def generate(megabytes: int) -> Path:
    """An OUT folder (results.json, evidence/index.json, evidence/objects/) of about `megabytes` MB."""
    out = OUT / f"evidence-{megabytes}mb"
    if (out / "results.json").is_file():
        return out
    rng = random.Random(megabytes)
    entries = []
    total = n = 0
    while total < megabytes * 1_000_000:
        body = _document(rng, n)
        sha = hashlib.sha256(body).hexdigest()
        path = out / "evidence" / "objects" / sha[:2] / f"{sha}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        entries.append(
            {
                "id": sha,
                "kind": "bench.events",
                "collector": "bench",
                "target": f"set-{n}",
                "collected_at": "2026-11-30T12:00:00+00:00",
                "expires_at": "2026-12-30T12:00:00+00:00",
                "error": None,
                "problems": 0,
                "path": f"objects/{sha[:2]}/{sha}.json",
            }
        )
        total += len(body)
        n += 1
    index = {"schema_version": 1, "run_id": "bench", "baseline": "privacy-policy", "entries": entries}
    (out / "evidence" / "index.json").write_text(json.dumps(index, indent=1))
    run = {
        "id": "bench",
        "mode": "scan",
        "started_at": "2026-11-30T12:00:00+00:00",
        "finished_at": "2026-11-30T12:00:05+00:00",
        "as_of": "2026-11-30T12:00:05+00:00",
        "config": None,
        "evidence_dir": "evidence",
    }
    results = {"run": run, "baseline": {"name": "privacy-policy"}, "findings": [], "controls": []}
    (out / "results.json").write_text(json.dumps(results))
    return out


def child(megabytes: int, compress: bool) -> None:
    from vigil.pack import build_pack, load_private_key
    from vigil.pack_verify import verify_pack

    out = generate(megabytes)
    key_path = OUT / "bench-ed25519.pem"
    if not key_path.is_file():
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key_path)], check=True)
    public = load_private_key(key_path).public_key()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    base_rss = maxrss_mb()
    dest = OUT / f"pack-{megabytes}mb.zip"
    started, cpu = time.perf_counter(), time.process_time()
    build_pack(out, dest, sign_key=key_path, compress=compress)
    packed = time.perf_counter() - started
    started = time.perf_counter()
    report = verify_pack(dest, public)
    verified = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert report.ok and report.signer, report.problems
    row = {
        "mb": size / 1e6,
        "zip_mb": dest.stat().st_size / 1e6,
        "files": report.files,
        "pack_s": packed,
        "verify_s": verified,
        "cpu_s": cpu,
        "rss_before_mb": base_rss,
        "rss_peak_mb": maxrss_mb(),
    }
    print(json.dumps(row))


HEADER = ("mode", "evidence", "zip", "files", "pack s", "verify s", "total s", "cpu s", "peak RSS")
ROW = "{:>8} {:>9} {:>7} {:>6} {:>7} {:>9} {:>8} {:>6} {:>9}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,200", help="evidence sizes in MB, comma-separated")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, compress=not args.store)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(ROW.format(*HEADER))
    worst: dict[str, float] = {}
    worst_cpu: dict[str, float] = {}
    for mode in ("deflate", "store"):
        for megabytes in (int(s) for s in args.sizes.split(",")):
            generate(megabytes)  # outside the timed child: generation is not what we measure
            command = [sys.executable, __file__, "--child", str(megabytes)]
            command += ["--store"] if mode == "store" else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            row = json.loads(done.stdout.splitlines()[-1])
            total = row["pack_s"] + row["verify_s"]
            worst[mode] = max(worst.get(mode, 0.0), total)
            worst_cpu[mode] = max(worst_cpu.get(mode, 0.0), row["cpu_s"])
            print(
                ROW.format(
                    mode,
                    f"{row['mb']:.0f}MB",
                    f"{row['zip_mb']:.0f}MB",
                    row["files"],
                    f"{row['pack_s']:.2f}",
                    f"{row['verify_s']:.2f}",
                    f"{total:.2f}",
                    f"{row['cpu_s']:.2f}",
                    f"{row['rss_peak_mb']:.0f}MB",
                )
                + f"  (RSS before packing {row['rss_before_mb']:.0f}MB)"
            )
    for mode, seconds in worst.items():
        cpu = worst_cpu[mode]
        print(
            f"{mode}: pack + verify under {TARGET_S:.0f} s at every size: "
            f"{'met' if seconds < TARGET_S else 'MISSED'} in wall time (worst {seconds:.2f} s), "
            f"{'met' if cpu < TARGET_S else 'MISSED'} in CPU time, an idle core's (worst {cpu:.2f} s)"
        )
    print("memory: compare peak RSS across sizes; files are streamed in 1 MiB chunks, never held whole")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Bench: 1,000,000 access-log events (CloudTrail JSON gzip and auth.log) judged by `vigil scan`.

Target (issue 9): logs judged at 100 MB/s or better (uncompressed bytes read) with peak memory under
300 MB whatever the size, on 2 cores. The logs are generated into bench/out/access-logs-N/ (git-ignored,
reused when present), then `vigil scan` runs in a child process on a config that names both sources;
the figures come from its own collection timings and the child's peak RSS. A smaller run is measured
too, and --twice judges the large set twice over, so that flat memory shows.
Run: .venv/bin/python bench/access_logs.py [--events N] [--small N] [--twice]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PER_FILE = 10_000  # CloudTrail records per delivered file (about 13 MB decompressed, 1.3 MB gzip)
ACCOUNT = "123456789012"
START = datetime(2026, 11, 23, tzinfo=UTC)  # a week of logs ending on the 30th
SPAN = 7 * 24 * 3600

CT_TEMPLATE = (
    '{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{time}","eventSource":"{source}",'
    '"eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.0 '
    'Python/3.11.6 Linux/6.1.0-13-amd64 exe/x86_64.debian.12 prompt/off command/s3.cp",'
    '"requestParameters":{request},"responseElements":{response},"additionalEventData":{{"SignatureVersion":'
    '"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":'
    '"AuthHeader","x-amz-id-2":"Q2xvdWRUcmFpbEJlbmNobWFya1JlcXVlc3RJZDAwMDAwMDAw","bytesTransferredOut":'
    '{bytes}}},"requestID":"{rid}","eventID":"{eid}","readOnly":true,"resources":{resources},'
    '"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{account}","eventCategory":'
    '"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",'
    '"clientProvidedHostHeader":"{bucket}.s3.eu-west-1.amazonaws.com"}}}}'
)


def _stamp(second: float) -> str:
    return (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pick_user(rng: random.Random, second: float) -> str:
    """Office staff (1,800) log in on weekdays 07-19h, an operations team (200) around the clock: each
    principal fills the weekday-hours a real one does, not all 168."""
    moment = START + timedelta(seconds=second)
    office = moment.weekday() < 5 and 7 <= moment.hour < 19
    return f"user{rng.randrange(1800) if office else 1800 + rng.randrange(200):04d}"


def cloudtrail_record(rng: random.Random, second: float) -> str:
    roll = rng.random()
    user = pick_user(rng, second)
    bucket = rng.choice(("customer-data", "customer-exports", "build-artifacts", "static-site"))
    name, source, response = "GetObject", "s3.amazonaws.com", "null"
    if roll < 0.70:
        identity = (
            f'{{"type":"IAMUser","principalId":"AIDABENCH{user.upper()}","arn":"arn:aws:iam::{ACCOUNT}:user/'
            f'{user}","accountId":"{ACCOUNT}","userName":"{user}"}}'
        )
    elif roll < 0.80:
        identity = (
            f'{{"type":"AssumedRole","principalId":"AROABENCH:{user}@corp.example","arn":"arn:aws:sts::'
            f'{ACCOUNT}:assumed-role/DataAnalyst/{user}@corp.example","accountId":"{ACCOUNT}"}}'
        )
    elif roll < 0.95:
        identity = f'{{"type":"AWSService","invokedBy":"kms.amazonaws.com","accountId":"{ACCOUNT}"}}'
        name, source = "Decrypt", "kms.amazonaws.com"
    else:
        identity = (
            f'{{"type":"IAMUser","principalId":"AIDABENCH{user.upper()}","arn":"arn:aws:iam::{ACCOUNT}:user/'
            f'{user}","accountId":"{ACCOUNT}","userName":"{user}"}}'
        )
        name, source = "ConsoleLogin", "signin.amazonaws.com"
        response = '{"ConsoleLogin":"%s"}' % ("Failure" if rng.random() < 0.3 else "Success")
    return CT_TEMPLATE.format(
        identity=identity,
        time=_stamp(second),
        source=source,
        name=name,
        ip=f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        request=f'{{"bucketName":"{bucket}","Host":"{bucket}.s3.eu-west-1.amazonaws.com","key":"exports/'
        f'{rng.randrange(10**6)}.csv"}}',
        response=response,
        bytes=rng.randrange(10**6),
        rid=f"{rng.getrandbits(64):016X}",
        eid=f"{rng.getrandbits(128):032x}",
        resources=f'[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/exports/x.csv"}},'
        f'{{"accountId":"{ACCOUNT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]',
        account=ACCOUNT,
        bucket=bucket,
    )


def auth_line(rng: random.Random, second: float) -> str:
    moment = START + timedelta(seconds=second)
    stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"
    roll = rng.random()
    user = pick_user(rng, second)
    pid = rng.randrange(1000, 60000)
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    port = rng.randrange(1024, 65535)
    if roll < 0.25:
        msg = (
            f"sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:Zm9vYmFy"
        )
    elif roll < 0.40:
        msg = f"sshd[{pid}]: Failed password for {user} from {ip} port {port} ssh2"
    elif roll < 0.45:
        msg = f"sshd[{pid}]: Failed password for invalid user admin from {ip} port {port} ssh2"
    elif roll < 0.70:
        msg = f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)"
    elif roll < 0.90:
        msg = f"CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
    else:
        msg = f"sudo: {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl reload"
    return f"{stamp} db01 {msg}"


def generate(folder: Path, events: int, seed: int = 9) -> dict:
    """Half the events as CloudTrail files of PER_FILE records, half as one auth.log; reused if present."""
    done = folder / ".complete"
    if done.exists():
        return {"generated": False}
    rng = random.Random(seed)
    (folder / "cloudtrail").mkdir(parents=True, exist_ok=True)
    n_ct = events // 2
    n_auth = events - n_ct
    for start in range(0, n_ct, PER_FILE):
        count = min(PER_FILE, n_ct - start)
        body = ",".join(cloudtrail_record(rng, (start + i) * SPAN / n_ct) for i in range(count))
        name = folder / "cloudtrail" / f"{ACCOUNT}_CloudTrail_eu-west-1_{start // PER_FILE:05d}.json.gz"
        with gzip.open(name, "wb", compresslevel=6) as fh:
            fh.write(b'{"Records":[' + body.encode() + b"]}")
    with open(folder / "auth.log", "w") as fh:
        for block in range(0, n_auth, 50_000):
            lines = (auth_line(rng, i * SPAN / n_auth) for i in range(block, min(block + 50_000, n_auth)))
            fh.write("\n".join(lines) + "\n")
    (folder / "vigil.yaml").write_text(
        "baseline: privacy-policy\n"
        "sources:\n"
        "  access_logs:\n"
        "    - path: cloudtrail/*.json.gz\n"
        "      system: aws\n"
        '      personal_data_resources: ["arn:aws:s3:::customer-*"]\n'
        "    - path: auth.log\n"
        "      system: db01\n"
        "      personal_data: true\n"
    )
    done.touch()
    return {"generated": True}


def sizes(folder: Path) -> tuple[int, int]:
    """(bytes on disk, bytes uncompressed) of the logs."""
    disk = raw = 0
    for path in [*sorted((folder / "cloudtrail").glob("*.json.gz")), folder / "auth.log"]:
        disk += path.stat().st_size
        if path.suffix == ".gz":
            with open(path, "rb") as fh:
                fh.seek(-4, os.SEEK_END)
                raw += int.from_bytes(fh.read(4), "little")  # gzip ISIZE: files here are < 4 GiB
        else:
            raw += path.stat().st_size
    return disk, raw


CHILD = (
    "import resource, sys\n"
    "from vigil.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print('peak-rss-kb', use.ru_maxrss, 'cpu-s', use.ru_utime + use.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def judge(folder: Path) -> dict:
    """`vigil scan` on the generated logs in a child process: collection seconds, wall time, peak RSS."""
    out = folder / "run"
    env = {**os.environ, "CI": "true"}  # plain log lines with each collector's time
    started = time.perf_counter()
    args = ["scan", "--config", str(folder / "vigil.yaml"), "--output", str(out), "--format", "json"]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"vigil scan failed ({proc.returncode}):\n{proc.stderr}")
    timings = [float(s) for s in re.findall(r"collected logs\.access .*?\((\d+\.\d+)s\)", proc.stderr)]
    peak = re.search(r"peak-rss-kb (\d+) cpu-s ([\d.]+)", proc.stderr)
    if len(timings) != 2 or not peak:
        sys.exit(f"expected two collection timings and the peak in:\n{proc.stderr}")
    results = json.loads((out / "results.json").read_text())
    fails = sum(1 for f in results["findings"] if f["check_id"].startswith("logs.") and f["status"] == "fail")
    return {
        "wall": wall,
        "collect": max(timings),
        "cpu": float(peak[2]),
        "peak_mb": int(peak[1]) / 1024,
        "fails": fails,
    }


def doubled(folder: Path) -> Path:
    """The same logs twice over (each CloudTrail file copied, auth.log concatenated): twice the events
    with the same principals and minutes, so peak memory must stay where it was."""
    twice = folder.with_name(folder.name + "-twice")
    if not (twice / ".complete").exists():
        (twice / "cloudtrail").mkdir(parents=True, exist_ok=True)
        for path in sorted((folder / "cloudtrail").glob("*.json.gz")):
            for copy in ("a", "b"):
                shutil.copyfile(
                    path, twice / "cloudtrail" / f"{path.name.removesuffix('.json.gz')}_{copy}.json.gz"
                )
        with open(twice / "auth.log", "wb") as out:
            for _ in range(2):
                with open(folder / "auth.log", "rb") as src:
                    shutil.copyfileobj(src, out)
        shutil.copyfile(folder / "vigil.yaml", twice / "vigil.yaml")
        (twice / ".complete").touch()
    return twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="a smaller run to compare memory with")
    parser.add_argument("--twice", action="store_true", help="also judge the large set twice over (memory)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    rows = []
    for events in (args.small, args.events):
        folder = OUT / f"access-logs-{events}"
        t0 = time.perf_counter()
        made = generate(folder, events)
        gen = time.perf_counter() - t0
        disk, raw = sizes(folder)
        res = judge(folder)
        rows.append((events, disk, raw, res))
        print(
            f"{events:>9,} events: {raw / 1e6:7.1f} MB of logs ({disk / 1e6:.1f} MB on disk)"
            f"{f', generated in {gen:.1f}s' if made['generated'] else ''}\n"
            f"           collection {res['collect']:.2f}s: {raw / 1e6 / res['collect']:.0f} MB/s "
            f"uncompressed, {disk / 1e6 / res['collect']:.0f} MB/s on disk, "
            f"{events / res['collect']:,.0f} events/s; whole scan {res['wall']:.2f}s "
            f"({res['fails']} failing log findings), {res['cpu']:.2f} CPU-s in all "
            f"({raw / 1e6 / res['cpu']:.0f} MB per CPU-second); peak RSS {res['peak_mb']:.0f} MB"
        )
    if args.twice:
        folder = doubled(OUT / f"access-logs-{args.events}")
        disk, raw = sizes(folder)
        res = judge(folder)
        print(
            f"{2 * args.events:>9,} events (the set twice): {raw / 1e6:.1f} MB, "
            f"collection {res['collect']:.2f}s, "
            f"{res['cpu']:.2f} CPU-s ({raw / 1e6 / res['cpu']:.0f} MB per CPU-second); "
            f"peak RSS {res['peak_mb']:.0f} MB"
        )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    events, disk, raw, res = rows[-1]
    mbps = raw / 1e6 / res["collect"]
    print(
        f"target >= 100 MB/s: {'met' if mbps >= 100 else 'NOT met'} ({mbps:.0f} MB/s wall clock; "
        f"{raw / 1e6 / res['cpu']:.0f} MB per CPU-second of the whole scan: load hides it less)"
    )
    print(
        f"target peak RSS < 300 MB: {'met' if res['peak_mb'] < 300 else 'NOT met'} ({res['peak_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()

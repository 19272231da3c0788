"""The demo's access logs (CloudTrail gzip, a database host's auth.log) and its small code project.

The logs cover the last weekday before the demo runs, so they tell the same story any day: people who
may reach customer data and people who may not, a brute-forced login, root use, a logging gap and a
login in the night. The code project holds known bandit issues.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

ACCOUNT = "123456789012"
BUCKET = "demo-customer-data"
LOCAL = ZoneInfo("Europe/Berlin")  # the database host logs local time, as syslog does


def _workday(now: datetime) -> datetime:
    """Midnight (local) of the last weekday that ended before now."""
    day = now.astimezone(LOCAL).date() - timedelta(days=1)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def _ct(when: datetime, name: str, identity: dict, *, ip: str, bucket: str | None = BUCKET, **extra) -> dict:
    record = {
        "eventVersion": "1.09",
        "userIdentity": {**identity, "accountId": ACCOUNT},
        "eventTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0",
        "requestParameters": {"bucketName": bucket, "key": "exports/customers.csv"} if bucket else None,
        "responseElements": None,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **extra,
    }
    if bucket:
        record["resources"] = [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]
    return record


def _sso(email: str) -> dict:
    return {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/SupportData/{email}"}


def _iam(user: str) -> dict:
    return {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "userName": user}


def _cloudtrail(day: datetime) -> list[list[dict]]:
    """Two delivery files: morning and afternoon of the demo day."""
    kms = {"type": "AWSService", "invokedBy": "kms.amazonaws.com"}
    heartbeat = [
        _ct(day + timedelta(hours=6, minutes=m), "Decrypt", kms, ip="kms.amazonaws.com", bucket=None)
        for m in range(0, 15 * 60, 10)
    ]
    h = lambda hours, minutes=0: day + timedelta(hours=hours, minutes=minutes)  # noqa: E731
    people = [
        _ct(h(9, 5), "GetObject", _sso("ada.okafor@demo.example"), ip="198.51.100.20"),
        _ct(h(9, 40), "GetObject", _iam("farid.haddad"), ip="198.51.100.21"),
        _ct(h(10, 15), "GetObject", _sso("ben.whitlock@demo.example"), ip="198.51.100.22"),
        _ct(h(11, 2), "GetObject", _sso("gita.rao@demo.example"), ip="198.51.100.23"),
        _ct(h(14, 30), "GetObject", _iam("dana.costa"), ip="198.51.100.24"),
        _ct(h(15, 0), "GetObject", _iam("dana.costa"), ip="198.51.100.24", errorCode="AccessDenied"),
        _ct(
            h(16, 45),
            "ListBuckets",
            {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"},
            ip="192.0.2.77",
            bucket=None,
        ),
        _ct(h(16, 47), "GetObject", {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"}, ip="192.0.2.77"),
    ]
    events = sorted(heartbeat + people, key=lambda r: r["eventTime"])
    noon = (day + timedelta(hours=13)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [[r for r in events if r["eventTime"] < noon], [r for r in events if r["eventTime"] >= noon]]


def _syslog(when: datetime, program: str, message: str) -> str:
    local = when.astimezone(LOCAL)
    return f"{local:%b} {local.day:2d} {local:%H:%M:%S} db01 {program}: {message}"


def _auth_log(day: datetime) -> str:
    lines = []
    for m in range(6 * 60, 21 * 60, 5):  # cron every five minutes, except while rsyslog was down
        if not 12 * 60 + 10 <= m < 14 * 60 + 40:
            lines.append(
                (m * 60, "CRON[4100]", "pam_unix(cron:session): session opened for user backup(uid=34)")
            )
    events = [
        (9 * 3600 + 12, "sshd[5001]", "Accepted publickey for ada.okafor from 10.20.0.11 port 50122 ssh2"),
        (10 * 3600 + 3, "sshd[5002]", "Accepted publickey for farid.haddad from 10.20.0.12 port 50200 ssh2"),
        *(
            (
                11 * 3600 + 20 + 7 * i,
                "sshd[5010]",
                "Failed password for hugo.brandt from 203.0.113.50 port 61000 ssh2",
            )
            for i in range(7)
        ),
        (11 * 3600 + 75, "sshd[5010]", "Accepted password for hugo.brandt from 203.0.113.50 port 61000 ssh2"),
        (
            11 * 3600 + 90,
            "sshd[5011]",
            "Failed password for invalid user oracle from 203.0.113.50 port 61022 ssh2",
        ),
        (15 * 3600 + 30, "sshd[5020]", "Accepted password for root from 10.20.0.99 port 40022 ssh2"),
        (
            15 * 3600 + 600,
            "su[5030]",
            "pam_unix(su-l:session): session opened for user root(uid=0) by farid.haddad(uid=1006)",
        ),
        (
            5 * 3600 + 2400,
            "sshd[5040]",
            "Accepted publickey for ben.whitlock from 10.20.0.13 port 50333 ssh2",
        ),
    ]
    stamped = sorted(lines + events, key=lambda e: e[0])
    return "\n".join(_syslog(day + timedelta(seconds=s), p, m) for s, p, m in stamped) + "\n"


def build_demo_logs(dest: Path, now: datetime) -> None:
    """Write logs/ and code/ of the demo organisation into dest."""
    day = _workday(now)
    trail = dest / "logs" / "cloudtrail"
    trail.mkdir(parents=True, exist_ok=True)
    for part, records in zip(("0800", "1300"), _cloudtrail(day), strict=True):
        name = f"{ACCOUNT}_CloudTrail_eu-west-1_{day:%Y%m%d}T{part}Z_demo.json.gz"
        data = json.dumps({"Records": records}, separators=(",", ":")).encode()
        (trail / name).write_bytes(gzip.compress(data, mtime=0))
    host = dest / "logs" / "db01"
    host.mkdir(parents=True, exist_ok=True)
    (host / "auth.log").write_text(_auth_log(day), encoding="utf-8")
    code = resources.files("vigil.demo_org") / "code"
    for item in code.iterdir():
        if item.name.endswith(".py.txt"):  # shipped as text so that nothing imports or lints it as ours
            target = dest / "code" / item.name.removesuffix(".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")

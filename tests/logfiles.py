"""Real access-log files for tests: CloudTrail JSON (gzip, as AWS delivers it), auth.log, JSON Lines."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

ACCOUNT = "123456789012"


def ct_event(
    when: str,
    name: str = "GetObject",
    *,
    user: str | None = "alice",
    kind: str = "IAMUser",
    source: str = "s3.amazonaws.com",
    ip: str = "198.51.100.7",
    error: str | None = None,
    login: str | None = None,
    bucket: str | None = "customer-data",
    role: str = "Support",
) -> dict:
    """One CloudTrail record shaped like the real thing (the fields AWS writes, most of them unused)."""
    if kind == "Root":
        identity = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root"}
    elif kind == "AssumedRole":
        identity = {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLEROLEID:{user}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{user}",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role}},
        }
    elif kind == "AWSService":
        identity = {"type": "AWSService", "invokedBy": source}
    else:
        identity = {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEUSERID",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "userName": user,
        }
    identity["accountId"] = ACCOUNT
    record = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        "requestParameters": {"bucketName": bucket, "key": "exports/2026/11/customers.csv"}
        if bucket and name != "ConsoleLogin"
        else None,
        "responseElements": {"ConsoleLogin": login} if login else None,
        "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"}
        if name == "ConsoleLogin"
        else {"bytesTransferredOut": 4096},
        "requestID": uuid.uuid4().hex[:16].upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": True,
        "eventType": "AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall",
        "managementEvent": name == "ConsoleLogin",
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management" if name == "ConsoleLogin" else "Data",
    }
    if bucket and name != "ConsoleLogin":
        record["resources"] = [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/exports/2026/11/customers.csv"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "Access Denied"
    return record


def write_cloudtrail(path: Path, records: list[dict], *, pretty: bool = False, compress: bool = True) -> Path:
    """A CloudTrail log file: {"Records": [...]}, one line (as AWS writes it) or pretty-printed, gzip'd."""
    text = json.dumps(
        {"Records": records}, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    data = text.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def truncate(path: Path, keep: float = 0.5) -> Path:
    """Cut a file short, as an interrupted copy or a full disk leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def syslog_time(moment: datetime) -> str:
    return moment.strftime("%b ") + f"{moment.day:2d}" + moment.strftime(" %H:%M:%S")


def auth_line(moment: datetime, message: str, *, host: str = "db01", program: str = "sshd[2211]") -> str:
    return f"{syslog_time(moment)} {host} {program}: {message}"


def write_lines(path: Path, lines: list[str], *, compress: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)

"""The demo organisation: sample records with deliberate good and bad cases, dated relative to today."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from vigil import demo_aws, demo_net
from vigil.demo_logs import build_demo_logs
from vigil.demo_tls import start_demo_tls

# @today-40d -> a date 40 days ago; @now+10d -> a timestamp with timezone 10 days ahead
TOKEN = re.compile(r"@(today|now)([+-]\d+)d")


def fill_dates(text: str, now: datetime) -> str:
    def replace(match: re.Match) -> str:
        moment = now + timedelta(days=int(match[2]))
        return moment.date().isoformat() if match[1] == "today" else moment.replace(microsecond=0).isoformat()

    return TOKEN.sub(replace, text)


def build_demo(dest: Path, now: datetime | None = None) -> Path:
    """Write the demo organisation into dest and return its vigil.yaml."""
    now = now or datetime.now(UTC)
    dest.mkdir(parents=True, exist_ok=True)
    source = resources.files("vigil.demo_org")
    for item in source.iterdir():
        if item.name.startswith(("_", ".")) or not item.is_file():
            continue
        name = item.name.replace(".template", "")
        (dest / name).write_text(fill_dates(item.read_text(encoding="utf-8"), now), encoding="utf-8")
    build_demo_logs(dest, now)
    start_demo_tls(dest, now)  # loopback TLS servers for the `tls:` block; their ports go into vigil.yaml
    demo_net.start(dest, now)  # loopback web sites, an FTP banner, a JWKS and tokens; ports into vigil.yaml
    demo_aws.attach(dest / "vigil.yaml")
    return dest / "vigil.yaml"

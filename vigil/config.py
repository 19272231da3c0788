"""vigil.yaml: the baseline to judge against and the sources to collect evidence from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.errors import UserError
from vigil.files import MAX_FILE_BYTES
from vigil.yamlio import load_yaml, schema, validate

DEFAULT_CONFIG = "vigil.yaml"
DEFAULT_TASK_TIMEOUT = 900.0  # seconds a collection task may run (limits.task_timeout_seconds)


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None
    base_dir: Path  # relative paths in sources are relative to the config file
    baseline: str
    output: str | None
    fail_on: str | None
    concurrency: int
    target_label: str
    # source name -> list of target entries (each a mapping, `path` normalised)
    sources: Mapping[str, tuple[Mapping[str, Any], ...]]
    max_file_bytes: int = MAX_FILE_BYTES  # limits.max_file_mb
    task_timeout: float = DEFAULT_TASK_TIMEOUT  # limits.task_timeout_seconds


def _entries(value: Any) -> tuple[Mapping[str, Any], ...]:
    items = value if isinstance(value, list) else [value]
    return tuple({"path": item} if isinstance(item, str) else dict(item) for item in items)


def parse_config(data: Mapping[str, Any], path: Path | None, base_dir: Path) -> Config:
    sources = {name: _entries(value) for name, value in (data.get("sources") or {}).items()}
    limits = data.get("limits") or {}
    return Config(
        path=path,
        base_dir=base_dir,
        baseline=data.get("baseline", "privacy-policy"),
        output=data.get("output"),
        fail_on=data.get("fail_on"),
        concurrency=data.get("concurrency", 8),
        target_label=data.get("target_label") or (path.parent.name if path else "default") or "default",
        sources=sources,
        max_file_bytes=limits.get("max_file_mb", MAX_FILE_BYTES >> 20) << 20,
        task_timeout=float(limits.get("task_timeout_seconds", DEFAULT_TASK_TIMEOUT)),
    )


def load_config(path: Path | str) -> Config:
    path = Path(path)
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: the config is a mapping (see `vigil init`)")
    validate(data, schema("vigil", "schema/config.schema.json"), path, lines)
    return parse_config(data, path, path.resolve().parent)


STARTER = """\
# vigil configuration: which baseline to judge against, and where evidence comes from.
# Relative paths are relative to this file. Validate with `vigil scan --config vigil.yaml`.

# A shipped baseline name (`vigil baselines list`) or a path to your own YAML that `extends:` one.
baseline: privacy-policy

# Where reports and evidence go (the --output flag wins).
output: vigil-out

# Gate: exit 1 when an unwaived fail or error finding is at or above this severity (or `none`).
fail_on: high

# Names this environment in reports and in SARIF automation ids (letters, digits, . _ -).
target_label: production

# How many collection tasks run at once (they wait on I/O, not CPU).
concurrency: 8

sources:
  # HR export of everyone who works for you. `columns` maps vigil's fields to your export's headers,
  # so the file loads unchanged. Fields: id (required), name, email, department, role,
  # status (active/terminated), personal_data_access (yes/no, required).
  personnel:
    path: records/personnel.csv
    columns:
      id: employee_id
      personal_data_access: pii_access

  # Training records from your learning system. Fields: person_id, course, completed_at (all required).
  training:
    - path: records/training.csv
      columns:
        person_id: employee_id
        completed_at: completion_date
      # date_format: "%d/%m/%Y"   # when dates are not ISO 8601

  # More record exports (CSV, JSON, JSON Lines or XLSX; fields in docs/configuration.md), e.g.:
  # background_checks: {path: records/screening.xlsx, values: {status: {Cleared: clear}}}
  # access_list: records/access.csv
  # dsr_tickets: {path: records/dsr.csv, timezone: Europe/Berlin}
  # Commitments no export shows are attested (a statement, or a document pinned by its sha256):
  # attestations:
  #   - {name: security-plan-v4, subject: security_plan, document: policies/plan.pdf,
  #      sha256: <sha256sum of the file>, attester: CISO, date: "2026-08-23", expires: "2027-08-23",
  #      covers: [monitoring, emergency_response, user_notification]}

  # Later sources (each becomes evidence for the checks that need it):
  # aws:
  #   - name: prod
  #     profile: audit
  #     regions: [eu-west-1]
  # hosts:
  #   - address: 127.0.0.1
  #     ports: "1-1024"
  # tls:
  #   - host: 127.0.0.1
  #     port: 8443
  #     server_name: api.internal.example   # SNI and the name the certificate must match
  #     ca_bundle: pki/internal-root.pem    # trust your internal CA instead of the system store
  # code:                          # Python trees audited with bandit
  #   - path: src/
  #     exclude: [tests]
  # access_logs:                   # CloudTrail, auth.log or JSON Lines; plain or gzip; globs allowed
  #   - path: logs/cloudtrail/**/*.json.gz
  #     system: aws-prod
  #     personal_data_resources: ["arn:aws:s3:::customer-*"]
  #   - path: /var/log/auth.log*
  #     system: db01
  #     personal_data: true
  #     timezone: Europe/Berlin
"""

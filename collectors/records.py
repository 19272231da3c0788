"""Records collectors: personnel rosters and training exports (CSV or JSON), mapped by a column map."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

from vigil.errors import UserError
from vigil.model import CollectContext, Collected
from vigil.registry import collector

TRUE = {"yes", "y", "true", "t", "1", "x"}
FALSE = {"no", "n", "false", "f", "0"}  # an empty cell is not "no": it is unknown


def parse_bool(text: str, _fmt: str | None) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no")


def parse_date(text: str, fmt: str | None) -> str:
    value = text.strip()
    if fmt:
        return datetime.strptime(value, fmt).date().isoformat()  # noqa: DTZ007 - a calendar date
    try:
        return (
            date.fromisoformat(value[:10]).isoformat()
            if len(value) >= 10
            else date.fromisoformat(value).isoformat()
        )
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD, or set date_format)") from None


def parse_text(text: str, _fmt: str | None) -> str:
    return text.strip()


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    parse: Callable[[str, str | None], Any]
    required: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class RecordType:
    name: str
    fields: tuple[Field, ...]
    shared: tuple[str, ...] = ()  # fields whose values repeat down the column


PERSONNEL = RecordType(
    "personnel",
    (
        Field("id", parse_text, required=True),
        Field("name", parse_text),
        Field("email", parse_text),
        Field("department", parse_text),
        Field("role", parse_text),
        Field("status", lambda t, f: parse_text(t, f).lower() or "active", default="active"),
        Field("personal_data_access", parse_bool, required=True),
    ),
    shared=("department", "role", "status"),
)
TRAINING = RecordType(
    "training",
    (
        Field("person_id", parse_text, required=True),
        Field("course", parse_text, required=True),
        Field("completed_at", parse_date, required=True),
    ),
    shared=("course", "completed_at"),
)


def _rows(
    fh: BinaryIO, shown: str, fmt: str, delimiter: str
) -> tuple[list[str] | None, list[tuple[str, Mapping]]]:
    """(CSV header or None, [(where, raw row)]) where `where` is file:line or file:[index] of the file
    as the config names it, so findings read the same wherever the config lives."""
    if fmt == "json":
        try:
            doc = json.loads(fh.read().decode("utf-8-sig"))
        except ValueError as exc:
            raise UserError(f"{shown}: invalid JSON: {exc}") from None
        items = doc.get("records") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise UserError(f'{shown}: expected a list of records or {{"records": [...]}}')
        return None, [(f"{shown}:[{i}]", item) for i, item in enumerate(items)]
    rows = []
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text, delimiter=delimiter)
    header = reader.fieldnames or []
    for row in reader:
        # csv skips blank lines silently, so a row's first line is where it ends less the line
        # breaks inside its quoted cells, not the line after the previous row
        cells = [c for v in row.values() for c in (v if isinstance(v, list) else [v]) if c]
        breaks = sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in cells)
        rows.append((f"{shown}:{reader.line_num - breaks}", row))
    return list(header), rows


def load_records(target: Mapping[str, Any], ctx: CollectContext, kind: RecordType) -> Collected:
    shown = str(target["path"])
    path = ctx.path(shown)
    fmt = target.get("format") or ("json" if path.suffix.lower() == ".json" else "csv")
    columns = {f.name: target.get("columns", {}).get(f.name, f.name) for f in kind.fields}
    unknown = sorted(set(target.get("columns", {})) - set(columns))
    if unknown:
        raise UserError(f"columns: {', '.join(unknown)} are not {kind.name} fields ({', '.join(columns)})")
    try:
        with ctx.open_binary(shown) as fh:
            header, rows = _rows(fh, shown, fmt, target.get("delimiter", ","))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{shown}: unreadable: {exc}") from None
    if header is not None:
        missing = [
            f"{columns[f.name]!r} (for {f.name})"
            for f in kind.fields
            if f.required and columns[f.name] not in header
        ]
        if missing:
            raise UserError(f"{shown}:1: header lacks column {', '.join(missing)}; map it under `columns:`")
    records, problems = [], []
    date_format = target.get("date_format")
    # values that repeat down a column (department, status, course, dates) are kept once: a million-row
    # export then costs memory for what is unique in it
    shared: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for where, raw in rows:
        record, errors = _record(raw, kind, columns, date_format)
        if errors:
            resource = f"{shown}#row-{row_digest(raw)}"
            seen[resource] += 1
            if seen[resource] > 1:  # the same bad row twice: still two findings, each stable
                resource += f"-{seen[resource]}"
            problems.append(
                {
                    "where": where,
                    "message": f"{kind.name} record skipped: {'; '.join(errors)}",
                    "resource": resource,
                }
            )
        else:
            for name in kind.shared:
                value = record.get(name)
                if type(value) is str:
                    record[name] = shared.setdefault(value, value)
            record["where"] = where
            records.append(record)
    return Collected(records, tuple(problems))


def row_digest(raw: Any) -> str:
    """What a row holds, as a short digest: a malformed row keeps its finding's fingerprint when rows are
    inserted above it (its line changes, its content does not)."""
    if isinstance(raw, Mapping):
        content = json.dumps([[str(k), v] for k, v in raw.items()], ensure_ascii=False, default=str)
    else:
        content = json.dumps(raw, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]


def _record(
    raw: Any, kind: RecordType, columns: Mapping[str, str], date_format: str | None
) -> tuple[dict, list]:
    if not isinstance(raw, Mapping):
        return {}, ["not an object"]
    record, errors = {}, []
    if None in raw:  # csv puts the surplus cells of a too-long row under the key None
        errors.append(f"{len(raw[None])} more cell(s) than the header has")
    for f in kind.fields:
        value = raw.get(columns[f.name])
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                errors.append(f"{columns[f.name]} is empty")
            else:
                record[f.name] = f.default
            continue
        try:
            record[f.name] = f.parse(
                str(value) if not isinstance(value, bool) else str(value).lower(), date_format
            )
        except ValueError as exc:
            errors.append(f"{columns[f.name]}: {exc}")
    return record, errors


@collector(
    name="records.personnel",
    kind="records.personnel",
    source="personnel",
    ttl=timedelta(days=7),
    plain=("where", "personal_data_access"),
)
def personnel(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """The personnel roster: who works here, whether they are active, whether they reach personal data."""
    return load_records(target, ctx, PERSONNEL)


@collector(
    name="records.training",
    kind="records.training",
    source="training",
    ttl=timedelta(days=7),
    plain=("where", "completed_at"),
)
def training(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Training completions exported from a learning system: person, course, completion date."""
    return load_records(target, ctx, TRAINING)

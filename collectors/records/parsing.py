"""Shared plumbing of the records collectors: read CSV, JSON, JSON Lines and XLSX exports row by row,
map their columns to canonical fields and parse each value, so that a bad row costs only that row."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigil.model import CollectContext, Collected, UserError

DEFAULT_MAX_CELL = 10_000  # characters; records.max_cell_chars in a source entry raises it
TRUE = {"yes", "y", "true", "t", "1", "x"}
FALSE = {"no", "n", "false", "f", "0"}  # an empty cell is not "no": it is unknown
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape
FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx"}

# We check cell sizes ourselves, row by row: csv's own limit raises mid-file and loses the rest.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 31))


@dataclass(frozen=True, slots=True)
class Options:
    """How one export writes its values: date formats tried in order, the zone of naive times."""

    date_formats: tuple[str, ...] = ()
    tz: tzinfo = UTC
    max_cell: int = DEFAULT_MAX_CELL


def parse_text(value: Any, _opts: Options) -> str:
    return _scalar_text(value).strip()


def parse_lower(value: Any, opts: Options) -> str:
    return parse_text(value, opts).lower()


def parse_bool(value: Any, _opts: Options) -> bool:
    if isinstance(value, bool):
        return value
    text = _scalar_text(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no")


def _scalar_text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 1002.0 is the id 1002
    if isinstance(value, list | dict):
        raise ValueError("is a list or object, not a value")
    return str(value)


def _moment(value: Any, opts: Options) -> date | datetime:
    """A date, or an aware datetime; a naive time is in the export's zone. Nothing else is accepted:
    '2026-01-01junk' or '2026-10-21T99:99' are errors, never a date read from their first characters."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=opts.tz)
    if isinstance(value, date):
        return value
    text = _scalar_text(value).strip()
    parsed: date | datetime | None = None
    if opts.date_formats:
        for fmt in opts.date_formats:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is applied below
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValueError(f"{text!r} matches no date_format ({', '.join(opts.date_formats)})")
        if not any(code in fmt for code in ("%H", "%I", "%M", "%z")):  # the format had no time
            return parsed.date()
    else:
        try:
            parsed = date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date (ISO 8601, or set date_format)") from None
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=opts.tz)
    return parsed


def parse_date(value: Any, opts: Options) -> str:
    """YYYY-MM-DD; a timestamp counts on the calendar day of the export's zone."""
    moment = _moment(value, opts)
    if isinstance(moment, datetime):
        return moment.astimezone(opts.tz).date().isoformat()
    return moment.isoformat()


def parse_timestamp(value: Any, opts: Options) -> str:
    """YYYY-MM-DDTHH:MM:SSZ in UTC; a bare date is the start of that day in the export's zone."""
    moment = _moment(value, opts)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=opts.tz)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_int(value: Any, _opts: Options) -> int:
    text = _scalar_text(value).strip()
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def parse_list(value: Any, opts: Options) -> list[str]:
    """A JSON list, or one cell of values separated by ; or , or |."""
    if isinstance(value, list):
        return [parse_text(v, opts) for v in value if str(v).strip()]
    return [v.strip() for v in re.split(r"[;,|]", _scalar_text(value)) if v.strip()]


def choice(*allowed: str) -> Callable[[Any, Options], str]:
    """A lower-case value from a closed set (map an export's own words with `values:`)."""

    def parse(value: Any, opts: Options) -> str:
        text = parse_lower(value, opts).replace(" ", "_").replace("-", "_")
        if text not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)} (map it under `values:`)")
        return text

    return parse


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    parse: Callable[[Any, Options], Any]
    required: bool = False
    default: Any = None
    omit_empty: bool = False  # an optional field added later: absent from the record when empty


@dataclass(frozen=True, slots=True)
class RecordType:
    name: str
    fields: tuple[Field, ...]


Row = tuple[str, Any]  # (where, raw mapping), or (where, ReadError) for a row that could not be read
CHECKED = object()  # key in a raw row whose cells were already checked for size and encoding


@dataclass(frozen=True, slots=True)
class ReadError:
    message: str


def _options(target: Mapping[str, Any]) -> Options:
    formats = target.get("date_format") or ()
    if isinstance(formats, str):
        formats = (formats,)
    zone = target.get("timezone", "UTC")
    try:
        tz = UTC if zone == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"timezone: {zone!r} is not an IANA time zone (e.g. Europe/Berlin, UTC)") from None
    return Options(tuple(formats), tz, int(target.get("max_cell_chars", DEFAULT_MAX_CELL)))


def _format(target: Mapping[str, Any], ctx: CollectContext) -> str:
    if target.get("format"):
        return target["format"]
    return FORMATS.get(ctx.path(str(target["path"])).suffix.lower(), "csv")


def _csv_rows(fh: BinaryIO, shown: str, delimiter: str, opts: Options) -> tuple[list[str], Iterator[Row]]:
    data = fh.read()
    try:
        text, clean = data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        # surrogateescape keeps a byte that is not UTF-8 in its row, so only that row is lost
        text, clean = data.decode("utf-8-sig", errors="surrogateescape"), False
    del data
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise UserError(f"{shown}:1: unreadable header: {exc}") from None
    if NOT_UTF8.search("".join(header)):
        raise UserError(f"{shown}:1: the header is not UTF-8 text; export the file as UTF-8")
    header = [h.strip() for h in header]

    def rows() -> Iterator[Row]:
        width = len(header)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield f"{shown}:{reader.line_num}", ReadError(f"unreadable row: {exc}")
                continue
            if not cells:
                continue  # a blank line
            joined = "\x00".join(cells)
            # csv skips blank lines silently, so a row's first line is where it ends less the line
            # breaks inside its quoted cells, not the line after the previous row
            breaks = 0
            if "\n" in joined or "\r" in joined:
                breaks = sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in cells if c)
            where = f"{shown}:{reader.line_num - breaks}"
            problem = _cells_problem(cells, joined, clean, opts)
            if problem:
                yield where, ReadError(problem)
                continue
            raw: dict[Any, Any] = dict(zip(header, cells, strict=False))
            raw[CHECKED] = True
            if len(cells) > width:
                raw[None] = cells[width:]
            yield where, raw

    return header, rows()


def _cells_problem(cells: list[str], joined: str, clean: bool, opts: Options) -> str | None:
    longest = max(map(len, cells), default=0) if len(joined) > opts.max_cell else 0
    if longest > opts.max_cell:
        return (
            f"a cell of {longest} characters is over the limit of {opts.max_cell} "
            "(raise max_cell_chars for this source)"
        )
    match = None if clean else NOT_UTF8.search(joined)
    if match:
        return f"byte 0x{ord(match.group()) - 0xDC00:02x} is not UTF-8; export the file as UTF-8"
    return None


def _json_rows(fh: BinaryIO, shown: str) -> Iterator[Row]:
    try:
        doc = json.loads(fh.read().decode("utf-8-sig", errors="surrogateescape"))
    except ValueError as exc:
        raise UserError(f"{shown}: invalid JSON: {exc}") from None
    except RecursionError:
        raise UserError(f"{shown}: JSON nested too deeply") from None
    items = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise UserError(f'{shown}: expected a list of records or {{"records": [...]}}')
    return ((f"{shown}:[{i}]", item) for i, item in enumerate(items))


def _jsonl_rows(fh: BinaryIO, shown: str) -> Iterator[Row]:
    for number, line in enumerate(fh, 1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        where = f"{shown}:{number}"
        try:
            yield where, json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield where, ReadError(f"byte 0x{line[exc.start]:02x} is not UTF-8; export the file as UTF-8")
        except RecursionError:
            yield where, ReadError("JSON nested too deeply")
        except ValueError as exc:
            yield where, ReadError(f"invalid JSON: {exc}")


def _xlsx_rows(fh: BinaryIO, shown: str, sheet: str | None) -> tuple[list[str], Iterator[Row]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(f"{shown}: not a readable XLSX workbook: {exc}") from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise UserError(f"{shown}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    cells = ws.iter_rows(values_only=True)
    header: list[str] = []
    header_row = 0
    for values in cells:
        header_row += 1
        if any(v not in (None, "") for v in values):
            header = ["" if v is None else str(v).strip() for v in values]
            break

    def rows() -> Iterator[Row]:
        try:
            for number, values in enumerate(cells, header_row + 1):
                if all(v in (None, "") for v in values):
                    continue
                raw = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
                yield f"{shown}:{number}", raw
        finally:
            book.close()

    return header, rows()


def row_digest(raw: Any) -> str:
    """What a row holds, as a short digest: a malformed row keeps its finding's fingerprint when rows are
    inserted above it (its line changes, its content does not)."""
    if isinstance(raw, Mapping):
        cells = [[str(k), v] for k, v in raw.items() if k is not CHECKED]  # the marker is no content
        content = json.dumps(cells, ensure_ascii=False, default=str)
    else:
        content = json.dumps(raw, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode("utf-8", "surrogateescape")).hexdigest()[:12]


SHARED_VALUES = 1 << 16  # distinct values remembered per export (departments, statuses, dates...)


def _share(shared: dict[str, str], value: str) -> str:
    """One object for each repeated value: a million-row export then costs memory for what is unique in
    it. The first SHARED_VALUES distinct values are remembered; ids and names beyond them are not."""
    kept = shared.get(value)
    if kept is not None:
        return kept
    if len(shared) < SHARED_VALUES:
        shared[value] = value
    return value


def load_records(target: Mapping[str, Any], ctx: CollectContext, kind: RecordType) -> Collected:
    """Read one export; rows that fail become problems naming file:line, the rest are records."""
    shown = str(target["path"])
    fmt = _format(target, ctx)
    opts = _options(target)
    mapped = target.get("columns", {})
    columns = {f.name: mapped.get(f.name, f.name) for f in kind.fields}
    unknown = sorted(set(mapped) - set(columns))
    if unknown:
        raise UserError(f"columns: {', '.join(unknown)} are not {kind.name} fields ({', '.join(columns)})")
    values = {
        name: {str(k).strip().lower(): v for k, v in m.items()}
        for name, m in target.get("values", {}).items()
    }
    # per field, what _record needs, looked up once rather than once per row
    plan = tuple(
        (f.name, columns[f.name], f.parse, f.required, f.default, f.omit_empty, values.get(f.name))
        for f in kind.fields
    )
    records, problems = [], []
    try:
        with ctx.open_binary(shown) as fh:
            header: list[str] | None = None
            if fmt == "json":
                rows = _json_rows(fh, shown)
            elif fmt == "jsonl":
                rows = _jsonl_rows(fh, shown)
            elif fmt == "xlsx":
                header, rows = _xlsx_rows(fh, shown, target.get("sheet"))
            else:
                header, rows = _csv_rows(fh, shown, target.get("delimiter", ","), opts)
            if header is not None:
                missing = [
                    f"{columns[f.name]!r} (for {f.name})"
                    for f in kind.fields
                    if f.required and columns[f.name] not in header
                ]
                if missing:
                    raise UserError(
                        f"{shown}:1: header lacks column {', '.join(missing)}; map it under `columns:`"
                    )
            seen: Counter[str] = Counter()
            shared: dict[str, str] = {}
            for where, raw in rows:
                record, errors = _record(raw, plan, opts)
                if errors:
                    message = f"{kind.name} record skipped: {'; '.join(errors)}"
                    resource = f"{shown}#row-{row_digest(raw)}"
                    seen[resource] += 1
                    if seen[resource] > 1:  # the same bad row twice: still two findings, each stable
                        resource += f"-{seen[resource]}"
                    problems.append({"where": where, "message": message, "resource": resource})
                else:
                    for name, value in record.items():  # values that repeat down a column, kept once
                        if type(value) is str:
                            record[name] = _share(shared, value)
                    record["where"] = where
                    records.append(record)
    except OSError as exc:
        raise UserError(f"{shown}: unreadable: {exc}") from None
    return Collected(records, tuple(problems))


def _record(raw: Any, plan: tuple, opts: Options) -> tuple[dict, list[str]]:
    if isinstance(raw, ReadError):
        return {}, [raw.message]
    if not isinstance(raw, Mapping):
        return {}, ["not an object"]
    record: dict[str, Any] = {}
    errors: list[str] = []
    if None in raw:  # the surplus cells of a row longer than the header
        errors.append(f"{len(raw[None])} more cell(s) than the header has")
    checked = CHECKED in raw
    for name, column, parse, required, default, omit_empty, mapping in plan:
        value = raw.get(column)
        if type(value) is str:
            if not checked:
                if len(value) > opts.max_cell:
                    errors.append(f"{column}: {len(value)} characters is over the limit of {opts.max_cell}")
                    continue
                if NOT_UTF8.search(value):
                    errors.append(f"{column}: not UTF-8 text")
                    continue
            if mapping is not None:
                value = mapping.get(value.strip().lower(), value)
            if type(value) is str and not value.strip():
                value = None
        elif mapping is not None and value is not None:
            value = mapping.get(str(value).strip().lower(), value)
        if value is None:
            if required:
                errors.append(f"{column} is empty")
            elif not omit_empty:
                record[name] = default
            continue
        try:
            record[name] = parse(value, opts)
        except ValueError as exc:
            errors.append(f"{column}: {exc}")
    return record, errors

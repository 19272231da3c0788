"""CloudTrail log files ({"Records": [...]}, as delivered to S3), decoded one record at a time."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import zlib
from collections.abc import Mapping
from typing import BinaryIO

import msgspec

from .aggregate import BITS, Aggregator, Clock, pack

CHUNK = 1 << 20
FAST_LIMIT = 16 << 20  # decompressed bytes decoded in one go; AWS delivers files of a few MB at most
MAX_RECORD = 64 << 20  # one record larger than this is not a CloudTrail record: stop, do not grow forever
START = re.compile(r'\ufeff?\s*\{\s*"Records"\s*:\s*\[')
SKIP = re.compile(r"[\s,]*")
# digest files sit beside the logs in the same bucket (CloudTrail-Digest/); a glob over both must not fail
DIGEST = re.compile(rb'\s*\{\s*"awsAccountId"\s*:.*"digestStartTime"', re.S)
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's name for a login attempt by an unknown user


class Identity(msgspec.Struct):
    type: str | None = None
    userName: str | None = None  # noqa: N815 - CloudTrail's field names
    arn: str | None = None
    principalId: str | None = None  # noqa: N815
    accountId: str | None = None  # noqa: N815
    invokedBy: str | None = None  # noqa: N815


class Resource(msgspec.Struct):
    ARN: str | None = None


class Request(msgspec.Struct):
    bucketName: str | None = None  # noqa: N815
    tableName: str | None = None  # noqa: N815
    dBInstanceIdentifier: str | None = None  # noqa: N815
    secretId: str | None = None  # noqa: N815


class Response(msgspec.Struct):
    ConsoleLogin: str | None = None


class Record(msgspec.Struct):
    """The fields of a CloudTrail record that the checks judge; the decoder skips every other field."""

    eventTime: str  # noqa: N815
    eventName: str | None = None  # noqa: N815
    userIdentity: Identity | None = None  # noqa: N815
    sourceIPAddress: str | None = None  # noqa: N815
    errorCode: str | None = None  # noqa: N815
    responseElements: Response | None = None  # noqa: N815
    resources: list[Resource] | None = None
    requestParameters: Request | None = None  # noqa: N815


class Trail(msgspec.Struct):
    Records: list[Record]


TRAIL = msgspec.json.Decoder(Trail)


def principal_of(identity: Identity) -> tuple[str, str, str | None]:
    """(name, kind, arn) of a userIdentity: the name is what maps to a person (user name, or the session
    name of an assumed role, which SSO sets to the person's user name or e-mail)."""
    kind, arn = identity.type, identity.arn
    if kind == "Root":
        return arn or f"root:{identity.accountId or '?'}", "root", arn
    if kind == "IAMUser":
        return identity.userName or arn or "?", "user", arn
    if kind == "AssumedRole":
        session = arn.rsplit("/", 1)[-1] if arn and arn.count("/") >= 2 else None
        return session or arn or identity.principalId or "?", "role-session", arn
    if kind in ("AWSService", "AWSAccount"):
        return identity.invokedBy or identity.accountId or "aws", "service", arn
    return identity.userName or arn or identity.principalId or "?", "user", arn


def _personal(record: Record, match) -> bool:
    """Whether the record touched a resource that holds personal data: the request's bucket, table,
    database or secret first (cheap, and most data events name one), then the resources' ARNs."""
    params = record.requestParameters
    if params is not None:
        if params.bucketName and match(f"arn:aws:s3:::{params.bucketName}"):
            return True
        for name in (params.tableName, params.dBInstanceIdentifier, params.secretId):
            if name and match(name):
                return True
    return any(r.ARN and match(r.ARN) for r in record.resources or ())


def _judge(record: Record, agg: Aggregator, clock: Clock, loc: int, match) -> str | None:
    """Feed one record to the aggregate; the reason when it cannot be understood."""
    try:
        minute, weekday, hour, second = clock.iso(record.eventTime)
    except ValueError as exc:
        return str(exc)
    agg.seen(minute, loc)
    agg.events += 1
    identity = record.userIdentity
    if identity is None:
        return None
    name, kind, arn = principal_of(identity)
    login = record.eventName == "ConsoleLogin"
    if login:
        response = record.responseElements
        success = response is not None and response.ConsoleLogin == "Success"
        if name == HIDDEN:
            name = f"unknown user ({record.sourceIPAddress or '?'})"
    else:
        success = record.errorCode is None
    pd = bool(match and success and _personal(record, match))
    agg.event(minute, second, weekday, hour, loc, name, kind, login, success, pd, record.sourceIPAddress, arn)
    return None


def read(stream: BinaryIO, agg: Aggregator, clock: Clock, file_index: int, spec: Mapping, progress) -> None:
    """A file as AWS delivers it (one line, up to FAST_LIMIT decompressed) is decoded in one go into
    the few fields judged; a larger or pretty-printed one is streamed a record at a time."""
    head, failure = bytearray(), None  # grown in place: no second copy of the file
    try:
        while len(head) <= FAST_LIMIT:
            piece = stream.read1(CHUNK)
            if not piece:
                break
            head += piece
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        failure = exc  # judge what was read, then report where the file stops
    progress.bytes += len(head)
    if DIGEST.match(head[:4096]):
        progress.skipped = "a CloudTrail digest file (hashes of log files), not a log"
        return
    newline = head.find(b"\n")
    one_line = newline < 0 or not head[newline:].strip()  # as AWS writes it: line numbers say nothing
    if failure is None and len(head) <= FAST_LIMIT and one_line:
        try:
            trail = TRAIL.decode(head)
        except msgspec.DecodeError:
            pass  # the streaming reader says which record is wrong, and judges those before it
        else:
            match = spec.get("personal_data_match")
            base = file_index << (2 * BITS)
            for index, record in enumerate(trail.Records):
                why = _judge(record, agg, clock, base | (index << BITS) | 1, match)
                if why is not None:
                    progress.malformed(f"{agg.files[file_index]['path']}:[{index}]", why)
            progress.index = len(trail.Records)
            return
    _stream(
        head, io.BytesIO() if failure else stream, agg, clock, file_index, spec, progress, failure is None
    )
    if failure is not None:
        raise failure


def _stream(
    head: bytes,
    stream: BinaryIO,
    agg: Aggregator,
    clock: Clock,
    file_index: int,
    spec: Mapping,
    progress,
    whole: bool = True,
) -> None:
    """Stream the Records array: decode one record, judge it, drop it; memory holds one chunk."""
    decode = json.JSONDecoder().raw_decode
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    match = spec.get("personal_data_match")
    name = agg.files[file_index]["path"]
    buf, pos, eof = text.decode(head), 0, False
    line, counted = 1, 0  # line number at buf[counted]

    def more() -> bool:
        nonlocal buf, pos, counted, eof, line
        if counted < pos:  # count the lines of what is dropped, so numbering goes on
            line += buf.count("\n", counted, pos)
            counted = pos
        chunk = stream.read1(CHUNK)
        progress.bytes += len(chunk)
        if not chunk:
            eof = True
            buf = buf[pos:] + text.decode(b"", final=True)
        else:
            buf = buf[pos:] + text.decode(chunk)
        counted -= pos
        pos = 0
        return not eof

    while True:
        head = START.match(buf)
        if head:
            pos = counted = head.end()
            line += buf.count("\n", 0, pos)
            break
        if len(buf) > 65536 or not more():
            if buf.strip():
                progress.problems.append(
                    {
                        "where": f"{name}:1",
                        "message": 'not a CloudTrail log file: it does not start with {"Records": [',
                    }
                )
            return
    index = 0
    while True:
        pos = SKIP.match(buf, pos).end()
        if pos >= len(buf):
            if more():
                continue
            if not whole:
                return  # the caller reports where the compressed data stops
            progress.problems.append(
                {
                    "where": f"{name}:[{index}]",
                    "message": f"{name}: ends inside the Records array after "
                    f"{index} record(s): the file is cut short; the records before were judged",
                }
            )
            return
        if buf[pos] == "]":
            return
        try:
            record, end = decode(buf, pos)
        except json.JSONDecodeError as exc:
            near_end = exc.pos >= len(buf) - 64 or exc.msg.startswith("Unterminated string")
            if not eof and near_end and len(buf) - pos < MAX_RECORD and more():
                continue
            if not whole and near_end:
                return
            line += buf.count("\n", counted, pos)
            progress.problems.append(
                {
                    "where": f"{name}:[{index}]",
                    "message": f"{name}: record {index} (line {line}) is not "
                    f"valid JSON ({exc.msg}); the rest of this file is not read",
                }
            )
            return
        line += buf.count("\n", counted, pos)
        counted = pos
        try:
            why = _judge(msgspec.convert(record, Record), agg, clock, pack(file_index, index, line), match)
        except msgspec.ValidationError as exc:
            why = str(exc)
        if why is not None:
            progress.malformed(f"{name}:[{index}]", why)
        index += 1
        progress.index = index
        pos = end

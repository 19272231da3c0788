"""Files users and stored runs name: regular files only, bounded in size and depth, kept in their folder."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from vigil.errors import UserError

PathLike = str | os.PathLike

# Limits on what vigil parses (docs/limits.md); each names the setting that raises it, where there is one.
MAX_FILE_BYTES = 1 << 30  # an export or log file a collector reads (limits.max_file_mb)
MAX_DOCUMENT_BYTES = 16 << 20  # a vigil.yaml or baseline
MAX_DEPTH = 64  # nesting of YAML documents
MAX_YAML_NODES = 200_000  # nodes of a YAML document after its aliases are expanded
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def open_regular(
    path: PathLike, shown: PathLike | None = None, max_bytes: int = MAX_FILE_BYTES, follow: bool = True
) -> BinaryIO:
    """Open a regular file for reading. FIFOs, devices and folders are refused (they would hang the run or
    never end), and so is a file over max_bytes; errors name the file as `shown` (the user's spelling).
    With follow=False a symbolic link is refused too (files vigil wrote itself are never links)."""
    shown = path if shown is None else shown
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UserError(f"{shown}: file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise UserError(f"{shown}: is a symbolic link; refused") from None
        raise UserError(f"{shown}: unreadable: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{shown}: not a regular file; vigil reads only regular files")
        if info.st_size > max_bytes:
            raise UserError(
                f"{shown}: {info.st_size} bytes is over the limit of {max_bytes} bytes (docs/limits.md)"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(
    path: PathLike, shown: PathLike | None = None, max_bytes: int = MAX_FILE_BYTES, follow: bool = True
) -> bytes:
    with open_regular(path, shown, max_bytes, follow) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew while we read it
        raise UserError(f"{shown or path}: over the limit of {max_bytes} bytes (docs/limits.md)")
    return data


def parse_json(data: bytes | str, shown: PathLike) -> Any:
    """JSON text; invalid or absurdly nested input is a UserError naming the file, never a traceback.
    orjson reads it (several times faster on evidence of millions of records); what orjson refuses
    (integers over 64 bits, NaN, lone surrogates, errors) is read, or explained, by json."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except RecursionError:
        raise UserError(f"{shown}: JSON nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{shown}: not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except ValueError as exc:
        raise UserError(f"{shown}: invalid JSON: {exc}") from None


def load_json(
    path: PathLike, shown: PathLike | None = None, max_bytes: int = MAX_FILE_BYTES, follow: bool = True
) -> Any:
    shown = path if shown is None else shown
    return parse_json(read_bytes(path, shown, max_bytes, follow), shown)


def inside(root: Path, relative: str, shown: str | None = None) -> Path:
    """`root/relative` when it stays inside root: no absolute path, no `..`, no symlink on the way."""
    label = shown or relative
    parts = Path(relative).parts
    if not relative or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise UserError(f"{label}: path {relative!r} leaves its folder")
    path = root
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise UserError(f"{label}: {relative!r} goes through a symbolic link; refused")
    return path


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO]:
    """Write to a temporary file beside `path` and rename it into place only when writing succeeded, so a
    reader (or a crash) never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    kwargs: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
    try:
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise

"""The output folder: one run at a time holds it, and a run's files replace the last run's all together."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from vigil.errors import UserError

LOCK = ".vigil.lock"
STAGED = ".staged-"  # prefix of a run's files while they are written, before they replace the last run's


def prepare(out_dir: Path) -> Path:
    """The output folder, made if needed; a path that is a file, or a folder we cannot write, is the user's
    mistake and says so in one line."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: the output path is a file, not a folder; choose another --output")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out_dir}: cannot create the output folder: {exc.strerror}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"{out_dir}: the output folder is not writable")
    return out_dir


@contextlib.contextmanager
def hold(out_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the folder's lock for a whole run. A second run waits up to `wait_seconds`, then stops with
    exit 2 naming the holder. The lock is the kernel's (flock): it ends with the process, however it ends."""
    prepare(out_dir)
    path = out_dir / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise UserError(f"{path}: cannot open the output folder's lock: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UserError(
                        f"{out_dir}: in use by another vigil run ({_holder(fd)}); "
                        "wait for it (--wait-lock SECONDS) or use another --output"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
        }
        os.write(fd, json.dumps(holder).encode())
        _clean_staged(out_dir)  # left by a run that was killed while it wrote
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {data['pid']} on {data['host']} since {data['since']}: {data['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


def staged(path: Path) -> Path:
    """Where a run writes `path` before committing it."""
    return path.with_name(STAGED + path.name)


def commit(paths: list[Path]) -> None:
    """Move each staged file over its final name, one rename each, with Ctrl-C held back meanwhile, so the
    folder goes from the last run to this one without a half-written file in between."""
    with _no_interrupt():
        for path in paths:
            os.replace(staged(path), path)


def _clean_staged(out_dir: Path) -> None:
    for folder in (out_dir, out_dir / "evidence"):
        with contextlib.suppress(OSError):
            for leftover in folder.glob(STAGED + "*"):
                leftover.unlink()


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list = []
    previous = signal.signal(signal.SIGINT, lambda *args: pending.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt

"""The canonical JSON result (vigil.render stages and commits it, like every report), written as the
findings arrive: the document's other parts are known before the first finding, and the parts after
`findings` are written when the last one is in."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from vigil import jsonfast

BATCH = 4096  # findings encoded at once: orjson on a list is several times faster than call by call


class JsonSink:
    """results.json. Normally the head is written at once and each batch of findings after it. A
    `deferred` sink (a run's reports, fed as the run is judged: vigil.render.stream) spools the findings
    beside the file and writes the head, which the run completes in place meanwhile, at close()."""

    def __init__(self, head: dict, path: Path, ctx: Any, deferred: bool = False) -> None:
        self._head, self._path = head, Path(path)
        self._pending: list[dict] = []
        self._first = True
        if deferred:
            self._fh = tempfile.TemporaryFile(dir=self._path.parent)  # noqa: SIM115 - closed in close()
            self._deferred = True
        else:
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._deferred = False
            self._fh.write(self._before())

    def _parts(self) -> tuple[list[str], list[str]]:
        keys = list(self._head)
        cut = keys.index("findings") if "findings" in keys else len(keys)
        return keys[:cut], keys[cut + 1 :]

    def _before(self) -> bytes:
        head = self._head
        before = b",".join(jsonfast.dumps(k) + b":" + jsonfast.dumps(head[k]) for k in self._parts()[0])
        return b"{" + before + (b"," if before else b"") + b'"findings":['

    def add(self, finding: dict) -> None:
        self._pending.append(finding)
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        self.add_encoded(jsonfast.dumps(self._pending))
        self._pending.clear()

    def add_encoded(self, batch: bytes) -> None:
        """A batch of findings already encoded as a JSON list (vigil.render encodes a batch once for this
        file and the report helper)."""
        if batch == b"[]":
            return
        data = batch[1:-1]  # the list's items, without its brackets
        self._fh.write(data if self._first else b"," + data)
        self._first = False

    def close(self) -> None:
        self._flush()
        rest = b"".join(
            b"," + jsonfast.dumps(k) + b":" + jsonfast.dumps(self._head[k]) for k in self._parts()[1]
        )
        if self._deferred:
            spool = self._fh
            with open(self._path, "wb") as out:
                out.write(self._before())
                out.flush()
                _copy(spool, out)
                out.write(b"]" + rest + b"}\n")
            spool.close()
            return
        self._fh.write(b"]" + rest + b"}\n")
        self._fh.close()

    def abort(self) -> None:
        self._fh.close()


def _copy(source, target) -> None:
    """All of `source` appended to `target`: in the kernel where it can (a million findings are a GB)."""
    source.flush()
    size = os.fstat(source.fileno()).st_size
    copied = 0
    try:
        while copied < size:
            n = os.copy_file_range(source.fileno(), target.fileno(), size - copied, copied)
            if n == 0:
                break
            copied += n
    except (AttributeError, OSError):  # not Linux, or a file system without it: copy in user space
        pass
    if copied < size:
        source.seek(copied)
        target.seek(0, os.SEEK_END)
        shutil.copyfileobj(source, target, 1 << 22)


def open_sink(head: dict, path: Path, ctx: Any) -> JsonSink:
    return JsonSink(head, path, ctx)


def render_json(results: dict, path: Path, ctx) -> None:
    from vigil.render import feed, head_of

    feed(open_sink(head_of(results), path, ctx), results.get("findings") or ())

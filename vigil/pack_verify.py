"""Verify an evidence pack without extracting it, and unpack a verified one for offline evaluation.

A pack may come from anyone, so it is read as hostile: entry names are checked before anything is read
(no absolute paths, no `..`, no backslashes or drive letters), symlink and encrypted entries are never
followed or read (a folder entry is reported as added), the declared sizes are capped in total and in
compression ratio before one byte is inflated, and members are hashed as streams. Only
`unpack_evidence` writes, and only to paths it builds itself (evidence by sha256, baseline files inside
a folder it was handed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jwt
from jwt.api_jws import PyJWS

from vigil.errors import UserError
from vigil.files import open_regular
from vigil.pack import FORMAT, INPUTS, MANIFEST, SIGNATURE, algorithm_for, key_id
from vigil.store import BASELINE, INDEX, object_path

DEFAULT_MAX_BYTES = 4 << 30  # 4 GiB inflated in total; --max-size raises it
MAX_RATIO = 200  # deflate of real evidence stays far below; a bomb reaches ~1000:1
RATIO_FLOOR = 1 << 20  # small entries may compress as they like
MAX_ENTRIES = 1_000_000
MAX_PACK_BYTES = 1 << 44  # the zip file itself: bounded only by what it declares (checked below)
MAX_MANIFEST = 256 << 20
MAX_SIGNATURE = 64 << 10
CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Verification:
    """What `vigil verify` found: problems make it fail; notes are worth saying but do not."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict | None = None
    signer: str | None = None  # the key id the signature was checked against
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def unsafe_name(name: str) -> str | None:
    """Why an entry name may not be used as a path, or None when it is a plain relative path."""
    if not name or "\x00" in name:
        return "empty or NUL in the name"
    if "\\" in name:
        return "backslash in the name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "path traversal (..)"
    if any(p in ("", ".") for p in parts):
        return "empty or '.' path segment"
    return None


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    why = unsafe_name(info.filename[:-1] if info.is_dir() else info.filename)
    if why:
        return why
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        return "symlink entry (not followed)"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"compression method {info.compress_type} (a pack uses deflate)"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"compression ratio over {MAX_RATIO}:1 (zip bomb?)"
    return None


def stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes in chunks; zipfile stops at the declared size and checks the CRC at the end."""
    with zf.open(info) as src:
        while chunk := src.read(CHUNK):
            yield chunk


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    if info.file_size > cap:
        raise ValueError(f"{info.file_size} bytes, over the {cap} allowed")
    return b"".join(stream(zf, info))


def _parse_manifest(body: bytes) -> dict:
    manifest = json.loads(body)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ValueError("no files list")
    for position, entry in enumerate(files):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and SHA256.match(entry["sha256"])
        ):
            raise ValueError(f"files[{position}]: needs path, size and a sha256")
        if why := unsafe_name(entry["path"]):
            raise ValueError(f"files[{position}]: {entry['path']!r}: {why}")
    return manifest


def _check_signature(report: Verification, token: bytes | None, body: bytes, key) -> None:
    if token is None:
        if key is not None:
            report.problems.append("signature: the pack is not signed, but a key was given to check it")
        else:
            report.notes.append("the pack is not signed: its hashes show accidents, not tampering")
        return
    try:
        header = PyJWS().get_unverified_header(token)
    except jwt.exceptions.PyJWTError as exc:
        report.problems.append(f"signature: {SIGNATURE} is not a JWS: {exc}")
        return
    signed_by = header.get("kid", "an unnamed key")
    if key is None:
        report.notes.append(
            f"signed by {signed_by} ({header.get('alg')}); not checked: pass --key PUBLIC.pem"
        )
        return
    expected = key_id(key)
    try:
        decoded = PyJWS().decode_complete(token, key=key, algorithms=[algorithm_for(key)])
    except jwt.exceptions.PyJWTError as exc:
        other = f" (it was signed by {signed_by})" if signed_by != expected else ""
        report.problems.append(f"signature: does not verify with the key {expected}{other}: {exc}")
        return
    if decoded["payload"] != body:
        report.problems.append(f"signature: valid, but over another manifest than the {MANIFEST} in the pack")
        return
    report.signer = expected


def verify_pack(path: Path, key=None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Verification:
    """Check every file of the pack against its manifest, and the manifest against its signature."""
    report = Verification()
    try:
        handle = open_regular(path, path.name, MAX_PACK_BYTES)  # a FIFO or a folder would hang or fail us
    except UserError as exc:
        report.problems.append(str(exc))
        return report
    with handle:
        try:
            zf = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            report.problems.append(f"{path.name}: not a readable zip: {exc}")
            return report
        with zf:
            _verify_zip(zf, report, key, max_bytes)
    return report


def _verify_zip(zf: zipfile.ZipFile, report: Verification, key, max_bytes: int) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        report.problems.append(f"refused: {len(infos)} entries, over the {MAX_ENTRIES} a pack may hold")
        return
    usable: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        why = _entry_problem(info)
        if why is None and info.filename in usable:
            why = "duplicate entry name"
        if why:
            report.problems.append(f"unsafe entry {info.filename!r}: {why}; not read")
            usable.pop(info.filename, None)
            continue
        usable[info.filename] = info
    declared = sum(info.file_size for info in usable.values())
    if declared > max_bytes:
        report.problems.append(
            f"refused: the entries would inflate to {declared} bytes, over the cap of {max_bytes} "
            "(zip bomb?); nothing was read"
        )
        return
    _verify_members(zf, usable, report, key)


def _verify_members(zf: zipfile.ZipFile, usable: dict, report: Verification, key) -> None:
    info = usable.pop(MANIFEST, None)
    if info is None:
        report.problems.append(f"missing: {MANIFEST} (not a vigil pack, or it was removed)")
        return
    try:
        body = _read_small(zf, info, MAX_MANIFEST)
        manifest = _parse_manifest(body)
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        report.problems.append(f"changed: {MANIFEST} is unreadable: {exc}")
        return
    report.manifest = manifest
    token = None
    if (sig := usable.pop(SIGNATURE, None)) is not None:
        try:
            token = _read_small(zf, sig, MAX_SIGNATURE)
        except (ValueError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            report.problems.append(f"signature: {SIGNATURE} unreadable: {exc}")
            token = b""
    _check_signature(report, token, body, key)
    listed: set[str] = set()
    present = {i.filename for i in zf.infolist()}
    for entry in manifest["files"]:
        name = entry["path"]
        if name in listed:
            report.problems.append(f"changed: {MANIFEST} lists {name} twice")
            continue
        listed.add(name)
        member = usable.get(name)
        if member is None:
            if name not in present:
                report.problems.append(f"missing: {name}")
            continue  # present but unsafe: already reported
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in stream(zf, member):
                digest.update(chunk)
                size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            report.problems.append(f"changed: {name} (corrupt entry: {exc})")
            continue
        if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
            report.problems.append(
                f"changed: {name} ({size} bytes, sha256 {digest.hexdigest()[:16]}...; "
                f"the manifest says {entry['size']} bytes, {entry['sha256'][:16]}...)"
            )
            continue
        report.files += 1
        report.bytes += size
    for name in sorted(set(usable) - listed):
        kind = "a folder entry, " if usable[name].is_dir() else ""
        report.problems.append(f"added: {name} ({kind}not in the manifest)")


def intact_manifest(path: Path) -> dict:
    """The manifest of a pack that verifies (hashes only); anything else is the user's error, exit 2."""
    report = verify_pack(path)
    if not report.ok:
        shown = "; ".join(report.problems[:5]) + (" ..." if len(report.problems) > 5 else "")
        raise UserError(f"{path}: the pack does not verify ({shown}); see `vigil verify {path}`")
    return report.manifest


def unpack_evidence(
    path: Path, manifest: dict, evidence_root: Path, inputs_dir: Path
) -> tuple[dict, Path | None]:
    """Write a verified pack's evidence into evidence_root and its baseline files into inputs_dir.

    Returns the manifest and the packed baseline file (inside inputs_dir). Destinations are built from
    validated sha256 ids and checked manifest paths, never taken from the zip as they stand; a member
    that changed since it was verified fails its CRC or hash and stops the unpacking.
    """
    expected = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    listed = set(expected)

    def checked(zf: zipfile.ZipFile, name: str) -> Iterator[bytes]:
        digest = hashlib.sha256()
        for chunk in stream(zf, zf.getinfo(name)):
            digest.update(chunk)
            yield chunk
        if digest.hexdigest() != expected[name]:
            raise UserError(f"{path}: {name} changed after it was verified")

    with open_regular(path, path.name, MAX_PACK_BYTES) as handle, zipfile.ZipFile(handle) as zf:
        index_body = b"".join(checked(zf, f"evidence/{INDEX}"))
        try:
            ids = [entry["id"] for entry in json.loads(index_body)["entries"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{path}: evidence/{INDEX}: unreadable evidence index: {exc}") from None
        evidence_root.mkdir(parents=True, exist_ok=True)
        for sha in sorted(set(ids)):
            name = f"evidence/{object_path(sha)}" if isinstance(sha, str) and SHA256.match(sha) else None
            if name is None or name not in listed:
                continue  # the evaluation reports it as missing evidence: fail closed
            _write_new(evidence_root / object_path(sha), checked(zf, name), replace=True)
        _write_new(evidence_root / INDEX, [index_body], replace=True)
        kept = f"evidence/{BASELINE}"
        if kept in listed:  # the resolved baseline the run judged with: `evaluate` uses it as a scan's
            _write_new(evidence_root / BASELINE, checked(zf, kept), replace=True)
        else:  # never judge this pack with the baseline another run left in the folder
            (evidence_root / BASELINE).unlink(missing_ok=True)
        top = (manifest.get("baseline") or {}).get("file")
        baseline = None
        prefix = f"{INPUTS}/baseline/"
        root = inputs_dir.resolve()
        for name in sorted(n for n in listed if n.startswith(prefix)):
            dest = (root / PurePosixPath(name[len(prefix) :])).resolve()
            if root not in dest.parents:
                raise UserError(f"{path}: {name}: outside the inputs folder")
            _write_new(dest, checked(zf, name))
            if name == top:
                baseline = dest
    return manifest, baseline


def _write_new(dest: Path, chunks, *, replace: bool = False) -> None:
    """Write a fresh regular file; never through an existing file or link unless replacing atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    target = dest.with_name(dest.name + ".tmp") if replace else dest
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    if replace:
        target.unlink(missing_ok=True)
    fd = os.open(target, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if replace:
        os.replace(target, dest)


def shipped_drift(manifest: dict) -> list[str]:
    """Packed copies of shipped baselines that differ from the installed ones: a name in `extends:`
    resolves to the installed copy, so the judgment may differ from the packed run's."""
    from vigil.baseline import shipped_dir

    drift = []
    prefix = f"{INPUTS}/baseline/"
    for entry in manifest["files"]:
        name = entry["path"]
        if not name.startswith(prefix) or "/" in name[len(prefix) :]:
            continue
        installed = shipped_dir() / name[len(prefix) :]
        if not installed.is_file():
            continue
        if hashlib.sha256(installed.read_bytes()).hexdigest() != entry["sha256"]:
            drift.append(installed.stem)
    return drift

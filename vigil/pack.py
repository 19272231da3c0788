"""Evidence packs: one reproducible zip of a run's reports, evidence and inputs, with a signed manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.api_jws import PyJWS

from vigil import __version__, outdir
from vigil.baseline import resolve, shipped_dir
from vigil.errors import UserError
from vigil.files import SHA256, open_regular, read_bytes
from vigil.redact import redact, redact_text
from vigil.render import RENDERERS
from vigil.store import BASELINE, INDEX, object_path
from vigil.yamlio import load_yaml

log = logging.getLogger("vigil")

MANIFEST = "manifest.json"
SIGNATURE = "manifest.jws"
FORMAT = "vigil-pack"
FORMAT_VERSION = 1
INPUTS = "inputs"
CHUNK = 1 << 20
MAX_MEMBER = 1 << 40  # no practical cap on one file: the verifier caps what it inflates
# level 1 deflates evidence JSON to about a fifth at several times the speed of the default level 6
COMPRESS_LEVEL = 1
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry
PASSPHRASE_ENV = "VIGIL_SIGN_KEY_PASSPHRASE"  # noqa: S105 (the name of a variable)


@dataclass(frozen=True, slots=True)
class PackFile:
    name: str  # path inside the pack, POSIX, relative
    source: Path | None  # file copied as is
    data: bytes | None = None  # or bytes made here (redacted inputs)
    follow: bool = False  # files vigil wrote are never links: a link in OUT is refused


# ---- keys and signatures ----


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the {what}: {exc.strerror}") from None


def algorithm_for(key) -> str:
    """The JWS algorithm that matches a key: EdDSA for Ed25519, ES256 for P-256, RS256 for RSA."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if key.curve.name != "secp256r1":
            raise UserError(f"EC key on curve {key.curve.name}: only P-256 (ES256) is supported")
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise UserError(f"RSA key of {key.key_size} bits: use at least 2048 bits")
        return "RS256"
    raise UserError(f"unsupported key type {type(key).__name__}: use Ed25519, EC P-256 or RSA")


def key_id(public_key) -> str:
    """sha256 of the public key's SubjectPublicKeyInfo: names the key without revealing anything."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def load_private_key(path: Path):
    pem = _read_pem(path, "signing key")
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
    except TypeError:
        raise UserError(f"{path}: the key is encrypted: put its passphrase in ${PASSPHRASE_ENV}") from None
    except ValueError as exc:
        raise UserError(f"{path}: not a PEM private key (or wrong passphrase): {exc}") from None
    algorithm_for(key)
    return key


def load_public_key(path: Path):
    """A PEM public key; a private key is accepted too and its public half used."""
    pem = _read_pem(path, "verification key")
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(pem, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise UserError(f"{path}: not a PEM public key: {exc}") from None
    algorithm_for(key)
    return key


def sign_manifest(manifest: bytes, key) -> bytes:
    """A compact JWS whose payload is the exact bytes of manifest.json."""
    token = PyJWS().encode(
        manifest,
        key,
        algorithm=algorithm_for(key),
        headers={"typ": "vigil-pack-manifest", "kid": key_id(key.public_key())},
    )
    return token.encode("ascii") if isinstance(token, str) else token


# ---- what goes in ----


def _safe_relative(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts and "\\" not in name


def _evidence_files(out_dir: Path, results: dict) -> list[PackFile]:
    evidence_rel = results["run"].get("evidence_dir") or "evidence"
    if not _safe_relative(evidence_rel):
        raise UserError(f"{out_dir / 'results.json'}: run.evidence_dir {evidence_rel!r} is outside {out_dir}")
    root = out_dir / evidence_rel
    index_path = root / INDEX
    if not index_path.exists():
        raise UserError(f"{index_path}: no evidence index: pack the output folder of a scan")
    try:
        index = json.loads(read_bytes(index_path, follow=False))
        ids = [entry["id"] for entry in index["entries"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{index_path}: unreadable evidence index: {exc}") from None
    bad = [sha for sha in ids if not (isinstance(sha, str) and SHA256.match(sha))]
    if bad:
        raise UserError(f"{index_path}: evidence id {bad[0]!r} is not a sha256")
    files = [PackFile(f"evidence/{INDEX}", index_path)]
    if (root / BASELINE).is_file() or (root / BASELINE).is_symlink():  # a link is refused when read
        files.append(PackFile(f"evidence/{BASELINE}", root / BASELINE))
    cited = {e.get("id") for e in results.get("evidence") or () if isinstance(e, dict)} - {None}
    if not cited <= set(ids):
        raise UserError(
            f"{index_path}: does not index the evidence results.json cites: the folder mixes two runs"
        )
    for sha in sorted(set(ids)):
        path = root / object_path(sha)
        if not path.is_file():
            raise UserError(
                f"{path}: evidence named by {index_path.name} is missing; the pack would be partial"
            )
        files.append(PackFile(f"evidence/{object_path(sha)}", path))
    return files


def _report_files(out_dir: Path) -> list[PackFile]:
    names = [file_name for _, _, file_name in RENDERERS.values()]
    return [PackFile(name, out_dir / name) for name in names if (out_dir / name).is_file()]


def _baseline_files(source: Path) -> tuple[list[PackFile], str, int]:
    """The baseline, every baseline it extends and their policy files, as text with secrets redacted."""
    files: list[PackFile] = []
    used: set[str] = set()
    redacted = 0
    path: Path | None = source
    seen: set[Path] = set()
    top = ""
    while path is not None and path not in seen:
        seen.add(path)
        data, _ = load_yaml(path)
        name = f"{INPUTS}/baseline/{path.name}"
        n = 2
        while name in used:  # two files of the chain with one name: keep both
            name, n = f"{INPUTS}/baseline/{path.stem}-{n}{path.suffix}", n + 1
        used.add(name)
        top = top or name
        text, count = redact_text(path.read_text(encoding="utf-8"))
        redacted += count
        files.append(PackFile(name, None, text.encode("utf-8")))
        policy = data.get("policy") if isinstance(data, dict) else None
        policy_file = policy.get("file") if isinstance(policy, dict) else None
        if isinstance(policy_file, str) and _safe_relative(policy_file):
            policy_name = f"{INPUTS}/baseline/{PurePosixPath(policy_file)}"
            if policy_name not in used and (path.parent / policy_file).is_file():
                used.add(policy_name)
                files.append(PackFile(policy_name, path.parent / policy_file, follow=True))
        extends = data.get("extends") if isinstance(data, dict) else None
        path = resolve(str(extends), path).resolve() if extends else None
    return files, top, redacted


def _config_file(path: Path) -> tuple[PackFile, int]:
    data, _ = load_yaml(path)
    clean, count = redact(data)
    header = f"# {path.name} as used by the run, secrets redacted by `vigil pack` ({count} values masked)\n"
    body = yaml.safe_dump(clean, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return PackFile(f"{INPUTS}/{path.name}", None, (header + body).encode("utf-8")), count


def _find_config(out_dir: Path, results: dict, explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise UserError(f"--config {explicit}: no such file")
        return explicit
    recorded = results["run"].get("config")
    if not recorded:
        return None
    for candidate in (Path(recorded), out_dir / recorded, out_dir.parent / recorded):
        if candidate.is_file():
            return candidate
    return None


# ---- writing ----


def zip_time(results: dict) -> tuple[int, int, int, int, int, int]:
    """Every entry carries the run's finish time (UTC), so the same run packs to the same bytes."""
    try:
        moment = datetime.fromisoformat(results["run"]["finished_at"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        moment = ZIP_EPOCH
    moment = max(moment, ZIP_EPOCH)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second // 2 * 2)


def _entry(name: str, when: tuple, size: int, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.create_system = 3  # unix, whatever machine packs it
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    info.file_size = size
    if hasattr(info, "compress_level"):  # Python 3.13 renamed the attribute
        info.compress_level = COMPRESS_LEVEL
    else:
        info._compresslevel = COMPRESS_LEVEL
    return info


def _write(zf: zipfile.ZipFile, item: PackFile, when: tuple, compress: bool = True) -> dict:
    with contextlib.ExitStack() as stack:
        if item.data is not None:
            size, chunks = len(item.data), iter([item.data])
        else:
            handle = stack.enter_context(open_regular(item.source, max_bytes=MAX_MEMBER, follow=item.follow))
            size = os.fstat(handle.fileno()).st_size
            chunks = iter(lambda: handle.read(CHUNK), b"")
        digest = hashlib.sha256()
        written = 0
        with zf.open(_entry(item.name, when, size, compress), "w") as dst:
            for chunk in chunks:
                digest.update(chunk)
                dst.write(chunk)
                written += len(chunk)
    if written != size:
        raise UserError(f"{item.source}: changed while being packed ({size} -> {written} bytes)")
    return {"path": item.name, "size": size, "sha256": digest.hexdigest()}


def build_pack(
    out_dir: Path,
    dest: Path,
    *,
    sign_key: Path | None = None,
    config: Path | None = None,
    compress: bool = True,
) -> dict:
    """Write dest (a zip) from a scan's output folder; return its manifest.

    compress=False stores the files as they are: about three times faster on large evidence sets, and
    about four times bigger.
    """
    if not (out_dir / "results.json").is_file():
        raise UserError(
            f"{out_dir / 'results.json'}: no results.json: run `vigil scan --output {out_dir}` first"
        )
    key = load_private_key(sign_key) if sign_key else None  # a bad key stops us before any writing
    if os.access(out_dir, os.W_OK):
        with outdir.hold(out_dir):  # no scan may replace the folder's files while they are packed
            return _build(out_dir, dest, key, config, compress)
    return _build(out_dir, dest, key, config, compress)  # a read-only copy: nothing can change it


def _build(out_dir: Path, dest: Path, key, config: Path | None, compress: bool) -> dict:
    results_path = out_dir / "results.json"
    try:
        results = json.loads(results_path.read_text(encoding="utf-8"))
        run = results["run"]
        run.get("id")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{results_path}: not a readable vigil results.json: {exc}") from None
    files = _report_files(out_dir) + _evidence_files(out_dir, results)
    redactions: dict[str, int] = {}
    baseline_top = None
    config_path = _find_config(out_dir, results, config)
    source = _baseline_source(out_dir, results, config_path)
    if source is not None:
        baseline_files, baseline_top, count = _baseline_files(source)
        files += baseline_files
        redactions[baseline_top] = count
    elif not any(f.name == f"evidence/{BASELINE}" for f in files):
        log.warning("the baseline this run used is neither kept nor found; the pack carries none")
    config_name = None
    if config_path is not None:
        config_file, count = _config_file(config_path)
        files.append(config_file)
        config_name = config_file.name
        redactions[config_name] = count
    elif run.get("config"):
        log.warning("config %s not found from here; pass --config to include it", run["config"])
    files.sort(key=lambda f: f.name)
    names = [f.name for f in files]
    if len(set(names)) != len(names) or MANIFEST in names or SIGNATURE in names:
        raise UserError(f"{out_dir}: two files would share one name in the pack")

    when = zip_time(results)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            listed = [_write(zf, item, when, compress) for item in files]
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "tool": {"name": "vigil", "version": __version__},
                "run": {k: run.get(k) for k in ("id", "mode", "started_at", "finished_at", "as_of")}
                | {"target_label": run.get("target_label"), "waivers_applied": run.get("waivers_applied")},
                "baseline": {
                    k: results.get("baseline", {}).get(k) for k in ("name", "title", "version", "chain")
                }
                | {"file": baseline_top},
                "config": config_name,
                "gate": results.get("gate"),
                "scores": {"overall": results.get("scores", {}).get("overall")},
                "redacted": redactions,
                "files": listed,
            }
            body = (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
            _write(zf, PackFile(MANIFEST, None, body), when)
            if key is not None:
                _write(zf, PackFile(SIGNATURE, None, sign_manifest(body, key)), when)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


def _baseline_source(out_dir: Path, results: dict, config: Path | None) -> Path | None:
    """The baseline YAML the run read, for the auditor to read: the index names it as the run showed it
    (relative to the config's folder, or a shipped file by name). The judgment itself travels as the
    resolved copy kept beside the evidence (evidence/baseline.json)."""
    root = out_dir / (results["run"].get("evidence_dir") or "evidence")
    try:
        ref = json.loads(read_bytes(root / INDEX, follow=False)).get("baseline")
    except (UserError, ValueError, AttributeError):
        ref = None
    name = (results.get("baseline") or {}).get("name")
    folders = [config.parent] if config is not None else []
    candidates = [folder / ref for folder in folders] if ref else []
    if ref:
        candidates += [Path(ref), shipped_dir() / ref, shipped_dir() / f"{ref}.yaml"]
    if name:
        candidates.append(shipped_dir() / f"{name}.yaml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    log.warning("baseline %s of the run not found from here: only its resolved copy is packed", ref or name)
    return None

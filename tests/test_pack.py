"""Evidence packs: reproducible, signed, and every alteration or hostile entry named by `vigil verify`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vigil.cli import main
from vigil.pack import MANIFEST, SIGNATURE, sign_manifest

CANONICAL = ("findings", "scores", "summary", "gate", "controls", "checks", "evidence")


def _write_key(folder: Path, name: str, key) -> tuple[Path, Path]:
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    return {
        "EdDSA": _write_key(folder, "ed25519", ed25519.Ed25519PrivateKey.generate()),
        "ES256": _write_key(folder, "p256", ec.generate_private_key(ec.SECP256R1())),
        "RS256": _write_key(folder, "rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "other": _write_key(folder, "other", ed25519.Ed25519PrivateKey.generate()),
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A demo scan whose config carries secrets, as a real one may."""
    out = tmp_path_factory.mktemp("pack") / "out"
    assert main(["demo", "--output", str(out), "--format", "json,html,sarif,md"]) == 0
    config = out / "org" / "vigil.yaml"
    config.write_text(
        config.read_text()
        + "notes:\n  db_password: hunter2-secret\n  dsn: postgresql://auditor:s3cr3t-pw@db.internal/app\n"
    )
    return out


@pytest.fixture(scope="module")
def signed(demo, keys, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("signed") / "pack.zip"
    config = demo / "org" / "vigil.yaml"
    assert (
        main(
            ["pack", str(demo), "-o", str(dest), "--sign-key", str(keys["EdDSA"][0]), "--config", str(config)]
        )
        == 0
    )
    return dest


def _verify(capsys, pack: Path, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", str(pack), *extra])
    return code, capsys.readouterr().out


def _rewrite(src: Path, dest: Path, change) -> Path:
    """Copy a zip entry by entry, letting change(name, data) return new bytes, or None to drop it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
    return dest


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_pack_holds_reports_evidence_inputs_and_a_manifest(signed, demo):
    with zipfile.ZipFile(signed) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(MANIFEST))
        config = zf.read("inputs/vigil.yaml").decode()
    listed = [f["path"] for f in manifest["files"]]
    assert listed == sorted(listed) and names[: len(listed)] == listed
    assert names[len(listed) :] == [MANIFEST, SIGNATURE]
    index = json.loads((demo / "evidence" / "index.json").read_text())
    for entry in index["entries"]:
        assert f"evidence/{entry['path']}" in listed
    assert {"results.json", "report.html", "results.sarif", "summary.md", "evidence/index.json"} <= set(
        listed
    )
    assert {"inputs/baseline/baseline.yaml", "inputs/baseline/privacy-policy.yaml"} <= set(listed)
    assert "evidence/baseline.json" in listed  # the resolved baseline the run judged with
    assert manifest["baseline"]["file"] == "inputs/baseline/baseline.yaml"
    results = json.loads((demo / "results.json").read_text())
    assert manifest["run"]["id"] == results["run"]["id"] and manifest["tool"]["name"] == "vigil"
    sizes = {f["path"]: f["size"] for f in manifest["files"]}
    assert sizes["results.json"] == (demo / "results.json").stat().st_size
    # the config goes in, its secrets do not
    assert "hunter2" not in config and "s3cr3t-pw" not in config and "auditor" in config
    assert manifest["redacted"]["inputs/vigil.yaml"] == 2


def test_same_run_packs_to_the_same_bytes(demo, keys, tmp_path):
    for name in ("a.zip", "b.zip"):
        assert main(["pack", str(demo), "-o", str(tmp_path / name), "--sign-key", str(keys["EdDSA"][0])]) == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    finished = json.loads((demo / "results.json").read_text())["run"]["finished_at"]
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        stamps = {info.date_time for info in zf.infolist()}
        modes = {info.external_attr >> 16 for info in zf.infolist()}
    assert len(stamps) == 1 and stamps.pop()[:3] == tuple(int(x) for x in finished[:10].split("-"))
    assert modes == {0o100644}


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_signed_pack_verifies_with_its_public_key(demo, keys, tmp_path, capsys, alg):
    private, public = keys[alg]
    pack = tmp_path / "pack.zip"
    assert main(["pack", str(demo), "-o", str(pack), "--sign-key", str(private)]) == 0
    code, out = _verify(capsys, pack, "--key", str(public))
    assert code == 0, out
    assert "intact" in out and "signature valid" in out
    with zipfile.ZipFile(pack) as zf:
        header = json.loads(base64.urlsafe_b64decode(zf.read(SIGNATURE).split(b".")[0] + b"=="))
    assert header["alg"] == alg


def test_unsigned_pack_verifies_by_hashes_but_not_against_a_key(demo, keys, tmp_path, capsys):
    pack = tmp_path / "plain.zip"
    assert main(["pack", str(demo), "-o", str(pack)]) == 0
    code, out = _verify(capsys, pack)
    assert code == 0 and "not signed" in out
    code, out = _verify(capsys, pack, "--key", str(keys["EdDSA"][1]))
    assert code == 1 and "not signed" in out


def test_one_changed_byte_is_named(signed, keys, tmp_path, capsys):
    with zipfile.ZipFile(signed) as zf:
        victim = next(n for n in zf.namelist() if n.startswith("evidence/objects/"))

    def flip(name, data):
        return data[:10] + bytes([data[10] ^ 1]) + data[11:] if name == victim else data

    code, out = _verify(capsys, _rewrite(signed, tmp_path / "t.zip", flip), "--key", str(keys["EdDSA"][1]))
    assert code == 1
    assert f"changed: {victim}" in out
    assert out.count("changed:") == 1 and "signature:" not in out  # the manifest itself is untouched


def test_added_and_removed_files_are_named(signed, tmp_path, capsys):
    def drop_report(name, data):
        return None if name == "report.html" else data

    removed = _rewrite(signed, tmp_path / "removed.zip", drop_report)
    with zipfile.ZipFile(removed, "a") as zf:
        zf.writestr("evidence/objects/zz/forged.json", b'{"data": "planted"}')
    code, out = _verify(capsys, removed)
    assert code == 1
    assert "missing: report.html" in out
    assert "added: evidence/objects/zz/forged.json" in out


def test_resigned_with_another_key_fails(signed, keys, tmp_path, capsys):
    """An attacker alters evidence, fixes the manifest's hash and signs with a key of their own."""
    other = serialization.load_pem_private_key(keys["other"][0].read_bytes(), password=None)
    with zipfile.ZipFile(signed) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    victim = manifest["files"][0]
    forged = b'{"entries": []}\n'
    victim.update(size=len(forged), sha256=hashlib.sha256(forged).hexdigest())
    body = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()

    def forge(name, data):
        return {victim["path"]: forged, MANIFEST: body, SIGNATURE: sign_manifest(body, other)}.get(name, data)

    pack = _rewrite(signed, tmp_path / "resigned.zip", forge)
    code, out = _verify(capsys, pack, "--key", str(keys["EdDSA"][1]))
    assert code == 1 and "signature: does not verify" in out and "it was signed by sha256:" in out
    # the hashes alone agree: only the signature catches this, so the key matters
    code, out = _verify(capsys, pack)
    assert code == 0 and "signed by sha256:" in out and "not checked" in out


def _hostile(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _manifest_for(entries: dict[str, bytes]) -> bytes:
    files = [{"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in entries.items()]
    return json.dumps({"format": "vigil-pack", "format_version": 1, "files": files}).encode()


@pytest.fixture
def watched(tmp_path, monkeypatch) -> Path:
    """A working folder and a private TMPDIR, so a test sees anything written around it."""
    work = tmp_path / "work"
    work.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp_path


def test_traversal_and_absolute_entries_are_refused_and_nothing_is_written(watched, capsys):
    payload = b"owned\n"
    traversal = "../../evil.txt"
    absolute = str(watched / "abs-evil.txt")
    pack = _hostile(
        watched / "work" / "hostile.zip",
        [
            (MANIFEST, _manifest_for({"results.json": b"{}"})),
            ("results.json", b"{}"),
            (traversal, payload),
            (absolute, payload),
            ("evidence\\..\\..\\win.txt", payload),
        ],
    )
    before = _tree(watched)
    code, out = _verify(capsys, pack)
    assert code == 1
    assert f"unsafe entry {traversal!r}: path traversal" in out
    assert "absolute path" in out and "backslash" in out
    code = main(["evaluate", "--evidence", str(pack), "--output", str(watched / "work" / "out")])
    assert code == 2
    assert "does not verify" in capsys.readouterr().err
    assert _tree(watched) == before  # no evil.txt anywhere, no output, temp folder left empty
    assert not Path(absolute).exists()


def test_symlink_entry_is_not_followed(watched, capsys):
    link = zipfile.ZipInfo("evidence/index.json")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    target = b"/etc/passwd"
    pack = _hostile(
        watched / "work" / "link.zip",
        [(MANIFEST, _manifest_for({"evidence/index.json": target})), (link, target)],
    )
    before = _tree(watched)
    code, out = _verify(capsys, pack)
    assert code == 1
    assert "unsafe entry 'evidence/index.json': symlink entry (not followed)" in out
    assert main(["evaluate", "--evidence", str(pack), "--output", str(watched / "work" / "out")]) == 2
    assert _tree(watched) == before


def test_zip_bomb_is_refused_before_inflating(watched, capsys):
    bomb = b"\0" * (64 << 20)  # 64 MiB of zeros deflate to about 64 KiB
    pack = _hostile(
        watched / "work" / "bomb.zip",
        [(MANIFEST, _manifest_for({"evidence/index.json": bomb})), ("evidence/index.json", bomb)],
    )
    assert pack.stat().st_size < 1 << 20
    code, out = _verify(capsys, pack)
    assert code == 1 and "compression ratio over" in out and "zip bomb" in out
    # the total cap holds even for entries that compress modestly
    many = [(f"evidence/objects/{i:02d}.json", os.urandom(1 << 16)) for i in range(8)]
    plain = _hostile(watched / "work" / "big.zip", [(MANIFEST, _manifest_for(dict(many))), *many])
    code, out = _verify(capsys, plain, "--max-size", str(1 << 18))
    assert code == 1 and "refused: the entries would inflate to" in out and "nothing was read" in out
    code, _ = _verify(capsys, plain)
    assert code == 0


def test_not_a_zip_fails_verification(tmp_path, capsys):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    code, out = _verify(capsys, junk)
    assert code == 1 and "not a readable zip" in out


def _canonical(path: Path) -> dict:
    doc = json.loads(path.read_text())
    return {key: json.dumps(doc[key], sort_keys=True) for key in CANONICAL}


def test_evaluate_pack_reproduces_the_findings_offline(signed, demo, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["evaluate", "--evidence", str(signed), "--output", str(first), "--format", "json"]) == 1
    assert main(["evaluate", "--evidence", str(signed), "--output", str(second), "--format", "json"]) == 1
    original = _canonical(demo / "results.json")
    assert _canonical(first / "results.json") == original
    assert (first / "results.json").read_bytes() != (second / "results.json").read_bytes()  # run ids
    assert _canonical(second / "results.json") == original
    doc = json.loads((first / "results.json").read_text())
    # byte for byte apart from the run's id, mode and times
    original_doc = json.loads((demo / "results.json").read_text())
    for moving in ("id", "mode", "started_at", "finished_at"):
        doc["run"].pop(moving), original_doc["run"].pop(moving)
    assert json.dumps(doc, sort_keys=True) == json.dumps(original_doc, sort_keys=True)
    assert doc["baseline"]["name"] == "demo-org"  # the pack's own baseline, with its waivers
    for entry in doc["evidence"]:
        assert (first / entry["path"]).is_file()


def test_evaluate_refuses_a_tampered_pack(signed, tmp_path, capsys):
    def flip(name, data):
        return data.replace(b"e1002", b"e1003") if name.startswith("evidence/objects/") else data

    pack = _rewrite(signed, tmp_path / "t.zip", flip)
    assert main(["evaluate", "--evidence", str(pack), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "does not verify" in err and "changed: evidence/objects/" in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_bad_sign_key_is_a_user_error(demo, tmp_path, capsys):
    key = tmp_path / "k.pem"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    assert main(["pack", str(demo), "-o", str(tmp_path / "p.zip"), "--sign-key", str(key)]) == 2
    assert "not a PEM private key" in capsys.readouterr().err
    assert not (tmp_path / "p.zip").exists()
    weak = ec.generate_private_key(ec.SECP384R1())
    _write_key(tmp_path, "p384", weak)
    assert (
        main(["pack", str(demo), "-o", str(tmp_path / "p.zip"), "--sign-key", str(tmp_path / "p384.pem")])
        == 2
    )
    assert "only P-256" in capsys.readouterr().err


def test_pack_of_a_folder_without_results_is_a_user_error(tmp_path, capsys):
    assert main(["pack", str(tmp_path), "-o", str(tmp_path / "p.zip")]) == 2
    assert "no results.json: run `vigil scan" in capsys.readouterr().err


def test_verify_streams_members_without_extracting(signed, monkeypatch, capsys):
    """verify never calls zipfile's extract: it only reads streams."""

    def forbidden(*args, **kwargs):
        raise AssertionError("extract called")

    monkeypatch.setattr(zipfile.ZipFile, "extract", forbidden)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", forbidden)
    code, _ = _verify(capsys, signed)
    assert code == 0


def test_pack_refuses_a_folder_that_mixes_two_runs(demo, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(demo, out)
    doc = json.loads((out / "results.json").read_text())
    doc["evidence"].append(dict(doc["evidence"][0], id="f" * 64))
    (out / "results.json").write_text(json.dumps(doc))
    assert main(["pack", str(out), "-o", str(tmp_path / "p.zip")]) == 2
    assert "the folder mixes two runs" in capsys.readouterr().err
    assert not (tmp_path / "p.zip").exists()


def test_pack_waits_for_no_run_while_one_holds_the_folder(demo, tmp_path, capsys):
    from vigil import outdir

    out = tmp_path / "out"
    shutil.copytree(demo, out)
    with outdir.hold(out):
        assert main(["pack", str(out), "-o", str(tmp_path / "p.zip")]) == 2
    assert "in use by another vigil run" in capsys.readouterr().err
    assert main(["pack", str(out), "-o", str(tmp_path / "p.zip")]) == 0


def test_pack_refuses_a_link_planted_in_the_evidence_store(demo, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(demo, out)
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    victim = next((out / "evidence" / "objects").rglob("*.json"))
    victim.unlink()
    victim.symlink_to(secret)
    assert main(["pack", str(out), "-o", str(tmp_path / "p.zip")]) == 2
    assert "symbolic link; refused" in capsys.readouterr().err
    assert not (tmp_path / "p.zip").exists() and not (tmp_path / "p.zip.part").exists()


def test_verify_json_names_the_same_problems(signed, tmp_path, capsys):
    def drop(name, data):
        return None if name == "summary.md" else data

    pack = _rewrite(signed, tmp_path / "t.zip", drop)
    code, out = _verify(capsys, pack, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["intact"] is False and doc["problems"] == ["missing: summary.md"]
    code, out = _verify(capsys, signed, "--json")
    assert code == 0 and json.loads(out)["intact"] is True and json.loads(out)["files"] > 5


def test_a_repacked_zip_with_folder_entries_names_them_as_added(signed, tmp_path, capsys):
    pack = shutil.copyfile(signed, tmp_path / "repacked.zip")
    with zipfile.ZipFile(pack, "a") as zf:
        zf.writestr(zipfile.ZipInfo("evidence/"), b"")
    code, out = _verify(capsys, pack)
    assert code == 1 and "added: evidence/ (a folder entry, not in the manifest)" in out
    assert "unsafe" not in out


def test_a_bomb_that_understates_its_size_is_cut_off_at_the_declared_size(watched, capsys):
    """Headers that claim 100 bytes for 16 MiB: zipfile stops at the claim and the CRC fails."""
    name = "evidence/index.json"
    body = b"\0" * (16 << 20)
    pack = _hostile(
        watched / "work" / "liar.zip", [(MANIFEST, _manifest_for({name: body[:100]})), (name, body)]
    )
    raw = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as zf:
        offset = zf.getinfo(name).header_offset
    raw[offset + 22 : offset + 26] = (100).to_bytes(4, "little")  # local header: uncompressed size
    central = [i for i in range(len(raw)) if raw.startswith(b"PK\x01\x02", i)][-1]
    raw[central + 24 : central + 28] = (100).to_bytes(4, "little")  # central directory: the same
    pack.write_bytes(bytes(raw))
    code, out = _verify(capsys, pack)
    assert code == 1 and f"changed: {name} (corrupt entry" in out


def test_a_pack_made_without_the_config_still_reproduces_the_run(demo, tmp_path, caplog):
    """From another folder vigil finds neither config nor baseline files: the resolved baseline kept with
    the evidence is enough to judge the same way."""
    pack = tmp_path / "bare.zip"
    assert main(["pack", str(demo), "-o", str(pack)]) == 0
    assert "pass --config" in caplog.text
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
    assert "evidence/baseline.json" in names and not any(n.startswith("inputs/") for n in names)
    out = tmp_path / "audit"
    assert main(["evaluate", "--evidence", str(pack), "--output", str(out), "--format", "json"]) == 1
    assert _canonical(out / "results.json") == _canonical(demo / "results.json")
    doc = json.loads((out / "results.json").read_text())
    assert doc["waivers"] == json.loads((demo / "results.json").read_text())["waivers"]


def _repack(src: Path, dest: Path, change) -> Path:
    """Rewrite members with change(name, data) (None drops one) and the manifest to match: a forgery
    that only a signature would catch, or a pack from before vigil kept its resolved baseline."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n not in (MANIFEST, SIGNATURE)}
        manifest = json.loads(zf.read(MANIFEST))
    members = {n: d for n, d in ((n, change(n, d)) for n, d in members.items()) if d is not None}
    manifest["files"] = [
        {"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for n, d in sorted(members.items())
    ]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items()):
            zf.writestr(name, data)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return dest


def test_a_pack_without_its_resolved_baseline_is_judged_with_its_baseline_files(
    signed, demo, tmp_path, caplog
):
    def older(name, data):
        if name == "evidence/baseline.json":
            return None
        if name == "inputs/baseline/privacy-policy.yaml":  # as an older vigil shipped it
            return data.replace(b"name: privacy-policy", b"name: privacy-policy\n# older", 1)
        return data

    pack = _repack(signed, tmp_path / "older.zip", older)
    out = tmp_path / "audit"
    (out / "evidence").mkdir(parents=True)
    (out / "evidence" / "baseline.json").write_text("{}")  # left by another run: must not be used
    assert main(["evaluate", "--evidence", str(pack), "--output", str(out), "--format", "json"]) == 1
    assert "baseline privacy-policy installed here differs from the pack's copy" in caplog.text
    assert not (out / "evidence" / "baseline.json").exists()
    assert _canonical(out / "results.json") == _canonical(demo / "results.json")


def test_verify_refuses_a_fifo_instead_of_hanging(tmp_path, capsys):
    fifo = tmp_path / "pack.zip"
    os.mkfifo(fifo)
    code, out = _verify(capsys, fifo)
    assert code == 1 and "not a regular file" in out

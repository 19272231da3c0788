"""The command line: wires config, baseline, runner and renderers together; no logic of its own."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from vigil import __version__, historystore, outdir, registry
from vigil.baseline import control_doc, load_baseline, shipped_names
from vigil.config import DEFAULT_CONFIG, STARTER, Config, load_config
from vigil.errors import UserError
from vigil.files import inside
from vigil.model import SEVERITIES
from vigil.ratchet import gate_new_only, load_pinned
from vigil.render import FORMATS, RENDERERS, RenderContext, render_all
from vigil.results import read_results
from vigil.runner import RunOptions, parse_as_of, reevaluate, scan

FAIL_ON = click.Choice([*SEVERITIES, "none"])


def _formats(value: str) -> tuple[str, ...]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if names == ["all"]:
        return FORMATS
    unknown = [n for n in names if n not in RENDERERS]
    if unknown:
        raise UserError(f"--format: unknown {', '.join(unknown)} (choose from {', '.join(RENDERERS)} or all)")
    return tuple(names)


def _only(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def _summary(results: dict, written: list[Path]) -> int:
    gate = results["gate"]
    overall = results["scores"]["overall"]
    score = "n/a" if overall["score"] is None else f"{overall['score']}%"
    verdict = (
        "passed" if gate["passed"] else f"FAILED ({gate['blocking']} blocking at or above {gate['fail_on']})"
    )
    counts = ", ".join(f"{n} {s}" for s, n in results["summary"]["controls"].items() if n)
    click.echo(f"controls: {counts}")
    click.echo(f"score {score} on {overall['coverage']}% evidence coverage; gate {verdict}")
    if "new_only" in gate:
        ratchet = gate["new_only"]
        click.echo(
            f"--new-only {ratchet['pinned']}: {ratchet['known']} accepted by the pinned file, "
            f"{len(ratchet['new'])} new, {len(ratchet['reopened'])} back after a fix"
        )
    for path in written:
        click.echo(f"wrote {path}")
    return 0 if gate["passed"] else 1


_NEW_ONLY = click.option(
    "--new-only",
    type=click.Path(path_type=Path, dir_okay=False),
    help="gate only on findings new against this pinned results.json or results.sarif",
)


def _common(func):
    options = [
        click.option(
            "--baseline", help="baseline name or YAML path (default: the config's, else privacy-policy)"
        ),
        click.option("--output", "output", type=click.Path(path_type=Path), help="output folder [vigil-out]"),
        click.option(
            "--format",
            "fmt",
            default="all",
            show_default=True,
            help=f"comma-separated: {', '.join(RENDERERS)}, or all (but oscal); results.json always",
        ),
        click.option("--fail-on", type=FAIL_ON, help="gate severity [high]"),
        click.option("--only", help="comma-separated check ids to evaluate"),
        click.option("--no-waivers", is_flag=True, help="apply no waiver: the unwaived truth, for an audit"),
        _NEW_ONLY,
        click.option(
            "--wait-lock",
            type=click.FloatRange(0, 86400),
            default=0,
            help="seconds to wait while another run holds the output folder [0: stop at once, exit 2]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _baseline_ref(explicit: str | None, config: Config | None) -> str:
    """A config's baseline path is relative to the config file; a name is a shipped baseline."""
    ref = explicit or (config.baseline if config else None) or "privacy-policy"
    if explicit is None and config is not None and (config.base_dir / ref).is_file():
        return str((config.base_dir / ref).resolve())
    return ref


def _store_option(func):
    return click.option(
        "--store",
        help="history store: postgresql://user@host/db, a SQLite file, or none "
        f"[${historystore.ENV}, else OUT/{historystore.DEFAULT_FILE}]",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vigil")
@click.option("-q", "--quiet", is_flag=True, help="only warnings and errors on stderr")
def cli(quiet: bool) -> None:
    """vigil: prove that an organisation keeps the promises of its security and privacy policy."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO, format="vigil: %(message)s", stream=sys.stderr
    )


@cli.command("scan")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="vigil.yaml to read",
)
@_common
@_store_option
def scan_cmd(
    config_path, baseline, output, fmt, fail_on, only, no_waivers, wait_lock, new_only, store
) -> int:
    """Collect evidence from every configured source, evaluate the baseline, write the reports."""
    config = load_config(config_path)
    options = RunOptions(
        baseline=_baseline_ref(baseline, config),
        # `output:` in vigil.yaml is relative to the config file; --output to the working directory
        out_dir=output or (config.base_dir / config.output if config.output else Path("vigil-out")),
        fail_on=fail_on or config.fail_on or "high",
        only=_only(only),
        waivers=not no_waivers,
        formats=_formats(fmt),
        config_path=config_path,
        target_label=config.target_label,
        wait_lock=wait_lock,
        new_only=load_pinned(new_only) if new_only else None,
        store=store,
    )
    return _summary(*scan(config, options))


@cli.command("evaluate")
@click.option(
    "--evidence",
    "evidence_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="an OUT/evidence folder written by an earlier scan, or an evidence pack (.zip)",
)
@click.option("--as-of", help="judge freshness and ages at this ISO time instead of now")
@_common
@_store_option
def evaluate_cmd(
    evidence_dir, as_of, baseline, output, fmt, fail_on, only, no_waivers, wait_lock, new_only, store
) -> int:
    """Re-evaluate stored evidence offline: nothing is collected, findings are the same.

    A pack is verified first and judged with its own baseline at its run's time unless --baseline or
    --as-of say otherwise (--as-of now judges freshness today).
    """
    options = RunOptions(
        baseline=baseline or "",
        out_dir=output or Path("vigil-out"),
        fail_on=fail_on or "high",
        only=_only(only),
        waivers=not no_waivers,
        formats=_formats(fmt),
        mode="evaluate",
        wait_lock=wait_lock,
        new_only=load_pinned(new_only) if new_only else None,
        store=store,
    )
    if evidence_dir.is_file():
        return _evaluate_pack(evidence_dir, options, as_of)
    return _summary(*reevaluate(evidence_dir, options, parse_as_of(as_of)))


@cli.command("report")
@click.argument("results_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", default="all", show_default=True, help=f"comma-separated: {', '.join(RENDERERS)}"
)
@click.option(
    "--output", type=click.Path(path_type=Path), help="folder for the reports [beside RESULTS_FILE]"
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="an earlier results.json to show what changed",
)
@click.option(
    "--sarif-omit-fixed",
    is_flag=True,
    help="leave the previous run's fixed findings (baselineState absent) out of SARIF, for GitHub",
)
@_NEW_ONLY
@_store_option
def report_cmd(
    results_file: Path,
    fmt: str,
    output: Path | None,
    previous: Path | None,
    sarif_omit_fixed: bool,
    new_only: Path | None,
    store: str | None,
) -> int:
    """Render reports from a results.json again, without collecting or evaluating.

    With --new-only it also gates: the exit code says whether findings new against the pinned file block.
    """
    results = read_results(results_file)
    if new_only is not None:
        results["gate"] = gate_new_only(results, load_pinned(new_only), _existing_store(results_file, store))
    previous_doc = read_results(previous) if previous else _previous_from_store(results_file, results, store)
    if previous_doc is None and results.get("history") and results["history"][-1].get("file"):
        # a results.json of an older vigil: the run before it was archived beside it as a file, which
        # must lie in that folder's history/, whatever the results file says
        candidate = inside(
            results_file.parent, str(results["history"][-1]["file"]), f"{results_file}: history"
        )
        previous_doc = read_results(candidate) if candidate.is_file() else None
    out_dir = outdir.prepare(output or results_file.parent)
    link_base = os.path.relpath(results_file.parent, out_dir)
    ctx = RenderContext(
        previous=previous_doc,
        link_base="" if link_base == "." else link_base + "/",
        extra={"sarif_absent": not sarif_omit_fixed},
    )
    same_folder = out_dir.resolve() == results_file.parent.resolve()
    # never overwrite the source of truth with itself; the others are written in one pass
    names = [n for n in _formats(fmt) if not (n == "json" and same_folder)]
    for path in render_all(results, names, out_dir, ctx):
        click.echo(f"wrote {path}")
    return _summary(results, []) if new_only is not None else 0


@cli.group("checks")
def checks_group() -> None:
    """List and describe the installed checks."""


@checks_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
def checks_list(as_json: bool) -> int:
    registry.load_plugins()
    rows = [
        {
            "id": c.id,
            "title": c.title,
            "severity": c.severity,
            "domain": c.domain,
            "needs": list(c.needs),
            "origin": registry.checks.origin(c.id),
        }
        for c in registry.checks
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
    else:
        for row in rows:
            click.echo(f"{row['id']:<48} {row['severity']:<8} {row['domain']:<14} {row['title']}")
    return 0


@checks_group.command("show")
@click.argument("check_id")
def checks_show(check_id: str) -> int:
    registry.load_plugins()
    check = registry.checks.get(check_id)
    if check is None:
        raise UserError(f"no check {check_id!r} is installed (see `vigil checks list`)")
    click.echo(f"{check.id}: {check.title}")
    click.echo(f"severity {check.severity}, domain {check.domain}, needs {', '.join(check.needs)}")
    click.echo(f"from {registry.checks.origin(check.id)}")
    click.echo(f"\n{check.description}")
    if check.remediation:
        click.echo(f"\nRemediation: {check.remediation}")
    if check.params:
        click.echo("\nParameters (defaults):")
        for name, value in check.params.items():
            click.echo(f"  {name}: {json.dumps(value)}")
    for ref in check.references:
        click.echo(f"see {ref}")
    return 0


@cli.group("baselines")
def baselines_group() -> None:
    """List and describe baselines."""


@baselines_group.command("list")
def baselines_list() -> int:
    for name in shipped_names():
        baseline = load_baseline(name)
        click.echo(f"{name:<24} {len(baseline.controls):>3} controls  {baseline.title}")
    return 0


@baselines_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
def baselines_show(name: str, as_json: bool) -> int:
    registry.load_plugins()
    baseline = load_baseline(name)
    if as_json:
        doc = {
            "name": baseline.name,
            "title": baseline.title,
            "chain": list(baseline.chain),
            "controls": [control_doc(c) for c in baseline.controls],
        }
        click.echo(json.dumps(doc, indent=1))
        return 0
    click.echo(f"{baseline.name}: {baseline.title} ({' -> '.join(baseline.chain)})")
    section = None
    for c in baseline.controls:
        if c.section != section:
            section = c.section
            click.echo(f"\n## {section}")
        checks = (
            ", ".join(cid + ("" if cid in registry.checks else " (not installed)") for cid in c.checks)
            or "manual review"
        )
        click.echo(f'{c.id} [{c.domain}] {c.title}\n    "{c.quote}"\n    checks: {checks}')
    return 0


@cli.command("init")
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG)
@click.option("--force", is_flag=True, help="overwrite an existing file")
def init_cmd(path: Path, force: bool) -> int:
    """Write a commented starter vigil.yaml."""
    if path.exists() and not force:
        raise UserError(f"{path} exists; use --force to overwrite it")
    path.write_text(STARTER, encoding="utf-8")
    click.echo(f"wrote {path}: edit the sources, then run `vigil scan --config {path}`")
    return 0


@cli.command("demo")
@click.option("--output", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
@click.option("--format", "fmt", default="all", show_default=True)
def demo_cmd(output: Path, fmt: str) -> int:
    """Build the demo organisation, scan it and write the reports (exits 0: its failures are deliberate)."""
    from vigil.demo import build_demo

    config_path = build_demo(output / "org")
    config = load_config(config_path)
    options = RunOptions(
        baseline=_baseline_ref(None, config),
        out_dir=output,
        fail_on=config.fail_on or "high",
        formats=_formats(fmt),
        mode="demo",
        config_path=config_path,
        target_label=config.target_label,
    )
    results, written = scan(config, options)
    _summary(results, written)
    click.echo(f"demo organisation in {output / 'org'}; open {output / 'report.html'} in a browser")
    return 0


# ---- history: `vigil history`, `vigil diff`, `vigil findings` (logic in vigil.historystore) ----


def _existing_store(results_file: Path, store: str | None):
    """The store beside a results.json (or --store), or None: never create an empty one just to read it."""
    url = historystore.store_url(store, results_file.parent)
    if url is None or (url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file()):
        return None
    return historystore.open_store(store, results_file.parent)


def _previous_from_store(results_file: Path, results: dict, store: str | None) -> dict | None:
    """The run recorded before this one in the store beside it (or --store), if there is one."""
    from vigil.historystore.query import previous_document

    engine = _existing_store(results_file, store)
    if engine is None:
        return None
    run = results.get("run") or {}
    return previous_document(engine, run.get("target_label") or "default", run.get("id"))


def _history_store(output: Path | None, store: str | None):
    url = historystore.store_url(store, output or Path("vigil-out"))
    if url is None:
        raise UserError("--store none: there is no history to read")
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        where = url[len("sqlite:///") :]
        raise UserError(
            f"{where}: no history store here yet (run `vigil scan` first, or give --output/--store)"
        )
    return historystore.open_store(store, output or Path("vigil-out"))


def _history_options(func):
    options = [
        click.option(
            "--output",
            type=click.Path(path_type=Path),
            help=f"output folder whose {historystore.DEFAULT_FILE} to read [vigil-out]",
        ),
        click.option("--store", help=f"history store URL or SQLite file [${historystore.ENV}]"),
        click.option("--target", help="only runs of this target_label"),
        click.option("--json", "as_json", is_flag=True, help="machine-readable"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command("history")
@_history_options
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True, help="newest N runs")
def history_cmd(output, store, target, as_json, limit) -> int:
    """List recorded runs with their score and coverage trend, and what each one opened and fixed."""
    from vigil.historystore.query import list_runs
    from vigil.historystore.text import runs_text

    rows = list_runs(_history_store(output, store), target, limit)
    click.echo(json.dumps(rows, indent=1) if as_json else runs_text(rows))
    return 0


@cli.command("diff")
@click.argument("a")
@click.argument("b")
@_history_options
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="rows per list")
def diff_cmd(a, b, output, store, target, as_json, limit) -> int:
    """Compare two runs: new, fixed, changed and unchanged findings.

    A and B are each a run id (or 4+ leading characters of one, or latest / previous / latest~N) in
    the history store, a results.json file, or a SARIF file. A waived finding is not fixed.
    """
    from vigil.compare import compare
    from vigil.historystore.sides import load_side
    from vigil.historystore.text import diff_json, diff_text

    def engine():
        return _history_store(output, store)

    before, after = load_side(a, engine, target), load_side(b, engine, target)
    doc = diff_json(compare(after, before), before, after)
    click.echo(json.dumps(doc, indent=1) if as_json else diff_text(doc, limit))
    return 0


@cli.command("findings")
@_history_options
@click.option(
    "--status",
    type=click.Choice(["open", "waived", "failing", "fixed", "all"]),
    default="open",
    show_default=True,
    help="open = failing and not waived; failing = open or waived",
)
@click.option("--since", help="entered that status within this period: 30d, 12h, 2w, or an ISO date")
@click.option("--severity", help="comma-separated severities to keep")
@click.option("--check", help="a check id, or a prefix of ids ending in *")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="rows shown")
def findings_cmd(output, store, target, as_json, status, since, severity, check, limit) -> int:
    """Findings across runs: first and last seen, fixed, reopened, time to fix (the daily question)."""
    from vigil.historystore.query import finding_rows, parse_since
    from vigil.historystore.text import findings_text

    severities = tuple(s.strip() for s in (severity or "").split(",") if s.strip())
    unknown = sorted(set(severities) - set(SEVERITIES))
    if unknown:
        raise UserError(f"--severity: unknown {', '.join(unknown)} (choose from {', '.join(SEVERITIES)})")
    rows = finding_rows(_history_store(output, store), status, parse_since(since), target, severities, check)
    click.echo(json.dumps(rows, indent=1) if as_json else findings_text(rows, limit))


def _evaluate_pack(pack: Path, options: RunOptions, as_of: str | None) -> int:
    """Evaluate a pack: verified, its evidence into OUT/evidence, its baseline from a folder of our own."""
    import tempfile

    from vigil.pack_verify import intact_manifest, shipped_drift, unpack_evidence

    manifest = intact_manifest(pack)  # before anything is written
    kept = any(entry["path"] == "evidence/baseline.json" for entry in manifest["files"])
    for name in [] if kept or options.baseline else shipped_drift(manifest):
        logging.getLogger("vigil").warning(
            "baseline %s installed here differs from the pack's copy (vigil %s): findings may differ",
            name,
            (manifest.get("tool") or {}).get("version", "?"),
        )
    with tempfile.TemporaryDirectory(prefix="vigil-pack-") as inputs:
        with outdir.hold(options.out_dir, options.wait_lock):  # released before the run takes it again
            manifest, packed_baseline = unpack_evidence(
                pack, manifest, options.out_dir / "evidence", Path(inputs)
            )
        # the resolved baseline kept with the evidence is the one the run judged with; a pack without it
        # (evidence from before vigil kept it) is judged with its baseline files
        fallback = "" if kept else str(packed_baseline or "")
        baseline = options.baseline or fallback
        recorded = (manifest.get("run") or {}).get("as_of")
        if as_of is None and not recorded:
            raise UserError(f"{pack}: the manifest records no run time; give --as-of")
        when = parse_as_of(as_of if as_of is not None else recorded)  # the run's own time by default
        options = replace(options, baseline=baseline)
        return _summary(*reevaluate(options.out_dir / "evidence", options, when))


@cli.command("pack")
@click.argument("out_dir", metavar="OUT", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "-o",
    "--output",
    "dest",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="zip to write",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="PEM private key: Ed25519, EC P-256 or RSA (passphrase in $VIGIL_SIGN_KEY_PASSPHRASE)",
)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="the vigil.yaml of the run")
@click.option("--store", is_flag=True, help="no compression: faster on large evidence, bigger zip")
def pack_cmd(out_dir: Path, dest: Path, sign_key: Path | None, config_path: Path | None, store: bool) -> int:
    """Pack a scan's reports, evidence, baseline and config (redacted) into a zip with a signed manifest.

    How to make a key and what `vigil verify` checks: docs/packs.md.
    """
    from vigil.pack import build_pack

    manifest = build_pack(out_dir, dest, sign_key=sign_key, config=config_path, compress=not store)
    size = sum(f["size"] for f in manifest["files"])
    signed = f", manifest signed with {sign_key}" if sign_key else ", unsigned (hashes only)"
    click.echo(f"wrote {dest}: {len(manifest['files'])} files, {size} bytes{signed}")
    return 0


@cli.command("verify")
@click.argument("pack", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), help="PEM public key of the signer")
@click.option("--max-size", type=click.IntRange(min=1), help="cap on inflated bytes [4 GiB]")
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
def verify_cmd(pack: Path, key: Path | None, max_size: int | None, as_json: bool) -> int:
    """Check a pack against its manifest (and signature): exit 0 intact, 1 naming every difference."""
    from vigil.pack import load_public_key
    from vigil.pack_verify import DEFAULT_MAX_BYTES, verify_pack

    report = verify_pack(pack, load_public_key(key) if key else None, max_bytes=max_size or DEFAULT_MAX_BYTES)
    if as_json:
        run = (report.manifest or {}).get("run") or {}
        doc = {
            "intact": report.ok,
            "problems": report.problems,
            "notes": report.notes,
            "signer": report.signer,
        }
        click.echo(json.dumps(doc | {"files": report.files, "bytes": report.bytes, "run_id": run.get("id")}))
        return 0 if report.ok else 1
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.problems:
        for problem in report.problems:
            click.echo(problem)
        count = len(report.problems)
        click.echo(f"{pack}: FAILED verification: {count} problem{'' if count == 1 else 's'}")
        return 1
    signature = f"; signature valid ({report.signer})" if report.signer else ""
    click.echo(f"{pack}: intact: {report.files} files, {report.bytes} bytes match the manifest{signature}")
    run, tool = report.manifest.get("run") or {}, report.manifest.get("tool") or {}
    ended = run.get("finished_at")
    click.echo(f"run {run.get('id')} ({run.get('mode')}, ended {ended}), vigil {tool.get('version')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        code = cli.main(args=argv, prog_name="vigil", standalone_mode=False)
    except UserError as exc:
        click.echo(f"vigil: error: {exc}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("vigil: aborted", err=True)
        return 130
    return code if isinstance(code, int) else 0

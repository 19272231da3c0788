"""Baselines: YAML profiles of controls, parameters, severities, weights and waivers, with `extends:`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from vigil.errors import UserError
from vigil.model import Control
from vigil.yamlio import load_yaml, locate, schema, validate


@dataclass(frozen=True, slots=True)
class RawWaiver:
    """A waiver as written, with where it was written; vigil.waivers judges whether it is valid."""

    data: Mapping[str, Any]
    where: str


@dataclass(frozen=True, slots=True)
class Baseline:
    name: str
    title: str
    description: str
    version: str
    path: Path
    chain: tuple[str, ...]  # this baseline and the ones it extends, child first
    policy_title: str | None
    policy_file: Path | None
    parameters: Mapping[str, Any]  # dotted name -> value
    controls: tuple[Control, ...]
    check_overrides: Mapping[str, Mapping[str, Any]]  # check id -> {severity, enabled, params}
    waivers: tuple[RawWaiver, ...]
    warn_days: int
    max_waiver_days: int  # waivers.max_days: a waiver running longer is not applied
    # where each parameter and check override was written, for errors found after plugins load
    where: Mapping[tuple, str]
    # the policy file as its baseline names it (policies/privacy-policy.txt), for reports
    policy_name: str | None = None
    # this baseline's file as messages and reports name it: relative to the config's folder, or by
    # name for a shipped baseline; never an absolute path of this machine
    shown: str = ""

    @property
    def policy_text(self) -> str | None:
        if self.policy_file is None:
            return None
        try:
            return self.policy_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{self.shown}: policy.file: cannot read {self.policy_name}: {exc}") from None


def shown_name(path: Path, root: Path | None) -> str:
    """A baseline file as messages and reports name it: relative to `root` (the config's folder; else the
    working directory) when it lies inside it, else by its file name (so a shipped baseline is
    `privacy-policy.yaml`): no output names a path of this machine."""
    try:
        if path.parent == shipped_dir().resolve():
            return path.name
        return path.relative_to((root or Path.cwd()).resolve()).as_posix()
    except (ValueError, OSError):
        return path.name


def shipped_dir() -> Path:
    return Path(str(resources.files("vigil.baselines")))


def shipped_names() -> list[str]:
    return sorted(p.stem for p in shipped_dir().glob("*.yaml"))


def resolve(ref: str, relative_to: Path | None = None) -> Path:
    """A baseline reference is a path (absolute, or relative to the extending file) or a shipped name."""
    candidates = [Path(ref)] if relative_to is None else [relative_to.parent / ref]
    candidates.append(shipped_dir() / f"{ref}.yaml")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UserError(f"baseline {ref!r} not found: not a file, nor one of {', '.join(shipped_names())}")


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested parameter maps become dotted names: {training: {max_age_days: 1}} -> training.max_age_days."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _control(raw: Mapping[str, Any]) -> Control:
    return Control(
        id=raw["id"],
        title=raw["title"],
        domain=raw["domain"],
        section=raw["section"],
        quote=raw["quote"],
        frameworks={key: tuple(str(v) for v in values) for key, values in raw["frameworks"].items()},
        weight=float(raw.get("weight", 1.0)),
        checks=tuple(raw.get("checks", ())),
        manual_procedure=raw.get("manual_procedure"),
    )


def _locate_param(path: Path, lines: dict, prefix: tuple, name: str) -> str:
    """A parameter is written dotted (training.max_age_days: 1) or nested (training: {max_age_days: 1})."""
    dotted = (*prefix, name)
    return locate(path, lines, dotted if dotted in lines else (*prefix, *name.split(".")))


def load_baseline(
    ref: str | Path,
    *,
    root: Path | None = None,
    _seen: tuple[Path, ...] = (),
    _relative_to: Path | None = None,
) -> Baseline:
    """Load a baseline and everything it extends. `root` is the folder file names in messages and
    reports are relative to (the config's folder; default the working directory)."""
    if _relative_to is None and isinstance(ref, str | Path) and str(ref).endswith(".json"):
        return load_resolved(Path(ref))
    path = resolve(str(ref), _relative_to).resolve()
    shown = shown_name(path, root)
    if path in _seen:
        cycle = " -> ".join(shown_name(p, root) for p in (*_seen, path))
        raise UserError(f"{shown}: extends: inheritance cycle: {cycle}")
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise UserError(f"{shown}:1: a baseline is a mapping with at least `name:`")
    validate(data, schema("vigil.baselines", "schema/baseline.schema.json"), path, lines)

    parent = None
    if "extends" in data:
        parent = load_baseline(data["extends"], root=root, _seen=(*_seen, path), _relative_to=path)
    path_for_messages = path
    path = Path(shown)  # locate() names the file in every message and waiver as shown

    where: dict[tuple, str] = dict(parent.where) if parent else {}
    own_params = flatten(data.get("parameters", {}))
    for name in own_params:
        where[("parameters", name)] = _locate_param(path, lines, ("parameters",), name)
    parameters = {**(parent.parameters if parent else {}), **own_params}

    controls: dict[str, Control] = {c.id: c for c in parent.controls} if parent else {}
    for index, name in enumerate(data.get("exclude_controls", ())):
        if name not in controls:
            raise UserError(
                f"{locate(path, lines, ('exclude_controls', index))}: no inherited control {name!r}"
            )
        del controls[name]
    seen_ids: set[str] = set()
    for index, raw in enumerate(data.get("controls", ())):
        if raw["id"] in seen_ids:
            raise UserError(
                f"{locate(path, lines, ('controls', index, 'id'))}: duplicate control {raw['id']!r}"
            )
        seen_ids.add(raw["id"])
        controls[raw["id"]] = _control(raw)  # a child's control of the same id replaces the parent's

    overrides: dict[str, dict[str, Any]] = {
        k: dict(v) for k, v in (parent.check_overrides if parent else {}).items()
    }
    for check_id, override in data.get("checks", {}).items():
        merged = overrides.setdefault(check_id, {})
        merged.update({k: v for k, v in override.items() if k != "params"})
        merged["params"] = {**merged.get("params", {}), **flatten(override.get("params", {}))}
        for name in flatten(override.get("params", {})):
            where[("checks", check_id, name)] = _locate_param(
                path, lines, ("checks", check_id, "params"), name
            )
        where[("checks", check_id)] = locate(path, lines, ("checks", check_id))

    waiver_block = data.get("waivers", {})
    own_waivers = tuple(
        RawWaiver(item, locate(path, lines, ("waivers", "items", i)))
        for i, item in enumerate(waiver_block.get("items", ()))
    )

    policy = data.get("policy")
    policy_file = (path_for_messages.parent / policy["file"]) if policy and "file" in policy else None
    policy_name = str(policy["file"]) if policy_file is not None else None
    if policy is None and parent is not None:
        policy_title, policy_file = parent.policy_title, parent.policy_file
        policy_name = parent.policy_name
    else:
        policy_title = policy["title"] if policy else None
    if policy_file is not None and not policy_file.is_file():
        raise UserError(f"{locate(path, lines, ('policy', 'file'))}: no such file {policy_name}")

    return Baseline(
        name=data["name"],
        title=data.get("title", data["name"]),
        description=data.get("description", ""),
        version=str(data.get("version", "")),
        path=path_for_messages,
        chain=(data["name"], *(parent.chain if parent else ())),
        policy_title=policy_title,
        policy_file=policy_file,
        parameters=parameters,
        controls=tuple(controls.values()),
        check_overrides=overrides,
        waivers=(*(parent.waivers if parent else ()), *own_waivers),
        warn_days=waiver_block.get("warn_days", parent.warn_days if parent else 14),
        max_waiver_days=waiver_block.get("max_days", parent.max_waiver_days if parent else 365),
        where=where,
        policy_name=policy_name,
        shown=shown,
    )


# ---- the resolved baseline, as the evidence folder keeps it ----

RESOLVED_VERSION = 1


def control_doc(c: Control) -> dict:
    """A control as results.json, the resolved baseline and `vigil baselines show --json` describe it."""
    return {
        "id": c.id,
        "title": c.title,
        "domain": c.domain,
        "section": c.section,
        "quote": c.quote,
        "frameworks": {k: list(v) for k, v in c.frameworks.items()},
        "weight": c.weight,
        "checks": list(c.checks),
        "manual_procedure": c.manual_procedure,
    }


def resolved_document(b: Baseline) -> dict:
    """Everything a run judged with, after `extends:`, as JSON: kept beside the evidence so that a moved
    or copied output folder is re-evaluated with the same baseline, offline."""
    return {
        "resolved_baseline": RESOLVED_VERSION,
        "name": b.name,
        "title": b.title,
        "description": b.description,
        "version": b.version,
        "shown": b.shown,
        "chain": list(b.chain),
        "policy": {"title": b.policy_title, "file": b.policy_name},
        "parameters": dict(b.parameters),
        "controls": [control_doc(c) for c in b.controls],
        "check_overrides": {k: dict(v) for k, v in b.check_overrides.items()},
        "waivers": [{"data": dict(w.data), "where": w.where} for w in b.waivers],
        "warn_days": b.warn_days,
        "max_waiver_days": b.max_waiver_days,
        "where": [[list(k), v] for k, v in b.where.items()],
    }


def load_resolved(path: Path) -> Baseline:
    """A baseline written by resolved_document (OUT/evidence/baseline.json)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("resolved_baseline") != RESOLVED_VERSION:
            raise ValueError("not a resolved baseline written by vigil")
        policy = doc.get("policy") or {}
        return Baseline(
            name=doc["name"],
            title=doc["title"],
            description=doc["description"],
            version=doc["version"],
            path=path,
            chain=tuple(doc["chain"]),
            policy_title=policy.get("title"),
            policy_file=None,
            parameters=doc["parameters"],
            controls=tuple(_control(c) for c in doc["controls"]),
            check_overrides=doc["check_overrides"],
            waivers=tuple(RawWaiver(w["data"], w["where"]) for w in doc["waivers"]),
            warn_days=doc["warn_days"],
            max_waiver_days=doc["max_waiver_days"],
            where={tuple(k): v for k, v in doc["where"]},
            policy_name=policy.get("file"),
            shown=doc["shown"],
        )
    except FileNotFoundError:
        raise UserError(f"{path.name}: no resolved baseline here") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{path.name}: unreadable resolved baseline: {exc}") from None

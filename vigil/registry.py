"""One registry mechanism for collectors and checks, fed by decorators and entry points."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from vigil.errors import UserError
from vigil.model import DOMAINS, SEVERITIES, Check, Collector

T = TypeVar("T")

CHECK_GROUP = "vigil.checks"
COLLECTOR_GROUP = "vigil.collectors"


class Registry(Generic[T]):
    """Named items of one kind; registering a different item under a taken name is a bug."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._origin: dict[str, str] = {}

    def add(self, name: str, item: T, origin: str) -> None:
        if name in self._items and self._origin[name] != origin:
            raise ValueError(f"{self.kind} {name!r} registered twice: {self._origin[name]} and {origin}")
        self._items[name] = item
        self._origin[name] = origin

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def origin(self, name: str) -> str:
        return self._origin[name]

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items[name] for name in sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)


checks: Registry[Check] = Registry("check")
collectors: Registry[Collector] = Registry("collector")


def _origin(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _split_doc(func: Callable) -> tuple[str, str]:
    """The docstring is the rule's documentation; a 'Remediation:' paragraph is split off."""
    doc = inspect.getdoc(func) or ""
    description, _, remediation = doc.partition("Remediation:")
    return description.strip(), " ".join(remediation.split())


def check(
    *,
    id: str,  # noqa: A002 - the decorator reads like the metadata it records
    title: str,
    severity: str,
    domain: str,
    needs: list[str] | tuple[str, ...],
    params: dict[str, Any] | None = None,
    references: list[str] | tuple[str, ...] = (),
    tags: list[str] | tuple[str, ...] = (),
) -> Callable:
    """Declare a check: a pure function (evidence, params) -> iterable of Outcome."""
    if severity not in SEVERITIES:
        raise ValueError(f"check {id}: severity {severity!r} is not one of {SEVERITIES}")
    if domain not in DOMAINS:
        raise ValueError(f"check {id}: domain {domain!r} is not one of {DOMAINS}")

    def register(func: Callable) -> Callable:
        description, remediation = _split_doc(func)
        checks.add(
            id,
            Check(
                id=id,
                title=title,
                description=description,
                remediation=remediation,
                severity=severity,
                domain=domain,
                needs=tuple(needs),
                params=dict(params or {}),
                references=tuple(references),
                tags=tuple(tags),
                func=func,
            ),
            _origin(func),
        )
        return func

    return register


def collector(
    *,
    name: str,
    kind: str,
    source: str,
    version: str = "1",
    ttl: timedelta,
    plain: Iterable[str] = (),
    expand: Callable[[Any], list[Any]] | None = None,
    cpu_bound: bool = False,
) -> Callable:
    """Declare a collector: a plain function of one target (a config entry) returning evidence data.

    `plain` names fields of its data that cannot hold a secret (ids it assigns, file:line locations,
    parsed dates), which redaction then skips. `expand`, when given, turns one config entry into several
    sub-targets (plain, serialisable dicts), and the collector runs once per sub-target as its own task
    in the pool. `cpu_bound` says it parses rather than waits (a large export): when a run's exports are
    large, such tasks run in worker processes, one per core (vigil.collect)."""

    def register(func: Callable) -> Callable:
        description, _ = _split_doc(func)
        collectors.add(
            name,
            Collector(
                name=name,
                version=version,
                kind=kind,
                source=source,
                ttl=ttl,
                description=description,
                func=func,
                plain=tuple(plain),
                expand=expand,
                cpu_bound=cpu_bound,
            ),
            _origin(func),
        )
        return func

    return register


_loaded = False


def load_plugins() -> None:
    """Import the built-in check and collector modules, then every installed plugin's entry points."""
    global _loaded
    if _loaded:
        return
    for package_name in ("vigil.collectors", "vigil.checks"):
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(module.name)
    for group in (COLLECTOR_GROUP, CHECK_GROUP):
        for ep in entry_points(group=group):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin is the user's installation, not our bug
                raise UserError(f"plugin {ep.name!r} ({ep.value}) in {group} failed to load: {exc}") from exc
    _loaded = True

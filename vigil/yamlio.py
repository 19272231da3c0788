"""Read user YAML with line numbers and validate it against a JSON Schema, naming file, line and field."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from vigil.errors import UserError

Location = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """Safe loading; timestamps stay strings so the schema, not YAML, decides what a date is."""


# YAML would turn 2026-01-01 into a date object, which JSON Schema cannot validate as a string
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _lines(node: yaml.Node, path: Location, out: dict[Location, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out)


def load_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """The document and a map from each key path to its line (1-based)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{where}: invalid YAML: {problem}") from None
    lines: dict[Location, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return data, lines


def field_name(path: Location) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def locate(path: Path, lines: dict[Location, int], where: Location) -> str:
    """'file:line: field' for the deepest part of `where` that has a line."""
    for cut in range(len(where), -1, -1):
        if where[:cut] in lines:
            return f"{path}:{lines[where[:cut]]}: {field_name(where)}"
    return f"{path}: {field_name(where)}"


@cache
def schema(package: str, name: str) -> dict:
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


def validate(data: Any, schema_doc: dict, path: Path, lines: dict[Location, int]) -> None:
    """Raise one UserError listing every schema violation with file, line and field."""
    validator = jsonschema.Draft202012Validator(schema_doc)
    errors = sorted(validator.iter_errors(data), key=lambda e: (lines.get(tuple(e.absolute_path), 0), e.path))
    if not errors:
        return
    messages = [f"{locate(path, lines, tuple(e.absolute_path))}: {_message(e)}" for e in errors[:10]]
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    raise UserError("; ".join(messages) + more)


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return error.message

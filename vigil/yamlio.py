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
from vigil.files import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_YAML_NODES, read_bytes

Location = tuple[Any, ...]


class _Loader(yaml.SafeLoader):
    """Safe loading; timestamps stay strings so the schema, not YAML, decides what a date is."""


# YAML would turn 2026-01-01 into a date object, which JSON Schema cannot validate as a string
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _lines(root: yaml.Node, path: Path) -> dict[Location, int]:
    """Each key path's line (1-based), walking the node tree with its aliases expanded as the data will
    be; refuses duplicate keys, nesting deeper than MAX_DEPTH and more than MAX_YAML_NODES nodes (an
    alias bomb), so nothing later spends minutes or gigabytes on a hostile document."""
    out: dict[Location, int] = {}
    stack: list[tuple[yaml.Node, Location]] = [(root, ())]
    nodes = 0
    while stack:
        node, where = stack.pop()
        nodes += 1
        if nodes > MAX_YAML_NODES:
            raise UserError(
                f"{path}: more than {MAX_YAML_NODES} values once aliases are expanded; refused (alias bomb?)"
            )
        if len(where) > MAX_DEPTH:
            raise UserError(f"{path}:{node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
        # a key's own line wins over where its value starts (the next line, for a block mapping or list)
        out.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise UserError(f"{path}:{line}: {field_name(where)}: a key must be plain text")
                key = key_node.value
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, where))
                    continue
                if key in seen:
                    raise UserError(
                        f"{path}:{line}: {field_name((*where, key))}: duplicate key "
                        f"(first at line {seen[key]}); remove one"
                    )
                seen[key] = line
                out[(*where, key)] = line
                stack.append((value_node, (*where, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*where, index)) for index, item in enumerate(node.value))
    return out


def load_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """The document and a map from each key path to its line (1-based)."""
    text = read_bytes(path, path, MAX_DOCUMENT_BYTES)
    try:
        loader = _Loader(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        raise UserError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    try:
        node = loader.get_single_node()
        lines = _lines(node, path) if node is not None else {}
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise UserError(f"{path}: nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
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
    problems = sorted((_where(e), _message(e)) for e in map(_deepest, validator.iter_errors(data)))
    problems.sort(key=lambda item: lines.get(item[0], 0))
    if not problems:
        return
    messages = [f"{locate(path, lines, where)}: {message}" for where, message in problems[:10]]
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    raise UserError("; ".join(messages) + more)


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf, the alternative that came closest says what is really wrong."""
    while error.context:
        # an alternative that failed only on type was the wrong alternative; the deepest other one is right
        fitting = [e for e in error.context if e.validator not in ("type", "oneOf", "anyOf") or e.context]
        error = max(fitting, key=lambda e: len(e.absolute_path)) if fitting else error.context[0]
    return error


def _unexpected(error: jsonschema.ValidationError) -> list[str]:
    allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    return (
        sorted(str(k) for k in error.instance if k not in allowed) if isinstance(error.instance, dict) else []
    )


def _where(error: jsonschema.ValidationError) -> Location:
    """An unknown key is reported at the key itself, not at the mapping that holds it."""
    where = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and _unexpected(error):
        return (*where, _unexpected(error)[0])
    return where


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and _unexpected(error):
        return f"unknown key (allowed: {', '.join(error.schema.get('properties', {}))})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if isinstance(error.schema, dict) and "x-hint" in error.schema:
        # a schema may say in words what a rule means, instead of showing a regex or one alternative
        hint = error.schema["x-hint"]
        return f"{error.instance!r} {hint}" if error.validator == "pattern" else hint
    return error.message

"""The IAM policy language, as the AWS checks read it: statements, wildcards, public principals,
conditions that really narrow a grant, and accounts named in principals."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# condition keys that tie a grant to known accounts, organisations or resources: a statement open to
# "*" with one of these (compared by equality or pattern, not negated) is not open to the world
NARROWING_KEYS = {
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
}
ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, Mapping):
            yield statement


def _any_wildcard(values: list[Any]) -> bool:
    return any(v in ("*", "*:*") for v in values)


def admin_grant(statement: Mapping[str, Any]) -> str | None:
    """Why an Allow statement amounts to administrator rights, or None. A condition does not change that:
    an administrator who must use MFA is still an administrator."""
    if statement.get("Effect") != "Allow":
        return None
    everywhere = _any_wildcard(as_list(statement.get("Resource"))) or "NotResource" in statement
    if not everywhere:
        return None
    if _any_wildcard(as_list(statement.get("Action"))):
        return "allows every action (*) on every resource"
    if "NotAction" in statement:
        excluded = ", ".join(str(a) for a in as_list(statement["NotAction"]))
        return f"allows every action except {excluded} (NotAction) on every resource"
    if any(str(a).lower() == "iam:*" for a in as_list(statement.get("Action"))):
        return "allows iam:* on every resource, enough to grant itself anything"
    return None


def public_principal(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(v == "*" for key in ("AWS", "CanonicalUser") for v in as_list(principal.get(key)))
    return False


def narrowing_condition(statement: Mapping[str, Any]) -> str | None:
    """The condition key that confines a public statement to known principals, or None when the
    statement has no condition or only weak ones (MFA, secure transport, ExternalId, IP-less, negations)."""
    for operator, clauses in (statement.get("Condition") or {}).items():
        op = operator.lower()
        if "not" in op or op.startswith("null") or not isinstance(clauses, Mapping):
            continue
        if not (op.startswith("string") or op.startswith("arn") or op.startswith("foranyvalue:string")):
            continue
        for key, values in clauses.items():
            if key.lower() in NARROWING_KEYS and values and not _any_wildcard(as_list(values)):
                return key
    return None


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    keys = set()
    for operator, clauses in (statement.get("Condition") or {}).items():
        if "not" in operator.lower() or not isinstance(clauses, Mapping):
            continue
        keys.update(k.lower() for k, v in clauses.items() if v and not _any_wildcard(as_list(v)))
    return keys


def principal_accounts(statement: Mapping[str, Any]) -> set[str]:
    """Account ids named by the statement's AWS principals (account id, root or any ARN of the account)."""
    principal = statement.get("Principal")
    found = set()
    if isinstance(principal, Mapping):
        for value in as_list(principal.get("AWS")):
            match = ACCOUNT.match(str(value))
            if match:
                found.add(match[1])
    return found

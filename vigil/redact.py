"""Redaction of keys, passwords and tokens in evidence before anything is written (principle 5)."""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"

# field names whose values are secrets whatever they look like
SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key([_-]?id)?|private[_-]?key"
    r"|credential|session[_-]?key|client[_-]?secret|auth(orization)?|cookie|signature)$"
)
# values that are secrets wherever they appear
SECRET_VALUE = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{8,}=*"),
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,})\b"),
]
# user:password@ in URLs and connection strings keeps the user, hides the password
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/?#@\s]+:)[^@/\s]+(?P<tail>@)", re.I)
# key=value and key: value pairs inside free text; the key may end a longer name (DB_PASSWORD=, api_token:)
# but not follow a colon, which would make it an ARN or URN segment (arn:aws:...:secret:prod/db)
INLINE_PAIR = re.compile(
    r"(?i)(?<![a-z0-9:])(?P<key>password|passwd|pwd|secret|token|api[_-]?key|aws_secret_access_key)"
    r"(?P<sep>\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


def redact_text(text: str) -> tuple[str, int]:
    count = 0
    for pattern in SECRET_VALUE:
        text, n = pattern.subn(MASK, text)
        count += n
    text, n = URL_PASSWORD.subn(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    count += n
    text, n = INLINE_PAIR.subn(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    return text, count + n


def redact(data: Any) -> tuple[Any, int]:
    """A copy of JSON-like data with secrets masked, and how many were masked."""
    if isinstance(data, dict):
        out, total = {}, 0
        for key, value in data.items():
            if isinstance(key, str) and SECRET_KEY.search(key) and value not in (None, "", [], {}):
                if isinstance(value, bool):  # flags such as "password_enabled" describe, not reveal
                    out[key] = value
                    continue
                out[key] = MASK
                total += 1
            else:
                out[key], n = redact(value)
                total += n
        return out, total
    if isinstance(data, list | tuple):
        items = [redact(item) for item in data]
        return [item for item, _ in items], sum(n for _, n in items)
    if isinstance(data, str):
        return redact_text(data)
    return data, 0

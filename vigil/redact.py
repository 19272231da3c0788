"""Redaction of keys, passwords and tokens in evidence before anything is written (principle 5).

Redaction runs over every string of every evidence document, so it is built to be cheap where nothing
can hide and thorough where something can:
- a value beside a secret-like key (`password`, `dbPassword`, `private_key_pem`, `credentials`...) is
  masked whatever it looks like; key names are split into words (snake_case, camelCase, dots, dashes)
  and judged by their words, so `password_hash` is a secret and `password_last_used` describes one;
- a value beside a key that only may name a secret (`key`, `hash`, `salt`...) is masked when it looks
  like one: a long, high-entropy token;
- free text is scanned ONCE by one combined pattern for provider key formats (AWS, Google, GitHub,
  GitLab, Slack, Stripe, npm, SendGrid), private keys (with or without their END line), JWTs, bearer
  and basic credentials, URL passwords and `key=value` / `key: value` pairs with a secret-like key;
- booleans, numbers, None, parsed dates and fields a collector declares plain (`plain=`) are skipped.
Key classification is cached per key name, since evidence repeats the same keys on every record.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection
from functools import lru_cache
from typing import Any

MASK = "[REDACTED]"

# words that make a key name secret wherever they stand in it
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "secrets", "token",
        "tokens", "credential", "credentials", "creds", "cookie", "cookies", "signature", "apikey",
        "privatekey", "secretkey", "accesskey", "sessionkey", "authorization", "auth", "bearer",
        "connectionstring",
    }
)  # fmt: skip
# one word written together: dbpassword, apitoken, clientsecret, xapikey
_SECRET_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "secretkey")
# two words that together name a secret: api key, private key, access key, client secret...
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"), ("session", "key"),
        ("signing", "key"), ("encryption", "key"), ("master", "key"), ("client", "secret"),
        ("connection", "string"), ("shared", "key"), ("account", "key"),
    }
)  # fmt: skip
# a last word that makes the key describe a secret rather than hold it: password_last_used, token_expiry
_DESCRIBES = frozenset(
    {
        "enabled", "disabled", "used", "last", "changed", "rotated", "rotation", "date", "time", "at", "on",
        "expiry", "expires", "expiration", "expired", "age", "days", "policy", "policies", "length", "arn",
        "arns", "name", "names", "count", "status", "state", "type", "types", "required", "present", "set",
        "exists", "reset", "method", "methods", "mode", "provider", "scheme", "version", "algorithm",
        "format", "label", "description", "url", "uri", "endpoint", "kms", "manager", "store", "vault",
        "strength", "complexity", "reuse", "prevention", "hint", "question", "fingerprint", "field",
        "fields", "id", "ids", "report", "flag", "active", "ttl", "lifetime", "duration", "level",
        "check", "checked", "verified", "verification", "valid", "validity", "result", "outcome",
        "entry", "index", "position", "line", "row", "source", "origin", "location", "where",
    }
)  # fmt: skip
# `aws_access_key_id` ends in `id` but the key id is itself credential material
_ID_SECRETS = frozenset({("access", "key"), ("secret", "key")})
# keys that may name a secret; their value is masked only when it looks like one (high entropy)
# (not `hash` alone: content hashes are evidence; password_hash is caught as a secret word)
_MAYBE_WORDS = frozenset({"key", "salt", "seed", "nonce", "hmac", "sig", "otp", "pin", "value"})
# {"name": "DB_PASSWORD", "value": "..."}: environment variables, tags and parameters name their secret
# in one field and hold it in another
_NAME_FIELDS = ("name", "Name", "key", "Key", "parameter", "ParameterKey", "variable")
_VALUE_FIELDS = frozenset({"value", "Value", "ParameterValue", "default", "data"})

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def key_words(key: str) -> list[str]:
    """secretKey -> [secret, key]; private_key_pem -> [private, key, pem]; X-API-Key -> [x, api, key]."""
    return [w.lower() for w in _WORD.findall(key)]


@lru_cache(maxsize=4096)
def key_class(key: str) -> int:
    """2: the key's value is a secret; 1: it is one if it looks like one; 0: not a secret key."""
    words = key_words(key)
    if not words:
        return 0
    pairs = set(zip(words, words[1:], strict=False))
    secret = any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words) or not pairs.isdisjoint(
        _SECRET_PAIRS
    )
    if secret:
        last = words[-1]
        if last in _DESCRIBES and not (last in ("id", "ids") and not pairs.isdisjoint(_ID_SECRETS)):
            return 0
        return 2
    return 1 if any(w in _MAYBE_WORDS for w in words) else 0


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_.~-]{16,}")


def high_entropy(value: str) -> bool:
    """A long token of key-like characters whose letters are spread like a random key's (Shannon entropy
    over 3.5 bits a character for base64-like text, 3.0 for hex): what a generated secret looks like."""
    if not _TOKEN_CHARS.fullmatch(value):
        return False
    counts = Counter(value)
    n = len(value)
    bits = -sum(c / n * math.log2(c / n) for c in counts.values())
    is_hex = all(ch in "0123456789abcdefABCDEF" for ch in value)
    return bits > (3.0 if is_hex else 3.5)


# ---- free text: one combined pattern, scanned once ----

_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)"
_PATTERNS = {
    # a private key block; without its END line (truncated output) everything after BEGIN goes
    "pem": r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|.*)",
    # user:password@ in URLs and connection strings keeps the user, hides the password
    "url": r"(?P<urlhead>\b[a-zA-Z][a-zA-Z0-9+.-]*+://[^:/?#@\s]+:)[^@/\s]+(?P<urltail>@)",
    # Authorization headers of any scheme: the whole credential goes
    "authz": r"(?i:\b(?:proxy-)?authorization)(?P<authzsep>[ \t]*[:=][ \t]*)"
    r"(?:(?i:basic|bearer|digest|token|negotiate|ntlm)[ \t]+)?\S+",
    "bearer": r"(?i:\bbearer)\s+[A-Za-z0-9._~+/-]{8,}=*",
    # Basic credentials are base64 of user:password: a digit, +, / or = among them tells them from prose
    "basic": r"\b[Bb]asic\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}",
    "aws": r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|APKA)[0-9A-Z]{16}\b",
    "google": r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])",
    "github": r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b",
    "gitlab": r"\bglpat-[A-Za-z0-9_-]{20,}",
    "slack": r"\bxox[abposre]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+",
    "stripe": r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}\b",
    "npm": r"\bnpm_[A-Za-z0-9]{36}\b",
    "sendgrid": r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    "jwt": r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    # (last: where a provider format or URL starts at the same place, it wins)
    # key=value and key: value pairs; the key is judged by its words (see key_class). Not after a colon,
    # which would make the key an ARN or URN segment (arn:aws:...:secret:prod/db)
    "pair": r"(?<![A-Za-z0-9:_.-])(?P<key>[A-Za-z][A-Za-z0-9_.-]{0,63}+)(?P<sep>[ \t]*[=:][ \t]*)(?P<value>"
    + _VALUE
    + ")",
}
# A pattern runs only on a string that has what it needs: a few substring tests in C decide, so a string
# with none of it (most names, e-mails, departments...) never meets a regex, and one that has some is
# scanned once by the combination of just the patterns it may match.
_TOKENS = ("aws", "google", "github", "gitlab", "slack", "stripe", "npm", "sendgrid")
_LONG_RUN = re.compile(r"[A-Za-z0-9_-]{12}")  # every provider key format holds such a run


@lru_cache(maxsize=512)
def _combined(names: tuple[str, ...]) -> re.Pattern:
    ordered = sorted(names, key=list(_PATTERNS).index)
    return re.compile("|".join(f"(?P<{name}>{_PATTERNS[name]})" for name in ordered), re.S)


def _candidates(text: str) -> tuple[str, ...]:
    names: list[str] = []
    pairs = ":" in text or "=" in text
    if "PRIVATE KEY" in text:
        names.append("pem")
    if pairs and "://" in text:
        names.append("url")
    if pairs and ("uthorization" in text or "UTHORIZATION" in text):
        names.append("authz")
    if "earer" in text or "EARER" in text:
        names.append("bearer")
    if "asic" in text:
        names.append("basic")
    if pairs:
        names.append("pair")
    if len(text) >= 12 and _LONG_RUN.search(text):
        names.extend(_TOKENS)
    elif "hooks.slack.com" in text:
        names.append("slack")
    if "eyJ" in text:
        names.append("jwt")
    return tuple(names)


def _any_marks(texts: list[str]) -> bool:
    """Whether any of `texts` has a mark _candidates looks for (the same test, asked of many strings at
    once): the literal marks are looked for in their NUL-joined text, which no mark can span, and the
    run of 12 key characters every provider token holds only in the strings long enough to hold one."""
    joined = "\x00".join(texts)
    if (
        ":" in joined
        or "=" in joined
        or "PRIVATE KEY" in joined
        or "earer" in joined
        or "EARER" in joined
        or "asic" in joined
        or "eyJ" in joined
        or "hooks.slack.com" in joined
    ):
        return True
    long = [t for t in texts if len(t) >= 12]
    return bool(long) and _LONG_RUN.search("\x00".join(long)) is not None


_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?P<ext>[A-Za-z][A-Za-z0-9]{0,5})")


def _is_location(key: str, sep: str, value: str) -> bool:
    """`tokens.txt:12`, `secrets.csv:[3]` name a line of a file, not a secret: the 'key' is a file name
    whose extension is no secret word (`db.password: 1234` stays a secret)."""
    value = value.rstrip(").]},")  # a citation inside prose: (auth.log:72), [secrets.csv:[3]]
    if sep.strip() != ":" or not (value.isdigit() or (value[:1] == "[" and value[1:].isdigit())):
        return False
    name = _FILE_NAME.fullmatch(key)
    return name is not None and key_class(name["ext"]) == 0


def redact_text(text: str) -> tuple[str, int]:
    names = _candidates(text)
    if not names:
        return text, 0
    count = 0

    def replace(m: re.Match) -> str:
        nonlocal count
        kind = m.lastgroup
        if kind == "pair":
            key, value = m["key"], m["value"]
            if _is_location(key, m["sep"], value):
                return m[0]
            verdict = key_class(key)
            bare = value.strip("\"'")
            if verdict == 2 or (verdict == 1 and high_entropy(bare)):
                if bare in ("", MASK) or bare.lower() in ("true", "false", "none", "null"):
                    return m[0]  # password_required: true describes; nothing to hide
                count += 1
                return f"{key}{m['sep']}{MASK}"
            # the value may still hold a token (session=eyJ...); scanned after its separator, so that
            # a key inside it right after a colon is still an ARN segment, not a pair
            if not _candidates(value):
                return m[0]
            mark = m["sep"].strip()[-1:]
            inner, n = redact_text(mark + value)
            count += n
            return f"{key}{m['sep']}{inner[len(mark) :]}"
        count += 1
        if kind == "url":
            return f"{m['urlhead']}{MASK}{m['urltail']}"
        if kind == "authz":
            return m[0][: m.start("authzsep") - m.start()] + m["authzsep"] + MASK
        return MASK

    return _combined(names).sub(replace, text), count


_DATE = re.compile(r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?")


def _is_date(text: str) -> bool:
    # parsed dates and timestamps (2026-11-30, 2026-11-30T12:00:00+00:00) cannot hold a secret
    return 10 <= len(text) <= 35 and text[4:5] == "-" and _DATE.fullmatch(text) is not None


def redact(data: Any, plain: Collection[str] = ()) -> tuple[Any, int]:
    """Data with secrets masked, and how many were masked. The input is never changed: what holds a
    secret is copied, what does not is returned as it is. `plain` names fields (at any depth) whose
    values a collector vouches cannot hold a secret (ids it assigns, locations, parsed fields)."""
    return _redact(data, frozenset(plain))


_QUIET: dict[tuple, bool] = {}  # a record's keys -> none of them can name a secret (cached per shape)


def _quiet_keys(keys: tuple) -> bool:
    quiet = _QUIET.get(keys)
    if quiet is None:
        quiet = _VALUE_FIELDS.isdisjoint(keys) and all(type(k) is str and key_class(k) == 0 for k in keys)
        if len(_QUIET) < 4096:
            _QUIET[keys] = quiet
    return quiet


def _clean_record(data: dict, plain: frozenset[str]) -> bool:
    """True when a flat record certainly holds no secret: no key can name one, and its free text,
    looked at once, has none of the marks every secret pattern needs (_any_marks). Records of millions
    of rows are then looked at once each, not once per field."""
    keys = tuple(data)
    quiet = _QUIET.get(keys)
    if not (quiet or (quiet is None and _quiet_keys(keys))):
        return False
    texts: list[str] = []
    for key, value in data.items():
        vtype = type(value)
        if vtype is str:
            if value and key not in plain and not (value[4:5] == "-" and _is_date(value)):
                texts.append(value)
        elif vtype is not bool and vtype is not int and vtype is not float and value is not None:
            return False  # nested data: the field by field walk judges it
    return not texts or not _any_marks(texts)


def _redact(data: Any, plain: frozenset[str]) -> tuple[Any, int]:
    kind = type(data)
    if kind is str:
        return (data, 0) if _is_date(data) else redact_text(data)
    if kind is dict:
        if _clean_record(data, plain):
            return data, 0
        out, total = None, 0
        for name_field in _NAME_FIELDS if not _VALUE_FIELDS.isdisjoint(data) else ():
            named = data.get(name_field)
            if type(named) is str and key_class(named) == 2:
                for field in _VALUE_FIELDS & data.keys():
                    if data[field] not in (None, "", True, False):
                        if out is None:
                            out = dict(data)
                        out[field] = MASK
                        total += 1
                break
        for key, value in data.items():
            if out is not None and out.get(key) is MASK:
                continue
            vtype = type(value)
            if vtype is bool or value is None or key in plain:
                continue
            verdict = key_class(key) if type(key) is str else 0
            if vtype is int or vtype is float:
                if verdict != 2:
                    continue
                new, n = MASK, 1  # a numeric PIN or password is still one
            elif verdict == 2 and vtype is str and value:
                new, n = MASK, 1
            elif verdict == 1 and vtype is str and high_entropy(value):
                new, n = MASK, 1
            elif vtype is str and _is_date(value):
                continue
            else:
                new, n = _redact(value, plain)
            if n:
                if out is None:
                    out = dict(data)
                out[key] = new
                total += n
        return (data, 0) if out is None else (out, total)
    if kind is list or kind is tuple:
        out_list, total = None, 0
        for i, item in enumerate(data):
            new, n = _redact(item, plain)
            if n:
                if out_list is None:
                    out_list = list(data)
                out_list[i] = new
                total += n
        if out_list is None:
            return (data if kind is list else list(data)), 0
        return out_list, total
    if isinstance(data, dict | list | tuple | str):  # subclasses: same rules, slower path
        if isinstance(data, str):
            return redact_text(str(data))
        return _redact(dict(data) if isinstance(data, dict) else list(data), plain)
    return data, 0

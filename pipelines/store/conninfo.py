"""PostgreSQL connection strings read as libpq reads them, so their passwords never reach a message.

Both forms libpq accepts are parsed: ``key=value`` pairs (spaces around ``=`` allowed, values
single-quoted with ``\\'`` and ``\\\\`` escapes, or unquoted with backslash escapes) and URLs
(``postgresql://user:password@host:port/db?password=...``, percent-encoded). Every secret value
(``password``, ``sslpassword``) is located as it is written, so ``masked`` can show the string
with each one replaced and ``redact`` can take them (written or decoded) out of any other text,
such as an error message from libpq or DuckDB that quotes the string.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

SECRET_KEYS = frozenset({"password", "sslpassword"})
MASK = "***"
_URL = re.compile(r"^\s*postgres(?:ql)?://", re.I)
# A secret named in text we could not parse (a message quoting some other string): its value, quoted or not.
_NAMED_SECRET = re.compile(r"\b((?:ssl)?password\s*[=:]\s*)('(?:[^'\\]|\\.)*'?|[^\s&]+)", re.I)
_URL_USERINFO = re.compile(r"(postgres(?:ql)?://[^:/?#@\s]*:)([^\s]*)@", re.I)


@dataclass(frozen=True)
class Secret:
    start: int  # where the value is written in the string (quotes included)
    end: int
    value: str  # as libpq reads it (unquoted, unescaped, percent-decoded)


def secrets(dsn: str) -> list[Secret]:
    """Every secret value of a connection string, where it is written and what it means."""
    return _url_secrets(dsn) if _URL.match(dsn) else _keyword_secrets(dsn)


def _keyword_secrets(dsn: str) -> list[Secret]:
    found, at, size = [], 0, len(dsn)
    while at < size:
        while at < size and dsn[at].isspace():
            at += 1
        key_start = at
        while at < size and not dsn[at].isspace() and dsn[at] != "=":
            at += 1
        key = dsn[key_start:at].lower()
        while at < size and dsn[at].isspace():
            at += 1
        if at >= size or dsn[at] != "=":
            # not key=value: libpq refuses the string; mask everything after a secret's name
            if any(name in dsn[key_start:].lower() for name in SECRET_KEYS):
                return [Secret(key_start, size, dsn[key_start:])]
            return found
        at += 1
        while at < size and dsn[at].isspace():
            at += 1
        value_start, value = at, []
        quoted = at < size and dsn[at] == "'"
        at += quoted
        while at < size:
            char = dsn[at]
            if char == "\\" and at + 1 < size:
                value.append(dsn[at + 1])
                at += 2
                continue
            if (quoted and char == "'") or (not quoted and char.isspace()):
                break
            value.append(char)
            at += 1
        at += quoted and at < size  # the closing quote
        if key in SECRET_KEYS:
            found.append(Secret(value_start, at, "".join(value)))
    return found


def _url_secrets(dsn: str) -> list[Secret]:
    found = []
    body = _URL.match(dsn).end()
    query_at = dsn.find("?", body)
    head_end = len(dsn) if query_at < 0 else query_at
    at_sign = dsn.rfind("@", body, head_end)  # the last '@' ends the user part: mask too much, never too little
    colon = dsn.find(":", body, at_sign) if at_sign >= 0 else -1
    if colon >= 0:
        found.append(Secret(colon + 1, at_sign, unquote(dsn[colon + 1:at_sign])))
    if query_at >= 0:
        position = query_at + 1
        for pair in dsn[query_at + 1:].split("&"):
            key, equals, value = pair.partition("=")
            if equals and unquote(key).strip().lower() in SECRET_KEYS:
                start = position + len(key) + 1
                found.append(Secret(start, start + len(value), unquote(value)))
            position += len(pair) + 1
    return found


def masked(dsn: str) -> str:
    """The connection string with every secret value replaced by ``***``."""
    for secret in sorted(secrets(dsn), key=lambda s: s.start, reverse=True):
        dsn = dsn[:secret.start] + MASK + dsn[secret.end:]
    return dsn


def redact(text: str, dsn: str | None = None) -> str:
    """``text`` without the secrets of ``dsn`` (as written or as meant) nor any named secret."""
    if dsn:
        spellings = set()
        for secret in secrets(dsn):
            for spelling in (dsn[secret.start:secret.end], secret.value):
                spellings.update({spelling, spelling.replace("\\", "\\\\")})  # and as repr() writes it
        for spelling in sorted((s for s in spellings if s), key=len, reverse=True):
            text = text.replace(spelling, MASK)
    text = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    return _NAMED_SECRET.sub(lambda m: m.group(1) + MASK, text)

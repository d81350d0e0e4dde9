"""The salt's fingerprint: which salt a store's respondent keys were made with, without the salt.

Respondent keys are HMACs under the secret salt (``ingest.privacy``); a replica or command with
another salt would store a re-uploaded survey's answers a second time under new keys. The store
keeps an HMAC of a fixed label keyed with the salt: the same salt gives the same fingerprint, and
the fingerprint tells nothing about the salt. ``note`` records it on a store's first write;
``compare`` is what ``python -m pipelines check`` asks.
"""
from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from pathlib import Path

LABEL = b"partnership-health salt fingerprint 1"


class Match(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    NOT_RECORDED = "not recorded"  # nothing written since the store had the table


def of(salt: bytes) -> str:
    return hmac.new(salt, LABEL, hashlib.sha256).hexdigest()


def recorded(cursor) -> str | None:
    row = cursor.execute("SELECT fingerprint FROM salt_fingerprint ORDER BY recorded_at LIMIT 1").fetchone()
    return row[0] if row else None


class OtherSalt(ValueError):
    """This process's salt is not the one the store was written with."""


def note(cursor) -> None:
    """Inside a write: record the fingerprint of this process's salt when the store has none (or has
    another salt's but no respondent key yet); refuse (``OtherSalt``) when its respondent keys were
    made with another salt: a survey loaded now would store people already there a second time."""
    from pipelines import settings
    from pipelines.ingest import privacy  # the salt's owner (creates it on first use)

    salt = privacy.salt()
    match = _match(cursor, salt)
    if match is Match.DIFFERENT and not _keys_made(cursor):
        cursor.execute("DELETE FROM salt_fingerprint")  # no respondent key yet: this salt makes the first
        match = Match.NOT_RECORDED
    if match is Match.NOT_RECORDED:
        cursor.execute("INSERT INTO salt_fingerprint VALUES (?, now()::TIMESTAMP)", [of(salt)])
    elif match is Match.DIFFERENT:
        raise OtherSalt(
            f"The salt in {settings.get('salt_file')} is not the one this store was written with, so "
            "nothing is written: re-uploaded survey answers would be stored a second time under new keys. "
            "Point PARTNERSHIP_SALT_FILE at the store's salt (restore it from the backup kept with the "
            "store); `python -m pipelines check` compares them.")


def _keys_made(cursor) -> bool:
    """Whether the store holds respondent keys (any survey answer, undone ones too: undo can be undone)."""
    return cursor.execute("SELECT EXISTS (SELECT 1 FROM survey_responses)").fetchone()[0]


def compare(cursor, salt_file: Path) -> Match:
    """How the salt in ``salt_file`` (which must exist) compares with the one the store was written with."""
    from pipelines.ingest import privacy

    return _match(cursor, privacy.salt(salt_file))


def _match(cursor, salt: bytes) -> Match:
    stored = recorded(cursor)
    if stored is None:
        return Match.NOT_RECORDED
    return Match.SAME if hmac.compare_digest(stored, of(salt)) else Match.DIFFERENT

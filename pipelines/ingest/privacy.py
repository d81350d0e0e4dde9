"""Pseudonymising respondent ids with a secret salt that lives outside the database, and taking
personal data out of the free text respondents write."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines import settings
from pipelines.ingest.values import fold_latin
from pipelines.store import private


def salt(path: str | Path | None = None) -> bytes:
    """The programme's secret salt, created on first use (mode 0600), never logged.

    Losing it means re-uploaded survey files no longer match the respondents already
    stored: their answers would be stored again under new keys.
    """
    path = Path(path or settings.get("salt_file"))
    if not path.exists():
        private.create_secret(path)
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"The salt in {path} is too short; it must be at least 32 characters.")
    return text.encode()


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each id, its first 64 bits as an unsigned integer: stable per programme,
    not reversible. Two of a million respondents share a key with odds of about 1 in 37 million."""
    codes, unique = pd.factorize(ids.astype(str))
    # HMAC by its definition (RFC 2104), computed by DuckDB over the distinct ids: the same
    # digests as hmac.new(key, id, sha256), in less time than hashlib one id at a time.
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    distinct = pa.table({"position": np.arange(len(unique)),
                         "id": pa.array(np.asarray(unique, dtype=object), pa.string())})
    con = duckdb.connect()
    try:  # in batches, so every thread hashes
        con.register("respondent_ids", pa.Table.from_batches(distinct.to_batches(max_chunksize=65_536)))
        keys = con.execute("""
            SELECT CAST('0x' || left(sha256($outer_pad || unhex(sha256($inner_pad || encode(id)))), 16) AS UBIGINT)
            AS respondent_key FROM respondent_ids ORDER BY position""",
            {"inner_pad": bytes(b ^ 0x36 for b in block), "outer_pad": bytes(b ^ 0x5C for b in block)}
        ).fetchnumpy()["respondent_key"]
    finally:
        con.close()
    return pd.Series(np.asarray(keys, dtype="uint64")[codes], index=ids.index)


# What is taken out of comments, and the placeholder left in its place.
REMOVED_EMAIL, REMOVED_WEB, REMOVED_PHONE, REMOVED_NAME = "[email]", "[web address]", "[phone]", "[name]"
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WEB_ADDRESS = re.compile(r"(?i)\b(?:https?://|www\.)\S*[^\s.,;:!?)\]'\"]|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|"
                          r"gov|edu|int|io|co|uk|eu|info|biz|me|ly)\b(?:/\S*[^\s.,;:!?)\]'\"])?")
_PHONE_LIKE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d ()./-]{6,}\d(?![\w])")
PHONE_DIGITS = 9  # fewer digits is a date, an amount or a reference, not a phone number
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.I)


def name_words(names) -> frozenset[str]:
    """The words of people's names (a name column's cells: ``Alex Morgan``, ``Morgan, Alex``) as
    :func:`scrub` compares them: accents folded, case folded; initials left out."""
    words = set()
    for name in names:
        if isinstance(name, str):
            words.update(w for w in (fold_latin(m).casefold() for m in _WORD.findall(name)) if len(w) > 1)
    return frozenset(words)


def scrub(text: str, names: frozenset[str] = frozenset()) -> str:
    """``text`` without email addresses, web addresses, phone numbers and the words of ``names``
    (whole words, any case: a comment that names a respondent in lower case loses it too)."""
    text = _EMAIL_IN_TEXT.sub(REMOVED_EMAIL, text)
    text = _WEB_ADDRESS.sub(REMOVED_WEB, text)
    text = _PHONE_LIKE.sub(lambda m: REMOVED_PHONE if sum(c.isdigit() for c in m.group()) >= PHONE_DIGITS
                           else m.group(), text)
    if names:
        text = _WORD.sub(lambda m: _name_out(m.group(), names), text)
        text = re.sub(rf"{re.escape(REMOVED_NAME)}(?:[\s,]+{re.escape(REMOVED_NAME)})+", REMOVED_NAME, text)
    return text


def _name_out(word: str, names: frozenset[str]) -> str:
    stem = _POSSESSIVE.sub("", word)  # Shah's: the name, then the possessive kept
    return REMOVED_NAME + word[len(stem):] if fold_latin(stem).casefold() in names else word

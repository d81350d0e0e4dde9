"""Pseudonymising respondent ids with a secret salt that lives outside the database."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines import settings
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

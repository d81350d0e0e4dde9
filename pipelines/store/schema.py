"""The canonical store's schema, as an ordered list of migrations.

Each migration runs once, in its own transaction, and ``meta.schema_version`` records
the last one applied; a database written by an older version is brought up to date in
place when it is opened. Never edit a migration that has shipped: add a new one.

Versioning of rows: every data row carries the ``batch_id`` that loaded it and a
``current`` flag. Loads and undos draw their numbers from one sequence, so a number is
a moment in the store's history; ``asof`` queries rebuild the rows visible at such a
moment from ``batch_id`` and ``batches.undone_version`` (see ``store.visible``).
"""
from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "canonical tables", [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE SEQUENCE IF NOT EXISTS version_seq START 1",
        """CREATE TABLE batches (
            batch_id INTEGER PRIMARY KEY,
            dataset TEXT NOT NULL,
            source_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            encoding TEXT,
            rows_in INTEGER NOT NULL,
            rows_accepted INTEGER NOT NULL,
            rows_rejected INTEGER NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            undone_version INTEGER,
            undone_at TIMESTAMP,
            summary TEXT
        )""",
        """CREATE TABLE partners (
            partner_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_batch INTEGER
        )""",
        """CREATE TABLE partner_aliases (
            alias_key TEXT PRIMARY KEY,
            alias TEXT NOT NULL,
            partner_id INTEGER NOT NULL,
            created_batch INTEGER
        )""",
        """CREATE TABLE instrument_items (
            item_id TEXT NOT NULL,
            text TEXT NOT NULL,
            factor TEXT NOT NULL,
            scale_min INTEGER NOT NULL,
            scale_max INTEGER NOT NULL,
            reverse_scored BOOLEAN NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE survey_responses (
            respondent_key TEXT NOT NULL,
            partner_id INTEGER NOT NULL,
            wave TEXT NOT NULL,
            wave_start DATE NOT NULL,
            item_id TEXT NOT NULL,
            value DOUBLE NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE milestones (
            milestone_id TEXT NOT NULL,
            title TEXT,
            owner_partner_ids INTEGER[] NOT NULL,
            baseline_date DATE NOT NULL,
            forecast_date DATE,
            actual_date DATE,
            status TEXT,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE issues (
            issue_id TEXT NOT NULL,
            title TEXT,
            kind TEXT,
            raised_by_partner_id INTEGER NOT NULL,
            owned_by_partner_id INTEGER,
            raised_date DATE NOT NULL,
            resolved_date DATE,
            severity TEXT,
            status TEXT,
            escalated BOOLEAN NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE rejected_rows (
            batch_id INTEGER NOT NULL,
            source_row INTEGER,
            column_name TEXT,
            check_name TEXT NOT NULL,
            value TEXT,
            message TEXT NOT NULL
        )""",
    ]),
    (2, "remembered column mappings and load provenance", [
        """CREATE TABLE mapping_memory (
            fingerprint TEXT PRIMARY KEY,
            dataset TEXT NOT NULL,
            mapping JSON NOT NULL,
            saved_at TIMESTAMP NOT NULL
        )""",
        "ALTER TABLE batches ADD COLUMN mapping JSON",
        "ALTER TABLE batches ADD COLUMN read_notes TEXT",
        "CREATE INDEX IF NOT EXISTS survey_current ON survey_responses (current)",
    ]),
    # An index on a true/false column helps no query (DuckDB scans with min/max zone maps) and made
    # every load pay for it, and every replaced answer's `current = false` a delete plus an insert.
    (3, "no index on the current flag", [
        "DROP INDEX IF EXISTS survey_current",
    ]),
    # A 64-bit integer key (the first 16 of the 20 hex digits stored before, which is what
    # privacy.pseudonymise now returns for the same id): loads write it and scores group by it
    # faster than text. A new table, not ALTER ... TYPE: DuckLake only widens types in place.
    (4, "respondent keys as 64-bit integers", [
        """CREATE TABLE survey_responses_v4 (
            respondent_key UBIGINT NOT NULL,
            partner_id INTEGER NOT NULL,
            wave TEXT NOT NULL,
            wave_start DATE NOT NULL,
            item_id TEXT NOT NULL,
            value DOUBLE NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """INSERT INTO survey_responses_v4
            SELECT CAST('0x' || left(respondent_key, 16) AS UBIGINT), partner_id, wave, wave_start,
                   item_id, value, batch_id, current
            FROM survey_responses""",
        "DROP TABLE survey_responses",
        "ALTER TABLE survey_responses_v4 RENAME TO survey_responses",
    ]),
    # A keyed hash of the salt (never the salt), so `check` can tell a replica whose salt is not
    # the one the store was written with. Filled by the first write (store.fingerprint).
    (5, "salt fingerprint", [
        "CREATE TABLE salt_fingerprint (fingerprint TEXT NOT NULL, recorded_at TIMESTAMP NOT NULL)",
    ]),
    # What people use beside scores (issue 25): invited headcounts, partner-to-partner ratings and
    # comments loaded with a survey, and agreed actions (versioned by the store's history like rows).
    # IF NOT EXISTS: a store whose recorded version is older than its tables migrates all the same.
    (6, "headcounts, partner ratings, survey comments and actions", [
        """CREATE TABLE IF NOT EXISTS headcounts (
            partner_id INTEGER NOT NULL,
            wave TEXT NOT NULL,
            wave_start DATE NOT NULL,
            invited INTEGER NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS partner_ratings (
            respondent_key UBIGINT NOT NULL,
            partner_id INTEGER NOT NULL,
            target_id INTEGER NOT NULL,
            wave TEXT NOT NULL,
            wave_start DATE NOT NULL,
            question TEXT NOT NULL,
            value DOUBLE NOT NULL,
            scale_min INTEGER NOT NULL,
            scale_max INTEGER NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS survey_comments (
            respondent_key UBIGINT NOT NULL,
            partner_id INTEGER NOT NULL,
            wave TEXT NOT NULL,
            wave_start DATE NOT NULL,
            question TEXT NOT NULL,
            text TEXT NOT NULL,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS actions (
            action_id INTEGER NOT NULL,
            partner_id INTEGER NOT NULL,
            factor TEXT NOT NULL,
            title TEXT NOT NULL,
            owner TEXT NOT NULL,
            due DATE NOT NULL,
            status TEXT NOT NULL,
            created DATE NOT NULL,
            closed DATE,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
    ]),
    # An issue log with no escalation column says nothing about escalation: unknown, not "no"
    # (the escalation rate was 0% for such logs). A new table, not ALTER ... DROP NOT NULL: DuckLake
    # drops it, but its file compaction (``maintain``) still refuses the NULLs written after.
    (7, "escalation may be unknown", [
        """CREATE TABLE issues_v7 (
            issue_id TEXT NOT NULL,
            title TEXT,
            kind TEXT,
            raised_by_partner_id INTEGER NOT NULL,
            owned_by_partner_id INTEGER,
            raised_date DATE NOT NULL,
            resolved_date DATE,
            severity TEXT,
            status TEXT,
            escalated BOOLEAN,
            batch_id INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        "INSERT INTO issues_v7 SELECT * FROM issues",
        "DROP TABLE issues",
        "ALTER TABLE issues_v7 RENAME TO issues",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]

# Natural keys: a row with the same key as an earlier one replaces it.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "instrument_items": ("item_id",),
    "survey_responses": ("respondent_key", "wave", "item_id"),
    "milestones": ("milestone_id",),
    "issues": ("issue_id",),
    "headcounts": ("partner_id", "wave"),
    "partner_ratings": ("respondent_key", "wave", "target_id", "question"),
    "survey_comments": ("respondent_key", "wave", "question"),
    "actions": ("action_id",),
}
VERSIONED_TABLES = tuple(NATURAL_KEYS)

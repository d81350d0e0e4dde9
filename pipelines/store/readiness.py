"""Is this process ready to serve the programme? What ``python -m pipelines check`` answers.

Ready means: the store opens (PostgreSQL answers, for a DuckLake), its schema is the one this
version writes, the salt file is there, valid, and the salt the store was written with (its
fingerprint, ``store.fingerprint``), and the data folder takes a new file. Opening the store is
the caller's part (the command line opens it without creating or migrating anything); this
module checks the rest, in that order, and stops at the first problem.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pipelines import settings
from pipelines.store import fingerprint, lake
from pipelines.store.database import Store
from pipelines.store.schema import SCHEMA_VERSION


class Problem(StrEnum):
    SCHEMA_OLDER = "schema older"
    SCHEMA_NEWER = "schema newer"
    SALT_MISSING = "salt missing"
    SALT_INVALID = "salt invalid"
    SALT_DIFFERENT = "salt different"
    DATA_PATH = "data path not writable"


@dataclass(frozen=True)
class Verdict:
    store: str  # the store as messages name it (no password)
    problem: Problem | None = None
    detail: str = ""  # what the sentence of the problem needs (a path, a version, an error)
    salt: fingerprint.Match | None = None
    salt_file: str = ""
    data_path: str = ""

    @property
    def ready(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        if self.problem is None:
            salt = ("the same as the store's" if self.salt is fingerprint.Match.SAME
                    else "recorded by the store's next write")
            return (f"ready: {self.store}: schema {SCHEMA_VERSION}, salt {self.salt_file} {salt}, "
                    f"data path {self.data_path} writable.")
        return f"not ready: {self.store}: {_SENTENCES[self.problem].format(detail=self.detail, current=SCHEMA_VERSION)}"


_SENTENCES = {
    Problem.SCHEMA_OLDER: "its schema is {detail}, this version writes {current}. Open it once with this version "
                          "(any command other than check, or a replica's start, brings it up to date).",
    Problem.SCHEMA_NEWER: "its schema is {detail}, newer than this version knows ({current}). Upgrade this "
                          "replica to the version the others run.",
    Problem.SALT_MISSING: "the salt file {detail} does not exist. Every replica needs the same salt file: copy "
                          "it from the first replica or from the backup (PARTNERSHIP_SALT_FILE).",
    Problem.SALT_INVALID: "{detail}",
    Problem.SALT_DIFFERENT: "the salt in {detail} is not the one the store was written with (its fingerprint "
                            "differs). Every replica needs the same salt file: copy it from the first replica "
                            "or from the backup; a new salt would store re-uploaded answers twice.",
    Problem.DATA_PATH: "the data folder {detail} does not take a new file. Mount it read-write for the account "
                       "that runs the app.",
}


def check(store: Store) -> Verdict:
    name = store.shown_as
    version = store.schema_version()
    if version != SCHEMA_VERSION:
        older = version < SCHEMA_VERSION
        return Verdict(name, Problem.SCHEMA_OLDER if older else Problem.SCHEMA_NEWER, str(version))
    salt_file = Path(settings.get("salt_file")).expanduser()
    if not salt_file.is_file():
        return Verdict(name, Problem.SALT_MISSING, str(salt_file))
    try:
        match = fingerprint.compare(store.cursor(), salt_file)
    except (OSError, ValueError) as problem:
        return Verdict(name, Problem.SALT_INVALID, str(problem))
    if match is fingerprint.Match.DIFFERENT:
        return Verdict(name, Problem.SALT_DIFFERENT, str(salt_file))
    folder = data_path(store)
    if not _takes_a_file(folder):
        return Verdict(name, Problem.DATA_PATH, folder)
    return Verdict(name, salt=match, salt_file=str(salt_file), data_path=folder)


def data_path(store: Store) -> str:
    """Where the store's data files are: the lake's data path (as its catalog records it), or the file's folder."""
    if not store.is_lake:
        return str(store.path.parent)
    row = store.cursor().execute(
        f"SELECT value FROM ducklake_options('{lake.CATALOG}') WHERE option_name = 'data_path'").fetchone()
    return str(row[0]).rstrip("/") if row else ""


def _takes_a_file(folder: str) -> bool:
    """Whether a new file can be made in ``folder`` (made and removed at once)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ph-check-"):
            return True
    except OSError:
        return False

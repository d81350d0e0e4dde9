"""The bad-input corpus on DuckLake: every test of ``test_bad_inputs`` run unchanged on a lake.

Each test gets its own catalog database (a copy of the session's migrated template, see
``conftest.postgres``), so "the database is exactly as it was" compares one lake's tables
before and after. A separate module from ``test_ducklake`` because both define a
``programme`` fixture, and each module resolves fixtures by name.
"""
from __future__ import annotations

import pytest
import test_bad_inputs
from conftest import new_lake
from test_bad_inputs import programme  # noqa: F401  (the corpus's fixture, on the lake store below)

from pipelines.store import Store

# Every test of the corpus, including ones added later.
globals().update({name: test for name, test in vars(test_bad_inputs).items() if name.startswith("test_")})


@pytest.fixture
def store(postgres, monkeypatch):
    """Overrides conftest's file store: a fresh lake, also named by the setting (the CLI reads it)."""
    location = new_lake(postgres)
    monkeypatch.setenv("PARTNERSHIP_DB", location)
    monkeypatch.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
    store = Store()
    yield store
    store.close()

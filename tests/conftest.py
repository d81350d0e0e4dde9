import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own database path and salt; nothing touches data/."""
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "programme.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "salt"))
    monkeypatch.setenv("PARTNERSHIP_DEMO", "off")
    yield


@pytest.fixture
def store(tmp_path):
    from pipelines.store import Store

    store = Store(tmp_path / "programme.duckdb")
    yield store
    store.close()

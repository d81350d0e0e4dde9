"""The app's first start: an empty database opens on the labelled demo programme."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_first_start_loads_the_demo_programme_and_labels_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "first-start.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_DEMO", "auto")
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception
    assert any("Demo programme" in element.value for element in app.info)


def test_with_the_demo_turned_off_an_empty_database_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "empty.duckdb"))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert not app.info
    assert any("Data page" in element.value for element in app.warning)

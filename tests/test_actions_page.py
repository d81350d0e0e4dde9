"""Agreeing, editing and closing actions from the Partner profile (#25 §4: "the same from the Partner
profile"), through app.py in AppTest on a copy of the demo programme: each change is the library's
(the CLI's `action list` sees it), a refusal is a plain message that changes nothing, and a pinned
view offers no change."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
from survey_files import records, run
from test_pages import _app, shown

PAGE = "app_pages/partner.py"


@pytest.fixture
def programme(demo_db, tmp_path, monkeypatch):
    """A copy of the demo programme of its own: these tests write to it."""
    folder = tmp_path / "own"
    shutil.copytree(demo_db, folder)
    monkeypatch.setenv("PARTNERSHIP_DB", str(folder / "demo.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(folder / "salt"))
    return folder


def actions_of(partner: str) -> list[dict]:
    return [a for a in records("action", "list") if a["partner"] == partner]


def submit(at, label: str):
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_action_agreed_on_the_page_is_the_same_as_one_added_on_the_command_line(programme):
    assert actions_of("Pipwell Ecology") == []
    at = _app({"partner": "Pipwell Ecology"}, page=PAGE)
    at.selectbox(key="action_add_factor").set_value("open_communication")
    at.text_input(key="action_add_title").input("  Shared   risk log reviewed monthly ")
    at.text_input(key="action_add_owner").input("Pipwell PMO")
    at.date_input(key="action_add_due").set_value(dt.date(2027, 1, 29))
    submit(at, "Agree the action")
    [added] = actions_of("Pipwell Ecology")
    assert {key: added[key] for key in ("factor", "title", "owner", "due", "status")} == {
        "factor": "open_communication", "title": "Shared risk log reviewed monthly", "owner": "Pipwell PMO",
        "due": "2027-01-29", "status": "open"}
    assert [shown(s.value) for s in at.success] == [
        f"Added action {added['id']} for Pipwell Ecology: Shared risk log reviewed monthly."]


def test_an_empty_title_is_refused_in_words_and_nothing_is_added(programme):
    before = run("history")[1]
    at = _app({"partner": "Pipwell Ecology"}, page=PAGE)
    at.text_input(key="action_add_owner").input("Pipwell PMO")
    submit(at, "Agree the action")
    assert [shown(e.value) for e in at.error] == ["The title of an action cannot be empty."]
    assert actions_of("Pipwell Ecology") == [] and run("history")[1] == before


def test_an_open_action_is_changed_then_marked_done(programme):
    [open_one] = [a for a in actions_of("Brackwater Systems") if a["status"] == "open"]
    at = _app({"partner": "Brackwater Systems"}, page=PAGE)
    assert at.selectbox(key="action_change_id").value == open_one["id"]
    owner = next(t for t in at.text_input if t.label == "Owner" and t.key != "action_add_owner")
    owner.input("Joint delivery board")
    submit(at, "Save the changes")
    assert [shown(s.value) for s in at.success] == [f"Action {open_one['id']} changed: owner."]
    submit(at, "Mark it done today")
    [after] = [a for a in actions_of("Brackwater Systems") if a["id"] == open_one["id"]]
    assert (after["owner"], after["status"]) == ("Joint delivery board", "done")
    assert [shown(s.value) for s in at.success] == [f"Action {open_one['id']} is done."]
    assert any(c.value == "Brackwater Systems has no open action." for c in at.caption)


def test_saving_without_a_change_writes_nothing(programme):
    before = run("history")[1]
    at = _app({"partner": "Brackwater Systems"}, page=PAGE)
    submit(at, "Save the changes")
    assert "Nothing was changed." in [i.value for i in at.info]
    assert run("history")[1] == before


def test_a_pinned_view_offers_no_change(programme):
    at = _app({"partner": "Brackwater Systems"}, page=PAGE)
    pinned = at.selectbox(key="asof").options[-1]
    at = _app({"partner": "Brackwater Systems", "asof": pinned}, page=PAGE)
    assert not [b for b in at.button if b.label in ("Agree the action", "Mark it done today")]

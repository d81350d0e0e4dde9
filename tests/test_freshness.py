"""Data freshness at the latest data and at a pinned data version, on a real store."""
from __future__ import annotations

from datetime import date

import builders as b
import pandas as pd
import pytest

from pipelines.query import freshness
from pipelines.store import Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


def milestone(mid, baseline, actual=None):
    return dict(milestone_id=mid, title=mid, owner_partner_ids=[1], baseline_date=date.fromisoformat(baseline),
                actual_date=date.fromisoformat(actual) if actual else None, forecast_date=None,
                status="complete" if actual else "open")


def issue(iid, raised, resolved=None):
    return dict(issue_id=iid, title=iid, kind="issue", raised_by_partner_id=1, owned_by_partner_id=1,
                raised_date=date.fromisoformat(raised),
                resolved_date=date.fromisoformat(resolved) if resolved else None,
                severity="medium", status="closed" if resolved else "open", escalated=False)


def survey(partner_id, wave, start):
    return b.responses(partner_id, wave, start, [b.all_items(4)] * 3)


def rows(frame: pd.DataFrame) -> dict[str, tuple]:
    """dataset -> (batches, newest date) for easy comparison."""
    return {r.dataset: (int(r.batches), None if pd.isna(r.latest_event) else pd.Timestamp(r.latest_event).date())
            for r in frame.itertuples()}


def loaded_at(store, batch_id) -> pd.Timestamp:
    return pd.Timestamp(store.cursor().execute(
        "SELECT loaded_at FROM batches WHERE batch_id = ?", [batch_id]).fetchone()[0])


def test_a_pin_describes_the_loads_and_dates_as_they_were(store):
    ids = b.add_partners(store, ["Alpha"])
    b.load(store, "instrument_items", b.instrument())
    first_ms = b.load(store, "milestones", [milestone("M1", "2025-03-01", actual="2025-03-10")])
    q1 = b.load(store, "survey_responses", survey(ids["Alpha"], "2025-Q1", "2025-01-01"))
    issues = b.load(store, "issues", [issue("I1", "2025-02-01", resolved="2025-02-20")])
    q2 = b.load(store, "survey_responses", survey(ids["Alpha"], "2025-Q2", "2025-04-01"))
    later_ms = b.load(store, "milestones", [milestone("M2", "2026-06-30")])
    undo = b.undo(store, later_ms)
    cursor = store.cursor()

    latest = freshness.freshness(cursor)
    assert rows(latest) == {"issues": (1, date(2025, 2, 20)), "milestones": (1, date(2025, 3, 10)),
                            "instrument": (1, None), "partners": (1, None), "survey": (2, date(2025, 4, 1))}
    pd.testing.assert_frame_equal(freshness.freshness(cursor, undo), latest)

    # Before the undo the later milestones still counted (a load), but a plan's due date is no event.
    before_undo = freshness.freshness(cursor, later_ms)
    assert rows(before_undo)["milestones"] == (2, date(2025, 3, 10))
    assert before_undo.set_index("dataset").loc["milestones", "last_loaded"] == loaded_at(store, later_ms)

    # Pinned after the first survey wave: the second wave, and what loaded after it, are not there.
    pinned = freshness.freshness(cursor, issues)
    assert rows(pinned) == {"issues": (1, date(2025, 2, 20)), "milestones": (1, date(2025, 3, 10)),
                            "instrument": (1, None), "partners": (1, None), "survey": (1, date(2025, 1, 1))}
    assert pinned.set_index("dataset").loc["survey", "last_loaded"] == loaded_at(store, q1)
    assert set(rows(freshness.freshness(cursor, first_ms))) == {"instrument", "partners", "milestones"}
    assert rows(freshness.freshness(cursor, q2))["survey"] == (2, date(2025, 4, 1))


def test_nothing_loaded_yet(store):
    assert freshness.freshness(store.cursor()).empty
    assert freshness.freshness(store.cursor(), 1).empty


def test_the_latest_event_is_what_had_happened_by_today_never_a_planned_date(store):
    ids = b.add_partners(store, ["Alpha"])
    b.load(store, "instrument_items", b.instrument())
    b.load(store, "milestones", [milestone("M1", "2025-03-01", actual="2025-03-10"),
                                 milestone("M2", "2027-03-29"), milestone("M3", "2025-05-01", actual="2025-05-02")])
    b.load(store, "issues", [issue("I1", "2025-02-01", resolved="2025-04-20"), issue("I2", "2025-03-01")])
    b.load(store, "survey_responses", survey(ids["Alpha"], "2025-Q1", "2025-01-01"))
    b.load(store, "survey_responses", survey(ids["Alpha"], "2025-Q2", "2025-04-01"))
    found = rows(freshness.freshness(store.cursor(), today=date(2025, 4, 30)))
    assert found["milestones"] == (1, date(2025, 3, 10))  # M3's completion is after today, M2's is a plan
    assert found["issues"] == (1, date(2025, 4, 20))  # a resolution, later than any issue raised
    assert found["survey"] == (2, date(2025, 4, 1))
    assert rows(freshness.freshness(store.cursor(), today=date(2025, 3, 31)))["survey"] == (2, date(2025, 1, 1))


def test_a_plan_with_nothing_completed_has_no_latest_event(store):
    b.add_partners(store, ["Alpha"])
    b.load(store, "milestones", [milestone("M1", "2027-03-29")])
    assert rows(freshness.freshness(store.cursor(), today=date(2026, 12, 6)))["milestones"] == (1, None)

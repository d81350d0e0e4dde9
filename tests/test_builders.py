"""tests/builders.py loads through the product: what a test hands a builder is what lands in the
store (the tests that use them rely on it), each load is a batch with its file, and a builder
refuses what the product would not load as asked."""
from __future__ import annotations

from datetime import date

import builders as b
import pytest

from pipelines.store import versions


def rows(store, sql):
    return store.cursor().execute(sql).fetchall()


@pytest.fixture
def ids(store):
    return b.add_partners(store, ["Kestrel", "Harbour", "Corvell"])


def test_partners_are_numbered_in_order_by_a_partners_file(store):
    assert b.add_partners(store, ["Beta", "Alpha"]) == {"Beta": 1, "Alpha": 2}
    assert b.add_partners(store, ["Gamma"]) == {"Gamma": 3}
    history = versions.history(store.cursor())
    assert list(zip(history["batch"], history["dataset"], history["file"])) == [
        (2, "partners", "partners.csv"), (1, "partners", "partners.csv")]


def test_instrument_items_land_as_given(store):
    batch = b.load(store, "instrument_items", b.instrument(1, scale=(0, 10), reverse={"shared_goals_1"}))
    assert rows(store, "SELECT item_id, text, factor, scale_min, scale_max, reverse_scored, batch_id "
                       "FROM instrument_items ORDER BY item_id") == [
        ("joint_governance_1", "joint_governance item 1", "joint_governance", 0, 10, False, batch),
        ("mutual_accountability_1", "mutual_accountability item 1", "mutual_accountability", 0, 10, False, batch),
        ("open_communication_1", "open_communication item 1", "open_communication", 0, 10, False, batch),
        ("psychological_safety_1", "psychological_safety item 1", "psychological_safety", 0, 10, False, batch),
        ("shared_goals_1", "shared_goals item 1", "shared_goals", 0, 10, True, batch),
    ]


def test_survey_answers_land_long_under_the_pseudonymised_ids(store, ids):
    b.load(store, "instrument_items", b.instrument())
    answers = [{"shared_goals_1": 5, "open_communication_2": 1}, {"shared_goals_2": 3}]
    batch = b.load(store, "survey_responses", b.responses(ids["Harbour"], "2025-03", "2025-03-01", answers)
                   + b.responses(ids["Corvell"], "2025-03", "2025-03-01", [{"shared_goals_1": 2}], prefix="c"))
    key = b.respondent_key
    assert sorted(rows(store, "SELECT respondent_key, partner_id, wave, wave_start, item_id, value, batch_id "
                              "FROM survey_responses")) == sorted([
        (key("p2-2025-03-r0"), 2, "2025-03", date(2025, 3, 1), "shared_goals_1", 5.0, batch),
        (key("p2-2025-03-r0"), 2, "2025-03", date(2025, 3, 1), "open_communication_2", 1.0, batch),
        (key("p2-2025-03-r1"), 2, "2025-03", date(2025, 3, 1), "shared_goals_2", 3.0, batch),
        (key("c-r0"), 3, "2025-03", date(2025, 3, 1), "shared_goals_1", 2.0, batch),
    ])
    assert versions.history(store.cursor())["file"].iloc[0] == "pulse.csv"


def test_milestones_land_as_given(store, ids):
    batch = b.load(store, "milestones", [
        dict(milestone_id="M1", title="Design freeze", owner_partner_ids=[1, 3], baseline_date=date(2025, 2, 1),
             forecast_date=date(2025, 2, 10), actual_date=None, status="open"),
        dict(milestone_id="M2", title="Handover", owner_partner_ids=[2], baseline_date=date(2025, 1, 5),
             forecast_date=None, actual_date=date(2025, 1, 4), status="complete"),
    ], source="plan.csv")
    assert rows(store, "SELECT milestone_id, title, owner_partner_ids, baseline_date, forecast_date, actual_date, "
                       "status, batch_id FROM milestones ORDER BY milestone_id") == [
        ("M1", "Design freeze", [1, 3], date(2025, 2, 1), date(2025, 2, 10), None, "open", batch),
        ("M2", "Handover", [2], date(2025, 1, 5), None, date(2025, 1, 4), "complete", batch),
    ]
    assert versions.history(store.cursor())["file"].iloc[0] == "plan.csv"


def test_issues_land_as_given(store, ids):
    batch = b.load(store, "issues", [
        dict(issue_id="I1", title="Access dispute", kind="dispute", raised_by_partner_id=2, owned_by_partner_id=1,
             raised_date=date(2025, 1, 7), resolved_date=date(2025, 1, 20), severity="high", status="closed",
             escalated=True),
        dict(issue_id="I2", title="Drawings late", kind="issue", raised_by_partner_id=3, owned_by_partner_id=None,
             raised_date=date(2025, 2, 1), resolved_date=None, severity="medium", status="open", escalated=False),
    ])
    assert rows(store, "SELECT issue_id, title, kind, raised_by_partner_id, owned_by_partner_id, raised_date, "
                       "resolved_date, severity, status, escalated, batch_id FROM issues ORDER BY issue_id") == [
        ("I1", "Access dispute", "dispute", 2, 1, date(2025, 1, 7), date(2025, 1, 20), "high", "closed", True, batch),
        ("I2", "Drawings late", "issue", 3, None, date(2025, 2, 1), None, "medium", "open", False, batch),
    ]


def test_undo_is_the_products_and_returns_its_version(store, ids):
    batch = b.load(store, "instrument_items", b.instrument())
    assert (batch, b.undo(store, batch)) == (2, 3)
    assert rows(store, "SELECT count(*) FROM instrument_items WHERE current") == [(0,)]
    assert versions.history(store.cursor())["state"].iloc[0] == "undone"
    assert b.load(store, "instrument_items", b.instrument()) == 4  # the same file, after its undo


@pytest.mark.parametrize("build, refusal", [
    (lambda ids: ("survey_responses", b.responses(ids["Kestrel"], "2025-Q1", "2025-01-01", [{"other_1": 3}])),
     "the instrument has no item other_1"),
    (lambda ids: ("survey_responses", b.responses(ids["Kestrel"], "2025-Q1", "2024-12-15", [b.all_items(3)])),
     "wave 2025-Q1 starts on 2025-01-01, not 2024-12-15"),
    (lambda ids: ("survey_responses", b.responses(ids["Kestrel"], "2025-Q1", "2025-01-01", [b.all_items(6)])),
     "invalid rows"),
    (lambda ids: ("issues", [dict(issue_id="I1", title="t", kind="issue", raised_by_partner_id=9,
                                  owned_by_partner_id=None, raised_date=date(2025, 1, 1), resolved_date=None,
                                  severity=None, status=None, escalated=False)]),
     "there is no partner 9"),
    (lambda ids: ("instrument_items", b.instrument()), "this very file is loaded already"),
])
def test_a_builder_refuses_what_the_product_would_not_load_as_asked(store, ids, build, refusal):
    b.load(store, "instrument_items", b.instrument())
    before = versions.history(store.cursor())
    table, given = build(ids)
    with pytest.raises(ValueError, match=refusal):
        b.load(store, table, given)
    assert versions.history(store.cursor()).equals(before)

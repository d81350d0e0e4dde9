"""The default instrument's wording: one referent and one idea per statement, four per factor,
one reverse-scored; and the demo answers it in a way whose items hang together."""
from __future__ import annotations

import re

import pytest

from pipelines.programme.factors import FACTORS
from pipelines.programme.instrument import DEFAULT_INSTRUMENT

FIRST_PERSON = re.compile(r"\b(i|me|my|we|us|our|ours|you|your)\b", re.IGNORECASE)


@pytest.mark.parametrize("item", DEFAULT_INSTRUMENT, ids=lambda item: item.item_id)
def test_one_referent_the_partners(item):
    assert re.search(r"\bpartners?\b", item.text, re.IGNORECASE), item.text
    assert not FIRST_PERSON.search(item.text), item.text
    assert "organisation" not in item.text.lower(), item.text


@pytest.mark.parametrize("item", DEFAULT_INSTRUMENT, ids=lambda item: item.item_id)
def test_one_idea_no_joined_clauses(item):
    assert not re.search(r"\b(and|or|as well as|nor)\b", item.text, re.IGNORECASE), item.text
    assert item.text.count(",") <= 1 and ";" not in item.text, item.text
    assert item.text.endswith(".") and 30 <= len(item.text) <= 100, item.text


def test_four_per_factor_the_fourth_reversed():
    for factor in FACTORS:
        items = [i for i in DEFAULT_INSTRUMENT if i.factor == factor]
        assert [i.reverse_scored for i in items] == [False, False, False, True]
    assert len({i.text for i in DEFAULT_INSTRUMENT}) == 20


def test_demo_factors_hang_together(demo_db):
    """Cronbach's alpha of the demo's answers: most wave x factors at least 0.7, none far below."""
    from pipelines.query import reliability
    from pipelines.store import Store

    store = Store(demo_db / "demo.duckdb")
    frame = reliability.reliability(store.cursor())
    store.close()
    assert len(frame) == 8 * 5 and (frame["items_answered"] == 4).all()
    assert (frame["status"] == "ok").sum() >= 30 and frame["alpha"].min() > 0.5

"""Why a change since the previous wave is missing: one code per row of ``scores.changes``
(``no_change``), decided in the query layer, and one sentence function (``words.change``) that
every tooltip, table, movers bar and slide note reads."""
from __future__ import annotations

import builders as b
import pytest

from pipelines.present import views, words
from pipelines.present.links import LinkState
from pipelines.programme.factors import INDEX
from pipelines.query import scores
from pipelines.query.between_waves import NoChange
from pipelines.store import Store

Q1, Q1_START = "2024-Q1", "2024-01-01"
Q2, Q2_START = "2024-Q2", "2024-04-01"


# -- the words -------------------------------------------------------------------------

@pytest.mark.parametrize("why,cell,mark,note", [
    (NoChange.FIRST_WAVE, "none: no earlier wave", "no change: no earlier wave",
     "shown in 2026-Q3; no change, no earlier wave"),
    (NoChange.PREVIOUS_HIDDEN, "none: 2026-Q2 not shown", "no change: 2026-Q2 not shown",
     "shown in 2026-Q3; no change, 2026-Q2 not shown"),
    (NoChange.PREVIOUS_NO_RESPONSES, "none: no responses in 2026-Q2", "no change: no responses in 2026-Q2",
     "shown in 2026-Q3; no change, no responses in 2026-Q2"),
    (NoChange.HIDDEN, "not shown", "not shown", "not shown"),
])
def test_each_code_in_each_form(why, cell, mark, note):
    assert words.change(None, why, "2026-Q3", "2026-Q2") == cell
    assert words.change(float("nan"), why, "2026-Q3", "2026-Q2", words.Form.MARK) == mark
    assert words.change(None, why, "2026-Q3", "2026-Q2", words.Form.NOTE) == note


def test_a_code_read_back_from_a_frame_as_text_says_the_same():
    assert words.change(None, "previous_no_responses", "2026-Q3", "2026-Q2") == "none: no responses in 2026-Q2"


def test_a_change_is_signed_with_one_decimal_whatever_the_form():
    assert words.change(4.75, None, "2026-Q3", "2026-Q2") == "+4.8"
    assert words.change(-0.04, None, "2026-Q3", "2026-Q2", words.Form.MARK) == "-0.0"


def test_no_responses_is_never_called_hidden():
    said = {words.change(None, NoChange.PREVIOUS_NO_RESPONSES, "2026-Q3", "2026-Q2", form)
            for form in (words.Form.CELL, words.Form.MARK, words.Form.NOTE)}
    assert not any("hidden" in s or "not shown" in s for s in said)


def test_a_hidden_group_says_no_count_and_no_earlier_wave():
    """Its own group is under k (or protects one): nothing about either wave is told."""
    said = words.change(None, NoChange.HIDDEN, "2026-Q3", "2026-Q2", words.Form.CELL)
    assert said == "not shown" and not any(ch.isdigit() for ch in said)


# -- the code, decided once in the query layer -----------------------------------------

@pytest.fixture
def gaps(tmp_path):
    """Alpha and Delta answer in both waves, Beta only in the second. Gamma is small in the first
    and Epsilon in the second: Alpha's first group and Gamma's second are hidden to protect them."""
    store = Store(tmp_path / "t.duckdb")
    ids = b.add_partners(store, ("Alpha", "Beta", "Gamma", "Delta", "Epsilon"))
    b.load(store, "instrument_items", b.instrument())
    rows = []
    for name, q1, q2 in (("Alpha", 5, 7), ("Beta", 0, 7), ("Gamma", 3, 6), ("Delta", 6, 7), ("Epsilon", 0, 2)):
        rows += b.responses(ids[name], Q1, Q1_START, [b.all_items(3)] * q1)
        rows += b.responses(ids[name], Q2, Q2_START, [b.all_items(4)] * q2)
    b.load(store, "survey_responses", rows)
    yield store
    store.close()


def _codes(frame, wave):
    rows = frame[(frame["wave"] == wave) & (frame["factor"] == INDEX)]
    return dict(zip(rows["partner"], rows["no_change"]))


def test_the_code_of_every_row(gaps):
    changes = scores.changes(gaps.cursor(), k=5)
    assert _codes(changes, Q1) == {"Alpha": "hidden", "Delta": "first_wave", "Gamma": "hidden",
                                   "Programme": "first_wave"}
    assert _codes(changes, Q2) == {"Alpha": "previous_hidden", "Beta": "previous_no_responses",
                                   "Delta": None, "Epsilon": "hidden", "Gamma": "hidden",
                                   "Programme": None}


def test_a_row_has_a_code_exactly_where_it_has_no_change(gaps):
    changes = scores.changes(gaps.cursor(), k=5)
    assert (changes["no_change"].isna() == changes["change"].notna()).all()
    assert set(changes["no_change"].dropna()) <= set(NoChange)


def test_the_demo_codes(demo_source):
    changes = demo_source.changes(None)
    assert _codes(changes, "2026-Q3") == {
        "Brackwater Systems": "previous_hidden", "Corvell Signalling": "hidden", "Harbour Civils": None,
        "Kestrel Design": None, "Northline Infrastructure": None, "Pipwell Ecology": "hidden",
        "Programme": None}
    assert set(_codes(changes, "2024-Q4").values()) == {"first_wave", "hidden"}


# -- what the views say from it --------------------------------------------------------

def _overview(store, wave):
    return views.build(views.Source(store.cursor(), k=5), LinkState(page="overview", wave=wave))


def test_the_movers_bars_say_no_responses_where_nobody_answered(gaps):
    panel = _overview(gaps, Q2).movers_panels[0]
    bars = panel.chart.args[0]
    assert dict(zip(bars["partner"], bars["label"])) == {
        "Alpha": "no change: 2024-Q1 not shown", "Beta": "no change: no responses in 2024-Q1",
        "Delta": "+25.0  beyond noise", "Epsilon": "not shown", "Gamma": "not shown",
        "Programme": "+25.0  beyond noise"}
    assert "Beta: shown in 2024-Q2; no change, no responses in 2024-Q1." in panel.notes
    assert "Alpha: shown in 2024-Q2; no change, 2024-Q1 not shown." in panel.notes
    assert not any(n.startswith("Epsilon: shown") for n in panel.notes)


def test_the_spectrum_tooltip_says_no_responses_where_nobody_answered(gaps):
    from pipelines.present import charts

    chart = _overview(gaps, Q2).spectrum
    spec = charts.spectrum(*chart.args, **chart.kwargs).to_dict()
    rows = [r for data in spec["datasets"].values() for r in data if r.get("partner") == "Beta"]
    assert {r["change_text"] for r in rows if "change_text" in r} == {"none: no responses in 2024-Q1"}


def test_a_profile_headline_says_why_it_has_no_change(demo_source):
    """Brackwater's index had no delta and no word why (its 2026-Q2 group is hidden)."""
    view = views.build(demo_source, LinkState(page="partner", partner="Brackwater Systems", wave="2026-Q3"))
    index = view.headline[0]
    assert (index.value, index.delta) == ("43.1", None)
    assert index.help == "n = 18 (smallest factor), 95% interval 38.8 to 47.4. No change: 2026-Q2 not shown."
    card = dict(view.evidence)["shared_goals"].score
    assert card.delta is None and card.help.endswith(". No change: 2026-Q2 not shown.")


def test_a_headline_with_a_change_keeps_its_arrow(demo_source):
    view = views.build(demo_source, LinkState(page="partner", partner="Harbour Civils", wave="2026-Q3"))
    assert view.headline[0].delta == "+9.2 since 2026-Q2"
    assert view.headline[0].help == "n = 30 (smallest factor), 95% interval 64.3 to 71.8."
    assert dict(view.evidence)["shared_goals"].score.delta == "+10.6"


def test_the_first_waves_headline_says_there_is_no_earlier_wave(demo_source):
    view = views.build(demo_source, LinkState(page="overview", wave="2024-Q4"))
    assert view.headline[0].delta is None and view.headline[0].help.endswith(". No change: no earlier wave.")

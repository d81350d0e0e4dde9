"""#25 on the pages, through app.py in Streamlit's AppTest on the demo programme: participation on the
Overview, the "Who rates whom" tab of Compare, and the Partner profile's participation, agreed actions,
question-by-question view and comments; k-suppression in each; the Partner profile's pack with its
comments only when asked."""
from __future__ import annotations

import json

import pytest
from conftest import open_chart_tables
from test_pack_pages import media, open_page, pdf_text, prepare  # noqa: F401  (media: a fixture)
from test_pages import _app, _texts, shown
from test_views_insights import PARTICIPATION_2026_Q3


def frame_with(at, column: str):
    """The page's table that has ``column``."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


# -- Overview ------------------------------------------------------------------------------

def test_overview_participation_table_and_its_warning(demo):
    at = open_page(wave="2026-Q3")
    table = frame_with(at, "Response rate")
    assert table.values.tolist() == PARTICIPATION_2026_Q3
    assert [shown(w.value) for w in at.warning] == [
        "Brackwater Systems: 56% of the 32 invited answered in 2026-Q3, below the 60% the programme asks for; "
        "its scores rest on few of its people."]
    assert "Participation, 2026-Q3" in [h.value for h in at.subheader]


def test_overview_participation_follows_the_wave(demo):
    at = open_page(wave="2025-Q3")
    assert frame_with(at, "Response rate").values.tolist()[2] == ["Harbour Civils", "59% (below 60%)", "26", "44", "41.5"]


# -- Compare: who rates whom --------------------------------------------------------------------

def test_compare_has_the_ratings_tab_with_the_matrix(demo):
    at = open_page("app_pages/compare.py", wave="2026-Q3")
    assert [t.label for t in at.tabs] == ["Partners \u00d7 factors", "Who rates whom"]
    assert "Who rates whom, 2026-Q3" not in [h.value for h in at.subheader]  # the chart's title names it
    assert any(c.value.startswith("Wave 2026-Q3: each organisation's people rate") for c in at.caption)
    matrix = frame_with(open_chart_tables(at), "Rating organisation")  # "The matrix as a table"
    assert matrix.values.tolist()[5] == ["Pipwell Ecology", *["n < 5"] * 5, "\u2014", "n < 5"]
    assert matrix.values.tolist()[1][2] == "\u2014"  # nobody rates itself
    pairs = frame_with(at, "A rates B")
    assert pairs.values.tolist()[0] == ["Northline Infrastructure", "Corvell Signalling", "70.8", "44.4", "+26.4"]
    text = _texts(at)
    assert ("'All partners' covers every partner, also those not drawn, but not an organisation whose respondents "
            "are not shown (its ratings are, without n). Not shown: fewer than 5 responses, or hidden so a smaller "
            "group cannot be worked out by subtraction") in text


def test_compare_link_keeps_the_partner_the_matrix_includes(demo):
    at = open_page("app_pages/compare.py", wave="2026-Q3", include="Pipwell Ecology")
    assert at.selectbox(key="include").value == "Pipwell Ecology"
    assert at.query_params["include"] == "Pipwell Ecology"


def test_compare_says_when_the_links_partner_is_unknown(demo):
    at = _app({"include": "Nobody Ltd"}, page="app_pages/compare.py", settle=False)  # the run that drops it
    assert at.selectbox(key="include").value is None
    assert any("The link asks for partner **Nobody Ltd**" in w.value for w in at.warning)


def test_compare_scores_tab_names_the_heatmap_once(demo):
    """"Partners × factors" was the tab, the subheader and the chart's title: the tab and the chart's
    title (kept in its PNG, SVG and the pack) say it; the caption gives the wave."""
    at = open_page("app_pages/compare.py", wave="2026-Q3")
    assert not [h.value for h in at.subheader if "factors" in h.value]
    assert [c.value for c in at.caption if c.value.startswith("Wave 2026-Q3: arrows")]
    titles = [json.loads(c.proto.spec).get("title", {}).get("text") for c in at.get("vega_lite_chart")]
    assert "Partners \u00d7 factors" in titles  # the chart's own title, kept in its PNG, SVG and the pack
    assert "Collaboration index" in frame_with(open_chart_tables(at), "Index change").columns


# -- Partner profile -----------------------------------------------------------------------------

def test_partner_low_participation_beside_its_scores(demo):
    at = open_page("app_pages/partner.py", partner="Brackwater Systems", wave="2026-Q3")
    assert next(shown(w.value) for w in at.warning) == (
        "Brackwater Systems: 56% of the 32 invited answered in 2026-Q3, below the 60% the programme asks for; "
        "its scores rest on few of its people.")
    table = frame_with(at, "Response rate")
    assert table.values.tolist()[-1] == ["2026-Q3", "56% (below 60%)", "18", "32", "43.1"]
    assert table.values.tolist()[0] == ["2024-Q4", "\u2014", "5 or more", "20", "not shown"]


def test_partner_open_action_beside_its_factor_and_in_the_table(demo):
    at = open_page("app_pages/partner.py", partner="Brackwater Systems", wave="2026-Q3")
    assert "Agreed action: Joint recovery plan for systems integration (Brackwater delivery lead; overdue since " \
           "2026-06-30)" in shown("\n".join(m.value for m in at.markdown)).replace("**", "")
    assert frame_with(at, "Owner").values.tolist() == [[  # the action and its status first (downloads.layout)
        "Joint recovery plan for systems integration", "overdue since 2026-06-30", "Mutual accountability",
        "Brackwater delivery lead", "now 41.8 (2026-Q3)"]]


def test_partner_closed_action_and_what_its_factor_did(demo):
    at = open_page("app_pages/partner.py", partner="Kestrel Design")
    row = frame_with(at, "Owner").values.tolist()[0]
    assert (row[1], row[4]) == ("done 2025-09-10", "+9.4 from 2025-Q3 to 2025-Q4 (beyond noise)")


def test_partner_items_and_comments(demo):
    at = open_page("app_pages/partner.py", partner="Harbour Civils", wave="2026-Q3")
    items = frame_with(at, "Question")
    assert list(items.columns) == ["Question", "Harbour Civils", "Programme", "Factor"]
    assert len(items) == 20
    text = _texts(at)
    assert "Harbour Civils: what people wrote, 2026-Q3" in text
    assert "- We fix problems together before asking whose they are." in text


def test_partner_small_group_shows_no_comment_and_no_item(demo):
    at = open_page("app_pages/partner.py", partner="Pipwell Ecology", wave="2026-Q3")
    text = _texts(at)
    assert ("Pipwell Ecology's comments for 2026-Q3 are not shown: fewer than 5 of its people answered, "
            "so a comment could point to who wrote it.") in text
    assert {row[1] for row in frame_with(at, "Question").values.tolist()} == {"not shown: fewer than 5 responses"}
    assert "No actions agreed for Pipwell Ecology yet: your administrator records them as the steering group agrees them." in text


@pytest.mark.parametrize("asked", [False, True])
def test_partner_pack_has_comments_only_when_asked(demo, media, asked):  # noqa: F811
    at = open_page("app_pages/partner.py", partner="Kestrel Design", wave="2026-Q3")
    _, data = prepare(at, media, "pdf", pack_comments=asked)
    text = pdf_text(data)
    assert "Agreed actions: Kestrel Design" in text
    assert ("Kestrel Design: what people wrote, 2026-Q3" in text) is asked
    assert ("Honest conversations, even hard ones." in text) is asked

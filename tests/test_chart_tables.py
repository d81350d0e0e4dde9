"""Every chart a page draws has its data as a table one click away (#23 item 8): an expander
"… as a table" right under it, made from the frame the chart draws, in the words of its
tooltips, numbers rounded as the page shows them, a hidden group's values "not shown". Through
app.py in Streamlit's AppTest on the demo programme; ``charts.with_table`` on literal frames."""
from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
from conftest import open_chart_tables
from test_pack_pages import open_page
from test_pages import metrics

from pipelines.present import charts

SUFFIX = " as a table"


def in_order(at) -> list[str]:
    """The page's charts and chart tables in the order drawn: 'chart' or the expander's label."""
    found = []

    def walk(node) -> None:
        if node.type == "vega_lite_chart":
            found.append("chart")
        elif node.type == "expander" and node.label.endswith(SUFFIX):
            found.append(node.label)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def table(at, title: str) -> pd.DataFrame:
    """The chart's table as shown once its expander is opened (it is made only then)."""
    expander = next(e for e in open_chart_tables(at).expander if e.label == title + SUFFIX)
    assert len(expander.dataframe) == 1
    assert [b.label for b in expander.get("download_button")] == ["CSV"]
    return expander.dataframe[0].value


@pytest.mark.parametrize("page, query, titles", [
    (None, {"wave": "2026-Q3"}, ["Where partners stand", "The programme's index by wave"]),
    ("app_pages/partner.py", {"partner": "Kestrel Design"},
     ["The factors over time", "The profile", "Scores per wave"]),
    ("app_pages/compare.py", {"wave": "2026-Q3"}, ["The same numbers", "The matrix"]),
    ("app_pages/whatif.py", {}, ["The projected index among the partners"]),
])
def test_each_chart_has_its_table_right_under_it(demo, page, query, titles):
    at = open_page(page, **query)
    drawn = [x for title in titles for x in ("chart", title + SUFFIX)]
    assert in_order(at) == drawn
    # closed, a table is not made (nor sent); opened, each holds its table and CSV
    assert not [e for e in at.expander if e.label.endswith(SUFFIX) and e.dataframe]
    opened = [e for e in open_chart_tables(at).expander if e.label.endswith(SUFFIX)]
    assert [(len(e.dataframe), [b.label for b in e.get("download_button")]) for e in opened] == [(1, ["CSV"])] * len(titles)


def test_the_spectrum_as_a_table(demo):
    at = open_page(wave="2026-Q3")
    frame = table(at, "Where partners stand")
    assert frame.columns.tolist() == ["Partner", "Index", "Respondents (n)", "95% interval",
                                      "Change since previous wave", "Change beyond noise"]
    assert frame.values.tolist() == [
        ["Northline Infrastructure", "77.1", "13", "70.9 to 83.2", "-2.6", "no"],
        ["Kestrel Design", "72.0", "27", "67.5 to 76.6", "+4.8", "no"],
        ["Harbour Civils", "68.0", "30", "64.3 to 71.8", "+9.2", "yes"],
        ["Programme", "64.2", "109", "61.4 to 67.0", "+5.7", "yes"],
        ["Brackwater Systems", "43.1", "18", "38.8 to 47.4", "none: 2026-Q2 not shown", "no change to test"],
        ["Corvell Signalling", *["not shown"] * 5],
        ["Pipwell Ecology", *["not shown"] * 5]]


def test_the_index_over_time_as_a_table(demo):
    frame = table(open_page(wave="2026-Q3"), "The programme's index by wave")
    assert frame.columns.tolist() == ["Wave", "Index", "Respondents (n)", "95% interval", "Status"]
    assert frame["Wave"].tolist() == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1",
                                      "2026-Q2", "2026-Q3"]
    assert frame.values.tolist()[0] == ["2024-Q4", "44.3", "109", "41.0 to 47.6", "shown"]
    assert frame.values.tolist()[-1] == ["2026-Q3", "64.2", "109", "61.4 to 67.0", "shown"]


def test_a_hidden_partner_s_tables_show_no_n_or_score(demo):
    at = open_page("app_pages/partner.py", partner="Pipwell Ecology", wave="2026-Q3")
    profile = table(at, "The profile")
    assert profile.columns.tolist() == ["Group", "Factor", "Score", "Respondents (n)", "95% interval", "Status"]
    assert profile.values.tolist()[:4] == [
        ["Pipwell Ecology", "Shared goals", "not shown", "not shown", "not shown", "fewer than 5 responses"],
        ["Programme", "Shared goals", "66.8", "109", "63.1 to 70.5", "shown"],
        ["Pipwell Ecology", "Joint governance", "not shown", "not shown", "not shown", "fewer than 5 responses"],
        ["Programme", "Joint governance", "63.9", "109", "60.4 to 67.3", "shown"]]
    over_time = table(at, "The factors over time")
    assert over_time.values.tolist()[:3] == [
        ["Pipwell Ecology", "Shared goals", "2024-Q4", "not shown", "not shown", "not shown",
         "fewer than 5 responses"],
        ["Programme", "Shared goals", "2024-Q4", "48.2", "109", "44.9 to 51.4", "shown"],
        ["Pipwell Ecology", "Shared goals", "2025-Q1", "50.0", "6", "38.3 to 61.7", "shown"]]
    mine = over_time[over_time["Group"] == "Pipwell Ecology"]
    assert set(mine.loc[mine["Status"] != "shown", "Respondents (n)"]) == {"not shown"}


def test_the_factors_table_follows_the_factors_chosen(demo):
    at = open_page("app_pages/partner.py", partner="Kestrel Design", factors=["Shared goals", "Open communication"])
    frame = table(at, "The factors over time")
    assert frame["Factor"].unique().tolist() == ["Shared goals", "Open communication"]
    assert len(frame) == 2 * 8 * 2  # factors x waves x (partner, programme)


def test_the_what_if_strip_as_a_table_follows_the_sliders(demo):
    at = open_page("app_pages/whatif.py", wi_partner="Brackwater Systems")
    frame = table(at, "The projected index among the partners")
    assert frame.values.tolist() == [
        ["Brackwater Systems", "with this scenario", "43.1"], ["Brackwater Systems", "now", "43.1"],
        ["Northline Infrastructure", "now", "77.1"], ["Kestrel Design", "now", "72.0"],
        ["Harbour Civils", "now", "68.0"]]
    at.slider(key="d_shared_goals").set_value(20).run()
    moved = table(at, "The projected index among the partners")
    assert moved.values.tolist()[0] == ["Brackwater Systems", "with this scenario", "47.1"]
    assert dict(metrics(at))["Projected index"] == "47.1"
    assert moved.values.tolist()[1:] == frame.values.tolist()[1:]


# -- the table a chart carries -----------------------------------------------------------------

FRAME = pd.DataFrame({"partner": ["A", "B", "C"], "score_text": ["61.0", "", "70.5"],
                      "n_text": ["12", "3", "9"], "index": [61.04, None, 70.46],
                      "suppressed": [False, True, False]})
TOOLTIP = [alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("score_text:N", title="Score"),
           charts.N_TIP, alt.Tooltip("index:Q", title="Index", format=".1f")]


def test_a_chart_carries_its_rows_in_its_tooltip_words():
    chart = charts.with_table(alt.Chart(FRAME).mark_point().encode(x="index:Q"), "The points", FRAME, TOOLTIP)
    spec = chart.to_dict()
    title, frame = charts.table_of(spec)
    assert "usermeta" not in spec
    assert title == "The points"
    assert frame.columns.tolist() == ["Partner", "Score", "Respondents (n)", "Index"]
    # B is hidden: its n is "not shown" even where a row holds one
    assert frame.values.tolist() == [["A", "61.0", "12", "61.0"], ["B", "not shown", "not shown", ""],
                                     ["C", "70.5", "9", "70.5"]]


def test_a_spec_without_a_table_has_none():
    assert charts.table_of(alt.Chart(FRAME).mark_point().encode(x="index:Q").to_dict()) is None

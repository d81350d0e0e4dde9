"""Page tables at 1024 px (#23): one layout rule (``downloads.layout``) puts the columns a reader came
for first, pins the row's name where whole columns scroll out of view, makes every header fit and wraps long
text instead of widening the table; the Overview's movers, the Partner profile's actions and questions and What-if's projection
use it (in AppTest on the demo programme)."""
import json

import pandas as pd

from app_pages.ui import downloads
from tests.conftest import open_chart_tables
from tests.test_pages import _app, demo  # noqa: F401 (the fixture)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"Factor": ["Shared goals", "Joint governance"],
                         "Question": ["The partners agreed the programme's objectives together.", "Short."],
                         "Kestrel Design": ["72% (n 27)", "not shown"], "Programme": ["65% (n 108)", "61% (n 107)"]})


def test_the_first_columns_come_first_in_their_order_and_the_rest_keep_theirs():
    shown = downloads.layout(_frame(), first=("Question", "Kestrel Design", "Programme"))
    assert list(shown.frame.columns) == ["Question", "Kestrel Design", "Programme", "Factor"]


def test_a_table_that_fits_pins_nothing_so_every_column_widens_with_the_page():
    """Streamlit widens every unpinned column of a stretched table to the page: a pinned name kept the
    width wrapped for 1024 px at 1440 px too (What-if delivery, Compare's pairs)."""
    shown = downloads.layout(_frame(), first=("Question",))
    assert shown.row_height == downloads.WRAP_ROW_HEIGHT  # wrapped to fit 1024 px
    assert not [c for c, e in shown.column_config.items() if e.get("pinned")]


def test_a_table_a_few_px_over_stays_on_one_line_and_pins_nothing():
    """Three unbreakable cells of 222 px each: 126 px over, no wrapping helps, no whole column out of view."""
    shown = downloads.layout(pd.DataFrame({"First": ["a" * 30], "Second": ["b" * 30], "Third": ["c" * 30]}))
    assert (shown.row_height, shown.height) == (None, "auto")
    assert not [c for c, e in shown.column_config.items() if e.get("pinned")]


def test_a_shorter_header_is_measured_in_place_of_the_column_s_name():
    """The Overview's participation: "Collaboration index" (161 px) shown as "Index" (83 px, its cells)."""
    frame = pd.DataFrame({"Collaboration index": ["43.1", "not shown"]})
    assert downloads.layout(frame).column_config["Collaboration index"]["width"] is None  # fits as it is
    wide = pd.DataFrame({"Partner": ["Northline Infrastructure"] * 2, "Response rate": ["56% (below 60%)"] * 2,
                         "Respondents": ["fewer than 5"] * 2, "Invited": ["32"] * 2,
                         "Collaboration index": ["43.1", "not shown"]})
    config = {"Response rate": {"width": 130}, **downloads.headers({"Collaboration index": ("Index", "in full")})}
    widths = {c: e["width"] for c, e in downloads.layout(wide, column_config=config).column_config.items()}
    assert widths == {"Partner": 116, "Response rate": 130, "Respondents": 109, "Invited": 82,
                      "Collaboration index": 83}
    assert sum(widths.values()) <= downloads.TABLE_PX


def test_a_column_that_fits_one_line_keeps_the_width_streamlit_measures():
    shown = downloads.layout(pd.DataFrame({"With this scenario": ["–"], "Partner": ["Northline Infrastructure"]}))
    assert [shown.column_config[c]["width"] for c in ("With this scenario", "Partner")] == [None, None]
    assert (shown.row_height, shown.height) == (None, "auto")  # one-line rows


def test_a_table_too_wide_for_1024_px_wraps_the_column_that_saves_most_until_it_fits():
    shown = downloads.layout(_frame())
    assert {c: e["width"] for c, e in shown.column_config.items()} == {
        "Factor": 130, "Question": 169, "Kestrel Design": 128, "Programme": 97}  # 524 px of 540
    assert shown.row_height == downloads.WRAP_ROW_HEIGHT
    assert shown.height == 35 + 2 * 70 + 2  # every wrapped row in view


def test_a_table_that_fits_keeps_one_line_rows_however_long_a_cell():
    shown = downloads.layout(pd.DataFrame({"Dataset": ["Headcount (staff invited per survey wave)"], "Loads": [1]}))
    assert shown.column_config["Dataset"]["width"] is None
    assert (shown.row_height, shown.height) == (None, "auto")


def test_four_lines_when_three_do_not_fit():
    shown = downloads.layout(pd.DataFrame({"Action": ["Joint recovery plan for systems integration"],
                                           "Owner": ["Brackwater delivery lead"], "Status": ["overdue since 2026-06-30"],
                                           "Factor": ["Mutual accountability"],
                                           "The factor since": ["now 41.8 (2026-Q3)"]}))
    assert shown.row_height == 70 + 20
    # no header is cut: "The factor since" keeps its 142 px
    assert {c: e["width"] for c, e in shown.column_config.items()} == {
        "Action": 116, "Owner": 90, "Status": 90, "Factor": 116, "The factor since": 142}


def test_a_long_word_is_never_cut():
    shown = downloads.layout(pd.DataFrame({"Action": [
        "Re-baseline the " + "x" * 40 + " schedule with every partner's planners"]}))
    assert shown.column_config["Action"]["width"] == round(40 * 6.6 + 24)


def test_formats_help_and_a_width_given_are_kept():
    shown = downloads.layout(pd.DataFrame({"Change": [1.5], "Rate": ["56% (below 60%)"]}), column_config={
        "Change": {"type_config": {"type": "number", "format": "%+.1f"}, "help": "why"}, "Rate": {"width": 130}})
    entry = shown.column_config["Change"]
    assert (entry["type_config"]["format"], entry["help"], entry["width"]) == ("%+.1f", "why", None)
    assert shown.column_config["Rate"]["width"] == 130


def _table(at, first_column: str):
    """The page's table whose first column is ``first_column``: its columns and their config."""
    for frame in at.dataframe:
        if list(frame.value.columns)[:1] == [first_column]:
            return list(frame.value.columns), json.loads(frame.proto.columns)
    raise AssertionError(f"no table starts with {first_column}")


def test_overview_movers_go_from_before_to_each_with_its_n(demo):  # noqa: F811
    at = _app()
    movers = next(f for f in at.dataframe if "Measure" in f.value.columns)  # participation starts with Partner too
    assert list(movers.value.columns) == ["Partner", "Measure", "2026-Q2 (n)", "2026-Q3 (n)", "Change"]
    assert movers.value.iloc[0].tolist() == ["Harbour Civils", "Open communication", "59.9 (n 30)", "75.0 (n 30)",
                                             "+15.1 beyond noise"]
    assert movers.value.iloc[4].tolist() == ["Northline Infrastructure", "Mutual accountability", "84.1 (n 11)",
                                             "76.0 (n 13)", "-8.1"]
    config = json.loads(movers.proto.columns)
    assert not config["Partner"].get("pinned")  # it fits: nothing scrolls sideways
    assert config["Change"]["alignment"] == "right"


def test_overview_freshness_wraps_the_dataset_so_the_newest_date_is_in_view(demo):  # noqa: F811
    columns, config = _table(_app(), "Dataset")
    assert columns == ["Dataset", "Last loaded", "Loads", "Latest event recorded"]
    assert config["Dataset"]["width"] == 136  # "Headcount (staff ...)" in three lines
    assert not config["Dataset"].get("pinned")
    assert config["Last loaded"]["type_config"]["format"] == "YYYY-MM-DD HH:mm"


def test_partner_actions_show_the_status_beside_the_action(demo):  # noqa: F811
    at = _app(page="app_pages/partner.py", query={"partner": "Brackwater Systems"})
    columns, config = _table(at, "Action")
    assert columns == ["Action", "Status", "Factor", "Owner", "The factor since"]
    assert config["Action"]["width"] == 116 and not config["Action"].get("pinned")  # wrapped, every column in view


def test_partner_questions_show_both_scores_beside_the_question(demo):  # noqa: F811
    at = _app(page="app_pages/partner.py", query={"partner": "Brackwater Systems"})
    columns, config = _table(at, "Question")
    assert columns == ["Question", "Brackwater Systems", "Programme", "Factor"]
    assert config["Question"]["width"] < 250  # wrapped, not one line of the longest question


def test_a_frame_is_laid_out_once_and_kept_as_arrow(monkeypatch):
    """The frames of a shared view are the same objects in every session: laid out once."""
    calls, real = [], downloads.layout
    monkeypatch.setattr(downloads, "layout", lambda *a: calls.append(a) or real(*a))
    frame = _frame()
    first = downloads._layout_once(frame, ("Question",), None)
    assert downloads._layout_once(frame, ("Question",), None) is first and len(calls) == 1
    assert first.frame.column_names == ["Question", "Factor", "Kestrel Design", "Programme"]
    assert first.frame.column("Kestrel Design").to_pylist() == ["72% (n 27)", "not shown"]
    downloads._layout_once(_frame(), ("Question",), None)  # an equal frame, another object: its own
    downloads._layout_once(frame, ("Factor",), None)       # another order: its own
    assert len(calls) == 3


def test_a_table_that_cannot_fit_keeps_one_line_rows_each_column_whole_and_scrolls():
    """The ratings matrix as a table: seven partner columns do not fit 1024 px however their cells
    wrap; wrapped, every row was 90 px with the names on one line and the headers cut."""
    names = ["Harbour Civils", "Kestrel Design", "Brackwater Systems", "Northline Infrastructure",
             "Corvell Signalling", "Pipwell Ecology", "All partners"]
    frame = pd.DataFrame([["Rater " + n, *["63.2 \u25b23.2"] * len(names)] for n in names],
                         columns=["Rating organisation", *names])
    shown = downloads.layout(frame)
    assert (shown.row_height, shown.height) == (None, "auto")
    # Streamlit's own widths (header and cells whole): ours, with room for a sort mark, were 1207 px
    # and put "Pipwell Ecology" and "All partners" out of view at 1440 px too (974 px then)
    assert {c: e["width"] for c, e in shown.column_config.items()} == dict.fromkeys(frame.columns)
    assert shown.column_config["Rating organisation"]["pinned"]


# -- the tables #23 left cut at 1024 px: each fits the page's column ----------------------------
def _widths(frame) -> dict[str, int]:
    config = json.loads(frame.proto.columns)
    return {c: config[c].get("width") for c in frame.value.columns}


def test_overview_movers_fit_1024_px_with_every_header_whole(demo):  # noqa: F811
    """Six columns did not fit ("Beyond noise" cut, then out of view): the change says it."""
    movers = next(f for f in _app().dataframe if "Measure" in f.value.columns)
    widths = _widths(movers)
    assert widths == {"Partner": 116, "Measure": 116, "2026-Q2 (n)": 109, "2026-Q3 (n)": 109, "Change": 83}
    assert sum(widths.values()) <= downloads.TABLE_PX
    assert widths["Change"] >= round(len("Change") * 6.6 + 36)  # the header whole, its sort mark too


def test_what_if_delivery_fits_1024_px_with_every_header_whole(demo):  # noqa: F811
    """The demo's first partner: its "95% interval" column sat behind the sideways scroll."""
    at = _app(page="app_pages/whatif.py")
    delivery = next(f for f in at.dataframe if "With this scenario" in f.value.columns)
    widths = _widths(delivery)
    assert widths == {"Indicator": 97, "2026-Q3 alone": 122, "Expected": 89, "With this scenario": 155, "Change": 76}
    assert sum(widths.values()) <= downloads.TABLE_PX


def test_a_projected_delivery_table_fits_1024_px_in_four_line_rows():
    """Projected, each value with its interval and each change with its verdict, as the view words them."""
    frame = pd.DataFrame({
        "Indicator": ["On-time milestones", "Median days to resolve", "Escalation rate"],
        "2026-Q3 alone": ["33%", "34 days", "20%"], "Expected": ["61%", "31 days", "18%"],
        "With this scenario": ["64% (55% to 72%)", "29 days (25 days to 33 days)", "16% (12% to 20%)"],
        "Change": ["+3.0 pts (better)", "-2.0 days (better)", "-2.0 pts (better)"]})
    shown = downloads.layout(frame)
    widths = {c: e["width"] for c, e in shown.column_config.items()}
    assert widths == {"Indicator": 95, "2026-Q3 alone": 122, "Expected": 89, "With this scenario": 155, "Change": 77}
    assert sum(widths.values()) <= downloads.TABLE_PX
    assert (shown.row_height, shown.height) == (90, 35 + 3 * 90 + 2)


def test_numbers_are_right_aligned_though_shown_as_text():
    """A rating pair not shown makes its numbers text ("not shown"): they stay right-aligned."""
    frame = pd.DataFrame({"Partner A": ["Harbour Civils", "Kestrel Design"], "A rates B": [49.1, None],
                          "Gap": [-13.4, 2.0]})
    shown = downloads.layout(frame, column_config={"Gap": {"alignment": "left"}})
    assert shown.frame["A rates B"].tolist() == ["49.1", ""]
    assert [shown.column_config[c].get("alignment") for c in frame] == [None, "right", "left"]  # a choice kept


def test_the_partner_s_participation_fits_on_one_line(demo):  # noqa: F811
    """It was 12 px over by our estimate and wrapped, for a px or two, in rows 90 px tall (at 1440 px
    too); with the index's short header it fits on one line."""
    at = _app(page="app_pages/partner.py", query={"partner": "Brackwater Systems"})
    table = next(f for f in at.dataframe if list(f.value.columns)[:2] == ["Wave", "Response rate"])
    assert list(table.value.columns) == ["Wave", "Response rate", "Respondents", "Invited", "Collaboration index"]
    assert _widths(table) == {"Wave": None, "Response rate": 130, "Respondents": None, "Invited": None,
                              "Collaboration index": None}  # 130: the page's, so "56% (below 60%)" is whole
    assert table.proto.row_height == 0  # Streamlit's one-line rows


def test_wrapped_rows_are_as_tall_as_their_longest_cell_needs(demo):  # noqa: F811
    """The Overview's participation: "Northline Infrastructure" in two lines needs a three-line
    row (70 px), not the four (90 px) the widths were last tried at."""
    table = next(f for f in _app().dataframe if "Response rate" in f.value.columns)
    assert table.proto.row_height == downloads.WRAP_ROW_HEIGHT


def test_overview_participation_fits_1024_px_under_the_index_s_short_header(demo):  # noqa: F811
    """"Collaboration index" (161 px) put the table 36 px over at 1024 px: the page says "Index", its
    help the full name; the CSV and the pack keep "Collaboration index"."""
    table = next(f for f in _app().dataframe if "Response rate" in f.value.columns)
    widths = _widths(table)
    assert widths == {"Partner": 116, "Response rate": 130, "Respondents": 109, "Invited": 82,
                      "Collaboration index": 83}
    assert sum(widths.values()) <= downloads.TABLE_PX
    config = json.loads(table.proto.columns)["Collaboration index"]
    assert (config["label"], config["help"]) == ("Index", "Collaboration index (0-100)")


def test_compare_s_table_puts_partner_index_and_change_first_under_short_headers(demo):  # noqa: F811
    """"The same numbers as a table" was 1254 px wide with the index, its change and n last."""
    at = open_chart_tables(_app(page="app_pages/compare.py"))  # "The same numbers as a table", opened
    table = next(f for f in at.dataframe if "Index change" in f.value.columns)
    assert list(table.value.columns)[:4] == ["Partner", "Collaboration index", "Index change", "Respondents"]
    config = json.loads(table.proto.columns)
    assert {c: config[c].get("label") for c in list(table.value.columns)[1:9]} == {
        "Collaboration index": "Index", "Index change": "Change", "Respondents": None, "Shared goals": "Shared goals",
        "Joint governance": "Joint gov.", "Psychological safety": "Psych. safety", "Open communication": "Open comm.",
        "Mutual accountability": "Mutual acc."}
    assert config["Partner"]["pinned"] is True  # at 1024 px the factors scroll: the partner stays in view


def test_compare_relationship_pairs_right_align_their_scores_and_gap(demo):  # noqa: F811
    at = _app(page="app_pages/compare.py")
    columns, config = _table(at, "Partner A")
    assert columns == ["Partner A", "Partner B", "A rates B", "B rates A", "Gap"]
    assert [config[c].get("alignment") for c in columns] == [None, None, "right", "right", "right"]

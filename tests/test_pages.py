"""The browsing pages (Overview, Partner profile, Compare) in Streamlit's AppTest.

Each test opens its own database file (``_store`` is cached by path), on the demo
programme, an empty database, or a programme where every group is suppressed."""
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["app_pages/overview.py", "app_pages/partner.py", "app_pages/compare.py"]
TIMEOUT = 120


def _app(query: dict | None = None, page: str | None = None, settle: bool = True) -> AppTest:
    """The app opened (like a browser opening a link) on ``page`` with ``query`` in its URL."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    if page:
        at.switch_page(page)
        at.query_params.clear()
        at.query_params.update(query or {})
        at.run()
        # AppTest cannot open a non-default page cold: its first run after switch_page hands
        # widgets shared with the previous page their defaults once. A second run settles
        # them, as a browser opening the URL does at once (tests/test_browser_pages.py).
        if settle:
            at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """Markdown as the page shows it: backslash escapes and word joiners (app_pages/ui/text.py) gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def metrics(at: AppTest) -> list[tuple[str, str]]:
    """Every metric a page drew with ``page.metric``, as (label, value) in order: the label is a
    small line above; the value a metric's figure or, for a word, a subheading under it."""
    found = []

    def walk(node) -> None:
        children = list(getattr(node, "children", {}).values())
        for label, value in zip(children, children[1:]):
            if label.type == "markdown" and label.value.startswith(":small[") \
                    and value.type in ("metric", "subheader"):
                found.append((shown(label.value[len(":small["):-1]), shown(value.value)))
        for child in children:
            walk(child)

    walk(at.main)
    return found


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [h.value for h in at.subheader]
    parts += [w.value for w in at.warning] + [i.value for i in at.info] + [t.value for t in at.title]
    return shown("\n".join(parts + [f"{label}: {value}" for label, value in metrics(at)]))


@pytest.fixture
def demo(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERSHIP_DEMO", "auto")
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "demo.duckdb"))


@pytest.fixture
def all_suppressed(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERSHIP_DEMO", "auto")
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "1000")
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "suppressed.duckdb"))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo(demo, page):
    at = _app(page=page)
    text = _texts(at)
    assert "Demo programme" in text
    assert "fewer than k" not in text  # reasons spell out the real k
    if page.endswith("overview.py"):
        assert "Collaboration index, 2026-Q3: 64.2" in text
        assert "Pipwell Ecology**: fewer than 5 responses" in text
        assert "Biggest movers" in text and "Alerts" in text and "Data freshness" in text
        assert len(at.dataframe) >= 2  # movers and freshness
    elif page.endswith("partner.py"):
        assert at.selectbox(key="partner").value == "Brackwater Systems"
        assert at.selectbox(key="wave").value == "2026-Q3"
        assert "Five factors over time, against the programme" in text
        assert "Evidence beside each factor, 2026-Q3" in text
    else:
        assert "Wave 2026-Q3: arrows show the change since 2026-Q2" in text  # the chart names itself
        assert len(at.get("page_link")) >= 6  # one link per partner to its profile


@pytest.mark.parametrize("page", PAGES)
def test_page_on_an_empty_database_says_there_is_no_data(tmp_path, monkeypatch, page):
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "empty.duckdb"))
    at = _app(page=page)
    assert not at.error
    assert any("Data page" in w.value for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize("page", PAGES)
def test_page_where_every_group_is_suppressed(all_suppressed, page):
    at = _app(page=page)
    text = _texts(at)
    assert "fewer than 1000 responses" in text
    if page.endswith("overview.py"):
        assert "Collaboration index, 2026-Q3: not shown" in text
        assert "Partners shown: 0 of 6" in text
        assert "No group can be shown" in text
    elif page.endswith("partner.py"):
        assert "Collaboration index, 2026-Q3: not shown" in text
        assert "Respondents: < 1000" in text
    else:
        assert "Not shown in 2026-Q3" in text


def test_overview_url_sets_the_wave(demo):
    at = _app({"wave": "2025-Q2"})
    assert at.selectbox(key="wave").value == "2025-Q2"
    assert "Collaboration index, 2025-Q2" in _texts(at)
    assert at.query_params.get("wave") == "2025-Q2"


def test_a_word_value_is_a_subheading_under_its_label_not_a_metric(demo):
    """A band does not fit a metric's large type in a third of a 1024 px page ("Transitio…")."""
    at = _app({"wave": "2026-Q3"})
    assert [label for label, _ in metrics(at)] == ["Collaboration index, 2026-Q3", "Programme band", "Partners shown"]
    assert metrics(at)[1:] == [("Programme band", "Transitioning"), ("Partners shown", "4 of 6")]
    assert [shown(m.label) for m in at.metric] == ["Collaboration index, 2026-Q3", "Partners shown"]
    assert "Transitioning" in [h.value for h in at.subheader]


def test_partner_url_sets_every_widget(demo):
    at = _app({"partner": "Harbour Civils", "wave": "2025-Q4",
               "factors": ["Shared goals", "Open communication"]}, page="app_pages/partner.py")
    assert at.selectbox(key="partner").value == "Harbour Civils"
    assert at.selectbox(key="wave").value == "2025-Q4"
    assert at.multiselect(key="factors").value == ["shared_goals", "open_communication"]
    assert "Profile across the five factors, 2025-Q4" in _texts(at)
    assert not at.warning or all("disagree" in w.value for w in at.warning)


def test_compare_url_sets_every_widget(demo):
    at = _app({"wave": "2026-Q1", "sort": "Collaboration index"}, page="app_pages/compare.py")
    assert at.selectbox(key="wave").value == "2026-Q1"
    assert at.selectbox(key="sort").value == "collaboration_index"
    assert "Wave 2026-Q1: arrows show the change since 2025-Q4" in _texts(at)


def test_pinned_url_sets_the_data_version(demo):
    at = _app()
    labels = at.selectbox(key="asof").options
    pinned = labels[3]  # an earlier batch, as the URL spells it
    at = _app({"asof": pinned})
    assert at.selectbox(key="asof").value is not None
    assert "Pinned to" in "\n".join(c.value for c in at.sidebar.caption)


PINNED = "This view is pinned to version 8: data as loaded on "


@pytest.mark.parametrize("page", [*PAGES, "app_pages/whatif.py"])
def test_a_pinned_link_says_which_data_version_it_shows(demo, page):
    """In the page itself: on a narrow screen the sidebar that also says so is folded away."""
    pinned = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    at = _app({"asof": pinned}, page=None if page == PAGES[0] else page)
    said = [i.value for i in at.info if i.value.startswith(PINNED)]
    assert len(said) == 1, [i.value for i in at.info]
    assert ", before the survey responses upload of the demo programme from northline-pulse-2026-Q2.csv. Later loads " \
        "and undos are not shown; choose *Latest data* under *Data as of* to see them." in shown(said[0])


def test_a_link_to_the_latest_data_says_nothing_of_a_pin(demo):
    assert not [i.value for i in _app().info if "pinned" in i.value]


@pytest.mark.parametrize("page,query,named", [
    (None, {"wave": "1999-Q9"}, "1999-Q9"),  # the Overview is the page a link without a path opens
    ("app_pages/partner.py", {"partner": "Nobody Ltd"}, "Nobody Ltd"),
    ("app_pages/compare.py", {"sort": "height"}, "height"),
])
def test_a_bad_link_opens_with_a_notice_and_defaults(demo, page, query, named):
    # (a bad wave on the partner and compare pages, opened cold, is in test_browser_pages: AppTest
    # always runs the overview first, which registers the shared wave widget)
    # the notice shows on the run that drops the value: the first run for the default page
    at = _app(query, page=None if page == "app_pages/overview.py" else page, settle=False)
    notices = [w.value for w in at.warning]
    assert any(named in n for n in notices), notices
    if "wave" in query:
        assert at.selectbox(key="wave").value == "2026-Q3"
    if "partner" in query:
        assert at.selectbox(key="partner").value == "Brackwater Systems"
    if "sort" in query:
        assert at.selectbox(key="sort").value == "partner"


def _freshness(at: AppTest) -> dict[str, tuple]:
    """The Overview's data freshness table: dataset label -> (loads, newest date in the data)."""
    table = next(d.value for d in at.dataframe if "Dataset" in d.value.columns)
    return {r["Dataset"]: (int(r["Loads"]), r["Latest event recorded"]) for _, r in table.iterrows()}


def test_a_pinned_overview_shows_the_freshness_of_the_pinned_data(demo):
    at = _app()
    assert _freshness(at)["Pulse survey responses"] == (8, "2026-07-01")
    assert {"Issue / risk / dispute log", "Delivery milestones"} <= set(_freshness(at))
    pinned = next(label for label in at.selectbox(key="asof").options if label.startswith("v8 · "))
    at = _app({"asof": pinned})
    fresh = _freshness(at)
    # Batch 8 is the demo's sixth survey wave; the milestones and issue log loaded after it.
    assert fresh["Pulse survey responses"] == (6, "2026-01-01")
    assert "Issue / risk / dispute log" not in fresh and "Delivery milestones" not in fresh
    assert any(pinned in shown(c.value) and "later loads and undos are not counted" in c.value for c in at.caption)


def test_the_freshness_table_names_datasets_as_the_data_page_does_and_says_which_have_no_dates(demo):
    assert _freshness(_app()) == {
        "Agreed actions": (8, "no dates"),
        "Headcount (staff invited per survey wave)": (1, "no dates"),
        "Survey instrument (questions)": (1, "no dates"),
        "Issue / risk / dispute log": (1, "2026-11-23"),
        "Delivery milestones": (1, "2026-11-22"),
        "Partners and their other names": (1, "no dates"),
        "Pulse survey responses": (8, "2026-07-01"),
    }


def test_an_overview_pinned_before_the_headcount_says_why_invited_and_rate_are_blank(demo):
    pinned = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    said = [c.value for c in _app({"asof": pinned}).caption]
    assert any("No headcount list had been loaded at this data version, so invited and response rate are "
               "blank (\u2014); Latest data has them once it is loaded." in c for c in said)
    assert not any("No headcount list" in c.value for c in _app().caption)


@pytest.mark.parametrize("typed", ["8", " 8", "008", "+8"])
def test_a_pin_typed_as_a_number_opens_that_version_and_the_link_spells_its_label(demo, typed):
    """A bare number, as the command line's --asof takes it (#23): the link is rewritten to the
    picker's label before the picker is drawn, so the picker seeds from it and the URL keeps it."""
    label = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    at = _app({"asof": typed, "partner": "Kestrel Design", "factors": ["Shared goals", "Open communication"]},
              page="app_pages/partner.py")
    assert at.selectbox(key="asof").value == 8
    assert dict(at.query_params) == {"asof": label, "partner": "Kestrel Design",  # the others kept
                                     "factors": ["Shared goals", "Open communication"]}
    assert [i.value for i in at.info if i.value.startswith(PINNED)]
    assert not at.sidebar.warning


def test_a_pin_typed_as_a_number_on_the_first_page_opened(demo):
    label = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    at = _app({"asof": "8", "wave": "2025-Q4"})
    assert at.selectbox(key="asof").value == 8 and at.selectbox(key="wave").value == "2025-Q4"
    assert dict(at.query_params) == {"asof": label, "wave": "2025-Q4"}


def test_a_link_written_with_the_former_label_opens_that_version_and_is_respelled(demo):
    """Links pinned before the picker said "version 8 · 6 Dec 2026 ..." spelled it "batch 8 (2026-...)"."""
    label = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    former = f"batch 8 ({pd.Timestamp(label.rsplit(' · ', 1)[1]):%Y-%m-%d %H:%M})"
    at = _app({"asof": former, "wave": "2025-Q4"})
    assert at.selectbox(key="asof").value == 8
    assert dict(at.query_params) == {"asof": label, "wave": "2025-Q4"}
    assert not at.sidebar.warning


def test_a_link_written_when_the_picker_said_version_n_and_a_date_still_opens_it(demo):
    """Links pinned before the labels said what a version did spelled it "version 8 · 6 Dec 2026 21:37"."""
    label = next(label for label in _app().selectbox(key="asof").options if label.startswith("v8 · "))
    former = "version 8 · " + label.rsplit(" · ", 1)[1]
    at = _app({"asof": former, "partner": "Kestrel Design"}, page="app_pages/partner.py")
    assert at.selectbox(key="asof").value == 8
    assert dict(at.query_params) == {"asof": label, "partner": "Kestrel Design"}
    assert [i.value for i in at.info if i.value.startswith(PINNED)]
    assert not at.sidebar.warning


def test_the_data_as_of_picker_says_what_each_of_the_demo_s_versions_did(demo):
    options = _app().selectbox(key="asof").options
    assert options[0] == "Latest data"
    assert [o.rsplit(" \u00b7 ", 1)[0] for o in options[1:]] == [  # less the time: the test's clock loaded them
        "v21 \u00b7 action 5 added: Weekly joint look-ahead with the designer",
        "v20 \u00b7 action 4 added: Joint recovery plan for systems integration",
        "v19 \u00b7 action 3 done: Leaders share one lesson from a mistake at each\u2026",
        "v18 \u00b7 action 3 added: Leaders share one lesson from a mistake at each\u2026",
        "v17 \u00b7 action 2 done: A seat for Corvell on the change board",
        "v16 \u00b7 action 2 added: A seat for Corvell on the change board",
        "v15 \u00b7 action 1 done: No-blame design reviews with Harbour Civils",
        "v14 \u00b7 action 1 added: No-blame design reviews with Harbour Civils",
        "v13 \u00b7 headcount list from northline-headcount.csv",
        "v12 \u00b7 issue log from northline-raid-log.csv",
        "v11 \u00b7 milestone plan from northline-milestones.csv",
        "v10 \u00b7 survey responses 2026-Q3 from northline-pulse-2026-Q3.csv",
        "v9 \u00b7 survey responses 2026-Q2 from northline-pulse-2026-Q2.csv",
        "v8 \u00b7 survey responses 2026-Q1 from northline-pulse-2026-Q1.csv",
        "v7 \u00b7 survey responses 2025-Q4 from northline-pulse-2025-Q4.csv",
        "v6 \u00b7 survey responses 2025-Q3 from northline-pulse-2025-Q3.csv",
        "v5 \u00b7 survey responses 2025-Q2 from northline-pulse-2025-Q2.csv",
        "v4 \u00b7 survey responses 2025-Q1 from northline-pulse-2025-Q1.csv",
        "v3 \u00b7 survey responses 2024-Q4 from northline-pulse-2024-Q4.csv",
        "v2 \u00b7 partner list from northline-partners.csv",
        "v1 \u00b7 survey questions from default-instrument.csv (built in)"]  # no brackets in brackets


def test_a_number_the_programme_has_no_version_of_opens_the_latest_data_with_a_notice(demo):
    at = _app({"asof": "999"})
    assert at.selectbox(key="asof").value is None
    assert [w.value for w in at.sidebar.warning] == [
        "The link pins data version 999, which this programme does not have. Showing the latest data instead."]


def test_an_unknown_pin_opens_the_latest_data_with_a_notice(demo):
    at = _app({"asof": "batch 999 (2020-01-01 00:00)"}, page="app_pages/partner.py")
    assert at.selectbox(key="asof").value is None
    assert any("batch 999" in w.value for w in at.sidebar.warning)


@pytest.mark.parametrize("page,keys", [
    ("app_pages/overview.py", {"wave": "selectbox", "asof": "selectbox"}),
    ("app_pages/partner.py", {"partner": "selectbox", "wave": "selectbox", "factors": "multiselect"}),
    ("app_pages/compare.py", {"wave": "selectbox", "sort": "selectbox"}),
])
def test_every_control_is_bound_to_the_url(demo, page, keys):
    """The browser writes a bound widget's value into the URL (test_browser_pages checks that);
    here: every control of the page is bound, under its agreed parameter name."""
    at = _app(page=page)
    for key, kind in keys.items():
        widget = getattr(at, kind)(key=key)
        assert widget.proto.query_param_key == key


def test_changing_a_widget_reruns_the_view(demo):
    at = _app(page="app_pages/compare.py")
    at.selectbox(key="wave").set_value("2025-Q3").run()
    assert "Wave 2025-Q3: arrows show the change since 2025-Q2" in _texts(at)
    at.selectbox(key="sort").set_value("shared_goals").run()
    assert not at.exception


def test_compare_links_open_the_partner_with_the_same_wave_and_pin(demo):
    at = _app({"wave": "2026-Q2"}, page="app_pages/compare.py")
    links = at.get("page_link")
    harbour = [link for link in links if link.proto.label == "Harbour Civils"]
    assert harbour and "partner=Harbour+Civils" in harbour[0].proto.query_string
    assert "wave=2026-Q2" in harbour[0].proto.query_string


def test_compare_with_many_partners_offers_a_chooser_and_one_link(generated_programme):
    generated_programme(partners=20, waves=2)
    at = _app(page="app_pages/compare.py")
    chooser = at.selectbox(key="open_partner")
    assert len(chooser.options) == 20 and chooser.value == "P0"  # the heatmap's order: by name
    assert [link.proto.label for link in at.get("page_link")] == ["Open P0"]
    chooser.set_value("P7").run()
    (link,) = at.get("page_link")
    assert link.proto.label == "Open P7" and "partner=P7" in link.proto.query_string


@pytest.mark.parametrize("page", ["app_pages/whatif.py", "app_pages/overview.py",
                                  "app_pages/compare.py"])
def test_a_view_pinned_to_before_the_first_survey_says_so_and_points_to_the_latest_data(demo, page):
    """Loading a survey would not change that version: the page says what to choose instead."""
    label = next(label for label in _app().selectbox(key="asof").options if label.startswith("v1 · "))
    at = _app({"asof": label}, page=page)
    assert [w.value for w in at.warning] == [
        "This view is pinned to a data version from before the first survey export was loaded, so there is "
        "nothing to show here. Choose \"Latest data\" under \"Data as of\" in the sidebar."]
    assert not at.exception


def test_the_batch_to_undo_is_named_as_data_as_of_names_its_version_what_it_did_first(demo):
    """One label per version (``versions``): what the batch did before its time, so a box too narrow
    for the whole label cuts the time, not what it did."""
    undo = _app(page="app_pages/data.py").selectbox(key="data_undo_batch")
    assert undo.options[0].startswith("v21 \u00b7 action 5 added: Weekly joint look-ahead with the designer \u00b7 ")
    assert undo.options[-1].startswith("v1 \u00b7 survey questions from default-instrument.csv (built in) \u00b7 ")

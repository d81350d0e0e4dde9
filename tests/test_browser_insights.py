"""#25 in headless Chromium on the demo programme: each new section is there, drawn, and shows its
small groups as hidden. Waits on states (the script run finished, the chart drawn), never on a clock."""
from __future__ import annotations

import pytest
from conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _open(page, url: str) -> str:
    page.goto(url)
    wait_for_app(page, timeout=180_000)
    return page.inner_text('[data-testid="stMain"]')


def _drawn(page) -> None:
    """Every chart on the page drawn (Vega renders after the script run ends)."""
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                                  .filter(chart => chart.offsetParent !== null)
                                  .every(chart => chart.querySelector('svg.marks, canvas'))""")


_FIND_GRID = """header => [...document.querySelectorAll('[data-testid="stDataFrame"] table')]
    .find(t => [...t.querySelectorAll('th')].some(th => th.textContent.trim() === header))"""


def _grid(page, header: str) -> list[list[str]]:
    """The rows of the table headed by ``header`` (Streamlit's data grid draws on a canvas; its accessible
    table, read here, comes once the grid has drawn)."""
    page.wait_for_function(f"header => !!({_FIND_GRID})(header)", arg=header)
    return page.evaluate(f"""header => [...({_FIND_GRID})(header).querySelectorAll('tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()))""", header)


def test_overview_participation(demo_app, page_1440):
    text = _open(page_1440, f"{demo_app.url}/?wave=2026-Q3")
    assert "Participation, 2026-Q3" in text
    assert ("Brackwater Systems: 56% of the 32 invited answered in 2026-Q3, below the 60% the programme asks "
            "for; its scores rest on few of its people.") in text
    rows = _grid(page_1440, "Response rate")
    assert rows[0] == ["Brackwater Systems", "56% (below 60%)", "18", "32", "43.1"]
    assert rows[5] == ["Pipwell Ecology", "\u2014", "fewer than 5", "6", "not shown"]
    _drawn(page_1440)
    screenshot(page_1440, "insights-overview")


def test_compare_who_rates_whom(demo_app, page_1440):
    _open(page_1440, f"{demo_app.url}/compare?wave=2026-Q3")
    page_1440.get_by_role("tab", name="Who rates whom").click()
    caption = page_1440.get_by_text("Wave 2026-Q3: each organisation's people rate each other partner")
    caption.wait_for(state="visible")
    _drawn(page_1440)
    tab = page_1440.get_by_role("tabpanel").filter(has=caption)
    text = tab.inner_text()
    assert "Two sides of a relationship, 2026-Q3" in text
    assert "k applies to the rating organisation's people" in text
    chart = tab.locator('[data-testid="stVegaLiteChart"]')
    assert chart.get_attribute("aria-label").startswith("Who rates whom: each rating organisation's score")
    marks = tab.locator('[data-testid="stVegaLiteChart"] svg.marks text').evaluate_all(
        "texts => texts.map(t => t.textContent)")
    assert marks.count("< 5") == 6  # Pipwell Ecology's row: five partners and "All partners"
    assert "78.7" in marks
    screenshot(page_1440, "insights-compare-ratings")


def test_compare_keeps_the_chosen_partner_in_the_link(demo_app, page_1440):
    _open(page_1440, f"{demo_app.url}/compare?wave=2026-Q3&include=Pipwell+Ecology")
    page_1440.get_by_role("tab", name="Who rates whom").click()
    chooser = page_1440.locator('[data-testid="stSelectbox"]').filter(has_text="Always include")
    chooser.wait_for(state="visible")
    assert chooser.locator("input").input_value() == "Pipwell Ecology"
    assert "include=Pipwell" in page_1440.url and "partner=" not in page_1440.url


def test_partner_profile_sections(demo_app, page_1440):
    text = _open(page_1440, f"{demo_app.url}/partner?partner=Brackwater+Systems&wave=2026-Q3")
    for heading in ("Brackwater Systems: participation over the waves", "Agreed actions: Brackwater Systems",
                    "Brackwater Systems: question by question, 2026-Q3", "Brackwater Systems: what people wrote, 2026-Q3"):
        assert heading in text
    assert "Agreed action: Joint recovery plan for systems integration" in text
    assert "Each partner is still chasing its own targets." in text
    _drawn(page_1440)
    screenshot(page_1440, "insights-partner")


def test_partner_profile_of_a_small_group_hides_its_comments(demo_app, page_1440):
    text = _open(page_1440, f"{demo_app.url}/partner?partner=Pipwell+Ecology&wave=2026-Q3")
    assert ("Pipwell Ecology's comments for 2026-Q3 are not shown: fewer than 5 of its people answered, "
            "so a comment could point to who wrote it.") in text
    assert "No actions agreed for Pipwell Ecology yet" in text


def test_a_chart_s_table_is_made_when_opened_and_stays_open(demo_app, page_1440):
    """A chart's "… as a table" holds no table until it is opened (a rerun makes it), then shows it."""
    _open(page_1440, f"{demo_app.url}/?wave=2026-Q3")
    expander = page_1440.locator('[data-testid="stExpander"]').filter(has_text="Where partners stand as a table")
    assert expander.locator('[data-testid="stDataFrame"]').count() == 0
    expander.locator("summary").click()
    wait_for_app(page_1440)
    rows = _grid(page_1440, "Respondents (n)")
    assert rows[0][:2] == ["Northline Infrastructure", "77.1"]
    page_1440.get_by_role("button", name="CSV").first.wait_for(state="visible")
    screenshot(page_1440, "insights-chart-table-opened")

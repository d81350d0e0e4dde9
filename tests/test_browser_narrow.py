"""Nothing cut at 1024 px (#23 item 3), in headless Chromium on the demo programme: no metric's
label or value is cut short with an ellipsis, and no chart runs past the page's main column.
The screenshots are kept as test artefacts."""
from __future__ import annotations


import pytest
from conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = {"overview": "/", "partner": "/partner", "compare": "/compare",
         "what-if": "/what-if?wi_partner=Kestrel+Design&w_shared_goals=0.5"}

# every metric text cut short: Streamlit's ellipsis containers whose text is wider than their box
CUT = """() => [...document.querySelectorAll('[data-testid="stMetric"] .stMarkdownEllipsis')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""
# every chart drawn past the right edge of the main column
WIDE = """() => { const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks')]
        .filter(svg => svg.getBoundingClientRect().right > main.right + 1)
        .map(svg => svg.closest('[data-testid="stVegaLiteChart"]').getAttribute('aria-label').slice(0, 60)) }"""


def drawn(page) -> None:
    """Until every chart on screen is drawn (one in a closed tab is drawn when its tab opens)."""
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                                  .filter(chart => chart.offsetParent !== null)
                                  .every(chart => chart.querySelector('svg.marks'))""")


@pytest.mark.parametrize("name", list(PAGES))
def test_nothing_is_cut_at_1024_px(demo_app, chromium, name):
    context = chromium.new_context(viewport={"width": 1024, "height": 3000})
    try:
        page = context.new_page()
        page.goto(demo_app.url + PAGES[name])
        wait_for_app(page, timeout=180_000)
        drawn(page)
        screenshot(page, f"narrow-{name}-1024")
        assert page.locator('[data-testid="stMetric"]').count() > 0 or name == "compare"
        assert page.evaluate(CUT) == []
        assert page.evaluate(WIDE) == []
        if name == "compare":  # the ratings matrix, in its tab
            page.get_by_role("tab", name="Who rates whom").click()
            wait_for_app(page, timeout=180_000)
            drawn(page)
            screenshot(page, "narrow-ratings-1024")
            assert page.evaluate(WIDE) == []
    finally:
        context.close()

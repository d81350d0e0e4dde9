"""The What-if page in headless Chromium: set a slider with the keyboard, take the page's
URL, open it in a fresh browser context, and see the same scenario."""
import re

import pytest
from conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def projected_index(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Projected index").first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def slider_thumb(page, label: str):
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    return slider.locator('input[type="range"]').first


def test_slider_scenario_survives_a_shared_link(app_server, browser_page, chromium):
    page = browser_page
    page.goto(f"{app_server.url}/what-if?wi_partner=Kestrel+Design")
    wait_for_app(page, timeout=90_000)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    before = projected_index(page)
    screenshot(page, "whatif-before")

    # every other partner is a dot on the strip that names itself on hover
    dot = page.locator('[data-testid="stVegaLiteChart"] [aria-roledescription="circle"]').first
    name = dot.get_attribute("aria-label").split(": ")[0]
    assert name and name != "Kestrel Design"
    dot.hover(force=True)
    page.wait_for_function("(name) => { const t = document.getElementById('vg-tooltip-element');"
                           " return t && t.innerText.includes(name); }", arg=name, timeout=15_000)

    thumb = slider_thumb(page, "Psychological safety")
    thumb.focus()
    for _ in range(8):
        thumb.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('d_psychological_safety=8')",
                           timeout=15_000)
    wait_for_app(page)
    page.wait_for_function(
        "(before) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.textContent.includes('Projected index'));"  # its own label is hidden: page.metric writes it above
        " return m && !m.innerText.includes(before + '\\n'); }", arg=before, timeout=15_000)
    after = projected_index(page)
    assert after != before
    assert thumb.input_value() == "8"
    link = page.url
    assert re.search(r"[?&]wi_partner=Kestrel(\+|%20)Design", link)
    assert "d_psychological_safety=8" in link
    delivery = page.locator('[data-testid="stDataFrame"]').first.inner_text()
    screenshot(page, "whatif-moved")

    fresh = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_for_app(other, timeout=90_000)
        other.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        assert projected_index(other) == after
        assert slider_thumb(other, "Psychological safety").input_value() == "8"
        assert other.locator('[data-testid="stDataFrame"]').first.inner_text() == delivery
        screenshot(other, "whatif-reopened")
    finally:
        fresh.close()

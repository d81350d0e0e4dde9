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


def _note(page, label: str) -> str:
    """The "Now … → …" line under the factor slider ``label``."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    return slider.locator('xpath=following::*[@data-testid="stCaptionContainer"][1]').inner_text().strip()


def _counts(page) -> dict:
    return page.evaluate("""() => ({
        sliders: document.querySelectorAll('[data-testid="stSlider"]').length,
        charts: document.querySelectorAll('[data-testid="stVegaLiteChart"]').length,
        notes: [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                   .filter(e => e.innerText.startsWith('Now ')).length})""")


def test_a_step_updates_the_drawn_strip_and_the_frame_follows_partner_weights_and_reset(app_server, browser_page):
    """The factor sliders and what they move are a fragment writing into the page's frame: a step
    updates the strip's data in the chart already drawn (never a chart drawn anew, never an element
    twice), and the partner, a weight and "Reset sliders" (whole-page reruns) redraw it all."""
    page = browser_page
    page.goto(f"{app_server.url}/what-if?wi_partner=Kestrel+Design")
    wait_for_app(page, timeout=90_000)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks', timeout=60_000)
    assert _counts(page) == {"sliders": 10, "charts": 1, "notes": 5}
    page.evaluate("() => { document.querySelector('[data-testid=\"stVegaLiteChart\"] svg.marks').__drawn = true; }")
    note = _note(page, "Shared goals")

    thumb = slider_thumb(page, "Shared goals")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('d_shared_goals=3')", timeout=15_000)
    wait_for_app(page)
    assert _note(page, "Shared goals") != note
    assert _counts(page) == {"sliders": 10, "charts": 1, "notes": 5}
    assert page.evaluate("() => document.querySelector('[data-testid=\"stVegaLiteChart\"] svg.marks').__drawn === true")

    page.get_by_text("Index weights").click()
    weight = page.locator('[data-testid="stExpander"]').filter(has_text="Index weights") \
        .locator('input[type="range"]').first
    weight.focus()
    weight.press("ArrowRight")
    page.wait_for_function("() => window.location.search.includes('w_shared_goals=')", timeout=15_000)
    wait_for_app(page)
    assert _counts(page) == {"sliders": 10, "charts": 1, "notes": 5}
    assert slider_thumb(page, "Shared goals").input_value() == "3"  # the move stays with a new weight
    page.get_by_text("Weights: as configured").wait_for(state="detached", timeout=15_000)

    page.get_by_role("button", name="Reset sliders").click()
    page.wait_for_function("() => !window.location.search.includes('d_shared_goals=3')", timeout=15_000)
    wait_for_app(page)
    assert slider_thumb(page, "Shared goals").input_value() == "0"
    page.get_by_text("Weights: as configured").first.wait_for(timeout=15_000)
    assert _counts(page) == {"sliders": 10, "charts": 1, "notes": 5}

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Partner").first.click()
    page.get_by_role("option", name="Harbour Civils", exact=True).click()
    page.wait_for_function("() => window.location.search.includes('wi_partner=Harbour')", timeout=15_000)
    wait_for_app(page)
    assert _counts(page) == {"sliders": 10, "charts": 1, "notes": 5}
    # the strip names the partner moved above its markers: the new one
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')]"
                           ".some(t => t.textContent === 'Harbour Civils')", timeout=15_000)
    screenshot(page, "whatif-frame-after-partner")

"""The real app, served and opened in headless Chromium."""
import pytest
from conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_overview_opens_on_the_demo_programme(app_server, browser_page):
    browser_page.goto(app_server.url)
    wait_for_app(browser_page, timeout=90_000)
    text = browser_page.inner_text('[data-testid="stMain"]')
    assert "Demo programme" in text
    assert "Collaboration index" in text
    screenshot(browser_page, "overview-smoke")

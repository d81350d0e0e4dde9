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


def test_the_overview_answers_at_its_own_path_with_its_link_state(app_server, browser_page):
    browser_page.goto(f"{app_server.url}/overview?wave=2025-Q4")
    wait_for_app(browser_page, timeout=90_000)
    main = browser_page.inner_text('[data-testid="stMain"]')
    assert "Page not found" not in browser_page.inner_text("body")
    assert "From cooperation to collaboration, 2025-Q4" in main


def test_directors_get_no_developer_tools(app_server, browser_page):
    browser_page.goto(app_server.url)
    wait_for_app(browser_page, timeout=90_000)
    assert browser_page.get_by_text("Deploy", exact=True).count() == 0
    menu = browser_page.locator('[data-testid="stMainMenu"]')
    if menu.count():  # viewer mode keeps the menu (settings, print) without the developer part
        menu.click()
        items = browser_page.inner_text('[data-testid="stMainMenuPopover"]')
        assert "Clear cache" not in items and "Developer" not in items, items

"""Overview, Partner profile and Compare in headless Chromium: links that reproduce a view.

Dataframes draw on a canvas, so the checks read headings, metrics and markdown."""
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ROOT, screenshot, wait_for_app

pytestmark = pytest.mark.browser
TALL = {"width": 1400, "height": 3200}  # Streamlit scrolls inside the page: a tall window shows it all


def _main(page) -> str:
    return page.inner_text('[data-testid="stMain"]')


def _open(page, url: str) -> str:
    page.goto(url)
    wait_for_app(page, timeout=120_000)
    page.wait_for_timeout(500)  # charts draw after the script run
    return _main(page)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` and wait for the rerun."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(300)
    wait_for_app(page)


def _query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def _metric(text: str, label: str) -> str:
    """The value printed under a metric's label."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    at = lines.index(label)
    return lines[at + 1]


def _fresh(chromium):
    context = chromium.new_context(viewport=TALL)
    return context, context.new_page()


def test_overview_by_url_then_change_the_wave_and_reopen(app_server, chromium):
    context, page = _fresh(chromium)
    text = _open(page, f"{app_server.url}/?wave=2026-Q2")
    assert "Demo programme" in text
    assert "From cooperation to collaboration, 2026-Q2" in text
    assert _metric(text, "Collaboration index, 2026-Q2") == "58.5"
    assert "Pipwell Ecology: fewer than 5 responses" in text
    assert "Biggest movers" in text and "Alerts" in text and "Data freshness" in text
    screenshot(page, "overview-2026-Q2")

    _choose(page, "Survey wave", "2025-Q4")
    assert _query(page).get("wave") == "2025-Q4"
    seen = _main(page)
    assert "From cooperation to collaboration, 2025-Q4" in seen
    link = page.url
    context.close()

    context, page = _fresh(chromium)
    again = _open(page, link)
    assert _metric(again, "Collaboration index, 2025-Q4") == _metric(seen, "Collaboration index, 2025-Q4")
    assert "From cooperation to collaboration, 2025-Q4" in again
    context.close()


def test_partner_by_url_then_change_the_partner_and_reopen(app_server, chromium):
    context, page = _fresh(chromium)
    text = _open(page, f"{app_server.url}/partner?partner=Harbour+Civils&wave=2025-Q4")
    assert "Harbour Civils: solid line; the programme: dashed line" in text
    assert _metric(text, "Collaboration index, 2025-Q4") == "51.7"
    assert "Profile across the five factors, 2025-Q4" in text
    assert "Evidence beside each factor, 2025-Q4" in text
    assert "Median days to resolve" in text  # evidence beside open communication
    screenshot(page, "partner-harbour-2025-Q4")

    _choose(page, "Partner", "Pipwell Ecology")
    assert _query(page).get("partner") == "Pipwell Ecology"
    assert _query(page).get("wave") == "2025-Q4"
    seen = _main(page)
    # a partner below k in every wave: said, never drawn as zero
    assert "Not shown for Pipwell Ecology" in seen and "fewer than 5 responses" in seen
    assert _metric(seen, "Collaboration index, 2025-Q4") == "not shown"
    screenshot(page, "partner-pipwell-suppressed")
    link = page.url
    context.close()

    context, page = _fresh(chromium)
    again = _open(page, link)
    assert "Not shown for Pipwell Ecology" in again
    assert _metric(again, "Collaboration index, 2025-Q4") == "not shown"
    context.close()


def test_compare_by_url_sort_and_open_a_partner(app_server, chromium):
    context, page = _fresh(chromium)
    text = _open(page, f"{app_server.url}/compare?wave=2026-Q1&sort=Collaboration+index")
    assert "Wave 2026-Q1: arrows show the change since 2025-Q4" in text
    assert "Brackwater Systems: hidden so a smaller group cannot be worked out by subtraction" in text
    screenshot(page, "compare-2026-Q1")

    _choose(page, "Sort partners by", "Shared goals")
    assert _query(page).get("sort") == "Shared goals"
    assert _query(page).get("wave") == "2026-Q1"

    page.locator('[data-testid="stPageLink"] a').filter(has_text="Kestrel Design").first.click()
    page.wait_for_url(re.compile(r".*/partner\?.*"), timeout=30_000)
    wait_for_app(page)
    page.wait_for_timeout(300)
    assert _query(page).get("partner") == "Kestrel Design"
    profile = _main(page)
    assert "Profile across the five factors, 2026-Q1" in profile
    context.close()


def test_bad_links_open_with_a_notice_and_defaults(app_server, chromium):
    context, page = _fresh(chromium)
    text = _open(page, f"{app_server.url}/partner?partner=Nobody+Ltd&wave=2031-Q9")
    assert "Nobody Ltd" in text and "2031-Q9" in text
    assert "Showing the first partner, Brackwater Systems instead" in text
    assert "Profile across the five factors, 2026-Q3" in text
    assert "Traceback" not in text
    screenshot(page, "partner-bad-link")

    text = _open(page, f"{app_server.url}/compare?wave=nonsense&sort=height")
    assert "nonsense" in text and "height" in text
    assert "Wave 2026-Q3: arrows show the change since 2026-Q2" in text

    page.goto(f"{app_server.url}/?asof=batch+999+(2020-01-01+00:00)")
    wait_for_app(page)
    sidebar = page.inner_text('[data-testid="stSidebar"]')
    assert "batch 999" in sidebar and "Showing the latest data instead" in sidebar
    context.close()


def test_a_pin_typed_as_a_number_opens_that_version(app_server, chromium):
    """?asof=8 as the command line's --asof takes it (#23): the link is rewritten to the picker's
    label before the picker is drawn; Streamlit's binding seeds from it and keeps it in the URL."""
    context, page = _fresh(chromium)
    text = _open(page, f"{app_server.url}/partner?asof=8&partner=Kestrel+Design&factors=Shared+goals"
                       "&factors=Open+communication")
    assert "This view is pinned to version 8" in text
    query = parse_qs(urlparse(page.url).query)
    assert query["asof"][0].startswith("v8 · ") and query["partner"] == ["Kestrel Design"]
    assert query["factors"] == ["Shared goals", "Open communication"]
    sidebar = page.inner_text('[data-testid="stSidebar"]')
    assert "Pinned to v8 · " in sidebar and "does not have" not in sidebar
    screenshot(page, "partner-pinned-by-number")

    _open(page, f"{app_server.url}/overview?asof=999")
    sidebar = page.inner_text('[data-testid="stSidebar"]')
    assert "The link pins data version 999, which this programme does not have" in sidebar
    assert "asof" not in _query(page)
    context.close()


def _cli(server, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PARTNERSHIP_DB": str(server.db),
           "PARTNERSHIP_SALT_FILE": str(server.db.parent / "served-salt")}
    return subprocess.run([sys.executable, "-m", "pipelines", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_pinned_link_shows_the_same_numbers_after_another_load(app_server, chromium, tmp_path):
    context, page = _fresh(chromium)
    _open(page, f"{app_server.url}/")
    page.get_by_role("button", name="Pin to this data").click()
    wait_for_app(page)
    page.wait_for_timeout(300)
    assert "asof" in _query(page)
    pinned_link = page.url
    before = _main(page)
    assert _metric(before, "Collaboration index, 2026-Q3") == "64.2"
    context.close()

    # a new wave arrives through the command line while the app holds the database
    from pipelines.programme.demo import demo_files

    latest = [f for f in demo_files() if f.dataset == "survey"][-1]
    export = tmp_path / "pulse-2026-Q4.csv"
    next_wave = re.sub(rb"2026-0[789]-\d\d", b"2026-10-15", latest.data).replace(b"R-2026Q3-", b"R-2026Q4-")
    export.write_bytes(next_wave)
    done = _cli(app_server, "load", str(export), "--dataset", "survey", "--wave", "2026-Q4")
    assert done.returncode == 0, done.stderr + done.stdout

    context, page = _fresh(chromium)
    latest_view = _open(page, f"{app_server.url}/")
    assert "Collaboration index, 2026-Q4" in latest_view  # the new load is there...
    pinned_view = _open(page, pinned_link)
    assert "Pinned to" in page.inner_text('[data-testid="stSidebar"]')
    assert _metric(pinned_view, "Collaboration index, 2026-Q3") == "64.2"  # ...and the pin ignores it
    assert "Collaboration index, 2026-Q4" not in pinned_view
    screenshot(page, "overview-pinned")
    context.close()

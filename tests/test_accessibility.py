"""WCAG 2.2 AA in the real app, in headless Chromium, on the demo programme: axe-core (from npm, installed by
`./run test` under tests/.node) on every page, and the Data page used by keyboard alone.

axe runs its WCAG 2.0/2.1/2.2 A and AA rules; a serious or critical violation fails the test unless it is
listed in KNOWN with why it is left for now. axe has no rule for a chart whose drawing has no text
alternative (Vega gives every chart the generic name "Vega visualization"), so the test counts those
itself as "chart-description", and a chart mark a screen reader would announce without a name as
"chart-mark-name" (axe's svg-img-alt, which passed over some when run here). A page's findings must equal its KNOWN entries exactly: a new violation
fails, and so does a fixed one still listed (take it out of KNOWN)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT, screenshot, wait_for_app
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

NODE = ROOT / "tests" / ".node" / "node_modules" / "axe-core"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SEVERE = ("serious", "critical")
PAGES = {"overview": "/", "partner": "/partner", "compare": "/compare", "what-if": "/what-if", "data": "/data"}
UNDESCRIBED = "Vega visualization"  # the name Vega gives a chart whose spec has no description

# (page, rule) -> (how many, why it is left for now). Empty: every chart says what it shows (#23 item 8).
KNOWN: dict[tuple[str, str], tuple[int, str]] = {}


def pinned_axe_version() -> str:
    """The axe-core version `./run test` installs (the one place it is written)."""
    found = re.search(r'^AXE_CORE="axe-core@([\d.]+)"', (ROOT / "run").read_text(), flags=re.M)
    assert found, "run has no AXE_CORE line"
    return found.group(1)


@pytest.fixture(scope="module")
def axe_script() -> Path:
    script = NODE / "axe.min.js"
    if not script.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core is missing; CI must run the tests through ./run test (it installs axe-core).")
        pytest.skip(f"axe-core is not installed: npm install --prefix tests/.node axe-core@{pinned_axe_version()}")
    assert json.loads((NODE / "package.json").read_text())["version"] == pinned_axe_version()
    return script


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, timeout=180_000)
    # every chart drawn (Vega renders after the script run ends)
    # (a chart in a tab not open is not drawn until the tab opens)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                                  .filter(chart => chart.offsetParent !== null)
                                  .every(chart => chart.querySelector('svg.marks, canvas'))""")


def findings(page, axe_script: Path) -> dict[str, list[str]]:
    """Serious and critical axe violations, and charts without a description: rule -> where (and why)."""
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                  resultTypes: ['violations']})).violations
              .map(v => ({id: v.id, impact: v.impact,
                          nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || ''))}))""",
        WCAG_TAGS)
    found = {v["id"]: v["nodes"] for v in violations if v["impact"] in SEVERE}
    charts = page.evaluate("""name => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .filter(chart => chart.offsetParent !== null)  // one in a closed tab: checked where it opens
        .filter(chart => (chart.getAttribute('aria-label') || name) === name)
        .map(chart => (chart.closest('[data-testid="stVerticalBlock"]') || chart).innerText.slice(0, 80))""",
                           UNDESCRIBED)
    if charts:
        found["chart-description"] = charts
    # axe's svg-img-alt asked of every chart mark ("chart-mark-name"): axe passed over some here that it
    # found in CI (a grey strip without encodings Vega named nothing)
    unnamed = page.evaluate("""() => [...document.querySelectorAll('svg [role="graphics-symbol"], svg [role="img"]')]
        .filter(mark => !(mark.getAttribute('aria-label') || '').trim())
        .map(mark => mark.getAttribute('class') || mark.tagName)""")
    if unnamed:
        found["chart-mark-name"] = unnamed
    return found


def check(page_name: str, found: dict[str, list[str]]) -> None:
    expected = {rule: count for (name, rule), (count, _why) in KNOWN.items() if name == page_name}
    counted = {rule: len(where) for rule, where in found.items()}
    assert counted == expected, (
        f"{page_name}: found {counted}, expected {expected}:\n"
        + "\n".join(f"  {rule}: {w}" for rule, where in found.items() for w in where))


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violation_on_the_page(demo_app, page_1440, axe_script, name):
    open_page(page_1440, demo_app.url + PAGES[name])
    found = findings(page_1440, axe_script)
    screenshot(page_1440, f"a11y-{name}")
    check(name, found)


def test_no_serious_violation_on_the_data_page_with_a_file_to_check(demo_app, page_1440, axe_script, tmp_path):
    """The Data page with most of its controls: mapping, a near-twin partner, the date question, invalid rows."""
    survey = tmp_path / "pulse-export.csv"
    survey.write_text("Response ID,Organisation,Email,Recorded Date,SG1,JG1,Comments\r\n"
                      "x1,Kestrel Designs,a@example.org,03/04/2026,Agree,4,ok\r\n"
                      "x2,Harbour Civils,,04/05/2026,Strongly agree,9,\r\n", encoding="utf-8")
    page = page_1440
    open_page(page, demo_app.url + "/data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(survey))
    page.get_by_text("Partner names in the file").wait_for(timeout=60_000)
    wait_for_app(page)
    found = findings(page, axe_script)
    page.set_viewport_size({"width": 1440, "height": 3600})
    wait_for_app(page)
    screenshot(page, "a11y-data-checking")
    check("data", found)


# ------------------------------------------------------------------------------ the keyboard alone
FOCUSED = """() => { const e = document.activeElement; if (!e || e === document.body) return '';
    const by = e.getAttribute('aria-labelledby');
    const named = by ? by.split(' ').map(id => (document.getElementById(id) || {}).innerText || '').join(' ') : '';
    return (named || e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText)
            || e.innerText || '').replace(/\\s+/g, ' ').trim() }"""


def focus(page, name: str, limit: int = 150) -> None:
    """Press Tab until the control named ``name`` (exactly, icons aside) has the focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = page.evaluate(FOCUSED)
        if current == name or re.sub(r"^[a-z_]+ ", "", current) == name:  # a Material icon's name first
            return
        seen.append(current)
    raise AssertionError(f"Tab never reached '{name}'; it went through: {seen}")


def open_file_chooser(page, name: str, tries: int = 3):
    """Enter on the uploader's button opens the system's file chooser. A rerun still landing from the
    previous key press redraws the button and takes the focus with it; then focus it again."""
    for _ in range(tries):
        focus(page, name)
        try:
            with page.expect_file_chooser(timeout=15_000) as chooser:
                page.keyboard.press("Enter")
            return chooser.value
        except PlaywrightTimeout:
            wait_for_app(page)
    raise AssertionError(f"Enter on '{name}' never opened a file chooser")


TEMPLATES = ["Survey responses", "Survey questions", "Milestone plan", "Issue log", "Partner list"]


def open_data_page(page, url: str) -> None:
    """The Data page with its templates' buttons on it: in full runs on a busy machine they came
    after the run was seen to end, and a Tab walk started before went round without them."""
    open_page(page, url + "/data")
    for name in TEMPLATES:
        page.get_by_text(name, exact=True).first.wait_for(timeout=120_000)


def test_every_data_page_control_is_reached_by_tab(demo_app, page_1440):
    page = page_1440
    open_data_page(page, demo_app.url)
    for name in ["What is in the file?", "Upload", "Undo a batch", "Undo this batch...", *TEMPLATES,
                 "Remove the demo programme..."]:
        focus(page, name)  # the whole page's round: a rerun landing meanwhile puts the focus back at the top


def test_the_data_page_is_operated_by_keyboard_alone(demo_app, page_1440, tmp_path):
    page = page_1440
    open_data_page(page, demo_app.url)
    main = page.locator('[data-testid="stMain"]')

    # a template, downloaded with Enter
    focus(page, "Issue log")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "issues-template.csv"

    # the dataset chosen by typing in its list
    focus(page, "What is in the file?")
    page.keyboard.type("Issue")
    page.keyboard.press("Enter")
    wait_for_app(page)

    # the file chosen through the uploader's button, opened with Enter
    raid = tmp_path / "raid.csv"
    raid.write_text("Ref,Title,Raised by,Date raised\r\nR-90,Papers late,Kestrel Design,2026-11-03\r\n"
                    "R-91,Budget query,Harbour Civils,2026-11-10\r\n", encoding="utf-8")
    open_file_chooser(page, "Upload").set_files(str(raid))
    page.get_by_text("Rows read").wait_for(timeout=60_000)
    wait_for_app(page)
    assert "Raised by (partner)" in main.inner_text()  # read as an issue log, the dataset chosen above

    # loaded with Enter on its button, then its undo asked for and cancelled
    focus(page, "Load all 2 rows")
    page.keyboard.press("Enter")
    page.get_by_text("Loaded 2 of 2 rows of raid.csv").wait_for(timeout=60_000)
    wait_for_app(page)
    focus(page, "Undo this batch...")
    page.keyboard.press("Enter")
    page.get_by_text("Its rows stop counting at once").wait_for()
    wait_for_app(page)
    focus(page, "Cancel")
    page.keyboard.press("Enter")
    wait_for_app(page)
    assert "Its rows stop counting at once" not in main.inner_text()
    assert "raid.csv" in main.locator('[data-testid="stTable"]').last.inner_text()  # in the history

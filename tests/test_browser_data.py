"""The Data page in the real app, in headless Chromium: upload an export, load it, see it in history."""
import re
from pathlib import Path

import pytest
from conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"


def test_upload_a_jira_export_and_load_it(app_server, browser_page):
    page = browser_page
    page.goto(f"{app_server.url}/data")
    wait_for_app(page, timeout=90_000)
    main = page.locator('[data-testid="stMain"]')
    assert "Load a file" in main.inner_text()

    # choose the dataset
    page.locator('[data-testid="stSelectbox"]').filter(has_text="What is in the file?").click()
    page.get_by_role("option", name="Issue / risk / dispute log").click()
    wait_for_app(page)

    # upload through the uploader's real <input type=file>
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(EXPORTS / "jira_issues.csv"))
    page.get_by_text("Rows read").wait_for(timeout=30_000)
    wait_for_app(page)
    text = main.inner_text()
    assert "Issue key" in text and "99% sure" in text
    assert "Load all 3 rows" in text
    page.set_viewport_size({"width": 1400, "height": 3200})  # the main area scrolls: show all of it
    wait_for_app(page)
    screenshot(page, "data-preview")

    page.get_by_role("button", name="Load all 3 rows").click()
    page.get_by_text("Loaded 3 of 3 rows of jira_issues.csv").wait_for(timeout=30_000)
    wait_for_app(page)
    history = main.locator('[data-testid="stTable"]').last  # the load history: a table that wraps
    history.wait_for()
    assert "jira_issues.csv" in history.inner_text()
    screenshot(page, "data-loaded")


def test_survey_upload_asks_about_a_partner_name_and_shows_invalid_rows(app_server, browser_page, tmp_path):
    page = browser_page
    survey = tmp_path / "pulse-export.csv"
    survey.write_text("Response ID,Organisation,Email,Recorded Date,SG1,JG1,Comments\r\n"
                      "x1,Kestrel Designs,a@example.org,2026-01-14,Agree,4,ok\r\n"
                      "x2,Harbour Civils,,2026-01-14,Strongly agree,9,\r\n"
                      "x3,Harbour Civils,,2026-01-15,3,2,\r\n", encoding="utf-8")
    page.goto(f"{app_server.url}/data")
    wait_for_app(page, timeout=90_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(survey))
    page.get_by_text("Partner names in the file").wait_for(timeout=30_000)
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert "'Kestrel Designs'" in text and "looks like" in text
    assert "dropped and never stored" in text and "Email" in text
    assert "Before loading, answer" in text
    page.set_viewport_size({"width": 1400, "height": 3600})  # the main area scrolls: show all of it
    wait_for_app(page)
    screenshot(page, "data-survey-question")
    # answer: the same partner as Kestrel Design
    page.get_by_role("combobox", name="'Kestrel Designs' is").click()
    page.get_by_role("option", name="same as Kestrel Design").click()
    page.get_by_role("button", name="Load the 2 valid rows").wait_for(timeout=30_000)
    wait_for_app(page)
    screenshot(page, "data-survey-preview")
    page.get_by_role("button", name="Load the 2 valid rows").click()
    page.get_by_text("Loaded 2 of 3 rows of pulse-export.csv").wait_for(timeout=30_000)


def test_a_large_survey_export_takes_the_large_road_through_the_page(app_server, browser_page, tmp_path):
    """20,000 respondents x 20 questions (1.6 MB): read, reshaped and checked by DuckDB, and the page
    shows the same preview, invalid rows and load as for a small file."""
    import numpy as np

    from benchmarks import generate
    from pipelines.ingest import readers

    frame = generate.survey_frame(20_000, invalid=0.01)
    names = np.array(["Alderney Trust", "Fenwick Works", "Oakmoor Health", "Tilbury Council"], dtype=object)
    frame["Organisation"] = names[np.arange(len(frame)) % 4]
    survey = tmp_path / "annual-pulse.csv"
    survey.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode())
    assert survey.stat().st_size > readers.LARGE_TEXT_CHARS
    page = browser_page
    page.goto(f"{app_server.url}/data")
    wait_for_app(page, timeout=90_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(survey))
    button = page.get_by_role("button", name="Load the 19800 valid rows")
    button.wait_for(timeout=90_000)
    wait_for_app(page)
    page.set_viewport_size({"width": 1400, "height": 3600})
    wait_for_app(page)
    screenshot(page, "data-large-survey-preview")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Rows read\n\n20000" in text and "Valid rows\n\n19800" in text and "Invalid rows\n\n200" in text
    assert "'Alderney Trust', 5000 rows" in text and "200 invalid rows" in text
    button.click()
    page.get_by_text("Loaded 19800 of 20000 rows of annual-pulse.csv").wait_for(timeout=90_000)
    wait_for_app(page)
    screenshot(page, "data-large-survey-loaded")
    undo = page.get_by_role("combobox", name="Undo a batch")
    assert "annual-pulse.csv" in undo.input_value()  # the batch just loaded is the one offered


def _upload(page, app_server, dataset_label: str, path: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{app_server.url}/data")
    wait_for_app(page, timeout=90_000)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="What is in the file?").click()
    page.get_by_role("option", name=dataset_label).click()
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("Rows read").wait_for(timeout=30_000)
    wait_for_app(page)


def _look_then_load(page, name: str, button: str, loaded: str) -> None:
    """Screenshot the whole preview, press the load button, wait for the message the load flashes."""
    page.set_viewport_size({"width": page.viewport_size["width"], "height": 3200})
    wait_for_app(page)
    screenshot(page, name)
    page.get_by_role("button", name=button).click()
    page.get_by_text(re.compile(loaded)).wait_for(timeout=30_000)


@pytest.mark.parametrize("width", [1024, 1440])
def test_ms_project_xml_through_the_page_keeps_the_milestones(app_server, browser_page, width):
    page = browser_page
    _upload(page, app_server, "Delivery milestones", EXPORTS / "ms_project_schedule.xml", width)
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert "Read as a Microsoft Project plan (XML): 10 tasks" in text
    assert "Kept the 3 milestones of this plan" in text and "3 ordinary tasks and 4 summary rows skipped" in text
    assert "Skipped on purpose, not invalid: 7 tasks that are not milestones" in text
    assert "Columns separated by" not in text  # not a text file
    _look_then_load(page, f"data-msproject-xml-{width}", "Load all 3 rows",
                    r"Loaded 3 of 10 rows of ms_project_schedule\.xml as batch \d+; 7 tasks that are not milestones skipped; "
                    r"new partners: ")


@pytest.mark.parametrize("width", [1024, 1440])
def test_raid_log_with_people_through_the_page_takes_the_partner_column(app_server, browser_page, width):
    page = browser_page
    _upload(page, app_server, "Issue / risk / dispute log", EXPORTS / "raid_log_people.xlsx", width)
    main = page.locator('[data-testid="stMain"]')
    raised_by = page.get_by_role("combobox", name="Raised by (partner)")
    assert raised_by.input_value() == "Partner"
    text = main.inner_text()
    assert "'Raised By': values look like people's names, not organisations" in text
    # the organisations became partners, the people did not
    _look_then_load(page, f"data-raid-people-{width}", "Load all 6 rows",
                    r"Loaded 6 of 6 rows of raid_log_people\.xlsx as batch \d+; new partners: "
                    r"Northgate Housing, Riverside Health Trust, Eastfield Council\.")

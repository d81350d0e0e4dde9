"""The "Steering pack" control on Overview, Partner profile, Compare and What-if.

AppTest: the control renders on each page; after "Prepare" a download button holds the
pack of the page's own state (PowerPoint or PDF bytes, named after the view). Browser
(marked ``browser``): the Overview prepares and downloads a PDF that carries its wave.

The download's bytes are read from the media storage AppTest gives each run (the
storage is recorded as files are added, since AppTest drops it when a run ends)."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from conftest import open_containers

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 240
PPTX_MAGIC, PDF_MAGIC = b"PK", b"%PDF"


@pytest.fixture
def media(monkeypatch) -> dict[str, bytes]:
    """file id -> bytes of every file a download button hands to the media storage."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def open_page(page: str | None = None, **query) -> AppTest:
    """The app opened on ``page`` with ``query`` in its URL (as tests/test_pages.py does)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.query_params.clear()
        at.query_params.update(query)
        at.run()
        at.run()  # AppTest's first run after switch_page hands shared widgets their defaults
    assert not at.exception, [e.value for e in at.exception]
    return open_containers(at, "pack")  # its controls are made when it is opened


def pack_download(at: AppTest):
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith("-pack_download")]
    return buttons[0] if buttons else None


def prepare(at: AppTest, media: dict, fmt: str = "pptx", **choices) -> tuple[str, bytes]:
    """Choose the format (and scope), click Prepare; the download's label and bytes."""
    at.radio(key="pack_format").set_value(fmt)
    for key, value in choices.items():
        (at.radio if key == "pack_scope" else at.checkbox)(key=key).set_value(value)
    at.run()
    assert pack_download(at) is None, "the pack is built only when asked"
    at.button(key="pack_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    button = pack_download(at)
    assert button is not None, [e.value for e in at.error]
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    data = media[file_id]
    assert data.startswith(PPTX_MAGIC if fmt == "pptx" else PDF_MAGIC)
    return button.proto.label, data


def pptx_text(data: bytes) -> str:
    from pptx import Presentation

    deck = Presentation(io.BytesIO(data))
    return "\n".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                     if shape.has_text_frame)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def summary(at: AppTest) -> str:
    """The caption under the format choice: what the pack will show."""
    return next(c.value for c in at.caption
                if " · " in c.value and (c.value.endswith("latest data") or "pinned to version" in c.value))


# -- AppTest: one per page -------------------------------------------------------------

def test_overview_pack_of_this_view_as_pptx(demo, media):
    at = open_page(wave="2026-Q2")
    assert at.radio(key="pack_scope").value == "view"
    assert summary(at) == "Overview · wave 2026-Q2 · latest data"
    label, data = prepare(at, media, "pptx")
    assert label == "Download PowerPoint"
    text = pptx_text(data)
    assert "Overview \u2014 wave 2026-Q2" in text
    assert "Where partners stand: 2026-Q2" in text
    assert "overview?wave=2026-Q2" in text  # every slide links back to the view
    # a rerun (e.g. the download click) keeps the prepared file; a new wave asks again
    at.run()
    assert pack_download(at) is not None
    at.selectbox(key="wave").set_value("2026-Q1").run()
    assert pack_download(at) is None


def test_overview_whole_programme_pack_as_pdf(demo, media):
    at = open_page()
    label, data = prepare(at, media, "pdf", pack_scope="programme")
    assert label == "Download PDF"
    text = pdf_text(data)
    assert "Steering pack \u2014 wave 2026-Q3" in text
    assert "Scores by partner and wave" in text  # the programme pack's appendix


def test_partner_pack_follows_partner_wave_and_factors(demo, media):
    at = open_page("app_pages/partner.py", partner="Kestrel Design", wave="2026-Q2",
                   factors=["Shared goals", "Open communication"])
    assert at.multiselect(key="factors").value == ["shared_goals", "open_communication"]
    assert summary(at) == "Partner profile · Kestrel Design · wave 2026-Q2 · Shared goals, Open communication · latest data"
    _, data = prepare(at, media, "pptx")
    text = pptx_text(data)
    assert "Partner profile: Kestrel Design \u2014 wave 2026-Q2" in text
    assert "Factors: Shared goals, Open communication" in text
    assert "Joint governance" not in text


def test_compare_pack_follows_wave_and_sort(demo, media):
    at = open_page("app_pages/compare.py", wave="2026-Q1", sort="Shared goals")
    assert at.selectbox(key="sort").value == "shared_goals"
    _, data = prepare(at, media, "pdf")
    text = pdf_text(data)
    assert "Partners \u00d7 factors: 2026-Q1" in text
    assert "Sorted by shared goals" in text


def test_whatif_pack_of_the_scenario_and_programme_pack_with_kept(demo, media):
    at = open_page("app_pages/whatif.py", wi_partner="Kestrel Design", d_shared_goals="10")
    assert at.checkbox(key="pack_kept").disabled  # only for the programme pack, with kept ones
    label, data = prepare(at, media, "pptx")
    text = pptx_text(data)
    assert "What-if: Kestrel Design" in text
    assert "Changes: Shared goals +10" in text
    assert "wi_partner=Kestrel%20Design&d_shared_goals=10" in text

    next(b for b in at.button if b.label == "Keep this scenario").click().run()
    assert len(at.session_state["wi_kept"]) == 1
    at.radio(key="pack_scope").set_value("programme").run()
    assert at.checkbox(key="pack_kept").label == "Include the kept scenarios (1)"
    assert not at.checkbox(key="pack_kept").disabled
    _, data = prepare(at, media, "pdf")
    text = pdf_text(data)
    assert "Steering pack \u2014 wave 2026-Q3" in text
    assert "What-if: Kestrel Design" in text  # the kept scenario's section


# -- the browser: prepare and download a PDF on the Overview ------------------------------

@pytest.mark.browser
def test_overview_downloads_a_pdf_pack_in_the_browser(app_server, chromium, tmp_path):
    from conftest import screenshot, wait_for_app
    from pypdf import PdfReader

    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{app_server.url}/?wave=2026-Q2")
        wait_for_app(page, timeout=120_000)
        page.get_by_role("button", name="Steering pack").click()
        panel = page.locator('[data-testid="stPopoverBody"]')
        panel.get_by_text("PDF", exact=True).click()
        wait_for_app(page)
        assert "Overview · wave 2026-Q2 · latest data" in panel.inner_text()
        screenshot(page, "pack-overview-1-popover")
        panel.get_by_role("button", name="Prepare").click()
        download_button = panel.get_by_role("button", name="Download PDF")
        download_button.wait_for(timeout=120_000)
        wait_for_app(page)
        screenshot(page, "pack-overview-2-ready")
        with page.expect_download(timeout=60_000) as info:
            download_button.click()
        download = info.value
        assert download.suggested_filename.startswith("steering-pack-overview-2026-q2-")
        assert download.suggested_filename.endswith(".pdf")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes().startswith(PDF_MAGIC)
        reader = PdfReader(str(saved))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert "2026-Q2" in text and "Where partners stand: 2026-Q2" in text
        assert f"{app_server.url}/overview?wave=2026-Q2" in text.replace("\n", "")
        if shutil.which("pdftoppm"):  # the first page as PNG, to look at
            from conftest import ARTIFACTS

            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(saved),
                            str(ARTIFACTS / "pack-overview-3-pdf-page")], check=True)
    finally:
        context.close()


def test_whatif_pack_with_every_weight_zero_says_why(demo, media):
    zero = {f"w_{f}": "0" for f in ("shared_goals", "joint_governance", "psychological_safety",
                                     "open_communication", "mutual_accountability")}
    at = open_page("app_pages/whatif.py", wi_partner="Kestrel Design", **zero)
    at.button(key="pack_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert pack_download(at) is None
    assert any("The pack could not be built: Every index weight is zero" in e.value for e in at.error)

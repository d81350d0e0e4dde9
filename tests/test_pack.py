"""Steering pack: the demo programme's pack opened as PowerPoint (python-pptx) and PDF (pypdf).

The programme pack is built once (its slides), then written in both formats from the
same slides; the single-view packs are small. What is checked: slide/page count, 16:9,
titles, filter and as-of lines, the links (URL with the view's query parameters), type
sizes, tables split with their header repeated, and that no suppressed value reaches a
file (the values hidden at k=5 are taken from the query layer at k=3 and looked for).
"""
from __future__ import annotations

import io
import re
import urllib.parse
from datetime import date

import pytest

from pipelines.programme.factors import FACTORS

BASE = "http://pack.test:8501"
TODAY = date(2026, 11, 25)
SUPPRESSED_PARTNERS = ("Pipwell Ecology", "Brackwater Systems", "Corvell Signalling")  # not the client


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from pipelines.programme import bootstrap
    from pipelines.store import Store

    folder = tmp_path_factory.mktemp("pack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(folder / "salt"))
        patch.setenv("PARTNERSHIP_DEMO", "off")
        store = Store(folder / "demo.duckdb")
        bootstrap.load_demo(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def scenario():
    from pipelines.present.links import Scenario

    return Scenario("Kestrel Design", {"shared_goals": 10.0, "open_communication": 5.0})


@pytest.fixture(scope="module")
def programme_slides(demo_store, scenario):
    from pipelines.present import links, pack

    return pack.build_slides(demo_store.cursor(), view=links.LinkState(scenarios=(scenario,)),
                             base_url=BASE, today=TODAY)


@pytest.fixture(scope="module")
def programme_pptx(programme_slides):
    from pptx import Presentation

    from pipelines.present import pack

    return Presentation(io.BytesIO(pack.render_slides(programme_slides, "pptx")))


@pytest.fixture(scope="module")
def programme_pdf(programme_slides):
    from pypdf import PdfReader

    from pipelines.present import pack

    return PdfReader(io.BytesIO(pack.render_slides(programme_slides, "pdf")))


@pytest.fixture(scope="module")
def partner_pptx(demo_store):
    """Pipwell Ecology's profile: fewer than 5 responses in most waves."""
    from pptx import Presentation

    from pipelines.present import links, pack

    data = pack.build_pack(demo_store.cursor(), view=links.LinkState(page="partner", partner="Pipwell Ecology"),
                           fmt="pptx", base_url=BASE, today=TODAY)
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def hidden_values(demo_store):
    """(partner, wave, factor) -> the score the k=5 rule hides, as the query layer gives it
    at k=3 (only for this test: the pack never asks for k below the setting)."""
    from pipelines.query import scores

    cursor = demo_store.cursor()
    at5 = scores.factor_scores(cursor, programme=False)
    at3 = scores.factor_scores(cursor, k=3, programme=False)
    merged = at5.merge(at3, on=["partner", "wave", "factor"], suffixes=("", "_k3"))
    hidden = merged[merged["suppressed"] & merged["score_k3"].notna()]
    assert len(hidden) > 0, "the demo should have groups that k=5 hides but k=3 shows"
    return {(r.partner, r.wave, r.factor): r.score_k3 for r in hidden.itertuples()}


# -- helpers -------------------------------------------------------------------------

def _slide_texts(slide) -> list[str]:
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                texts.append(" | ".join(cell.text for cell in row.cells))
    return texts


def _tables(slide) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in shape.table.rows]
            for shape in slide.shapes if getattr(shape, "has_table", False) and shape.has_table]


def _links(slide) -> list[str]:
    found = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                for run in paragraph.runs:
                    if run.hyperlink.address:
                        found.append(run.hyperlink.address)
    return found


def _query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urllib.parse.urlsplit(url)
    return parts.path.strip("/"), urllib.parse.parse_qs(parts.query)


def _titles(deck) -> list[str]:
    return [slide.shapes.title.text for slide in deck.slides]


# -- the programme pack ------------------------------------------------------------------

def test_programme_pack_slides_titles_and_16_9(programme_pptx, programme_slides):
    from pipelines.present.pack import Table  # noqa: F401  (the model is public for previews)
    from pipelines.programme.demo import DEMO_LABEL

    deck = programme_pptx
    assert len(deck.slides) == len(programme_slides)
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.01
    titles = _titles(deck)
    assert titles[0] == DEMO_LABEL
    for expected in ("Collaboration index over time", "Where partners stand: 2026-Q3",
                     "Partners \u00d7 factors: 2026-Q3", "Biggest movers: 2026-Q2 \u2192 2026-Q3",
                     "What-if: Kestrel Design"):
        assert expected in titles, expected
    for partner in ("Brackwater Systems", "Corvell Signalling", "Harbour Civils", "Kestrel Design",
                    "Northline Infrastructure", "Pipwell Ecology"):
        assert f"{partner}: factors over time, evidence beside" in titles
    appendix = [t for t in titles if t.startswith("Scores by partner and wave")]
    waves = ["2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1", "2024-Q4"]
    assert appendix == [f"Scores by partner and wave: {w}" for w in waves]  # a slide per wave, newest first


def test_programme_pack_filters_asof_and_links(programme_pptx):
    slides = list(programme_pptx.slides)
    cover = "\n".join(_slide_texts(slides[0]))
    assert "Prepared 2026-11-25" in cover and "latest data, version 21, loaded" in cover
    for slide in slides[1:]:
        text = "\n".join(_slide_texts(slide))
        assert re.search(r"Data: latest data, version 21, loaded \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d\s+·\s+Demo programme: "
                         r"Northline Rail Alliance \(fictional\)", text), slide.shapes.title.text
        links = _links(slide)
        assert links and all(link.startswith(BASE + "/") for link in links), slide.shapes.title.text
    by_title = {s.shapes.title.text: s for s in slides}
    heatmap = by_title["Partners \u00d7 factors: 2026-Q3"]
    assert "Wave 2026-Q3  \u00b7  Factors: all five  \u00b7  Sorted by partner name" in _slide_texts(heatmap)[1]
    assert _query(_links(heatmap)[0]) == ("compare", {"wave": ["2026-Q3"]})
    partner = by_title["Pipwell Ecology: factors over time, evidence beside"]
    assert _query(_links(partner)[0]) == ("partner", {"wave": ["2026-Q3"], "partner": ["Pipwell Ecology"]})
    whatif = by_title["What-if: Kestrel Design"]
    page, params = _query(_links(whatif)[0])
    assert page == "what-if"
    assert params == {"wi_partner": ["Kestrel Design"], "d_shared_goals": ["10"],
                      "d_open_communication": ["5"]}


def test_programme_pack_type_sizes(programme_pptx):
    from pptx.util import Pt

    for slide in programme_pptx.slides:
        title_runs = [r for p in slide.shapes.title.text_frame.paragraphs for r in p.runs]
        assert all(r.font.size >= Pt(28) for r in title_runs)
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if getattr(shape, "has_table", False) and shape.has_table:
                frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
            for frame in frames:
                for paragraph in frame.paragraphs:
                    for run in paragraph.runs:
                        assert run.font.size >= Pt(14), (slide.shapes.title.text, run.text)


def test_pictures_fit_on_the_slide(programme_pptx):
    width, height = programme_pptx.slide_width, programme_pptx.slide_height
    pictures = 0
    for slide in programme_pptx.slides:
        for shape in slide.shapes:
            if shape.shape_type == 13:  # picture
                pictures += 1
                assert shape.left >= 0 and shape.top >= 0
                assert shape.left + shape.width <= width and shape.top + shape.height <= height
    assert pictures >= 4 + 6  # index, spectrum, heatmap, movers, one per partner


def test_the_appendix_has_every_score_under_one_header(programme_pptx):
    appendix = [s for s in programme_pptx.slides if s.shapes.title.text.startswith("Scores by partner and wave")]
    headers = [_tables(s)[0][0] for s in appendix]
    assert all(h == headers[0] for h in headers)
    assert headers[0][:2] == ["Wave", "Partner"]
    rows = sum(len(_tables(s)[0]) - 1 for s in appendix)
    assert rows == 8 * 7  # 8 waves x (6 partners + programme)


def test_programme_pdf_pages_titles_and_links(programme_pdf, programme_pptx):
    reader = programme_pdf
    assert len(reader.pages) == len(programme_pptx.slides)
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (960.0, 540.0)
    titles = _titles(programme_pptx)
    uris = []
    for number, page in enumerate(reader.pages):
        text = page.extract_text()
        first_words = titles[number].split(" (")[0][:20]
        assert first_words.split(":")[0] in text, (number, titles[number])
        if number:
            assert "Data: latest data, version 21" in text
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                uris.append(str(action["/URI"]))
    assert len(uris) == len(reader.pages)
    assert f"{BASE}/partner?wave=2026-Q3&partner=Pipwell%20Ecology" in uris
    assert [o.title for o in reader.outline][:3] == titles[:3]


def test_no_suppressed_value_in_programme_pack(programme_pptx, programme_pdf, demo_store, hidden_values):
    from pipelines.query import scores

    cursor = demo_store.cursor()
    shown = scores.factor_scores(cursor)
    shown_index = scores.index_scores(cursor)
    short = {"Shared goals": "shared_goals", "Joint gov.": "joint_governance",
             "Psych. safety": "psychological_safety", "Open comm.": "open_communication",
             "Mutual acc.": "mutual_accountability"}
    checked = 0
    for slide in programme_pptx.slides:
        if not slide.shapes.title.text.startswith("Scores by partner and wave"):
            continue
        table = _tables(slide)[0]
        header = table[0]
        for row in table[1:]:
            wave, partner = row[0], row[1]
            for column, cell in zip(header[2:-2], row[2:-2]):
                factor = short[column]
                group = shown[(shown["wave"] == wave) & (shown["partner"] == partner)
                              & (shown["factor"] == factor)].iloc[0]
                if group["suppressed"]:
                    assert cell == "not shown"
                    assert not re.search(r"\d", cell)
                else:  # the same number (DuckDB's parallel sums may differ in the last bits)
                    assert abs(float(cell) - group["score"]) <= 0.05 + 1e-9, (wave, partner, factor)
                checked += 1
            index = shown_index[(shown_index["wave"] == wave) & (shown_index["partner"] == partner)].iloc[0]
            if index["suppressed"]:
                assert row[-2] == "not shown"
            else:
                assert abs(float(row[-2]) - index["score"]) <= 0.05 + 1e-9
            if index["suppressed"]:
                assert row[-1] == "\u2014"
    assert checked == 8 * 7 * len(FACTORS)
    # the hidden values appear nowhere near the suppressed partners' names
    for slide in programme_pptx.slides:
        for text in _slide_texts(slide):
            for line in text.split("\n"):
                if not any(p in line for p in SUPPRESSED_PARTNERS):
                    continue
                for (partner, wave, factor), value in hidden_values.items():
                    if partner in line and wave in line:
                        assert f"{value:.1f}" not in line, (line, value)
    pdf_text = "\n".join(page.extract_text() for page in programme_pdf.pages)
    assert "Pipwell Ecology: fewer than 5 responses \u2014 not shown" in pdf_text
    assert ("Corvell Signalling: not shown, so a smaller group cannot be worked out by "
            "subtraction") in pdf_text


def test_partner_pack_for_a_suppressed_partner(partner_pptx, hidden_values):
    titles = _titles(partner_pptx)
    assert titles[1:] == ["Pipwell Ecology: factors over time, evidence beside",
                          "Pipwell Ecology: scores by wave",
                          "Pipwell Ecology: what people say vs what the data shows",
                          "Pipwell Ecology: participation over the waves",
                          "Agreed actions: Pipwell Ecology",
                          *(f"Pipwell Ecology: question by question, 2026-Q3 ({n} of 3)" for n in (1, 2, 3))]
    table = _tables(partner_pptx.slides[2])[0]
    hidden_here = {(w, f): v for (p, w, f), v in hidden_values.items() if p == "Pipwell Ecology"}
    assert hidden_here
    hidden_waves = {w for w, _ in hidden_here}
    for row in table[1:]:
        if row[0] in hidden_waves:
            assert set(row[1:]) == {"not shown"}, row
    text = "\n".join(t for s in partner_pptx.slides for t in _slide_texts(s))
    assert "Pipwell Ecology: fewer than 5 responses \u2014 not shown (2024-Q4, 2025-Q2, 2025-Q4, " \
           "2026-Q1, 2026-Q2, 2026-Q3)" in text
    for (wave, factor), value in hidden_here.items():
        for row in table[1:]:
            if row[0] == wave:
                assert f"{value:.1f}" not in " ".join(row)
    link = _links(partner_pptx.slides[1])[0]
    assert _query(link) == ("partner", {"wave": ["2026-Q3"], "partner": ["Pipwell Ecology"]})


# -- views, links, names ---------------------------------------------------------------------

def test_view_from_query_params_round_trip(demo_store):
    from pipelines.present import links, pack
    from pipelines.store import versions

    cursor = demo_store.cursor()
    label = versions.labels(cursor)[11]
    assert label.startswith("v11 · ")
    params = {"wave": "2026-Q2", "partner": "Kestrel Design", "factors": ["Shared goals", "Open communication"],
              "asof": label, "wi_partner": "Harbour Civils", "d_joint_governance": "15",
              "w_shared_goals": "0.4"}
    view = links.LinkState.from_query_params("what-if", params, cursor)
    assert view.asof == 11 and view.factors == ("shared_goals", "open_communication")
    assert view.scenarios[0].deltas == {"joint_governance": 15.0}
    assert view.scenarios[0].weights["shared_goals"] == 0.4
    url = links.view_url(view, BASE, label)
    page, query = _query(url)
    assert page == "what-if"
    assert query == {"wave": ["2026-Q2"], "asof": [label], "wi_partner": ["Harbour Civils"],
                     "d_joint_governance": ["15"], "w_shared_goals": ["0.4"]}
    partner = links.view_url(links.LinkState.from_query_params("partner", params, cursor), BASE, label)
    assert _query(partner) == ("partner", {"wave": ["2026-Q2"], "partner": ["Kestrel Design"],
                                           "factors": ["Shared goals", "Open communication"],
                                           "asof": [label]})
    compare = links.LinkState.from_query_params("compare", {"sort": "Collaboration index", "wave": "2026-Q2"})
    assert compare.sort == "collaboration_index"
    assert _query(links.view_url(compare, BASE)) == ("compare", {"wave": ["2026-Q2"],
                                                                "sort": ["Collaboration index"]})
    assert pack.pack_filename(view, "pdf", today=TODAY) == \
        "steering-pack-what-if-harbour-civils-2026-q2-v11-2026-11-25.pdf"
    assert pack.pack_filename(links.LinkState(), today=TODAY) == "steering-pack-programme-2026-11-25.pptx"


def test_pinned_compare_pack_pdf(demo_store):
    from pypdf import PdfReader

    from pipelines.present import links, pack

    cursor = demo_store.cursor()
    view = links.LinkState(page="compare", wave="2025-Q3", factors=("shared_goals", "joint_governance"),
                         sort="Shared goals", asof=10)
    reader = PdfReader(io.BytesIO(pack.build_pack(cursor, view=view, fmt="pdf", base_url=BASE, today=TODAY)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "pinned to version 10 (survey responses 2026-Q3, loaded" in text
    assert "Factors: Shared goals, Joint governance" in text and "Sorted by shared goals" in text
    uris = [str(a.get_object()["/A"]["/URI"]) for page in reader.pages for a in page.get("/Annots") or []]
    page, query = _query(uris[1])
    assert page == "compare" and query["wave"] == ["2025-Q3"] and query["sort"] == ["Shared goals"]
    assert query["asof"] == ["10"]  # the app respells it as the picker's label (test_pages)


def test_bad_views_say_why(demo_store):
    from pipelines.present import links, pack

    cursor = demo_store.cursor()
    with pytest.raises(ValueError, match="There is no survey wave '2031-Q1'"):
        pack.build_slides(cursor, view=links.LinkState(page="compare", wave="2031-Q1"))
    with pytest.raises(ValueError, match="No partner named 'Nobody'"):
        pack.build_slides(cursor, view=links.LinkState(page="partner", partner="Nobody"))
    with pytest.raises(ValueError, match="does not have"):
        pack.build_slides(cursor, view=links.LinkState(page="compare", asof=999))
    with pytest.raises(ValueError, match="Unknown factor"):
        links.LinkState(factors=("trust",))


def test_cli_writes_a_pack(demo_store, tmp_path):
    from pypdf import PdfReader

    from pipelines import cli

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "what-if.pdf"
    code = cli.main(["pack", "--format", "pdf", "--out", str(target), "--page", "what-if",
                     "--wi-partner", "Harbour Civils", "--delta", "joint_governance=15",
                     "--base-url", BASE], store=demo_store, out=out, err=err)
    assert code == 0, err.getvalue()
    reader = PdfReader(str(target))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "What-if: Harbour Civils" in text and "Joint governance +15" in text
    assert "not a promise" in text  # the delivery projection's plain words
    code = cli.main(["pack", "--out", str(tmp_path / "x.pptx"), "--wave", "1999-Q1"],
                    store=demo_store, out=out, err=err)
    assert code == cli.EXIT_USAGE and "There is no survey wave '1999-Q1'" in err.getvalue()


def test_a_table_too_long_for_a_slide_is_split_with_its_header_repeated():
    from pipelines.present.pack.layout import Slide, Table, paginate

    rows = [[f"Partner {i:02d}", f"{50 + i}.0"] for i in range(40)]
    parts = paginate(Slide("Scores", table=Table(["Partner", "Score"], rows, [300.0, 100.0],
                                                 muted=[i == 3 for i in range(40)])))
    assert [s.title for s in parts] == [f"Scores ({i} of {len(parts)})" for i in range(1, len(parts) + 1)]
    assert len(parts) == 3 and all(s.table.columns == ["Partner", "Score"] for s in parts)
    assert [r for s in parts for r in s.table.rows] == rows
    assert [m for s in parts for m in s.table.muted] == [i == 3 for i in range(40)]


def test_every_slide_reopens_the_page_and_wave_it_shows(programme_slides):
    """The movers are on the Overview; each wave of the appendix reopens Compare at that wave."""
    by_title = {s.title: _query(s.link) for s in programme_slides}
    assert by_title["Largest changes since 2026-Q2"] == ("overview", {"wave": ["2026-Q3"]})
    assert by_title["Biggest movers: 2026-Q2 \u2192 2026-Q3"] == ("overview", {"wave": ["2026-Q3"]})
    for wave in ("2026-Q3", "2025-Q1", "2024-Q4"):
        assert by_title[f"Scores by partner and wave: {wave}"] == ("compare", {"wave": [wave]})


def test_a_word_too_long_for_its_column_takes_room_from_columns_that_have_it():
    from pipelines.present.pack.layout import CELL_PAD_X, fit_words, wrap

    widths = fit_words(["Partner", "Northline Infrastructure", "All partners"], [["Harbour Civils", "70.8", "65.6"]],
                       [300.0, 90.0, 200.0])
    assert sum(widths) == pytest.approx(590.0) and widths[1] > 90.0
    assert wrap("Northline Infrastructure", 14, widths[1] - 2 * CELL_PAD_X - 2, bold=True) == [
        "Northline", "Infrastructure"]
    assert fit_words(["A", "B"], [["x", "y"]], [100.0, 100.0]) == [100.0, 100.0]  # nothing to move


def test_a_slide_chart_keeps_the_slide_font_beside_the_not_shown_mark():
    """vl-convert draws a text in one font: with the chart's mark (not in Liberation Sans) the whole
    legend label fell back to a monospace font; the slide draws it as the multiplication sign."""
    import json

    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    from pipelines.present.charts import NOT_SHOWN_MARK
    from pipelines.present.pack.layout import CHART_SCALE, png

    def chart(mark):
        return alt.Chart(pd.DataFrame({"t": [f"{mark} Not shown (privacy)"]})).mark_text(fontSize=20).encode(
            text="t:N").properties(width=300, height=40)

    expected = chart("\u00d7").to_dict(validate=False)
    expected.setdefault("config", {})["background"] = "white"
    assert png(chart(NOT_SHOWN_MARK)).png == vlc.vegalite_to_png(json.dumps(expected), scale=CHART_SCALE)


def test_the_heatmap_slide_gives_each_column_room_for_its_name(demo_store, monkeypatch):
    """Six columns of 78 pt ran "Psych. safetyOpen comm." together: the column names of the spec the
    slide renders, drawn as SVG, stand apart by more than their own widths."""
    import re

    import vl_convert as vlc
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from pipelines.present import links, pack

    specs, real = [], vlc.vegalite_to_png
    monkeypatch.setattr(vlc, "vegalite_to_png", lambda spec, **k: specs.append(spec) or real(spec, **k))
    pack.build_slides(demo_store.cursor(), view=links.LinkState(page="compare"), today=TODAY)
    svg = vlc.vegalite_to_svg(specs[-1])  # the heatmap as drawn (the first render learns its margins)
    x = {label.replace("\u00a0", " "): float(at) for at, label in re.findall(
        r'translate\(([\d.]+),-?[\d.]+\)"[^>]*font-weight="bold"[^>]*>([^<]+)</text>', svg)}
    names = ["Shared goals", "Joint gov.", "Psych. safety", "Open comm.", "Mutual acc.", "Index"]
    assert [n for n in x if n in names] == names
    for left, right in zip(names, names[1:]):
        room = (stringWidth(left, "Helvetica-Bold", 14) + stringWidth(right, "Helvetica-Bold", 14)) / 2
        assert x[right] - x[left] > room + 8, (left, right)

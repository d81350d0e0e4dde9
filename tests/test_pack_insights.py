"""The #25 slides show what the page's view model holds (as tests/test_pack_pages.py checks the
screen against the slide): participation, who rates whom and its two sides, agreed actions, the
item-level view and, when asked, what people wrote; and a PDF of them keeps every small group hidden."""
from __future__ import annotations

import io

import pytest

from pipelines.present import pack, views
from pipelines.present.links import LinkState


@pytest.fixture(scope="module")
def source(demo_source):
    return demo_source


def slides_of(source, state: LinkState):
    model = views.build(source, state)
    return model, pack.build_slides(view=state, source=source, model=model)


def table_rows(slides, title: str) -> list[list[str]]:
    """Every row of the slides titled ``title`` (one, or '(1 of n)' ...), in order."""
    found = [s for s in slides if s.title == title or s.title.startswith(f"{title} (")]
    assert found, [s.title for s in slides]
    return [row for s in found for row in s.table.rows]


def test_overview_participation_slide_is_the_pages_table(source):
    model, slides = slides_of(source, LinkState(page="overview", wave="2026-Q3"))
    assert table_rows(slides, "Participation, 2026-Q3") == model.participation.table.values.tolist()
    spectrum = next(s for s in slides if s.title == "Where partners stand: 2026-Q3")
    assert model.participation.low[0] in spectrum.notes


def test_ratings_slides_are_the_tabs_matrix_and_pairs(source):
    model, slides = slides_of(source, LinkState(page="compare", wave="2026-Q3"))
    ratings = model.ratings
    assert table_rows(slides, "Who rates whom, 2026-Q3") == ratings.matrix.values.tolist()
    assert table_rows(slides, "Two sides of a relationship, 2026-Q3") == ratings.pairs.values.tolist()
    matrix = next(s for s in slides if s.title.startswith("Who rates whom"))
    assert matrix.table.columns == list(ratings.matrix.columns)
    assert list(ratings.notes) == matrix.notes
    assert matrix.link == "compare?wave=2026-Q3"


def test_a_ratings_row_is_muted_only_when_it_shows_nothing(source):
    _, slides = slides_of(source, LinkState(page="compare", wave="2026-Q3"))
    matrix = next(s for s in slides if s.title.startswith("Who rates whom")).table
    muted = {row[0]: m for row, m in zip(matrix.rows, matrix.muted)}
    assert muted["Northline Infrastructure"] is False  # one score shown (it rates Pipwell Ecology)
    assert "75.0 \u25b215.9" in matrix.rows[[r[0] for r in matrix.rows].index("Northline Infrastructure")]
    assert muted["Pipwell Ecology"] is True and muted["Harbour Civils"] is False


def test_no_header_of_the_ratings_slide_cuts_a_word(source):
    from pipelines.present.pack.layout import CELL_PAD_X, wrap

    _, slides = slides_of(source, LinkState(page="compare", wave="2026-Q3"))
    matrix = next(s for s in slides if s.title.startswith("Who rates whom")).table
    lines = [wrap(c, 14, w - 2 * CELL_PAD_X - 2, bold=True) for c, w in zip(matrix.columns, matrix.widths)]
    assert lines[list(matrix.columns).index("Northline Infrastructure")] == ["Northline", "Infrastructure"]
    assert not any(line.endswith("-") for cell in lines for line in cell)
    assert sum(matrix.widths) == pytest.approx(888.0)  # the table keeps its width


def test_the_ratings_slide_follows_the_links_partner(source):
    _, slides = slides_of(source, LinkState(page="compare", wave="2026-Q3", partner="Pipwell Ecology"))
    assert next(s for s in slides if s.title.startswith("Who rates whom")).link == (
        "compare?wave=2026-Q3&include=Pipwell%20Ecology")


def test_partner_slides_are_the_profiles_tables(source):
    state = LinkState(page="partner", partner="Kestrel Design", wave="2026-Q3", comments=True)
    model, slides = slides_of(source, state)
    assert table_rows(slides, "Kestrel Design: participation over the waves") == \
        model.participation.table.values.tolist()
    assert table_rows(slides, "Agreed actions: Kestrel Design") == model.actions.table.values.tolist()
    assert table_rows(slides, "Kestrel Design: question by question, 2026-Q3") == model.items.table.values.tolist()
    assert table_rows(slides, "Kestrel Design: what people wrote, 2026-Q3") == [
        [question, text] for question, texts in model.comments.by_question for text in texts]


def test_a_partner_pack_without_comments_when_not_asked(source):
    _, slides = slides_of(source, LinkState(page="partner", partner="Kestrel Design", wave="2026-Q3"))
    assert not [s for s in slides if "what people wrote" in s.title]


def test_a_small_groups_comment_slide_says_why_and_shows_none(source):
    _, slides = slides_of(source, LinkState(page="partner", partner="Pipwell Ecology", comments=True))
    slide = next(s for s in slides if s.title == "Pipwell Ecology: what people wrote, 2026-Q3")
    assert slide.table is None
    assert slide.notes == ["Pipwell Ecology's comments for 2026-Q3 are not shown: fewer than 5 of its people "
                           "answered, so a comment could point to who wrote it."]


def test_the_pdf_of_compare_marks_every_small_rater(source):
    from pypdf import PdfReader

    data = pack.build_pack(view=LinkState(page="compare", wave="2026-Q3"), fmt="pdf", source=source)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    matrix = "\n".join(p for p in pages if "Who rates whom, 2026-Q3" in p)
    pipwell = matrix.split("\nPipwell Ecology\n", 1)[1].split("All partners")[0]  # its row: a cell a line
    assert pipwell.splitlines() == ["n < 5"] * 5 + ["\u2014", "n < 5"]
    assert "protected" in matrix


# -- the command line: comments only when asked ----------------------------------------------------

def _pack_cli(*argv) -> tuple[int, str]:
    from pipelines import cli

    out, err = io.StringIO(), io.StringIO()
    return cli.main(["pack", *argv], out=out, err=err), err.getvalue()


def test_pack_cli_adds_comments_to_a_partner_pack_when_asked(demo, tmp_path):
    from pypdf import PdfReader

    texts = {}
    for asked in (False, True):
        target = tmp_path / f"kestrel-{asked}.pdf"
        code, _ = _pack_cli("--page", "partner", "--partner", "Kestrel Design", "--format", "pdf", "--out",
                            str(target), *(["--comments"] if asked else []))
        assert code == 0
        texts[asked] = "\n".join(p.extract_text() for p in PdfReader(target).pages)
    assert "Honest conversations, even hard ones." in texts[True]
    assert "Honest conversations, even hard ones." not in texts[False]
    assert "Agreed actions: Kestrel Design" in texts[False]


def test_pack_cli_comments_only_for_a_partner_page(demo, tmp_path):
    code, err = _pack_cli("--page", "overview", "--comments", "--out", str(tmp_path / "o.pptx"))
    assert code == 64
    assert err == "--comments needs --page partner: only a partner's pack has its comments.\n"
    assert not (tmp_path / "o.pptx").exists()

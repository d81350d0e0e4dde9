"""The steering pack as PowerPoint: each slide of the layout drawn with python-pptx."""
from __future__ import annotations

import io

from pipelines.present.pack.layout import (
    ACCENT,
    BODY_LEAD,
    BODY_PT,
    CELL_PAD_X,
    CELL_PAD_Y,
    CONTEXT_LEAD,
    CONTEXT_PT,
    HEADER_FILL,
    INK,
    LINK_PREFIX,
    MARGIN,
    MUTED,
    PPTX_FONT,
    TITLE_PT,
    ZEBRA_FILL,
    H,
    Slide,
    Table,
    W,
    boxes,
    fit,
    link_lines,
    row_height,
    split_content,
)


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor
    return RGBColor.from_string(hex_colour.lstrip("#"))


def render(slides: list[Slide], title: str) -> bytes:
    """The slides as a PowerPoint deck (python-pptx), one text box per part, tables as tables."""
    from pptx import Presentation
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Pt(W), Pt(H)
    deck.core_properties.title = title
    deck.core_properties.subject = "Partnership Health steering pack"
    layout = deck.slide_layouts[5]  # title only
    aligns = {"l": PP_ALIGN.LEFT, "r": PP_ALIGN.RIGHT, "c": PP_ALIGN.CENTER}

    def box(shapes, x, y, w, h):
        shape = shapes.add_textbox(Pt(x), Pt(y), Pt(w), Pt(h))
        frame = shape.text_frame
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        frame.vertical_anchor = MSO_ANCHOR.TOP
        return frame

    def write(paragraph, text, size, colour=INK, bold=False, italic=False, link=None):
        run = paragraph.add_run()
        run.text = text
        run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
        run.font.name = PPTX_FONT
        run.font.color.rgb = _rgb(colour)
        if link:
            run.hyperlink.address = link
        return run

    def lines(frame, texts, size, colour=INK, lead=None, bold=False):
        for i, text in enumerate(texts):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if lead:
                paragraph.line_spacing = Pt(lead)
            write(paragraph, text, size, colour, bold=bold)

    for number, s in enumerate(slides, start=1):
        slide = deck.slides.add_slide(layout)
        title_shape = slide.shapes.title
        parts = boxes(s)
        if s.cover is not None:
            x, y, w, h = MARGIN + 20, 120, W - 2 * MARGIN - 40, 110
        else:
            x, y, w, h = parts["title"]
        title_shape.left, title_shape.top, title_shape.width, title_shape.height = Pt(x), Pt(y), Pt(w), Pt(h)
        tf = title_shape.text_frame
        tf.clear()
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
        tf.vertical_anchor = MSO_ANCHOR.TOP if s.cover is None else MSO_ANCHOR.BOTTOM
        tf.paragraphs[0].alignment = PP_ALIGN.LEFT
        write(tf.paragraphs[0], s.title, 36 if s.cover is not None else TITLE_PT, bold=True)
        if s.cover is not None:
            band = slide.shapes.add_shape(1, 0, 0, Pt(W), Pt(14))
            band.fill.solid()
            band.fill.fore_color.rgb = _rgb(ACCENT)
            band.line.fill.background()
            frame = box(slide.shapes, MARGIN + 20, 240, W - 2 * MARGIN - 40, 36)
            write(frame.paragraphs[0], s.subtitle or "", 24, ACCENT, bold=True)
            frame = box(slide.shapes, MARGIN + 20, 296, W - 2 * MARGIN - 40, 170)
            lines(frame, s.cover, 16, MUTED, lead=22)
        else:
            x, y, w, h = parts["context"]
            frame = box(slide.shapes, x, y, w, h)
            lines(frame, s.context, CONTEXT_PT, MUTED, lead=CONTEXT_LEAD)
            chart_box, table_box = split_content(s)
            if s.chart is not None and chart_box is not None:
                cx, cy, cw, ch = fit(s.chart, chart_box)
                slide.shapes.add_picture(io.BytesIO(s.chart.png), Pt(cx), Pt(cy), Pt(cw), Pt(ch))
            if s.table is not None and table_box is not None:
                _pptx_table(slide, s.table, table_box, write, aligns)
            if s.notes:
                x, y, w, h = parts["notes"]
                frame = box(slide.shapes, x, y, w, h)
                lines(frame, s.notes, BODY_PT, INK, lead=BODY_LEAD)
        x, y, w, h = parts["link"]
        if s.link:
            frame = box(slide.shapes, x, y, w + 8, h)
            target = s.link if "://" in s.link else None
            for i, line in enumerate(link_lines(s.link)):  # broken as in the PDF, one link
                paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                paragraph.line_spacing = Pt(BODY_LEAD)
                if i == 0:
                    write(paragraph, LINK_PREFIX, BODY_PT, MUTED)
                    line = line[len(LINK_PREFIX):]
                if line:
                    write(paragraph, line, BODY_PT, ACCENT, link=target)
        x, y, w, h = parts["page"]
        frame = box(slide.shapes, x, y, w, h)
        frame.paragraphs[0].alignment = PP_ALIGN.RIGHT
        write(frame.paragraphs[0], f"{number} / {len(slides)}", BODY_PT, MUTED)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pptx_table(slide, table: Table, box, write, aligns) -> None:
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Pt

    x, y, _, _ = box
    heights = [row_height(table.columns, table.widths, True)] + [
        row_height(r, table.widths, bool(table.bold and table.bold[i])) for i, r in enumerate(table.rows)]
    shape = slide.shapes.add_table(len(table.rows) + 1, len(table.columns), Pt(x), Pt(y),
                                   Pt(sum(table.widths)), Pt(sum(heights)))
    grid = shape.table
    grid.first_row = True
    for j, width in enumerate(table.widths):
        grid.columns[j].width = Pt(width)
    for i, height in enumerate(heights):
        grid.rows[i].height = Pt(height)
    align = table.align or ["l"] * len(table.columns)
    for i, cells in enumerate([table.columns] + table.rows):
        header = i == 0
        muted = not header and bool(table.muted and table.muted[i - 1])
        bold = header or (not header and bool(table.bold and table.bold[i - 1]))
        for j, text in enumerate(cells):
            cell = grid.cell(i, j)
            cell.margin_left = cell.margin_right = Pt(CELL_PAD_X)
            cell.margin_top = cell.margin_bottom = Pt(CELL_PAD_Y)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(HEADER_FILL if header else (ZEBRA_FILL if i % 2 == 0 else "#FFFFFF"))
            frame = cell.text_frame
            frame.word_wrap = True
            paragraph = frame.paragraphs[0]
            paragraph.alignment = aligns["l" if header and align[j] == "r" and False else align[j]]
            write(paragraph, str(text), BODY_PT, MUTED if muted else INK, bold=bold, italic=muted)

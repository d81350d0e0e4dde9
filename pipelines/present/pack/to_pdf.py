"""The steering pack as PDF: each slide of the layout drawn with reportlab, Liberation Sans
embedded when the machine has it."""
from __future__ import annotations

import io
from pathlib import Path

from pipelines.present.pack.layout import (
    ACCENT,
    BODY_LEAD,
    BODY_PT,
    CELL_PAD_X,
    CONTEXT_LEAD,
    CONTEXT_PT,
    HEADER_FILL,
    INK,
    LINK_PREFIX,
    MARGIN,
    MUTED,
    RULE,
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
    wrap,
)

_FONTS_READY: dict[str, tuple[str, str]] = {}
_FONT_DIRS = ("/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/liberation2",
              "/usr/share/fonts/liberation", "/usr/share/fonts/TTF", "/Library/Fonts",
              "C:/Windows/Fonts")


def _pdf_fonts() -> tuple[str, str, str]:
    """(regular, bold, italic) font names: Liberation Sans embedded when found, else Helvetica."""
    if "fonts" in _FONTS_READY:
        return _FONTS_READY["fonts"]
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")
    for folder in _FONT_DIRS:
        regular, bold, italic = (Path(folder) / f"LiberationSans-{s}.ttf" for s in ("Regular", "Bold", "Italic"))
        if regular.exists() and bold.exists() and italic.exists():
            try:
                pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
                pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
                pdfmetrics.registerFont(TTFont("PackSans-Italic", str(italic)))
                fonts = ("PackSans", "PackSans-Bold", "PackSans-Italic")
                break
            except Exception:  # a broken font file: keep the built-in fonts
                continue
    _FONTS_READY["fonts"] = fonts
    return fonts


def render(slides: list[Slide], title: str) -> bytes:
    """The slides as a PDF (reportlab): one page per slide, an outline entry per title."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    regular, bold_font, italic = _pdf_fonts()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(W, H), pageCompression=1)
    pdf.setTitle(title)
    pdf.setSubject("Partnership Health steering pack")
    pdf.setCreator("Partnership Health")

    def text(lines_, x, top, size, colour=INK, font=regular, lead=None, width=None):
        lead = lead or size * 1.25
        pdf.setFillColor(HexColor(colour))
        pdf.setFont(font, size)
        y = H - top - size
        count = 0
        for line in lines_:
            for part in (wrap(line, size, width) if width else [line]):
                pdf.drawString(x, y - count * lead + (lead - size) * 0.2, part)
                count += 1
        return count * lead

    for number, s in enumerate(slides, start=1):
        key = f"p{number}"
        pdf.bookmarkPage(key)
        pdf.addOutlineEntry(s.title, key, level=0)
        parts = boxes(s)
        if s.cover is not None:
            pdf.setFillColor(HexColor(ACCENT))
            pdf.rect(0, H - 14, W, 14, stroke=0, fill=1)
            title_lines = wrap(s.title, 36, W - 2 * MARGIN - 40, bold=True)
            top = 230 - 44 * len(title_lines)
            text(title_lines, MARGIN + 20, top, 36, font=bold_font, lead=44)
            text([s.subtitle or ""], MARGIN + 20, 240, 24, ACCENT, font=bold_font)
            text(s.cover, MARGIN + 20, 296, 16, MUTED, lead=22, width=W - 2 * MARGIN - 40)
        else:
            x, y, w, h = parts["title"]
            text([s.title], x, y, TITLE_PT, font=bold_font, width=w, lead=TITLE_PT * 1.2)
            x, y, w, h = parts["context"]
            text(s.context, x, y, CONTEXT_PT, MUTED, lead=CONTEXT_LEAD, width=w)
            chart_box, table_box = split_content(s)
            if s.chart is not None and chart_box is not None:
                cx, cy, cw, ch = fit(s.chart, chart_box)
                pdf.drawImage(ImageReader(io.BytesIO(s.chart.png)), cx, H - cy - ch, cw, ch)
            if s.table is not None and table_box is not None:
                _pdf_table(pdf, s.table, table_box, (regular, bold_font, italic))
            if s.notes:
                x, y, w, h = parts["notes"]
                text(s.notes, x, y, BODY_PT, INK, lead=BODY_LEAD, width=w)
        x, y, w, h = parts["link"]
        if s.link:
            lines_ = link_lines(s.link)
            pdf.setFont(regular, BODY_PT)
            for i, line in enumerate(lines_):
                base = H - y - BODY_PT - i * BODY_LEAD
                if i == 0:
                    pdf.setFillColor(HexColor(MUTED))
                    pdf.drawString(x, base, LINK_PREFIX)
                    offset = pdf.stringWidth(LINK_PREFIX, regular, BODY_PT)
                    pdf.setFillColor(HexColor(ACCENT))
                    pdf.drawString(x + offset, base, line[len(LINK_PREFIX):])
                else:
                    pdf.setFillColor(HexColor(ACCENT))
                    pdf.drawString(x, base, line)
            if "://" in s.link:
                pdf.linkURL(s.link, (x, H - y - h, x + w, H - y), relative=0, thickness=0)
        x, y, w, h = parts["page"]
        pdf.setFillColor(HexColor(MUTED))
        pdf.setFont(regular, BODY_PT)
        pdf.drawRightString(x + w, H - y - BODY_PT, f"{number} / {len(slides)}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _pdf_table(pdf, table: Table, box, fonts) -> None:
    from reportlab.lib.colors import HexColor

    regular, bold_font, italic = fonts
    x0, top, _, _ = box
    align = table.align or ["l"] * len(table.columns)
    y = top
    for i, cells in enumerate([table.columns] + table.rows):
        header = i == 0
        muted = not header and bool(table.muted and table.muted[i - 1])
        bold = header or (not header and bool(table.bold and table.bold[i - 1]))
        height = row_height(cells, table.widths, bold)
        fill = HEADER_FILL if header else (ZEBRA_FILL if i % 2 == 0 else "#FFFFFF")
        pdf.setFillColor(HexColor(fill))
        pdf.setStrokeColor(HexColor(RULE))
        pdf.setLineWidth(0.75)
        pdf.rect(x0, H - y - height, sum(table.widths), height, stroke=1, fill=1)
        font = bold_font if bold else (italic if muted else regular)
        x = x0
        for j, (cell, width) in enumerate(zip(cells, table.widths)):
            lines_ = wrap(str(cell), BODY_PT, width - 2 * CELL_PAD_X - 2, bold)
            block = len(lines_) * BODY_LEAD
            first = H - y - (height - block) / 2 - BODY_PT
            pdf.setFillColor(HexColor(MUTED if muted else INK))
            pdf.setFont(font, BODY_PT)
            for k, line in enumerate(lines_):
                base = first - k * BODY_LEAD - (BODY_LEAD - BODY_PT) * 0.1
                if align[j] == "r":
                    pdf.drawRightString(x + width - CELL_PAD_X, base, line)
                elif align[j] == "c":
                    pdf.drawCentredString(x + width / 2, base, line)
                else:
                    pdf.drawString(x + CELL_PAD_X, base, line)
            x += width
        y += height


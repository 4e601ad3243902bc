"""The statement document as an A4 PDF (fpdf2). The font is embedded and subset to the characters
printed, so the PDF reads the same on any viewer, including one with no Chinese font installed."""

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.settlement.statements.layout import Cancelled, Line, Section, StatementDocument

FONT = Path(__file__).parent / "fonts" / "WenQuanYiMicroHei-subset.ttf"
_FAMILY = "wqy"
_MARGIN = 15  # mm
_ROW = 6.4  # mm
_RED = (190, 20, 20)
_GREY = (90, 90, 90)
_RULE = (170, 170, 170)


def render_pdf(document: StatementDocument) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title(document.title)
    pdf.set_creator("assistance-settlement")
    pdf.add_font(_FAMILY, fname=str(FONT))
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(_FAMILY, size=17)
    pdf.cell(width, 10, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, size=9.5)
    pdf.set_text_color(*_GREY)
    pdf.cell(width, 6, document.subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    if document.cancelled is not None:
        _cancelled_mark(pdf, document.cancelled, width)
    for section in document.sections:
        _section(pdf, section, width)

    pdf.ln(3)
    pdf.set_font(_FAMILY, size=8.5)
    pdf.set_text_color(*_GREY)
    for line in document.footer:
        pdf.multi_cell(width, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _cancelled_mark(pdf: FPDF, mark: Cancelled, width: float) -> None:
    top = pdf.get_y()
    height = 14 + 6 * len(mark.lines)
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(0.8)
    pdf.rect(pdf.l_margin, top, width, height)
    pdf.set_text_color(*_RED)
    pdf.set_font(_FAMILY, size=20)
    pdf.set_xy(pdf.l_margin, top + 2)
    pdf.cell(width, 10, mark.mark, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, size=10)
    for line in mark.lines:
        pdf.set_x(pdf.l_margin + 4)
        pdf.cell(width - 8, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(top + height + 3)


def _section(pdf: FPDF, section: Section, width: float) -> None:
    pdf.ln(2)
    pdf.set_font(_FAMILY, size=11.5)
    pdf.set_fill_color(235, 239, 245)
    pdf.cell(width, 8, f" {section.title}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    for row in _rows(section):
        top, bottom = pdf.get_y(), pdf.get_y() + _ROW
        column = width if row[0].wide else width / section.columns
        label_width = min(column * 0.45, 52)
        for index, line in enumerate(row):
            pdf.set_font(_FAMILY, size=12 if line.emphasized else 10.5)
            pdf.set_text_color(*(_RED if line.emphasized else (0, 0, 0)))
            pdf.set_xy(pdf.l_margin + index * column, top)
            pdf.cell(label_width, _ROW, f" {line.label}")
            pdf.multi_cell(column - label_width, _ROW, f"{line.value} ", align="R",
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            bottom = max(bottom, pdf.get_y())
        pdf.set_text_color(0, 0, 0)
        pdf.line(pdf.l_margin, bottom, pdf.l_margin + width, bottom)
        pdf.set_y(bottom)


def _rows(section: Section) -> list[list[Line]]:
    """The section's lines in rows: `columns` to a row, a wide line alone."""
    rows: list[list[Line]] = []
    for line in section.lines:
        if line.wide or not rows or rows[-1][0].wide or len(rows[-1]) == section.columns:
            rows.append([line])
        else:
            rows[-1].append(line)
    return rows

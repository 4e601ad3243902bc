"""The statement document as an A4 PDF, on the documents' shared page, font and heading
(services/settlement/documents/pdf.py)."""

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.settlement.documents.pdf import FAMILY, RED, RULE, footer, heading, new_pdf, red_mark, section_title
from services.settlement.statements.layout import Line, Section, StatementDocument

_ROW = 6.4  # mm


def render_pdf(document: StatementDocument) -> bytes:
    pdf = new_pdf(document.title)
    heading(pdf, document.title, document.subtitle)
    if document.cancelled is not None:
        red_mark(pdf, document.cancelled.mark, document.cancelled.lines)
    for section in document.sections:
        _section(pdf, section, pdf.epw)
    footer(pdf, document.footer)
    return bytes(pdf.output())


def _section(pdf: FPDF, section: Section, width: float) -> None:
    section_title(pdf, section.title)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    for row in _rows(section):
        top, bottom = pdf.get_y(), pdf.get_y() + _ROW
        column = width if row[0].wide else width / section.columns
        label_width = min(column * 0.45, 52)
        for index, line in enumerate(row):
            pdf.set_font(FAMILY, size=12 if line.emphasized else 10.5)
            pdf.set_text_color(*(RED if line.emphasized else (0, 0, 0)))
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

"""Printable documents as A4 PDFs (fpdf2), all in one font: the vendored WenQuanYi Micro Hei, embedded
and subset to the characters printed, so a PDF reads the same on any viewer, including one with no
Chinese font installed. The parts every document shares (page, heading, red mark, footer) are here;
the statement (statements/render.py) and the table documents (`render_table_document`) use them."""

from pathlib import Path

from fastapi import Response
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from services.settlement.documents.layout import Kind, Reckoning, Signatures, Table, TableDocument, money

FONT = Path(__file__).parent / "fonts" / "WenQuanYiMicroHei-subset.ttf"
FAMILY = "wqy"
MARGIN = 15  # mm
RED = (190, 20, 20)
GREY = (90, 90, 90)
RULE = (170, 170, 170)
HEADING_FILL = (235, 239, 245)
_TOTAL_LABEL = "合计"


def new_pdf(title: str, *, landscape: bool = False) -> FPDF:
    pdf = FPDF(orientation="landscape" if landscape else "portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_title(title)
    pdf.set_creator("assistance-settlement")
    pdf.add_font(FAMILY, fname=str(FONT))
    pdf.add_page()
    return pdf


def heading(pdf: FPDF, title: str, subtitle: str) -> None:
    pdf.set_font(FAMILY, size=17)
    pdf.cell(pdf.epw, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9.5)
    pdf.set_text_color(*GREY)
    pdf.cell(pdf.epw, 6, subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def red_mark(pdf: FPDF, mark: str | None, lines: tuple[str, ...]) -> None:
    """A red box: a large mark (已撤销) if any, then its lines."""
    width = pdf.epw
    top = pdf.get_y()
    height = (14 if mark else 4) + 6 * len(lines)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.rect(pdf.l_margin, top, width, height)
    pdf.set_text_color(*RED)
    pdf.set_xy(pdf.l_margin, top + 2)
    if mark:
        pdf.set_font(FAMILY, size=20)
        pdf.cell(width, 10, mark, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    for line in lines:
        pdf.set_x(pdf.l_margin + 4)
        pdf.cell(width - 8, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(top + height + 3)


def section_title(pdf: FPDF, title: str) -> None:
    pdf.ln(2)
    pdf.set_font(FAMILY, size=11.5)
    pdf.set_fill_color(*HEADING_FILL)
    pdf.cell(pdf.epw, 8, f" {title}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def footer(pdf: FPDF, lines: tuple[str, ...]) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(*GREY)
    for line in lines:
        pdf.multi_cell(pdf.epw, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def download(content: bytes, media_type: str, filename: str) -> Response:
    """A document as an attachment (Excel or PDF); `filename` in ASCII (a header value)."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def render_table_document(document: TableDocument) -> bytes:
    """The document on A4 pages: heading, warning, facts, each block; a table's headings repeat on
    every page it runs over."""
    pdf = new_pdf(document.title, landscape=document.landscape)
    heading(pdf, document.title, document.subtitle)
    if document.warning:
        red_mark(pdf, None, document.warning)
    pdf.set_font(FAMILY, size=10.5)
    for label, value in document.facts:
        pdf.cell(40, 6.4, label)
        pdf.cell(pdf.epw - 40, 6.4, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for block in document.blocks:
        section_title(pdf, block.title)
        if isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Reckoning):
            _reckoning(pdf, block)
        else:
            _signatures(pdf, block)
    footer(pdf, document.footer)
    return bytes(pdf.output())


def _text(kind: Kind, value: object) -> str:
    if value is None:
        return ""
    if kind == Kind.MONEY:
        return money(value)  # type: ignore[arg-type]
    return value.isoformat() if kind == Kind.DATE else str(value)  # type: ignore[attr-defined]


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font(FAMILY, size=9)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    aligns = tuple("RIGHT" if c.kind in (Kind.MONEY, Kind.COUNT) else "LEFT" for c in table.columns)
    with pdf.table(
        col_widths=tuple(c.width for c in table.columns), text_align=aligns, line_height=6, repeat_headings=1,
        headings_style=FontFace(fill_color=HEADING_FILL), first_row_as_headings=True,
    ) as grid:
        header = grid.row()
        for column in table.columns:
            header.cell(column.header, align="CENTER")
        for values in table.rows:
            row = grid.row()
            for column, value in zip(table.columns, values, strict=True):
                row.cell(_text(column.kind, value))
        if table.totals is not None:
            totals = iter(table.totals)
            row = grid.row()
            for index, column in enumerate(table.columns):
                row.cell(_TOTAL_LABEL if index == 0 else _text(column.kind, next(totals)) if column.summed else "")


def _reckoning(pdf: FPDF, reckoning: Reckoning) -> None:
    width = pdf.epw
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    lines = [(term.label, money(term.amount), False) for term in reckoning.terms]
    lines.append((reckoning.result_label, money(reckoning.result), reckoning.emphasized))
    for label, value, red in lines:
        pdf.set_font(FAMILY, size=12 if red else 10.5)
        pdf.set_text_color(*(RED if red else (0, 0, 0)))
        pdf.cell(width * 0.6, 6.4, f" {label}")
        pdf.cell(width * 0.4, 6.4, f"{value} ", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.set_text_color(0, 0, 0)


SIGNATURE_HEIGHT = 48  # mm: room for a round official seal (about 42 mm across) and a signature


def _signatures(pdf: FPDF, signatures: Signatures) -> None:
    """The parties' boxes side by side, kept on one page: a seal is never split across two."""
    if pdf.get_y() + SIGNATURE_HEIGHT + 2 > pdf.h - pdf.b_margin:
        pdf.add_page()
    width = pdf.epw / len(signatures.parties)
    top = pdf.get_y() + 2
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    for index, party in enumerate(signatures.parties):
        left = pdf.l_margin + index * width
        pdf.rect(left, top, width, SIGNATURE_HEIGHT)
        pdf.set_xy(left + 2, top + 2)
        pdf.set_font(FAMILY, size=10.5)
        pdf.cell(width - 4, 7, party)
        pdf.set_font(FAMILY, size=9.5)
        for offset, line in enumerate(reversed(signatures.lines), start=1):
            pdf.set_xy(left + 2, top + SIGNATURE_HEIGHT - 2 - 7 * offset)
            pdf.cell(width - 4, 7, f"{line}：")
    pdf.set_y(top + SIGNATURE_HEIGHT + 2)

"""The printed statement as a PDF, rendered by PDFium to an image: the Chinese text is there as glyphs
on a machine with no Chinese font installed (the font travels inside the PDF)."""

import pypdfium2 as pdfium

from services.settlement.documents.pdf import FONT
from services.settlement.settlements.schemas import Statement
from services.settlement.statements.layout import statement_document
from services.settlement.statements.render import render_pdf
from services.settlement.tests.test_statement_layout import EXAMPLE_1, NOT_KEPT
from tests.support.pdf import assert_rendered, page_image, page_text


def pdf_of(changes: dict | None = None) -> bytes:  # type: ignore[type-arg]
    statement = Statement.model_validate(EXAMPLE_1 | (changes or {}))
    return render_pdf(statement_document(statement, hospital_name="毓璜顶医院", person_name="张三",
                                          older_self_pay=NOT_KEPT))


def test_example_1_renders_on_one_page_with_its_figures_as_glyphs() -> None:
    pdf = pdf_of()
    assert len(pdfium.PdfDocument(pdf)) == 1
    for text in ("医疗救助“一站式”即时结算单", "毓璜顶医院", "张三", "370602********1239", "低保对象",
                 "基本医保统筹基金", "26520.00", "大病保险", "7462.00", "医疗救助（再救助）", "8814.40",
                 "个人自付", "7203.60", "50000.00", "3000.00", "2000.00", "45000.00", "42796.40",
                 "2023-03-21 00:05:09（北京时间）", "ZY20230320-0001"):
        assert_rendered(pdf, text)
    assert "已撤销" not in page_text(pdf)


def test_the_font_is_embedded_and_subset() -> None:
    pdf = pdf_of()
    assert b"/FontFile2" in pdf  # the TrueType program is inside the PDF
    assert len(pdf) < FONT.stat().st_size / 20  # only the glyphs printed: ~30 KB of a 3 MB font


def test_a_cancelled_statement_shows_the_mark_and_the_reason() -> None:
    pdf = pdf_of({"status": "cancelled", "cancellation": {
        "cancelled_at": "2023-03-20T02:30:00Z", "reason": "患者信息录入错误，重新结算", "cancelled_by": "his-060001",
        "operator": None,
    }})
    assert len(pdfium.PdfDocument(pdf)) == 1
    for text in ("已撤销", "撤销原因：患者信息录入错误，重新结算", "7203.60"):
        assert_rendered(pdf, text)


def test_a_long_reason_wraps_within_the_page() -> None:
    reason = "救助对象登记中无此人，仅按医保结算 (not in the registry: insurance only)" * 2
    pdf = pdf_of({"identity_applied": None, "reason": reason})
    assert len(pdfium.PdfDocument(pdf)) == 1
    assert reason.replace(" ", "") in page_text(pdf).replace("\r\n", "").replace("\n", "").replace(" ", "")
    image = page_image(pdf)
    right_margin = image.crop((image.width - 40, 0, image.width, image.height))
    assert right_margin.getextrema()[0] > 200  # nothing printed over the right margin


def _cid_font_pdf(text: str) -> bytes:
    """A PDF naming reportlab's STSong-Light, Adobe's CJK font, without embedding it (as reportlab's
    CID fonts are): it needs the font on the machine that renders it."""
    hex_text = text.encode("utf-16-be").hex().upper()
    content = f"BT /F1 24 Tf 50 700 Td <{hex_text}> Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 8 0 R >>",
        _to_unicode(text),
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _to_unicode(text: str) -> bytes:
    pairs = "\n".join(f"<{ord(c):04X}> <{ord(c):04X}>" for c in dict.fromkeys(text))
    cmap = (f"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def 1 begincodespacerange"
            f" <0000> <FFFF> endcodespacerange {len(dict.fromkeys(text))} beginbfchar\n{pairs}\nendbfchar endcmap"
            f" CMapName currentdict /CMap defineresource pop end end").encode()
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap)


def test_the_check_refuses_a_cjk_font_the_pdf_does_not_carry() -> None:
    """Why the statement embeds its font: a PDF that only names a CJK font keeps its text layer, but
    prints nothing where the font is missing. The check reads the image, so it fails there."""
    pdf = _cid_font_pdf("个人自付")
    assert "个人自付" in page_text(pdf)
    try:
        assert_rendered(pdf, "个人自付")
    except AssertionError as refused:
        assert "renders blank" in str(refused)
    else:
        raise AssertionError("a PDF without its CJK font passed the rendering check")

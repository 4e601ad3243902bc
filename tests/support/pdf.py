"""Reading a PDF as a person sees it: PDFium (pypdfium2, bundled: no system package) renders the
page to an image, and each string asked for must be there as ink of real glyphs, not only in the
text layer. A PDF that names a font without embedding it (reportlab's STSong-Light) keeps its text
layer but renders nothing on a machine without that font; a font without CJK glyphs renders the
same empty box (.notdef, "tofu") for every hanzi. Both fail here."""

from itertools import combinations

import pypdfium2 as pdfium
from PIL import Image, ImageChops

SCALE = 4  # 288 dpi: a 10.5 pt hanzi is about 40 pixels high
_INK = 128  # a pixel darker than this is ink
_CELL = (24, 24)  # each glyph compared at this size


def page_image(pdf: bytes, page: int = 0) -> Image.Image:
    return pdfium.PdfDocument(pdf)[page].render(scale=SCALE).to_pil().convert("L")


def page_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def glyph_images(pdf: bytes, text: str) -> list[Image.Image]:
    """The rendered image of each character of the first `text` found, on the first page that has it,
    in order."""
    for pdf_page in pdfium.PdfDocument(pdf):
        text_page = pdf_page.get_textpage()
        found = text_page.search(text, match_case=True).get_next()
        if found is not None:
            break
    assert found is not None, f"{text!r} is not in the text layer"
    start, count = found
    image = pdf_page.render(scale=SCALE).to_pil().convert("L")
    height = pdf_page.get_height()
    glyphs = []
    for index in range(start, start + count):
        left, bottom, right, top = text_page.get_charbox(index)
        glyphs.append(image.crop((int(left * SCALE), int((height - top) * SCALE),
                                  int(right * SCALE) + 1, int((height - bottom) * SCALE) + 1)))
    return glyphs


def _ink(glyph: Image.Image) -> Image.Image:
    return glyph.point(lambda value: 255 if value < _INK else 0).resize(_CELL)


def _inked(image: Image.Image) -> int:
    return sum(image.histogram()[_INK + 1:])


def _share_of_ink(glyph: Image.Image) -> float:
    inked = _ink(glyph)
    return _inked(inked) / (_CELL[0] * _CELL[1])


def assert_rendered(pdf: bytes, text: str) -> None:
    """`text` is in the text layer and shows on the rendered page: every character (but spaces) is
    ink, and any two different hanzi look different (the .notdef box looks the same for all)."""
    glyphs = dict(zip(text, glyph_images(pdf, text), strict=True))
    for char, glyph in glyphs.items():
        if not char.isspace():
            assert _share_of_ink(glyph) > 0.03, f"{char!r} of {text!r} renders blank"
    hanzi = [(c, _ink(g)) for c, g in glyphs.items() if "\u4e00" <= c <= "\u9fff"]
    for (a, image_a), (b, image_b) in combinations(hanzi, 2):
        differing = _inked(ImageChops.difference(image_a, image_b))
        assert differing > 0.1 * _CELL[0] * _CELL[1], f"{a!r} and {b!r} of {text!r} render alike (no CJK glyphs?)"

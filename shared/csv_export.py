"""Every CSV a service hands out for download: UTF-8 with a BOM (Excel on a Chinese Windows then
reads it without asking), Chinese headers, and no cell a spreadsheet would run as a formula.

Formula cells (CSV injection, OWASP): a value starting with `=`, `+`, `-`, `@`, a tab or a carriage
return is prefixed with `'`, so a name like `=HYPERLINK(...)` pushed in a list shows as text. A
negative amount such as `-12.50` is prefixed too (`'-12.50`), as OWASP advises: a spreadsheet shows
it as text, and a program reading the file strips the leading `'` before parsing the number.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """What one cell says: empty for None, text that cannot start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return "\ufeff" + out.getvalue()


def csv_download(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    """The file as an attachment; `filename` in ASCII (a header value)."""
    return Response(csv_text(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

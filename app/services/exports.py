"""Spreadsheet downloads (XLSX and CSV) that are safe to open in Excel.

Generic on purpose: any role's export passes rows (mappings) and columns (key, header) here.
CSV is UTF-8 with a BOM so Excel shows Cyrillic and Dari correctly; every text cell that a
spreadsheet would run as a formula (=, +, -, @, tab, carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")

Column = tuple[str, str]  # (key in the row, header shown to people)


def defuse(value: Any) -> Any:
    """Return the value with a leading apostrophe when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: write UTC without the offset, the header says UTC.
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | date):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # StrEnum
        return defuse(value.value)
    return defuse(str(value))


def _values(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> Iterable[list[Any]]:
    for row in rows:
        yield [_cell(row.get(key)) for key, _header in columns]


def to_xlsx(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], *, sheet: str = "data"
) -> bytes:
    """Write one sheet with a bold, frozen header row and a filter; return the file's bytes."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31] or "data")
    ws.freeze_panes = "A2"
    header = []
    for _key, label in columns:
        cell = WriteOnlyCell(ws, value=defuse(str(label)))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    count = 0
    for values in _values(rows, columns):
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
        count += 1
    if columns:
        last = _column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def to_csv(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], *, delimiter: str = ","
) -> bytes:
    """Write CSV as UTF-8 with a BOM (Excel-friendly); `delimiter=";"` suits ru/kk Excel."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([defuse(str(label)) for _key, label in columns])
    for values in _values(rows, columns):
        writer.writerow([v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in values])
    return buf.getvalue().encode("utf-8-sig")


def download(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    name: str,
    fmt: str,
    *,
    delimiter: str = ",",
) -> Response:
    """Answer with the rows as an XLSX or CSV attachment called `name.fmt`."""
    if fmt == "xlsx":
        data, mimetype = to_xlsx(rows, columns, sheet=name), XLSX_MIMETYPE
    else:
        data, mimetype = to_csv(rows, columns, delimiter=delimiter), CSV_MIMETYPE
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def small(value: int) -> int | str:
    """Show counts of 1–4 as "<5" in statistics (fewer than five people could be identified)."""
    return "<5" if 0 < value < 5 else value

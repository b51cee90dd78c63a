"""Spreadsheets in and out: every list a buyer exports, and the price schedules (DPGF) read back from XLSX.

Exports: a ``Sheet`` is a title, typed ``Column``s (French header, kind, width) and rows. It is written
- as CSV the way French spreadsheets open it: UTF-8 with a BOM, ``;`` between fields, decimal comma,
  dates ``JJ/MM/AAAA`` (times in Paris time);
- as XLSX with openpyxl: real numbers and dates with their number formats, a bold frozen header row with a
  filter, column widths.
A text cell never becomes a formula (a company named ``=HYPERLINK(…)`` stays text in both formats).

The export views reuse the page's own selector and filter form: this module only writes what it is given.

Imports: ``read_xlsx`` opens an uploaded workbook defensively (size cap, a real ZIP of bounded unpacked
size, no DTD in its XML, read-only) and returns its first sheet's rows, or raises ``SpreadsheetError``
with a message a person can act on. Never a 500 for a hostile or broken file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from . import numbers

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMATS = ("csv", "xlsx")

# Column kinds.
TEXT, INTEGER, DECIMAL, MONEY, DATE, DATETIME, BOOLEAN = "text", "integer", "decimal", "money", "date", "datetime", "bool"
NUMBER = "number"  # a quantity: as many decimals as it has (General format)

NUMBER_FORMATS = {
    INTEGER: "0",
    DECIMAL: "0.00",
    MONEY: "#,##0.00",
    DATE: "DD/MM/YYYY",
    DATETIME: "DD/MM/YYYY HH:MM",
}
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column: its French header, how to read a row's value, its kind and (optionally) its width."""

    header: Any
    value: Callable[[Any], Any]
    kind: str = TEXT
    width: int | None = None


@dataclass
class Sheet:
    title: Any
    columns: list[Column]
    rows: Iterable[Any] = field(default_factory=list)

    def values(self) -> Iterable[list]:
        for row in self.rows:
            yield [_typed(column.kind, column.value(row)) for column in self.columns]

    @property
    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]


def _typed(kind: str, value):
    """A value as its column's kind (None stays None)."""
    if value is None or value == "":
        return None
    if kind in (DECIMAL, MONEY, NUMBER):
        if isinstance(value, Decimal):
            return value
        number = cell_decimal(value)  # "1 200,5" as typed in a form reads; anything else stays text
        return number if number is not None else str(value)
    if kind == INTEGER:
        return int(value)
    if kind == DATETIME:
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if kind == DATE:
        if isinstance(value, dt.datetime):
            return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
        return value
    if kind == BOOLEAN:
        return bool(value)
    return str(value)


# --- CSV -------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(kind: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        kind = TEXT
    if kind in (DECIMAL, MONEY):
        return format(value, "f").replace(".", ",")
    if kind == NUMBER:
        return format(value.normalize(), "f").replace(".", ",")
    if kind == INTEGER:
        return str(value)
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == DATETIME:
        return value.strftime("%d/%m/%Y %H:%M")
    if kind == BOOLEAN:
        return _("oui") if value else _("non")
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(sheet.headers)
    kinds = [column.kind for column in sheet.columns]
    for values in sheet.values():
        writer.writerow([_csv_text(kind, value) for kind, value in zip(kinds, values, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------------------


def _sheet_title(title) -> str:
    """Excel refuses []:*?/\\ in a sheet name and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Feuille"


def to_xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(_sheet_title(sheet.title))
    widths = [len(h) + 2 for h in sheet.headers]
    for index, column in enumerate(sheet.columns):
        if column.width:
            widths[index] = column.width
    rows = []
    for values in sheet.values():
        rows.append(values)
        for index, (column, value) in enumerate(zip(sheet.columns, values, strict=True)):
            if column.width is None and value is not None:
                shown = 12 if column.kind in (DATE, DATETIME, MONEY, DECIMAL, NUMBER) else len(str(value))
                widths[index] = min(MAX_WIDTH, max(widths[index], shown + 2))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    if sheet.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(1, len(rows) + 1)}"
    bold = Font(bold=True)
    header = []
    for text in sheet.headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for values in rows:
        line = []
        for column, value in zip(sheet.columns, values, strict=True):
            cell = WriteOnlyCell(ws, value=value)
            if column.kind in NUMBER_FORMATS and value is not None and not isinstance(value, str):
                cell.number_format = NUMBER_FORMATS[column.kind]
            if isinstance(value, str):
                cell.data_type = "s"  # "=…" stays text, never a formula
            line.append(cell)
        ws.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- responses -------------------------------------------------------------------------------------------


def response(sheet: Sheet, *, fmt: str, filename: str) -> HttpResponse:
    """The sheet downloaded as ``<filename>.csv`` or ``<filename>.xlsx`` (``fmt``: ``csv`` or ``xlsx``)."""
    if fmt == "csv":
        data, content_type = to_csv(sheet), CSV_CONTENT_TYPE
    elif fmt == "xlsx":
        data, content_type = to_xlsx(sheet), XLSX_CONTENT_TYPE
    else:
        raise ValueError(fmt)
    reply = HttpResponse(data, content_type=content_type)
    reply["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    reply["X-Content-Type-Options"] = "nosniff"
    return reply


def dated_name(stem: str) -> str:
    """``candidatures-2026-03-14``: the day of the export in the file's name."""
    return f"{stem}-{timezone.localdate():%Y-%m-%d}"


# --- reading an uploaded workbook --------------------------------------------------------------------------

XLSX_MAX_UNPACKED_BYTES = 20 * 1024 * 1024
XLSX_MAX_MEMBERS = 500
XLSX_MAX_ROWS = 5000


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; ``message`` says why, in words for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_xlsx(uploaded, *, max_bytes: int, max_rows: int = XLSX_MAX_ROWS) -> list[tuple]:
    """The rows (tuples of cell values) of the first sheet of an uploaded .xlsx file.

    Refused with ``SpreadsheetError``: a file over ``max_bytes``, anything that is not an XLSX workbook
    (whatever its name), a ZIP whose content unpacks too big (a "zip bomb"), XML with a DTD (entity
    expansion), more than ``max_rows`` rows.
    """
    name = getattr(uploaded, "name", "") or ""
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_bytes:
        raise SpreadsheetError(_("Le fichier dépasse la taille maximale de %(size)s Ko.") % {"size": max_bytes // 1024})
    if not name.lower().endswith(".xlsx"):
        raise SpreadsheetError(_("Le fichier doit être un classeur Excel (.xlsx)."))
    data = uploaded.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpreadsheetError(_("Le fichier dépasse la taille maximale de %(size)s Ko.") % {"size": max_bytes // 1024})
    unreadable = SpreadsheetError(_("Le fichier n'est pas un classeur Excel (.xlsx) lisible."))
    buffer = io.BytesIO(data)
    try:
        archive = zipfile.ZipFile(buffer)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise unreadable
    if len(members) > XLSX_MAX_MEMBERS or sum(m.file_size for m in members) > XLSX_MAX_UNPACKED_BYTES:
        raise SpreadsheetError(_("Le fichier est trop volumineux une fois décompressé."))
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise unreadable
    try:
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as handle:
                    head = handle.read(member.file_size)
                if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                    raise unreadable
    # zipfile raises NotImplementedError for a compression method it does not support, RuntimeError for an
    # encrypted member: both are a workbook this platform cannot read, said as such.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        raise unreadable
    try:
        from openpyxl import load_workbook

        buffer.seek(0)
        book = load_workbook(buffer, read_only=True, data_only=True)
        try:
            ws = book.worksheets[0]
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append(tuple(row))
                if len(rows) > max_rows:
                    raise SpreadsheetError(_("Le fichier a plus de %(n)s lignes.") % {"n": max_rows})
        finally:
            book.close()
    except SpreadsheetError:
        raise
    except Exception:  # noqa: BLE001  openpyxl raises many kinds of errors on a broken file
        raise unreadable
    return rows


def cell_text(value) -> str:
    """A cell's value as text (a number without its float noise: 12.0 → "12")."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def cell_decimal(value) -> Decimal | None:
    """A cell read as an amount: a number, or a text written the French way ("1 250,50"); ``None`` when it
    does not read as one (the caller says so); ``InvalidOperation`` never escapes."""
    return numbers.parse(value)

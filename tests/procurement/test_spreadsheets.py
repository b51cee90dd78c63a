"""procurement.spreadsheets: the typed sheet written as French CSV and as XLSX, and values read back."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from procurement import spreadsheets
from procurement.spreadsheets import (
    BOOLEAN,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    MONEY,
    NUMBER,
    Column,
    Sheet,
    cell_decimal,
)

UTC = ZoneInfo("UTC")


def sample() -> Sheet:
    rows = [
        {"name": "=HYPERLINK(\"http://x\")", "price": Decimal("1234.5"), "at": dt.datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
         "day": dt.date(2026, 3, 14), "n": 3, "q": Decimal("1200.500"), "ok": True, "score": "8.75"},
        {"name": "Bâtiment Nord; SARL", "price": None, "at": None, "day": None, "n": None, "q": "1 200,5x",
         "ok": False, "score": None},
    ]
    return Sheet("Liste: essai/1", [
        Column("Entreprise", lambda r: r["name"]),
        Column("Prix (€ HT)", lambda r: r["price"], MONEY),
        Column("Reçue le", lambda r: r["at"], DATETIME),
        Column("Échéance", lambda r: r["day"], DATE),
        Column("Nombre", lambda r: r["n"], INTEGER),
        Column("Quantité", lambda r: r["q"], NUMBER),
        Column("Retenue", lambda r: r["ok"], BOOLEAN),
        Column("Note", lambda r: r["score"], DECIMAL),
    ], rows)


def test_csv_is_what_a_french_spreadsheet_opens():
    data = spreadsheets.to_csv(sample())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Entreprise", "Prix (€ HT)", "Reçue le", "Échéance", "Nombre", "Quantité", "Retenue", "Note"]
    # Paris time (UTC+1 in March), decimal comma, no formula, the separator quoted inside a value.
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "1234,5", "02/03/2026 09:30", "14/03/2026", "3", "1200,5", "oui",
                       "8,75"]
    assert rows[2] == ["Bâtiment Nord; SARL", "", "", "", "", "1 200,5x", "non", ""]


def test_xlsx_has_numbers_dates_formats_a_frozen_header_and_no_formula():
    book = load_workbook(io.BytesIO(spreadsheets.to_xlsx(sample())))
    sheet = book.active
    assert sheet.title == "Liste  essai 1"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:H3"
    assert sheet["A1"].font.b
    first = [cell for cell in sheet[2]]
    assert first[0].value == "=HYPERLINK(\"http://x\")" and first[0].data_type == "s"  # text, not a formula
    assert first[1].value == 1234.5 and first[1].number_format == "#,##0.00"
    assert first[2].value == dt.datetime(2026, 3, 2, 9, 30) and first[2].number_format == "DD/MM/YYYY HH:MM"
    assert first[3].value == dt.datetime(2026, 3, 14) and first[3].number_format == "DD/MM/YYYY"
    assert first[4].value == 3 and first[5].value == 1200.5 and first[6].value is True
    assert first[7].value == 8.75
    second = [cell.value for cell in sheet[3]]
    assert second[1] is None and second[5] == "1 200,5x"  # unreadable typed quantity kept as text
    assert sheet.column_dimensions["A"].width >= len("Bâtiment Nord; SARL")


def test_responses_name_the_file_and_refuse_other_formats():
    response = spreadsheets.response(sample(), fmt="xlsx", filename="liste-2026")
    assert response["Content-Disposition"] == 'attachment; filename="liste-2026.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert spreadsheets.response(sample(), fmt="csv", filename="liste")["Content-Type"] == "text/csv; charset=utf-8"
    with pytest.raises(ValueError):
        spreadsheets.response(sample(), fmt="pdf", filename="liste")


@pytest.mark.parametrize("value, expected", [
    (12, Decimal("12")), (12.5, Decimal("12.5")), ("12,50", Decimal("12.50")), ("1 250,5", Decimal("1250.5")),
    ("1\u202f250,50 €", Decimal("1250.50")), ("12.5", Decimal("12.5")), ("12,5O", None), ("", None), ("1,2,3", None),
    ("NaN", None), ("Infinity", None), ("1e9", None), (True, None), (None, None),
])
def test_cell_decimal_reads_french_amounts_and_nothing_else(value, expected):
    assert cell_decimal(value) == expected

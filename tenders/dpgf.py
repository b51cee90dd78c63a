"""The price schedule (DPGF, décomposition du prix global et forfaitaire) as an XLSX workbook.

- ``schedule_sheet``: the blank schedule (ref, designation, unit, quantity, an empty unit-price column):
  the buyer exports it from the wizard, a supplier downloads it to fill in;
- ``read_schedule``: the lines of a schedule workbook, for the wizard (nothing is saved: the rows go back
  into the form, and the service checks them on save);
- ``read_prices``: the unit prices a supplier typed in the workbook, matched to the tender's lines by
  reference, with one message per unknown reference, missing or unreadable price. The prices are then
  given, as typed, to ``bid_update``, which keeps the rules on amounts.

Columns are found by their header (any order, accents and case ignored), so a workbook re-saved by a
spreadsheet program, or with a column added, still reads.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from procurement.spreadsheets import (
    MONEY,
    NUMBER,
    Column,
    Sheet,
    SpreadsheetError,
    cell_decimal,
    cell_text,
    read_xlsx,
)

HEADERS = {
    "ref": _lazy("Réf."),
    "label": _lazy("Désignation"),
    "unit": _lazy("Unité"),
    "quantity": _lazy("Quantité"),
    "unit_price": _lazy("Prix unitaire (€ HT)"),
}
# Other headers that name the same column (compared without accents, case, spaces or dots).
ALIASES = {
    "ref": {"ref", "reference", "refs", "n", "no", "numero"},
    "label": {"designation", "libelle", "intitule", "description"},
    "unit": {"unite", "u"},
    "quantity": {"quantite", "qte", "qty", "quantity"},
    "unit_price": {"prixunitaireeurht", "prixunitaire", "prixunitaireht", "pu", "puht", "unitprice"},
}


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    text = text.replace("€", "eur")
    return "".join(ch for ch in text if ch.isalnum())


def _column_of(header_cell) -> str | None:
    key = _key(header_cell)
    for name, label in HEADERS.items():
        if key == _key(label) or key in ALIASES[name]:
            return name
    return None


def schedule_sheet(lines, *, title=None) -> Sheet:
    """The blank schedule. ``lines``: PriceLine objects or dicts with ref, label, unit, quantity."""

    def get(name):
        return lambda line: line.get(name) if isinstance(line, dict) else getattr(line, name)

    return Sheet(title or _("DPGF"), [
        Column(HEADERS["ref"], get("ref"), width=10),
        Column(HEADERS["label"], get("label"), width=50),
        Column(HEADERS["unit"], get("unit"), width=10),
        Column(HEADERS["quantity"], get("quantity"), NUMBER, width=12),
        Column(HEADERS["unit_price"], lambda line: None, MONEY, width=20),
    ], list(lines))


def _max_bytes() -> int:
    return getattr(settings, "DPGF_MAX_UPLOAD_BYTES", 2 * 1024 * 1024)


def _table(uploaded, required: tuple[str, ...]) -> tuple[dict[str, int], list[tuple[int, tuple]]]:
    """The columns found in the header row and the data rows (with their row number in the sheet)."""
    if uploaded is None:
        raise SpreadsheetError(_("Choisissez un fichier XLSX."))
    rows = read_xlsx(uploaded, max_bytes=_max_bytes())
    for index, row in enumerate(rows):
        columns = {}
        for position, cell in enumerate(row):
            name = _column_of(cell)
            if name and name not in columns:
                columns[name] = position
        if "ref" in columns:
            missing = [str(HEADERS[name]) for name in required if name not in columns]
            if missing:
                raise SpreadsheetError(_("Colonne introuvable dans le fichier : %(names)s.")
                                       % {"names": ", ".join(f"« {m} »" for m in missing)})
            data = [(number, row) for number, row in enumerate(rows[index + 1:], start=index + 2)
                    if any(cell_text(cell) for cell in row)]
            return columns, data
    raise SpreadsheetError(_("Le fichier n'a pas de ligne d'en-tête avec une colonne « %(ref)s ».")
                           % {"ref": HEADERS["ref"]})


def _cell(row, columns, name):
    position = columns.get(name)
    return row[position] if position is not None and position < len(row) else None


def read_schedule(uploaded) -> list[dict]:
    """The schedule's lines as the wizard's rows (text values, as a person would type them)."""
    columns, data = _table(uploaded, ("ref", "label", "unit", "quantity"))
    lines = []
    for _number, row in data:
        quantity = _cell(row, columns, "quantity")
        amount = cell_decimal(quantity)
        lines.append({
            "ref": cell_text(_cell(row, columns, "ref")),
            "label": cell_text(_cell(row, columns, "label")),
            "unit": cell_text(_cell(row, columns, "unit")),
            # A readable quantity the French way; anything else as it is, for the service to refuse.
            "quantity": (format(amount.normalize(), "f").replace(".", ",") if amount is not None
                         else cell_text(quantity)),
        })
    if not lines:
        raise SpreadsheetError(_("Le fichier ne contient aucune ligne de bordereau."))
    return lines


def read_prices(uploaded, price_lines) -> tuple[dict[str, str], list[str]]:
    """The unit prices of the workbook by reference (``"12.50"``), and the problems found, one message each.

    Problems: a reference that is not in the tender's schedule, a line given twice, a price missing or
    unreadable ("12,5O"), a line of the schedule absent from the file. With any problem, nothing is taken.
    """
    columns, data = _table(uploaded, ("ref", "unit_price"))
    known = {line.ref for line in price_lines}
    prices, errors, seen = {}, [], set()
    for number, row in data:
        ref = cell_text(_cell(row, columns, "ref"))
        raw = _cell(row, columns, "unit_price")
        if not ref:
            if cell_text(raw):  # a price with no line to go to; a subtotal or a note row is ignored
                errors.append(_("Ligne %(row)s : un prix sans référence de ligne.") % {"row": number})
            continue
        if ref not in known:
            errors.append(_("Ligne %(row)s : la référence « %(ref)s » n'existe pas dans le bordereau du marché.")
                          % {"row": number, "ref": ref})
            continue
        if ref in seen:
            errors.append(_("Ligne %(row)s : la référence « %(ref)s » figure deux fois.") % {"row": number, "ref": ref})
            continue
        seen.add(ref)
        if cell_text(raw) == "":
            errors.append(_("Ligne %(row)s (réf. %(ref)s) : le prix unitaire manque.") % {"row": number, "ref": ref})
            continue
        amount = cell_decimal(raw)
        if amount is None:
            errors.append(_("Ligne %(row)s (réf. %(ref)s) : le prix unitaire « %(value)s » est illisible.")
                          % {"row": number, "ref": ref, "value": cell_text(raw)[:40]})
            continue
        prices[ref] = format(amount, "f")
    for line in price_lines:
        if line.ref not in seen:
            errors.append(_("La ligne « %(ref)s » du bordereau manque dans le fichier.") % {"ref": line.ref})
    return ({} if errors else prices), errors

"""The price schedule (DPGF) as XLSX: the buyer exports and imports it in the wizard; a supplier downloads
the tender's schedule, fills it in a spreadsheet and uploads it back into the bid form, where the prices go
through ``bid_update`` like typed ones. Every bad file gets a clear message, never a 500, and nothing typed
is lost."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from procurement.spreadsheets import SpreadsheetError, read_xlsx
from tenders import services
from tenders.models import Tender
from tests.factories import draft_bid, draft_tender, open_category, published_tender
from tests.pages import messages_of
from tests.tenders.test_console_pages import form_data

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def filled(content: bytes, prices: dict, *, extra_rows=()) -> bytes:
    """The downloaded workbook with unit prices typed in (by reference), as a spreadsheet saves it."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    ref_col, price_col = header.index("Réf.") + 1, header.index("Prix unitaire (€ HT)") + 1
    for row in range(2, sheet.max_row + 1):
        ref = sheet.cell(row=row, column=ref_col).value
        if ref in prices:
            sheet.cell(row=row, column=price_col).value = prices[ref]
    for extra in extra_rows:
        sheet.append(extra)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="dpgf.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.fixture
def bidder(client):
    tender, suppliers = published_tender(suppliers=1)
    company, user = suppliers[0]
    client.force_login(user)
    bid = draft_bid(tender, user, total_price="", lines=[])
    client.tender, client.bid, client.user = tender, bid, user
    return client


def bid_url(bid):
    return reverse("tenders_portal:bid", args=[bid.id])


def import_post(client, content, **typed):
    data = {"action": "import", "total_price": "167000,00", "duration_weeks": "14", "notes": "Notes tapées",
            "line_0": "", "line_1": "", "line_2": "", "dpgf-file": upload(content) if content is not None else "",
            **typed}
    return client.post(bid_url(client.bid), data)


def blank(client):
    response = client.get(reverse("tenders_portal:dpgf", args=[client.tender.id]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    return response.content


# --- the supplier's round trip -------------------------------------------------------------------------------

def test_download_fill_upload_saves_the_prices_through_bid_update(bidder):
    page = bidder.get(bid_url(bidder.bid)).content.decode()
    assert reverse("tenders_portal:dpgf", args=[bidder.tender.id]) in page and 'value="import"' in page
    content = blank(bidder)
    rows = workbook_rows(content)
    assert rows[0] == ("Réf.", "Désignation", "Unité", "Quantité", "Prix unitaire (€ HT)")
    assert [r[0] for r in rows[1:]] == ["1.1", "2.1", "2.2"]
    assert rows[2][3] == 1200 and rows[2][4] is None  # a real number; the price is left blank

    # Numbers typed as numbers, and as French text: both read.
    response = import_post(bidder, filled(content, {"1.1": 5000, "2.1": "95,00", "2.2": 40.0}))
    assert response.status_code == 302, messages_of(response)
    assert any("Prix importés du fichier" in m for m in messages_of(response))
    bidder.bid.refresh_from_db()
    saved = services.bid_content(bidder.bid)
    assert {line["ref"]: Decimal(line["unit_price"]) for line in saved["lines"]} == {
        "1.1": Decimal("5000"), "2.1": Decimal("95"), "2.2": Decimal("40")}
    assert Decimal(saved["total_price"]) == Decimal("167000") and saved["notes"] == "Notes tapées"


def test_each_problem_of_the_file_gets_its_own_message_and_nothing_is_saved(bidder):
    before = services.bid_content(bidder.bid)
    content = filled(blank(bidder), {"1.1": "12,5O", "2.1": None, "2.2": 40},
                     extra_rows=[("9.9", "Ligne inventée", "u", 1, 10)])
    response = import_post(bidder, content, line_0="4999,99", notes="Gardées")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ligne 2 (réf. 1.1) : le prix unitaire « 12,5O » est illisible." in body
    assert "Ligne 3 (réf. 2.1) : le prix unitaire manque." in body
    assert "la référence « 9.9 » n&#x27;existe pas dans le bordereau du marché" in body
    assert any("Rien n'a été enregistré" in m for m in messages_of(response))
    # What was typed is still there, and the file's errors are tied to its field.
    assert 'value="4999,99"' in body and "Gardées" in body
    assert 'aria-describedby="id_dpgf-file_helptext id_dpgf-file_error"' in body and 'id="id_dpgf-file_error"' in body
    bidder.bid.refresh_from_db()
    assert services.bid_content(bidder.bid) == before


def test_a_line_missing_from_the_file_is_named(bidder):
    book = Workbook()
    sheet = book.active
    sheet.append(["Réf.", "Prix unitaire (€ HT)"])  # only the columns that matter, in any order
    sheet.append(["1.1", 5000])
    sheet.append(["2.1", 95])
    buffer = io.BytesIO()
    book.save(buffer)
    response = import_post(bidder, buffer.getvalue())
    assert response.status_code == 400
    assert "La ligne « 2.2 » du bordereau manque dans le fichier." in response.content.decode()


def test_prices_refused_by_the_service_keep_the_imported_values_and_save_nothing(bidder):
    before = services.bid_content(bidder.bid)
    content = filled(blank(bidder), {"1.1": "-5", "2.1": 95, "2.2": "40,123"})
    response = import_post(bidder, content)
    assert response.status_code == 200  # the form, with the service's errors on the lines
    body = response.content.decode()
    assert 'value="-5"' in body and 'value="40.123"' in body
    assert "n&#x27;a pas été enregistrée" in body or any("pas été enregistrée" in m for m in messages_of(response))
    bidder.bid.refresh_from_db()
    assert services.bid_content(bidder.bid) == before


@pytest.mark.parametrize("name, content, message", [
    ("prix.csv", b"ref;prix\n1.1;5000\n", "Le fichier doit être un classeur Excel (.xlsx)."),
    ("prix.xlsx", b"%PDF-1.4 not a workbook", "Le fichier n'est pas un classeur Excel (.xlsx) lisible."),
    ("prix.xlsx", b"", "Le fichier n'est pas un classeur Excel (.xlsx) lisible."),
])
def test_a_file_that_is_not_a_workbook_gets_a_clear_message(bidder, name, content, message):
    response = bidder.post(bid_url(bidder.bid), {"action": "import", "line_0": "", "line_1": "", "line_2": "",
                                                 "dpgf-file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()


def test_no_file_chosen(bidder):
    response = import_post(bidder, None)
    assert response.status_code == 400 and "Choisissez un fichier XLSX." in response.content.decode()


def zip_bomb() -> bytes:
    """A ZIP named like a workbook whose one member unpacks to 200 MB of zeros (a few hundred KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/workbook.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    return buffer.getvalue()


def entity_bomb() -> bytes:
    """A real workbook whose sheet XML declares entities that expand exponentially ("billion laughs")."""
    book = Workbook()
    book.active.append(["Réf.", "Prix unitaire (€ HT)"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                entities = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
                    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
                if data.startswith(b"<?xml"):
                    head, _sep, rest = data.partition(b"?>")
                    data = head + b"?>" + entities.encode() + rest
                else:
                    data = entities.encode() + data
            archive.writestr(item, data)
    return out.getvalue()


def test_hostile_files_are_refused_with_a_message(bidder, settings):
    bomb = zip_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    response = import_post(bidder, bomb)
    assert response.status_code == 400
    assert "trop volumineux une fois décompressé" in response.content.decode()

    response = import_post(bidder, entity_bomb())
    assert response.status_code == 400
    assert "pas un classeur Excel (.xlsx) lisible" in response.content.decode()

    settings.DPGF_MAX_UPLOAD_BYTES = 1024
    response = import_post(bidder, blank(bidder) + b"\0" * 2048)
    assert response.status_code == 400 and "dépasse la taille maximale de 1 Ko" in response.content.decode()


def test_read_xlsx_caps_the_rows():
    book = Workbook()
    for index in range(30):
        book.active.append([index])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SpreadsheetError, match="plus de 20 lignes"):
        read_xlsx(upload(buffer.getvalue()), max_bytes=10_000_000, max_rows=20)
    assert len(read_xlsx(upload(buffer.getvalue()), max_bytes=10_000_000)) == 30


def test_the_dpgf_download_is_for_invited_companies_and_staff(client, buyer):
    tender, suppliers = published_tender(suppliers=1)
    outsider_tender, outsiders = published_tender(suppliers=1)
    client.force_login(outsiders[0][1])
    assert client.get(reverse("tenders_portal:dpgf", args=[tender.id])).status_code == 404
    draft = draft_tender(open_category())
    client.force_login(suppliers[0][1])
    assert client.get(reverse("tenders_portal:dpgf", args=[draft.id])).status_code == 404
    assert client.get(reverse("tenders_portal:dpgf", args=[tender.id])).status_code == 200
    client.force_login(buyer)
    assert client.get(reverse("tenders_portal:dpgf", args=[draft.id])).status_code == 200
    assert outsider_tender


# --- the wizard ------------------------------------------------------------------------------------------------

def test_wizard_exports_the_rows_as_typed_and_imports_a_schedule(client, buyer):
    category = open_category()
    client.force_login(buyer)
    create = reverse("tenders_console:create")
    posted = form_data(category, **{"lines-quantity": ["1", "1200,5", "1200"], "dpgf": "export"})
    response = client.post(create, posted)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "DPGF-nouveau-marche.xlsx" in response["Content-Disposition"]
    rows = workbook_rows(response.content)
    assert [r[0] for r in rows[1:]] == ["1.1", "2.1", "2.2"] and rows[2][3] == 1200.5
    assert not Tender.objects.exists()  # exporting saves nothing

    book = Workbook()
    sheet = book.active
    sheet.append(["Quantité", "Réf.", "Unité", "Désignation"])  # columns in another order
    sheet.append([1, "A", "forfait", "Installation de chantier"])
    sheet.append([350.25, "B", "m²", "Isolation des combles"])
    buffer = io.BytesIO()
    book.save(buffer)
    posted = form_data(category, dpgf="import", title="Titre tapé", **{"dpgf-file": upload(buffer.getvalue())})
    response = client.post(create, posted)
    assert response.status_code == 200
    assert [row["values"] for row in response.context["form"].line_rows] == [
        {"ref": "A", "label": "Installation de chantier", "unit": "forfait", "quantity": "1"},
        {"ref": "B", "label": "Isolation des combles", "unit": "m²", "quantity": "350,25"}]
    body = response.content.decode()
    assert 'value="Titre tapé"' in body and "errorlist" not in body  # the rest kept, nothing checked yet
    assert any("2 lignes importées" in m for m in messages_of(response))
    assert not Tender.objects.exists()

    # Saving then creates the draft with the imported schedule.
    posted = form_data(category, **{"lines-ref": ["A", "B"], "lines-label": ["Installation", "Combles"],
                                    "lines-unit": ["forfait", "m²"], "lines-quantity": ["1", "350,25"]})
    assert client.post(create, posted).status_code == 302
    assert [str(line.quantity) for line in Tender.objects.get().price_lines.all()] == ["1.000", "350.250"]


def test_wizard_import_errors_keep_the_table(client, buyer):
    tender = draft_tender(open_category())
    client.force_login(buyer)
    edit = reverse("tenders_console:edit", args=[tender.id])
    posted = form_data(tender.category, dpgf="import", **{"dpgf-file": SimpleUploadedFile("bordereau.xlsx", b"PK\x03\x04 broken")})
    response = client.post(edit, posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert "pas un classeur Excel (.xlsx) lisible" in body and 'id="id_dpgf-file_error"' in body
    assert len(response.context["form"].line_rows) == 3

    book = Workbook()
    book.active.append(["Désignation", "Quantité"])
    buffer = io.BytesIO()
    book.save(buffer)
    posted["dpgf-file"] = upload(buffer.getvalue())
    response = client.post(edit, posted)
    assert response.status_code == 400 and "colonne « Réf. »" in response.content.decode()

    response = client.post(edit, {**form_data(tender.category), "dpgf": "export"})
    assert f"DPGF-{tender.reference}.xlsx" in response["Content-Disposition"]

"""The buyer's tender lists as spreadsheets (tenders, invitations, deposit register, opened bids) and the
tender list sorted by column. Exports read through the page's selectors: the filters apply, a supplier is
refused, the register never shows a bid's content, the opened bids only to those who may read them."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tenders import services
from tests.factories import (
    draft_bid,
    draft_tender,
    open_category,
    published_tender,
    seat_evaluators,
    submitted_bid,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"tenders_console:{name}", args=args)


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response):
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.fixture
def opened():
    """Two bids in time (167 000 and 170 000), one late deposit, opened after the deadline."""
    tender, invited = published_tender(suppliers=3)
    first = submitted_bid(tender, invited[0][1])
    second = submitted_bid(tender, invited[1][1], total_price="170000.00",
                          lines=[{"ref": "1.1", "unit_price": "8000.00"}, {"ref": "2.1", "unit_price": "95.00"},
                                 {"ref": "2.2", "unit_price": "40.00"}])
    late = draft_bid(tender, invited[2][1])
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5)):
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=invited[2][1], bid=late)
        services.tender_open(actor=tender.dps.created_by, tender=tender)
    tender.refresh_from_db()
    return tender, invited, first, second


def test_tender_list_export_applies_filters_and_sort(client, buyer):
    category = open_category()
    draft = draft_tender(category, title="Ravalement Les Érables")
    published, _invited = published_tender(suppliers=1, category=category, title="Isolation Les Chênes")
    client.force_login(buyer)
    page = client.get(url("list"), {"state": "published"}).content.decode()
    assert f'{url("list_export", "csv")}?state=published' in page

    rows = csv_rows(client.get(url("list_export", "csv"), {"state": "published"}))
    assert rows[0][:3] == ["Référence", "Intitulé", "Résidence"]
    assert [r[0] for r in rows[1:]] == [published.reference]
    assert rows[1][rows[0].index("Montant estimé (€ HT)")] == "250000,00"
    assert rows[1][rows[0].index("Invités")] == "1"

    rows = xlsx_rows(client.get(url("list_export", "xlsx"), {"tri": "intitule"}))
    header = rows[0]
    assert [r[1] for r in rows[1:]] == ["Isolation Les Chênes", "Ravalement Les Érables"]
    line = rows[1]
    assert line[header.index("Montant estimé (€ HT)")] == 250000 and isinstance(line[header.index("Invités")], int)
    assert isinstance(line[header.index("Remise des offres")], dt.datetime)
    assert draft.reference in {r[0] for r in rows[1:]}


def test_tender_list_sorting_by_each_key(client, buyer):
    category = open_category()
    first = draft_tender(category, title="B — deuxième")
    second = draft_tender(category, title="A — première")
    client.force_login(buyer)

    def order(sort):
        response = client.get(url("list"), {"tri": sort})
        assert response.status_code == 200
        return [row["tender"].id for row in response.context["rows"]]

    assert order("intitule") == [second.id, first.id]
    assert order("-intitule") == [first.id, second.id]
    assert order("reference") == sorted([first.id, second.id], key=lambda i: {first.id: first.reference,
                                                                              second.id: second.reference}[i])
    for key in ("categorie", "etat", "remise", "invites", "depots", "questions", "-questions"):
        assert set(order(key)) == {first.id, second.id}
    assert order("title") == order("") == order("-") == order("intitule__x")
    body = client.get(url("list"), {"tri": "-remise", "state": "draft"}).content.decode()
    assert 'aria-sort="descending"' in body
    assert 'name="tri" value="-remise"' in body  # filtering again keeps the sort


def test_list_exports_are_refused_to_a_supplier(client):
    tender, invited = published_tender(suppliers=1)
    client.force_login(invited[0][1])
    for target in (url("list_export", "csv"), url("invitations_export", tender.id, "xlsx"),
                   url("register_export", tender.id, "csv"), url("opened_bids_export", tender.id, "csv")):
        response = client.get(target)
        assert response.status_code == 403, target
        assert tender.reference.encode() not in response.content


def test_invitations_export(client, evaluator):
    tender, invited = published_tender(suppliers=2)
    client.force_login(evaluator)
    assert url("invitations_export", tender.id, "csv") in client.get(url("invitations", tender.id)).content.decode()
    rows = csv_rows(client.get(url("invitations_export", tender.id, "csv")))
    assert {r[0] for r in rows[1:]} == {company.name for company, _user in invited}
    rows = xlsx_rows(client.get(url("invitations_export", tender.id, "xlsx")))
    assert isinstance(rows[1][rows[0].index("Invitée le")], dt.datetime)
    assert client.get(url("invitations_export", "00000000-0000-0000-0000-000000000000", "csv")).status_code == 404


def test_register_export_before_the_opening_has_no_content(client, buyer):
    tender, invited = published_tender(suppliers=2)
    bid = submitted_bid(tender, invited[0][1])
    client.force_login(buyer)
    response = client.get(url("register_export", tender.id, "csv"))
    rows = csv_rows(response)
    assert rows[0] == ["Entreprise", "SIRET", "Reçue le", "État", "Remplacée par le dépôt du", "Retirée le"]
    assert rows[1][0] == invited[0][0].name and rows[1][3] == "Déposée"
    assert b"167" not in response.content  # no price before the opening
    rows = xlsx_rows(client.get(url("register_export", tender.id, "xlsx")))
    received = timezone.localtime(bid.submitted_at).replace(tzinfo=None)  # Paris time, a real date cell
    assert isinstance(rows[1][2], dt.datetime) and abs(rows[1][2] - received) < dt.timedelta(seconds=1)
    # Before the opening there are no opened bids to export.
    assert client.get(url("opened_bids_export", tender.id, "csv")).status_code == 404


def test_opened_bids_export_has_real_numbers(client, buyer, opened):
    tender, invited, first, second = opened
    client.force_login(buyer)
    body = client.get(url("bids", tender.id)).content.decode()
    assert url("opened_bids_export", tender.id, "xlsx") in body and url("register_export", tender.id, "csv") in body
    rows = csv_rows(client.get(url("opened_bids_export", tender.id, "csv")))
    assert [r[0] for r in rows[1:]] == [first.company.name, second.company.name]
    assert rows[1][rows[0].index("Prix total (€ HT)")] == "167000,00"
    assert rows[2][rows[0].index("Écart au moins-disant (%)")] == "1,80"
    rows = xlsx_rows(client.get(url("opened_bids_export", tender.id, "xlsx")))
    header = rows[0]
    assert rows[2][header.index("Prix total (€ HT)")] == 170000
    assert Decimal(str(rows[2][header.index("Écart au moins-disant (%)")])) == Decimal("1.8")
    assert rows[1][header.index("Durée (semaines)")] == 14
    # The late deposit is in the register, not among the opened bids.
    register = csv_rows(client.get(url("register_export", tender.id, "csv")))
    assert "Hors délai" in {r[3] for r in register[1:]}
    assert invited[2][0].name not in {r[0] for r in rows[1:]}


def test_opened_bids_export_refused_to_an_evaluator_off_the_panel_or_undeclared(client, evaluator, opened):
    tender, _invited, first, _second = opened
    client.force_login(evaluator)
    response = client.get(url("opened_bids_export", tender.id, "csv"))
    assert response.status_code == 403 and first.company.name.encode() not in response.content
    seat_evaluators(tender, [evaluator], declare=False)
    assert client.get(url("opened_bids_export", tender.id, "xlsx")).status_code == 403
    seat_evaluators(tender, [evaluator], declare=True)
    assert client.get(url("opened_bids_export", tender.id, "xlsx")).status_code == 200

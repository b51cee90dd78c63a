"""Nothing typed in a bid is lost: saved prices come back the French way, attaching a document keeps the
prices typed beside it, and a bid replacing a deposit starts from that deposit's prices."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenders import services
from tenders.models import Bid, BidDocument, BidStatus
from tests.factories import TINY_PDF, draft_bid, draft_tender, published_tender, submitted_bid
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(client):
    tender, [(company, user), _other] = published_tender(suppliers=2)
    client.force_login(user)
    client.user, client.company, client.tender = user, company, tender
    return client


def _value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


LINES = [
    {"ref": "1.1", "unit_price": "5000"},
    {"ref": "2.1", "unit_price": "45.5"},
    {"ref": "2.2", "unit_price": "40"},
]


def test_saved_prices_come_back_the_french_way(invited):
    bid = draft_bid(invited.tender, invited.user, lines=LINES, total_price="107600")
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    assert _value(page, "line_1") == "45,50"
    assert _value(page, "line_0") == "5\u00a0000,00"
    assert _value(page, "total_price") == "107\u00a0600,00"
    assert _value(page, "duration_weeks") == "14"
    # Saved again as shown, the prices do not change.
    data = {
        "action": "save",
        "total_price": _value(page, "total_price"),
        "duration_weeks": "14",
        "notes": "",
        **{f"line_{i}": _value(page, f"line_{i}") for i in range(3)},
    }
    assert invited.post(reverse("tenders_portal:bid", args=[bid.id]), data).status_code == 302
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert [line["unit_price"] for line in content["lines"]] == ["5000.00", "45.50", "40.00"]
    assert content["total_price"] == "107600.00"


def test_the_bid_form_reads_prices_typed_the_french_way(invited):
    bid = draft_bid(invited.tender, invited.user)
    data = {
        "action": "save",
        "total_price": "1\u202f450,50",
        "duration_weeks": "14",
        "notes": "",
        "line_0": "1 000",
        "line_1": "0,25",
        "line_2": "0,125",
    }
    assert invited.post(reverse("tenders_portal:bid", args=[bid.id]), data).status_code == 302
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert content["total_price"] == "1450.50"
    assert [line["unit_price"] for line in content["lines"]] == ["1000.00", "0.25", "0.13"]
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]), {**data, "line_1": "1.450,00"})
    assert response.status_code == 200
    assert "Nombre ambigu" in response.content.decode()


def _attach_post(**extra):
    return {
        "action": "attach",
        "total_price": "107 600,00",
        "duration_weeks": "12",
        "notes": "Échafaudage loué",
        "line_0": "5 000",
        "line_1": "45,50",
        "line_2": "40",
        "document-kind": "technical_memo",
        **extra,
    }


def test_attaching_a_document_saves_the_prices_typed_beside_it(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(
        reverse("tenders_portal:bid", args=[bid.id]),
        _attach_post(**{"document-file": SimpleUploadedFile("memoire.pdf", TINY_PDF)}),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tenders_portal:bid", args=[bid.id]) + "#documents"
    assert BidDocument.objects.get(bid=bid).kind == "technical_memo"
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert [line["unit_price"] for line in content["lines"]] == ["5000.00", "45.50", "40.00"]
    assert content["total_price"] == "107600.00" and content["duration_weeks"] == 12
    assert content["notes"] == "Échafaudage loué"
    page = invited.get(response["Location"]).content.decode()
    assert _value(page, "line_1") == "45,50" and "memoire.pdf" in page


def test_a_refused_document_keeps_the_prices_typed_beside_it(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(
        reverse("tenders_portal:bid", args=[bid.id]),
        _attach_post(**{"document-file": SimpleUploadedFile("memoire.pdf", b"not a pdf")}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "PDF, JPEG et PNG" in page  # the document's error, under its field
    assert _value(page, "line_1") == "45,50" and _value(page, "total_price") == "107 600,00"
    assert "Échafaudage loué" in page
    assert not BidDocument.objects.exists()
    # The draft was saved first: the prices are not lost even if the page is left now.
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert [line["unit_price"] for line in content["lines"]] == ["5000.00", "45.50", "40.00"]
    assert any("mais le document n'a pas été ajouté" in text for text in messages_of(response))


def test_a_document_posted_with_a_wrong_price_keeps_everything_typed(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(
        reverse("tenders_portal:bid", args=[bid.id]),
        _attach_post(line_1="45,5O", **{"document-file": SimpleUploadedFile("m.pdf", TINY_PDF)}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert _value(page, "line_1") == "45,5O" and _value(page, "line_0") == "5 000"
    assert re.search(r'<option value="technical_memo"[^>]*selected', page)
    assert not BidDocument.objects.exists()
    assert any("choisissez-le de nouveau" in text for text in messages_of(response))


def test_the_attach_controls_belong_to_the_bid_form(invited):
    bid = draft_bid(invited.tender, invited.user)
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    for name in ("document-kind", "document-file"):
        assert re.search(
            rf'<(input|select)[^>]*name="{name}"[^>]*form="bid-form"|'
            rf'<(input|select)[^>]*form="bid-form"[^>]*name="{name}"',
            page,
        ), name
    assert re.search(r'<button[^>]*form="bid-form"[^>]*value="attach"', page)


def test_a_bid_after_a_withdrawal_starts_from_the_withdrawn_prices(invited):
    lines = [
        {"ref": "1.1", "unit_price": "5000"},
        {"ref": "2.1", "unit_price": "45.5"},
        {"ref": "2.2", "unit_price": "40"},
    ]
    first = submitted_bid(invited.tender, invited.user, lines=lines, total_price="107600")
    services.bid_withdraw(actor=invited.user, bid=first)
    page = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
    assert "reprend les prix et les documents de votre dernière offre déposée" in page
    response = invited.post(
        reverse("tenders_portal:bid_start", args=[invited.tender.id]), {"company": str(invited.company.id)}
    )
    second = Bid.objects.get(status=BidStatus.DRAFT)
    assert response["Location"] == reverse("tenders_portal:bid", args=[second.id])
    content = services.bid_content(second)
    assert [line["unit_price"] for line in content["lines"]] == ["5000.00", "45.50", "40.00"]
    assert content["total_price"] == "107600.00"
    assert content["salt"] != services.bid_content(first)["salt"]
    assert _value(invited.get(response["Location"]).content.decode(), "line_1") == "45,50"


def test_a_new_draft_starts_from_the_latest_deposit(invited):
    first = submitted_bid(invited.tender, invited.user, lines=LINES, total_price="107600")
    services.bid_withdraw(actor=invited.user, bid=first)
    second = submitted_bid(invited.tender, invited.user)  # 167 000,00: the latest deposit
    services.bid_withdraw(actor=invited.user, bid=second)
    third = services.bid_create(actor=invited.user, tender=invited.tender)
    assert services.bid_content(third)["total_price"] == "167000.00"


def test_a_first_bid_starts_blank(invited):
    bid = services.bid_create(actor=invited.user, tender=invited.tender)
    assert services.bid_content(bid)["lines"] == [] and services.bid_content(bid)["total_price"] is None


def test_the_tender_wizard_shows_saved_figures_the_french_way(client, buyer):
    schedule = [
        {"ref": "1.10", "label": "Installation de chantier", "unit": "forfait", "quantity": "1"},
        {"ref": "2.1", "label": "Isolant", "unit": "m²", "quantity": "2350.5"},
    ]
    tender = draft_tender(estimated_value="450000", price_schedule=schedule)
    client.force_login(buyer)
    page = client.get(reverse("tenders_console:edit", args=[tender.id])).content.decode()
    assert _value(page, "estimated_value") == "450\u00a0000,00"
    assert re.search(r'name="lines-ref" value="1.10"', page)  # a reference is not a number
    assert re.search(r'name="lines-quantity" value="2\u00a0350,5"', page)

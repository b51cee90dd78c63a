"""The bidder's side of the evaluation: its bid's state in words, the requests waiting on it (regularisation,
justification) with their due dates, the answer (text and files, prices unchanged), past requests, and the
flags on "Mes offres" and the dashboard."""

import datetime as dt
import html

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tenders.models import BidRequest, BidRequestDocument, BidStatus
from tenders.services.evaluation import bid_classify, justification_request, regularisation_request
from tests.factories import TINY_PDF, scoring_tender
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

MESSAGE = "Votre prix est inférieur de 30 % à la moyenne : justifiez le poste 2.2 (enduit)."


def page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def asked(client):
    """Two admissible bids; the buyer asks the first one's company to justify its price (due in 5 days); the
    client is that company's owner."""
    case = scoring_tender(documents=False)
    case.bid = case.bids[0]
    case.due = timezone.now() + dt.timedelta(days=5)
    justification_request(actor=case.buyer, bid=case.bid, message=MESSAGE, due_at=case.due)
    case.company, case.user = case.bidders[0]
    client.force_login(case.user)
    case.client = client
    return case


def bid_url(bid):
    return reverse("tenders_portal:bid", args=[bid.id])


def respond_url(bid):
    return reverse("tenders_portal:bid_respond", args=[bid.id])


def test_the_bid_page_shows_the_state_and_the_request_waiting(asked):
    body = page(asked.client.get(bid_url(asked.bid)))
    assert "L'acheteur vous demande de justifier le prix de votre offre" in body
    assert "Justification du prix : réponse attendue" in body
    assert MESSAGE in body
    assert "dans 4 jours" in body or "dans 5 jours" in body
    assert 'data-deadline="' in body  # the live countdown
    assert 'enctype="multipart/form-data"' in body and "Envoyer ma réponse" in body


def test_an_admissible_bid_reads_its_state_without_a_form(asked):
    _company, other_user = asked.bidders[1]
    asked.client.force_login(other_user)
    body = page(asked.client.get(bid_url(asked.bids[1])))
    assert "Votre offre est recevable : elle est évaluée par la commission d'évaluation." in body
    assert "Envoyer ma réponse" not in body and "Demandes de l'acheteur" not in body


def test_answering_with_text_and_a_file_sends_the_bid_back_to_the_buyer(asked, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = asked.client.post(respond_url(asked.bid), {
            "text": "Prix obtenu grâce à un fournisseur d'enduit local et à une équipe en propre.",
            "file": [SimpleUploadedFile("devis-fournisseur.pdf", TINY_PDF, content_type="application/pdf")],
        })
    assert response.status_code == 302 and response["Location"].endswith("#demandes")
    assert "Votre réponse est transmise à l'acheteur" in " ".join(messages_of(response))
    asked.bid.refresh_from_db()
    assert asked.bid.status == BidStatus.OPENED
    request = BidRequest.objects.get(bid=asked.bid)
    assert request.responded_by == asked.user and request.response.startswith("Prix obtenu")
    document = BidRequestDocument.objects.get(request=request)
    assert document.filename == "devis-fournisseur.pdf"
    assert any(asked.buyer.email in m.to for m in mailoutbox)

    body = page(asked.client.get(bid_url(asked.bid)))
    assert "Demandes précédentes" in body and "Votre réponse du" in body and "Envoyer ma réponse" not in body
    download = reverse("tenders_portal:request_document", args=[asked.bid.id, document.id])
    assert download in body
    response = asked.client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


def test_an_empty_answer_is_refused_on_its_field(asked):
    response = asked.client.post(respond_url(asked.bid), {"text": "  "})
    assert response.status_code == 400
    body = page(response)
    assert "Écrivez votre réponse." in body and 'id="id_text_error"' in body
    assert BidRequest.objects.get(bid=asked.bid).responded_at is None


def test_a_file_that_is_not_a_document_is_refused_on_the_file_field(asked):
    response = asked.client.post(respond_url(asked.bid), {
        "text": "Voir pièce jointe.", "file": [SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")]})
    assert response.status_code == 400
    body = page(response)
    assert 'id="id_file_error"' in body
    assert "Voir pièce jointe." in body  # what was typed is kept
    assert not BidRequestDocument.objects.exists()
    asked.bid.refresh_from_db()
    assert asked.bid.status == BidStatus.JUSTIFICATION_REQUESTED


def test_prices_cannot_change_through_the_answer(asked):
    response = asked.client.post(respond_url(asked.bid), {"text": "Nouveau prix.", "total_price": "90000"})
    assert response.status_code == 400
    assert "Les prix d'une offre ne peuvent pas être modifiés" in page(response)
    asked.bid.refresh_from_db()
    assert asked.bid.status == BidStatus.JUSTIFICATION_REQUESTED and str(asked.bid.total_price) == "167000.00"


def test_after_the_due_date_no_answer_is_possible(asked):
    with time_machine.travel(asked.due + dt.timedelta(minutes=1)):
        asked.client.force_login(asked.user)
        body = page(asked.client.get(bid_url(asked.bid)))
        assert "Envoyer ma réponse" not in body
        assert "Sans réponse à l'échéance." in body
        response = asked.client.post(respond_url(asked.bid), {"text": "Trop tard ?"})
    assert response.status_code == 302
    assert "L'échéance de cette demande" in " ".join(messages_of(response))
    assert BidRequest.objects.get(bid=asked.bid).responded_at is None


def test_another_companys_bid_and_answer_documents_are_not_found(asked):
    _company, other_user = asked.bidders[1]
    asked.client.force_login(other_user)
    assert asked.client.get(bid_url(asked.bid)).status_code == 404
    assert asked.client.post(respond_url(asked.bid), {"text": "x"}).status_code == 404
    assert BidRequest.objects.get(bid=asked.bid).responded_at is None


def test_a_regularisation_is_shown_with_its_own_explanation(asked):
    other = asked.bids[1]
    bid_classify(actor=asked.buyer, bid=other, decision="irregular", reason="Attestation d'assurance manquante.")
    regularisation_request(actor=asked.buyer, tender=asked.tender, message="Joignez l'attestation décennale.",
                           due_at=timezone.now() + dt.timedelta(days=3))
    _company, other_user = asked.bidders[1]
    asked.client.force_login(other_user)
    body = page(asked.client.get(bid_url(other)))
    assert "L'acheteur vous demande de régulariser votre offre" in body
    assert "Régularisation : réponse attendue" in body and "Joignez l'attestation décennale." in body
    assert "elle ne modifie jamais vos prix" in body


def test_my_bids_and_the_dashboard_flag_the_requests_waiting(asked, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # session, user, memberships, the list
        response = asked.client.get(reverse("tenders_portal:my_bids"))
    body = page(response)
    assert "Une demande de l'acheteur attend votre réponse." in body
    assert "Réponse attendue" in body and "Répondre" in body
    body = page(asked.client.get(reverse("portal:dashboard")))
    assert "Une demande de l'acheteur attend votre réponse" in body
    assert f"{bid_url(asked.bid)}#demandes" in body

    asked.client.post(respond_url(asked.bid), {"text": "Justification jointe."})
    assert "attend votre réponse" not in page(asked.client.get(reverse("tenders_portal:my_bids")))
    assert "attend votre réponse" not in page(asked.client.get(reverse("portal:dashboard")))

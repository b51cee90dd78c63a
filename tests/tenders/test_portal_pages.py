"""Supplier pages of a mini-tender, through the Django test client: inbox, tender page, questions, the bid
form and its submission, the receipt, my bids."""

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tenders import services
from tenders.models import Bid, BidDocument, BidStatus, Question, TenderDocumentKind
from tests.factories import (
    PRICED_LINES,
    PRICED_TOTAL,
    TINY_PDF,
    UserFactory,
    draft_bid,
    published_tender,
    submitted_bid,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(client):
    """A published tender with two invited companies; the client is logged in as the first one's owner."""
    tender, suppliers = published_tender(suppliers=2)
    (company, user), (other_company, other_user) = suppliers
    client.force_login(user)
    client.user, client.company = user, company
    client.tender, client.other_user, client.other_company = tender, other_user, other_company
    return client


def _bid_post(lines=PRICED_LINES, total=PRICED_TOTAL, duration="14", action="save", notes=""):
    prices = {line["ref"]: line["unit_price"] for line in lines}
    data = {"total_price": total, "duration_weeks": duration, "notes": notes, "action": action}
    for index, ref in enumerate(["1.1", "2.1", "2.2"]):
        data[f"line_{index}"] = prices.get(ref, "")
    return data


# --- access --------------------------------------------------------------------------------------------


def test_pages_require_login(client):
    tender, _ = published_tender(suppliers=1)
    for url in (reverse("tenders_portal:inbox"), reverse("tenders_portal:my_bids"),
                reverse("tenders_portal:tender", args=[tender.id])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_mail_paths_are_kept(invited):
    bid = submitted_bid(invited.tender, invited.user)
    assert reverse("tenders_portal:tender", args=[invited.tender.id]) == f"/portail/marches/{invited.tender.id}/"
    assert reverse("tenders_portal:receipt", args=[bid.id]) == f"/portail/marches/offres/{bid.id}/recu/"


def test_inbox_lists_only_my_invitations(invited):
    elsewhere, _ = published_tender(suppliers=1, title="Remplacement des chaudières — Les Ormes")
    response = invited.get(reverse("tenders_portal:inbox"))
    assert response.status_code == 200
    page = response.content.decode()
    assert invited.tender.reference in page
    assert "Isolation par l&#x27;extérieur" in page
    assert elsewhere.reference not in page and "chaudières" not in page
    assert "Beauvais" in page
    assert "dans 13 jours" in page or "dans 14 jours" in page
    assert "Aucune offre déposée" in page


def test_inbox_shows_a_deposited_bid_and_a_closed_deadline(invited):
    submitted_bid(invited.tender, invited.user)
    with time_machine.travel(invited.tender.bid_deadline + dt.timedelta(hours=1)):
        invited.force_login(invited.user)  # sessions expire: log in again at that date
        page = invited.get(reverse("tenders_portal:inbox")).content.decode()
    assert "Offre déposée" in page
    assert ">clos<" in page
    # Still shown once the bids are opened (the bid is no longer "submitted" but "opened").
    with time_machine.travel(invited.tender.bid_deadline + dt.timedelta(hours=2)):
        services.tender_open(actor=invited.tender.published_by, tender=invited.tender)
        invited.force_login(invited.user)
        page = invited.get(reverse("tenders_portal:inbox")).content.decode()
    assert "Offre déposée" in page and "Plis ouverts" in page


def test_tender_page_is_not_found_for_a_supplier_not_invited(client):
    tender, _suppliers = published_tender(suppliers=1)
    own, [(_company, user)] = published_tender(suppliers=1)
    client.force_login(user)
    assert client.get(reverse("tenders_portal:tender", args=[tender.id])).status_code == 404
    assert client.get(reverse("tenders_portal:tender", args=[own.id])).status_code == 200
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("tenders_portal:tender", args=[tender.id])).status_code == 404


def test_tender_page_shows_the_operation_criteria_and_deadlines(invited):
    response = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Résidence Les Tilleuls", "12 rue des Tilleuls", "Beauvais", "48", "Performance environnementale",
                 "20 %", "250", "16 semaines", "dans 6 jours", "Préparer mon offre"):
        assert text in page, text
    assert 'energy-label--F">F</span> → <span class="energy-label energy-label--C">C' in page


def test_tender_documents_are_served_to_invited_suppliers_only(invited, client):
    document = services.tender_document_upload(
        actor=invited.tender.published_by, tender=invited.tender, kind=TenderDocumentKind.RULES,
        uploaded_file=SimpleUploadedFile("rc.pdf", TINY_PDF, content_type="application/pdf"), title="Règlement")
    page = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
    url = reverse("tenders_portal:tender_document", args=[document.id])
    assert url == f"/portail/marches/documents/{document.id}/"
    assert url in page and "Modificatif" in page  # uploaded after publication: an addendum
    response = invited.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == TINY_PDF
    _, [(_, outsider)] = published_tender(suppliers=1)
    invited.force_login(outsider)
    assert invited.get(url).status_code == 404


# --- questions -----------------------------------------------------------------------------------------


def test_ask_a_question_before_the_deadline(invited):
    url = reverse("tenders_portal:question_ask", args=[invited.tender.id])
    response = invited.post(url, {"text": "Les appuis de fenêtre sont-ils à remplacer ?"}, follow=True)
    assert response.status_code == 200
    question = Question.objects.get(tender=invited.tender)
    assert question.company == invited.company
    page = response.content.decode()
    assert "Vos questions en attente de réponse" in page
    assert "Les appuis de fenêtre sont-ils à remplacer ?" in page


def test_a_question_after_the_deadline_is_refused_with_a_clear_message(invited):
    url = reverse("tenders_portal:question_ask", args=[invited.tender.id])
    with time_machine.travel(invited.tender.questions_deadline + dt.timedelta(minutes=1)):
        page_before = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
        response = invited.post(url, {"text": "Trop tard ?"})
    assert "Poser une question" not in page_before
    assert response.status_code == 302
    assert not Question.objects.exists()
    [message] = messages_of(response)
    assert message.startswith("Les questions étaient possibles jusqu'au")


def test_an_empty_question_is_shown_again_at_the_form(invited):
    response = invited.post(reverse("tenders_portal:question_ask", args=[invited.tender.id]), {"text": "  "})
    assert response.status_code == 400
    assert "Le formulaire contient 1 erreur" in response.content.decode()
    assert not Question.objects.exists()


def test_answered_questions_hide_the_asker_from_other_suppliers(invited, client):
    question = services.question_ask(actor=invited.other_user, tender=invited.tender,
                                     text="Quelle est la hauteur des façades ?")
    services.question_answer(actor=invited.tender.published_by, question=question, text="Onze mètres.")
    own = services.question_ask(actor=invited.user, tender=invited.tender, text="Un échafaudage est-il en place ?")
    services.question_answer(actor=invited.tender.published_by, question=own, text="Non.")
    page = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
    assert "Quelle est la hauteur des façades ?" in page and "Onze mètres." in page
    assert invited.other_company.name not in page
    assert page.count("votre question") == 1
    mine = page.index("Un échafaudage est-il en place ?")
    assert page.rindex("votre question", 0, mine) > page.index("Onze mètres.")


# --- the bid form --------------------------------------------------------------------------------------


def test_prepare_a_bid_then_save_it_shows_the_computed_amounts(invited):
    response = invited.post(reverse("tenders_portal:bid_start", args=[invited.tender.id]), {})
    bid = Bid.objects.get(tender=invited.tender)
    assert response.status_code == 302 and response["Location"] == reverse("tenders_portal:bid", args=[bid.id])
    page = invited.get(response["Location"]).content.decode()
    assert "Reporter la somme" in page and "js/price_schedule.js" in page

    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            _bid_post(lines=[{"ref": "1.1", "unit_price": "5000"},
                                             {"ref": "2.1", "unit_price": "95,5"}], total=""))
    assert response.status_code == 302
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert content["lines"][1] == {"ref": "2.1", "unit_price": "95.50"}
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    assert "114\xa0600,00" in page  # 1200 × 95.50
    assert "119\xa0600,00" in page  # the sum of the priced lines
    # The tender page now offers to resume the draft.
    page = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
    assert "Reprendre le brouillon" in page


def test_a_refused_save_keeps_the_input_and_names_the_field(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            _bid_post(lines=[{"ref": "1.1", "unit_price": "abc"}], duration="0"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="abc"' in page
    assert "Nombre décimal attendu" in page
    assert "Valeur attendue entre 1 et 520" in page


def test_submit_with_a_wrong_total_names_the_lines(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            {**_bid_post(total="160000.00", action="submit"), "confirmed": "1"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "ne correspond pas à la somme des lignes 1.1, 2.1, 2.2" in page
    assert "écart de 7\xa0000,00" in page
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.DRAFT


def test_submit_with_missing_unit_prices_names_each_line(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            {**_bid_post(lines=[{"ref": "2.1", "unit_price": "95"}], action="submit"),
                             "confirmed": "1"}, follow=True)
    page = response.content.decode()
    assert "Ligne 1.1 « Installation de chantier » : prix unitaire manquant." in page
    assert "Ligne 2.2 « Enduit de finition » : prix unitaire manquant." in page
    assert "Ligne 2.1" not in page
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.DRAFT


def test_a_successful_submit_leads_to_the_receipt_with_the_fingerprints(invited):
    bid = draft_bid(invited.tender, invited.user)
    services.bid_document_upload(actor=invited.user, bid=bid, kind="technical_memo",
                                 uploaded_file=SimpleUploadedFile("memoire.pdf", TINY_PDF))
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            {**_bid_post(action="submit"), "confirmed": "1"})
    receipt_url = reverse("tenders_portal:receipt", args=[bid.id])
    assert response.status_code == 302 and response["Location"] == receipt_url
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED and len(bid.fingerprint) == 64
    page = invited.get(receipt_url).content.decode()
    assert bid.fingerprint in page
    assert hashlib.sha256(TINY_PDF).hexdigest() in page
    assert "memoire.pdf" in page
    assert invited.company.name in page
    received = bid.submitted_at.astimezone(ZoneInfo("Europe/Paris"))
    assert received.strftime("%H:%M:%S") in page and "heure de Paris" in page
    # The read-only view of the deposited bid, and my bids.
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    assert "167\xa0000,00" in page and "Retirer l'offre" in page
    page = invited.get(reverse("tenders_portal:tender", args=[invited.tender.id])).content.decode()
    assert "Déposer une nouvelle version" in page


def test_a_new_version_copies_the_submitted_bid(invited):
    first = submitted_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid_start", args=[invited.tender.id]),
                            {"copy_from": str(first.id)})
    second = Bid.objects.exclude(pk=first.pk).get()
    assert response["Location"] == reverse("tenders_portal:bid", args=[second.id])
    assert services.bid_content(second)["total_price"] == PRICED_TOTAL


def test_withdraw_a_submitted_bid(invited):
    bid = submitted_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid_withdraw", args=[bid.id]), {"confirmed": "1", "reason": "Erreur de prix"})
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == BidStatus.WITHDRAWN
    assert messages_of(response) == ["Votre offre est retirée. Vous pouvez en déposer une nouvelle avant la date "
                                     "limite."]
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    assert "Retirer l'offre" not in page


def test_a_late_submit_shows_the_late_message_and_keeps_the_bid_as_late(invited):
    bid = draft_bid(invited.tender, invited.user)
    with time_machine.travel(invited.tender.bid_deadline + dt.timedelta(seconds=5)):
        invited.force_login(invited.user)
        assert "ne sera pas examiné" in invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
        response = invited.post(reverse("tenders_portal:bid", args=[bid.id]),
                            {**_bid_post(action="submit"), "confirmed": "1"})
        assert response.status_code == 302 and response["Location"] == reverse("tenders_portal:bid", args=[bid.id])
        [message] = messages_of(response)
        page = invited.get(response["Location"]).content.decode()
    assert message.startswith("Offre reçue le") and "hors délai" in message and "R2151-5" in message
    bid.refresh_from_db()
    assert bid.status == BidStatus.LATE
    assert "Hors délai" in page and "Accusé de réception" not in page
    # A late bid has no receipt: its receipt address leads back to the bid.
    response = invited.get(reverse("tenders_portal:receipt", args=[bid.id]))
    assert response.status_code == 302


def test_a_post_without_fields_does_not_erase_the_draft(invited):
    bid = draft_bid(invited.tender, invited.user)
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]), {"confirmed": "1", "action": "submit"})
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED
    assert services.bid_content(bid)["total_price"] == PRICED_TOTAL


def test_another_companys_bid_is_not_found(invited, client):
    bid = draft_bid(invited.tender, invited.other_user)
    submitted = submitted_bid(invited.tender, invited.other_user)
    for url in (reverse("tenders_portal:bid", args=[bid.id]), reverse("tenders_portal:receipt", args=[submitted.id]),
                reverse("tenders_portal:bid_withdraw", args=[submitted.id])):
        response = invited.get(url) if "retirer" not in url else invited.post(url, {"confirmed": "1"})
        assert response.status_code == 404, url
    response = invited.post(reverse("tenders_portal:bid", args=[bid.id]), _bid_post())
    assert response.status_code == 404


def _attach(lines_file: dict) -> dict:
    """The bid form posted with its "attach" button: the figures and the document beside them."""
    return {**_bid_post(action="attach"), **lines_file}


def test_a_bad_upload_gives_a_message_and_no_error(invited):
    bid = draft_bid(invited.tender, invited.user)
    url = reverse("tenders_portal:bid", args=[bid.id])
    response = invited.post(url, _attach({"document-kind": "technical_memo",
                                          "document-file": SimpleUploadedFile("memoire.pdf", b"not a pdf at all")}))
    assert response.status_code == 400 and "PDF, JPEG et PNG" in response.content.decode()
    assert not BidDocument.objects.exists()
    response = invited.post(url, _attach({"document-kind": "unknown"}))
    assert response.status_code == 400 and messages_of(response)
    assert not BidDocument.objects.exists()


def test_upload_list_and_delete_a_document(invited):
    bid = draft_bid(invited.tender, invited.user)
    url = reverse("tenders_portal:bid", args=[bid.id])
    response = invited.post(url, _attach({"document-kind": "technical_memo",
                                          "document-file": SimpleUploadedFile("memoire.pdf", TINY_PDF)}))
    assert response.status_code == 302
    document = BidDocument.objects.get()
    page = invited.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    assert "memoire.pdf" in page and document.sha256 in page
    assert 'price-check--ok" data-check aria-live="polite">Le prix total est égal à la somme des lignes.' in page
    download = invited.get(reverse("tenders_portal:bid_document", args=[bid.id, document.id]))
    assert download.content == TINY_PDF and "memoire.pdf" in download["Content-Disposition"]
    response = invited.post(reverse("tenders_portal:bid_document_delete", args=[bid.id, document.id]), {"confirmed": "1"})
    assert response.status_code == 302
    assert not BidDocument.objects.exists()


# --- lists and their query counts ----------------------------------------------------------------------


def _tenders_with_bids(user, company, n):
    from tenders.services import tender_publish
    from tests.factories import draft_tender

    for _ in range(n):
        tender, _suppliers = published_tender(suppliers=1)
        # Invite the client's company too: a second admission in the same category.
        from tests.factories import admitted_company

        admitted_company(tender.category, company=company)
        other = draft_tender(tender.category)
        other = tender_publish(actor=tender.category.dps.created_by, tender=other)
        submitted_bid(other, user)
        draft_bid(other, user)


@pytest.mark.parametrize("page", ["tenders_portal:inbox", "tenders_portal:my_bids"])
def test_list_query_counts_do_not_grow_with_rows(invited, django_assert_max_num_queries, page):
    submitted_bid(invited.tender, invited.user)
    _tenders_with_bids(invited.user, invited.company, 3)
    with django_assert_max_num_queries(4):  # session, user, memberships, the list
        response = invited.get(reverse(page))
    assert response.status_code == 200
    body = response.content.decode()
    if page == "tenders_portal:inbox":
        assert body.count("/portail/marches/") >= 4
    else:
        assert body.count("Accusé de réception") >= 4


def test_dashboard_card_counts_the_open_invitations(invited):
    published_tender(suppliers=1)  # another company's invitation
    page = invited.get(reverse("portal:dashboard")).content.decode()
    assert "Invitations à soumissionner" in page
    assert "1 consultation est ouverte à vos offres." in page
    assert reverse("tenders_portal:inbox") in page
    with time_machine.travel(invited.tender.bid_deadline + dt.timedelta(minutes=1)):
        invited.force_login(invited.user)
        page = invited.get(reverse("portal:dashboard")).content.decode()
    assert "Aucune consultation ouverte pour le moment." in page


def test_a_malformed_company_or_copy_is_not_found(invited):
    url = reverse("tenders_portal:bid_start", args=[invited.tender.id])
    assert invited.post(url, {"company": "not-a-uuid"}).status_code == 404
    assert invited.post(url, {"company": str(invited.other_company.id)}).status_code == 404
    assert invited.post(url, {"copy_from": "not-a-uuid"}).status_code == 404
    assert not Bid.objects.exists()

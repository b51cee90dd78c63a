"""Generated documents reach people: mailed to the company they are addressed to (attached, or linked when too
large), listed on the bidder's bid page and in the console with their state, a retry button and a progress bar."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from procurement.documents import services as document_services
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument, OutboundEmail
from suppliers.models import Membership
from tenders import services
from tests.factories import StaffFactory, UserFactory, draft_bid, pdf_file, published_tender

pytestmark = pytest.mark.django_db

MEMO = b"%PDF-1.4\n% memoire\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
       b"trailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def world():
    return published_tender(suppliers=2)


def _deposit(tender, user, capture):
    bid = draft_bid(tender, user)
    services.bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                 uploaded_file=pdf_file("memoire.pdf", MEMO))
    with capture(execute=True):
        bid = services.bid_submit(actor=user, bid=bid)
    return bid, GeneratedDocument.objects.get(kind=DocumentKind.RECEIPT, params__bid=str(bid.id))


def _document_mails(document):
    return [m for m in mail.outbox if document.reference in m.body]


def test_the_signed_receipt_is_mailed_to_the_company_as_a_pdf_attachment(world, django_capture_on_commit_callbacks):
    tender, [(company, user), *_] = world
    bid, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)
    assert receipt.status == DocumentStatus.READY, receipt.error

    [sent] = _document_mails(receipt)
    assert sent.to == [user.email]
    assert tender.reference in sent.subject and "Accusé de réception" in sent.subject
    assert "ci-joint" in sent.body and receipt.sha256 in sent.body
    assert reverse("tenders_portal:bid", kwargs={"bid_id": bid.id}) in sent.body
    [(filename, content, mimetype)] = sent.attachments
    assert mimetype == "application/pdf" and filename.endswith(".pdf")
    assert content == document_services.document_content(receipt)  # the signed PDF, decrypted for its reader
    stored = OutboundEmail.objects.get(key=f"document:{receipt.id}:{user.email}")
    assert stored.attachment_id == receipt.id and MEMO not in stored.body.encode()


def test_every_member_gets_it_once_whatever_the_retries(world, django_capture_on_commit_callbacks):
    tender, [(company, user), *_] = world
    member = UserFactory(email="conducteur@toitures-oise.fr")
    Membership.objects.create(company=company, user=member)
    _, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in _document_mails(receipt)) == sorted([user.email, member.email])
    with django_capture_on_commit_callbacks(execute=True):
        assert document_services.document_deliver(receipt) == 0
    assert len(_document_mails(receipt)) == 2


def test_a_document_too_large_for_a_mail_is_linked_not_attached(world, settings, django_capture_on_commit_callbacks):
    settings.MAIL_ATTACHMENT_MAX_BYTES = 1000
    tender, [(company, user), *_] = world
    bid, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)

    [sent] = _document_mails(receipt)
    assert sent.attachments == []
    assert "trop volumineux" in sent.body
    assert reverse("tenders_portal:bid", kwargs={"bid_id": bid.id}) in sent.body


def test_the_bidder_finds_its_receipt_on_its_bid_page_and_nobody_else_can_fetch_it(
        world, client, django_capture_on_commit_callbacks):
    tender, [(company, user), (_, other)] = world
    bid, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)
    download = reverse("tenders_portal:generated_document", kwargs={"document_id": receipt.id})

    client.force_login(user)
    page = client.get(reverse("tenders_portal:bid", kwargs={"bid_id": bid.id}))
    assert page.status_code == 200 and download in page.content.decode()
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == document_services.document_content(receipt)

    client.force_login(other)
    assert client.get(download).status_code == 404


def test_the_console_lists_every_version_and_retries_a_failure(
        world, client, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    tender, [(company, user), (_, other)] = world
    _, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)
    _, second = _deposit(tender, other, django_capture_on_commit_callbacks)
    GeneratedDocument.objects.filter(pk=second.pk).update(status=DocumentStatus.FAILED, error="OSError: disque plein")
    page_url = reverse("tenders_console:documents", kwargs={"tender_id": tender.id})
    retry_url = reverse("tenders_console:generated_document_retry", kwargs={"document_id": second.id})

    evaluator = StaffFactory(roles=["evaluator"])
    client.force_login(evaluator)
    page = client.get(page_url).content.decode()
    assert "OSError: disque plein" in page and receipt.reference in page
    assert client.post(retry_url).status_code == 302
    assert GeneratedDocument.objects.get(pk=second.pk).status == DocumentStatus.FAILED  # not a buyer: refused

    buyer = tender.dps.created_by
    client.force_login(buyer)
    with django_assert_max_num_queries(8):
        page = client.get(page_url)
    assert retry_url in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry_url)
    second.refresh_from_db()
    assert second.status == DocumentStatus.READY and second.error == ""
    assert retry_url not in client.get(page_url).content.decode()  # nothing failed any more: no button


def test_the_progress_bar_counts_what_is_done(world, client, django_capture_on_commit_callbacks):
    tender, [(company, user), (_, other)] = world
    _, receipt = _deposit(tender, user, django_capture_on_commit_callbacks)
    GeneratedDocument.objects.filter(pk=receipt.pk).update(status=DocumentStatus.PENDING)
    _deposit(tender, other, django_capture_on_commit_callbacks)
    client.force_login(tender.dps.created_by)

    progress = client.get(reverse("tenders_console:documents_progress", kwargs={"tender_id": tender.id})).json()
    assert progress == {"total": 2, "ready": 1, "failed": 0, "pending": 1, "percent": 50, "done": False}
    page = client.get(reverse("tenders_console:documents", kwargs={"tender_id": tender.id})).content.decode()
    assert '<progress id="documents-progress" max="100" value="50">' in page

    client.force_login(user)
    assert client.get(reverse("tenders_console:documents_progress", kwargs={"tender_id": tender.id})).status_code in (
        302, 403)


def test_the_buyer_downloads_the_opening_report_from_the_tender_page(world, client, django_capture_on_commit_callbacks):
    tender, [(company, user), *_] = world
    _deposit(tender, user, django_capture_on_commit_callbacks)
    buyer = tender.dps.created_by
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1)), \
            django_capture_on_commit_callbacks(execute=True):
        tender = services.tender_open(actor=buyer, tender=tender)
    report = GeneratedDocument.objects.get(kind=DocumentKind.OPENING_REPORT, object_id=tender.id)
    assert report.status == DocumentStatus.READY, report.error
    assert not _document_mails(report)  # a report is addressed to nobody outside

    client.force_login(buyer)
    page = client.get(reverse("tenders_console:detail", kwargs={"tender_id": tender.id})).content.decode()
    download = reverse("tenders_console:generated_document", kwargs={"document_id": report.id})
    assert download in page
    response = client.get(download)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    client.force_login(user)
    assert client.get(download).status_code == 404


@pytest.mark.parametrize("ending, title", [("tender_cancel", "Déclaration sans suite"),
                                           ("tender_declare_unsuccessful", "Déclaration d'infructuosité")])
def test_every_bidder_gets_a_signed_letter_when_the_tender_ends_without_award(
        world, ending, title, django_capture_on_commit_callbacks):
    import io

    import pypdf

    tender, [(company, user), (other, other_user)] = world
    bid, _ = _deposit(tender, user, django_capture_on_commit_callbacks)
    late = draft_bid(tender, other_user)
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5)), \
            django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=other_user, bid=late)  # recorded as late all the same
        tender = services.tender_open(actor=tender.dps.created_by, tender=tender)
        getattr(services, ending)(actor=tender.dps.created_by, tender=tender,
                                  reason="Le budget de l'opération a été réaffecté par le conseil d'administration.")

    letters = {d.company_id: d for d in GeneratedDocument.objects.filter(kind=DocumentKind.CANCELLATION_LETTER)}
    assert set(letters) == {company.id, other.id}
    for letter in letters.values():
        assert letter.status == DocumentStatus.READY, letter.error
        pdf = document_services.document_content(letter)
        text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
        assert title in text and tender.reference in text
        assert "Le budget de l'opération a été réaffecté" in text
        [sent] = _document_mails(letter)
        assert len(sent.attachments) == 1
    late_text = " ".join(pypdf.PdfReader(io.BytesIO(document_services.document_content(letters[other.id])))
                         .pages[0].extract_text().split())
    assert other.name in late_text and "n'a pas été examinée" in late_text and company.name not in late_text

"""A tender's legally significant events are in the audit chain, and nothing sealed ever is.

Tender documents and addenda, answers to questions (the asker stays anonymous) and a draft bid's documents
(kind, size and fingerprint only: a bid document's name and bytes are sealed) are recorded with the change
itself; a failure inside the service leaves neither.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile

from procurement import audit
from procurement.models import AuditEntry
from tenders import services
from tenders.models import BidDocument, Question, TenderDocument
from tests.factories import TINY_PDF, draft_bid, draft_tender, open_category, pdf_file, published_tender

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def break_audit(monkeypatch):
    """Call it to make ``audit.record`` fail from then on."""

    def fail(**kwargs):
        raise Boom

    return lambda: monkeypatch.setattr(audit, "record", fail)


@pytest.fixture
def world():
    return published_tender(suppliers=2)


def tender_trail(tender, action):
    return [e for e in audit.history("tender", tender.id) if e.action == action]


def stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


# --- tender documents -----------------------------------------------------------------------------------


def test_it_records_a_document_of_a_draft_and_an_addendum_after_publication(world):
    tender, _ = world
    buyer = tender.published_by
    draft = draft_tender(open_category())
    document = services.tender_document_upload(actor=draft.created_by, tender=draft, kind="rules",
                                               uploaded_file=pdf_file("rc.pdf"), title="Règlement")
    addendum = services.tender_document_upload(actor=buyer, tender=tender, kind="specification",
                                               uploaded_file=pdf_file("cctp-v2.pdf"), title="CCTP modifié")

    (uploaded,) = tender_trail(draft, "upload-document")
    assert uploaded.actor == draft.created_by
    assert uploaded.details == {"document": str(document.id), "kind": "rules", "title": "Règlement",
                                "filename": "rc.pdf", "size": len(TINY_PDF),
                                "sha256": hashlib.sha256(TINY_PDF).hexdigest()}
    (published,) = tender_trail(tender, "publish-addendum")
    assert published.actor == buyer
    assert published.details["document"] == str(addendum.id) and published.details["title"] == "CCTP modifié"


def test_a_document_whose_record_fails_is_neither_kept_nor_stored(world, break_audit, settings):
    tender, _ = world
    before = stored_files(settings)
    break_audit()
    with pytest.raises(Boom):
        services.tender_document_upload(actor=tender.published_by, tender=tender, kind="plans",
                                        uploaded_file=pdf_file("plans.pdf"))
    assert not TenderDocument.objects.exists()
    assert stored_files(settings) == before


# --- answers --------------------------------------------------------------------------------------------


def test_it_records_an_answer_without_the_asker(world):
    tender, [(company, user), _] = world
    buyer = tender.published_by
    question = services.question_ask(actor=user, tender=tender, text="L'échafaudage est-il à notre charge ?")

    services.question_answer(actor=buyer, question=question, text="Oui, voir l'article 4 du CCTP.")

    (entry,) = tender_trail(tender, "answer-question")
    assert entry.actor == buyer
    assert entry.details == {
        "question": str(question.id),
        "question_sha256": hashlib.sha256("L'échafaudage est-il à notre charge ?".encode()).hexdigest(),
        "answer_sha256": hashlib.sha256(b"Oui, voir l'article 4 du CCTP.").hexdigest()}
    written = json.dumps([entry.reason, entry.details, entry.actor_label], ensure_ascii=False)
    for trace in (str(company.id), company.name, company.siret, user.email, str(user.id)):
        assert trace not in written


def test_an_answer_whose_mails_fail_is_not_recorded(world, monkeypatch):
    tender, [(_, user), _] = world
    question = services.question_ask(actor=user, tender=tender, text="Accès au chantier ?")

    def broken(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(services.questions, "notify_many", broken)
    with pytest.raises(Boom):
        services.question_answer(actor=tender.published_by, question=question, text="Par la rue des Tilleuls.")

    assert tender_trail(tender, "answer-question") == []
    assert Question.objects.get(pk=question.pk).answered_at is None


# --- a draft bid's documents ----------------------------------------------------------------------------


def test_it_records_a_bid_document_added_and_deleted_by_kind_size_and_fingerprint(
        world, django_capture_on_commit_callbacks, settings):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    document = services.bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                            uploaded_file=pdf_file("memoire-technique-secret.pdf"))
    stored, document_id = document.file.name, str(document.id)

    with django_capture_on_commit_callbacks(execute=True):
        services.bid_document_delete(actor=user, document=document)

    added, deleted = audit.history("bid", bid.id)
    expected = {"document": document_id, "kind": "technical_memo", "size": len(TINY_PDF),
                "sha256": hashlib.sha256(TINY_PDF).hexdigest()}
    assert (added.action, added.actor, added.details) == ("add-document", user, expected)
    assert (deleted.action, deleted.actor, deleted.details) == ("delete-document", user, expected)
    assert not BidDocument.objects.filter(pk=document_id).exists()
    assert not (Path(settings.MEDIA_ROOT) / stored).exists()


def test_a_bid_document_deletion_whose_record_fails_keeps_the_document(world, break_audit, settings):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    document = services.bid_document_upload(actor=user, bid=bid, kind="technical_memo", uploaded_file=pdf_file())
    break_audit()

    with pytest.raises(Boom):
        services.bid_document_delete(actor=user, document=document)

    assert BidDocument.objects.filter(pk=document.pk).exists()
    assert (Path(settings.MEDIA_ROOT) / document.file.name).exists()


def test_a_bid_document_whose_record_fails_is_neither_kept_nor_stored(world, break_audit, settings):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    before = stored_files(settings)
    break_audit()
    with pytest.raises(Boom):
        services.bid_document_upload(actor=user, bid=bid, kind="technical_memo", uploaded_file=pdf_file())
    assert not BidDocument.objects.exists()
    assert stored_files(settings) == before


# --- nothing sealed in the chain ------------------------------------------------------------------------


# Unit prices for tender_data()'s schedule: 1 × 7777.77 + 1200 × 91.23 + 1200 × 43.21 = 169105.77.
SECRET_LINES = [{"ref": "1.1", "unit_price": "7777.77"}, {"ref": "2.1", "unit_price": "91.23"},
                {"ref": "2.2", "unit_price": "43.21"}]
SECRET_TOTAL = "169105.77"
SECRET_NOTES = "Remise ZX42 négociable, équipe Kappa"
SECRET_NAME = "offre-confidentielle-zx42.pdf"
SECRET_BYTES = b"ZX42-CONTENU-SCELLE"


def secret_pdf(name=SECRET_NAME):
    return ContentFile(TINY_PDF.replace(b"%%EOF", b"% " + SECRET_BYTES + b"\n%%EOF"), name=name)


def test_a_full_bid_lifecycle_leaves_nothing_sealed_in_the_chain(world):
    tender, [(_, user), (_, rival)] = world
    buyer = tender.published_by

    # Prepared, edited, documents added and removed, deposited.
    bid = draft_bid(tender, user, total_price="1000.00", lines=SECRET_LINES[:1], notes="Première ébauche ZX42")
    bid = services.bid_update(actor=user, bid=bid, data={"total_price": SECRET_TOTAL, "lines": SECRET_LINES,
                                                         "notes": SECRET_NOTES})
    services.bid_document_upload(actor=user, bid=bid, kind="technical_memo", uploaded_file=secret_pdf())
    dropped = services.bid_document_upload(actor=user, bid=bid, kind="other",
                                           uploaded_file=secret_pdf("brouillon-zx42.pdf"))
    services.bid_document_delete(actor=user, document=dropped)
    salt = services.bid_content(bid)["salt"]
    services.bid_submit(actor=user, bid=bid)

    # A second version, copied from the first with its documents, replaces it.
    second = services.bid_create(actor=user, tender=tender, copy_from=bid)
    services.bid_update(actor=user, bid=second, data={"notes": SECRET_NOTES + " (v2)"})
    services.bid_submit(actor=user, bid=second)

    # A rival deposits and withdraws; a question is asked and answered.
    services.bid_withdraw(actor=rival, bid=services.bid_submit(actor=rival, bid=draft_bid(
        tender, rival, notes="Notes du concurrent ZX42")), reason="Erreur de chiffrage")
    question = services.question_ask(actor=user, tender=tender, text="Délai de préparation ?")
    services.question_answer(actor=buyer, question=question, text="Deux semaines.")

    # Opened after the deadline: the contents become readable, the chain still holds none of them.
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5), tick=False):
        services.tender_open(actor=buyer, tender=tender)

    entries = list(AuditEntry.objects.order_by("id"))
    assert {"add-document", "delete-document", "submit", "replace", "withdraw", "open"} <= {e.action for e in entries}
    chain = json.dumps(
        [[e.actor_label, e.object_type, e.object_id, e.action, e.from_state, e.to_state, e.reason, e.details]
         for e in entries], ensure_ascii=False)
    sealed = [SECRET_TOTAL, "169 105,77", "169105,77", "7777.77", "7777,77", "91.23", "91,23", "43.21", "43,21",
              "ZX42", "zx42", "Kappa", SECRET_NAME, "brouillon", SECRET_BYTES.decode(), salt,
              hashlib.sha256(SECRET_NOTES.encode()).hexdigest()]
    leaked = [value for value in sealed if value in chain]
    assert leaked == []
    assert audit.verify().valid

    for entry in entries:
        if entry.action in ("add-document", "delete-document"):
            assert set(entry.details) <= {"document", "kind", "size", "sha256", "copied_from"}, entry.details

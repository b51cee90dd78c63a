"""The award letter (mail and PDF) spells the winner's name the French way: "l'offre d'Isol'Nord"."""

import io

import pypdf
import pytest

from procurement.documents import services as document_services
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument, OutboundEmail
from suppliers.models import Company
from tenders.services import award as aw
from tests.factories import proposed_tender

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text.replace("\u2019", "'")


def test_the_award_letter_and_its_mail_elide_before_the_winners_name(django_capture_on_commit_callbacks):
    ot = proposed_tender()
    winner = ot.bids[0].company
    Company.objects.filter(pk=winner.pk).update(name="Isol'Nord")
    with django_capture_on_commit_callbacks(execute=True):
        aw.award_approve(actor=ot.approver, tender=ot.tender)

    [mail] = [
        m
        for m in OutboundEmail.objects.filter(to=winner.memberships.first().user.email)
        if "Votre offre est retenue" in m.subject
    ]
    assert "l'offre d'Isol'Nord pour le marché" in mail.body and "de Isol'Nord" not in mail.body

    [letter] = GeneratedDocument.objects.filter(kind=DocumentKind.AWARD_LETTER)
    assert letter.status == DocumentStatus.READY, letter.error
    text = _text(document_services.document_content(letter))
    assert "l'offre d'Isol'Nord est retenue" in text and "de Isol'Nord" not in text

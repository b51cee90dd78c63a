"""Clarification questions: asked by invited suppliers, answered to all of them without the asker's name."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from procurement import audit, clock
from procurement.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from procurement.notifications import notify, notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import allowed_actions
from suppliers.models import Company

from ..models import (
    Question,
    Tender,
    TenderStatus,
)
from .inputs import MAX_TEXT, when
from .publication import _invitee_recipients


def invited_company(*, actor, tender: Tender, company: Company | None = None) -> Company:
    """The caller's company that was invited to this tender (``NotFound`` when there is none: not invited)."""
    companies = Company.objects.filter(memberships__user=actor, tender_invitations__tender=tender)
    if company is not None:
        companies = companies.filter(pk=company.pk)
    found = list(companies[:2])
    if not found:
        raise NotFound(_("Marché introuvable"))
    if len(found) > 1:
        raise ValidationFailed({"company": [_("Précisez pour quelle entreprise vous agissez.")]})
    return found[0]


def question_ask(*, actor, tender: Tender, text: str, company: Company | None = None) -> Question:
    company = invited_company(actor=actor, tender=tender, company=company)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"text": [_("Écrivez votre question.")]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({"text": [_("%(max)s caractères au plus.") % {"max": MAX_TEXT}]})
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        if not tender.questions_open():
            raise InvalidTransition(
                _("Les questions étaient possibles jusqu'au %(date)s.") % {"date": when(tender.questions_deadline)}
                if tender.status == TenderStatus.PUBLISHED else
                _("Ce marché ne reçoit pas de questions dans son état actuel."),
                state=tender.status, allowed_transitions=allowed_actions(tender))
        question = Question.objects.create(tender=tender, company=company, asked_by=actor, text=text)
        buyer = tender.published_by or tender.created_by
        if buyer is not None:
            notify(key=f"question-asked:{question.id}", to=buyer.email, template="question_asked",
                   context={"tender": tender, "question": question})
    return question


def question_answer(*, actor, question: Question, text: str) -> Question:
    """Answer once; the answer is published to every invited supplier, without the asker's identity."""
    require_role(actor, BUYER)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"text": [_("Écrivez la réponse.")]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({"text": [_("%(max)s caractères au plus.") % {"max": MAX_TEXT}]})
    with transaction.atomic():
        question = Question.objects.select_for_update().select_related("tender").get(pk=question.pk)
        tender = question.tender
        if question.answered_at is not None:
            raise Conflict(_("Cette question a déjà reçu une réponse."))
        if not tender.accepts_answers():
            raise InvalidTransition(_("Les réponses ne sont plus possibles : la remise des offres est close."),
                                    state=tender.status, allowed_transitions=allowed_actions(tender))
        question.answer = text
        question.answered_by = actor
        question.answered_at = clock.now()
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        # The question and its answer by fingerprint; never the asking company, which stays anonymous.
        audit.record(obj=tender, object_type="tender", action="answer-question", actor=actor,
                     details={"question": str(question.id), "question_sha256": _sha256_text(question.text),
                              "answer_sha256": _sha256_text(text)})
        notify_many(
            (f"question-answered:{question.id}:{email}", email, "question_answered",
             {"tender": tender, "question": question, "company_name": name})
            for email, name in _invitee_recipients(tender)
        )
    return question


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

"""Publication (R2162-49, R2162-50): the checks, the snapshot of live admissions as invitations, the invitation mails."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from procurement import calendar, clock
from procurement.errors import ValidationFailed
from procurement.models import Category, DPSStatus, DynamicPurchasingSystem
from procurement.notifications import notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import apply_transition, check_allowed
from suppliers.models import Admission, AdmissionStatus, Membership

from ..models import (
    MIN_BID_DAYS,
    CriterionKind,
    Invitation,
    Tender,
)
from .inputs import when


def live_admissions(category: Category):
    """The admissions that publication would invite now: admitted, neither suspended nor excluded."""
    return Admission.objects.filter(category=category, status=AdmissionStatus.ADMITTED)


def publication_problems(tender: Tender, *, at: dt.datetime | None = None) -> dict[str, list[str]]:
    """Every rule that stops publication now, one message each (empty when the tender can go out)."""
    at = at or clock.now()
    errors: dict[str, list[str]] = {}
    dps = tender.dps
    if dps.status != DPSStatus.OPEN:
        errors.setdefault("dps", []).append(_("Le SAD n'est pas ouvert."))
    elif not dps.first_window_over(at):
        errors.setdefault("dps", []).append(
            _("La première période de 30 jours du SAD n'est pas écoulée : aucune invitation avant le %(date)s "
              "(R2162-44).") % {"date": when(dps.first_window_ends_at)})
    minimum = calendar.add_calendar_days(at, MIN_BID_DAYS)
    if tender.bid_deadline < minimum and not tender.deadline_agreement.strip():
        errors.setdefault("bid_deadline", []).append(
            _("La date limite de remise des offres doit être au moins 10 jours après l'invitation, soit le "
              "%(date)s au plus tôt, sauf accord de tous les candidats invités enregistré (R2162-50).")
            % {"date": when(minimum)})
    if tender.bid_deadline <= at:
        errors.setdefault("bid_deadline", []).append(_("La date limite de remise des offres est déjà passée."))
    if tender.questions_deadline >= tender.bid_deadline:
        errors.setdefault("questions_deadline", []).append(
            _("La date limite des questions doit précéder la date limite de remise des offres."))
    criteria = list(tender.criteria.all())
    total = sum(c.weight for c in criteria)
    if total != 100:
        errors.setdefault("criteria", []).append(
            _("Les pondérations totalisent %(total)s au lieu de 100.") % {"total": total})
    kinds = {c.kind for c in criteria}
    if CriterionKind.ENVIRONMENTAL not in kinds:
        errors.setdefault("criteria", []).append(
            _("Au moins un critère environnemental est obligatoire (depuis le 21 août 2026)."))
    if CriterionKind.PRICE not in kinds:
        errors.setdefault("criteria", []).append(_("Un critère de prix est obligatoire."))
    if not live_admissions(tender.category).exists():
        errors.setdefault("category", []).append(
            _("Aucune entreprise n'est admise (et non suspendue) dans la catégorie « %(category)s ».")
            % {"category": tender.category.name})
    return errors


def tender_publish(*, actor, tender: Tender) -> Tender:
    """Publish and invite, in one transaction, exactly the category's live admissions at this instant."""
    require_role(actor, BUYER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("dps", "category").get(pk=tender.pk)
        check_allowed(tender, "publish")
        # The admissions are locked so that a suspension racing with publication is either before or after it.
        admissions = list(live_admissions(tender.category).select_for_update().order_by("id"))
        now = clock.now()
        problems = publication_problems(tender, at=now)
        if problems:
            raise ValidationFailed(problems)
        apply_transition(tender, "publish", actor=actor, object_type="tender", by=actor, at=now)
        Invitation.objects.bulk_create(
            [Invitation(tender=tender, company_id=a.company_id, admission=a, sent_at=now) for a in admissions],
            batch_size=500,
        )
        DynamicPurchasingSystem.objects.filter(pk=tender.dps_id, first_invitation_at__isnull=True).update(
            first_invitation_at=now)
        tender_id = tender.id
        transaction.on_commit(lambda: _queue_invitation_mails(tender_id))
    return tender


def _queue_invitation_mails(tender_id) -> None:
    from ..tasks import send_invitation_mails

    try:
        send_invitation_mails.delay(str(tender_id))
    except Exception:  # broker down: the beat sweep queues it again
        import logging

        logging.getLogger(__name__).exception("Invitation mails of %s could not be queued", tender_id)


def _invitee_recipients(tender: Tender):
    """(email, company name) of every member of every invited company."""
    return Membership.objects.filter(company__tender_invitations__tender=tender).order_by(
        "company__name", "user__email").values_list("user__email", "company__name")


def invitation_mails_queue(*, tender_id) -> int:
    """Store the invitation mail of every member of every invited company and send them (idempotent)."""
    # No row lock: rendering a thousand mails must not hold up deposits or questions on this tender. Two
    # runs at once are harmless, the unique keys keep one mail per person.
    with transaction.atomic():
        tender = Tender.objects.select_related("category", "dps").get(pk=tender_id)
        if tender.published_at is None:
            return 0
        queued = notify_many(
            (f"tender-invitation:{tender.id}:{email}", email, "tender_invitation",
             {"tender": tender, "company_name": name, "bid_deadline": when(tender.bid_deadline),
              "questions_deadline": when(tender.questions_deadline)})
            for email, name in _invitee_recipients(tender)
        )
        Tender.objects.filter(pk=tender.pk, invitations_mailed_at__isnull=True).update(
            invitations_mailed_at=clock.now())
    return queued


def invitation_mails_sweep(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Queue again the invitation mails of tenders published without them (broker down at publication)."""
    ids = list(Tender.objects.filter(published_at__lt=clock.now() - older_than,
                                     invitations_mailed_at__isnull=True).values_list("id", flat=True))
    for tender_id in ids:
        _queue_invitation_mails(tender_id)
    return len(ids)

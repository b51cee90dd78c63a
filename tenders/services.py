"""Every write on a mini-tender: drafting, publication and invitations, questions, sealed bids, opening.

Rules enforced here (DOMAIN.md, "Tenders"):
- invitations are the category's live admissions at the instant of publication, all at once (R2162-49);
- the bid deadline is at least 10 days after publication, unless agreed with every invited supplier (R2162-50);
- weights total 100, with a price criterion and an environmental one;
- a bid is sealed from its first save and readable by the buyer only after the recorded opening (R2132-9);
- the time of receipt is taken under the tender's row lock: a bid at or after the deadline is kept as
  ``late``, never evaluated (R2151-5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from procurement import audit, calendar
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import Category, DPSStatus, DynamicPurchasingSystem
from procurement.notifications import notify, notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import allowed_actions, apply_transition, check_allowed
from suppliers.evidence_files import check_upload
from suppliers.models import Admission, AdmissionStatus, Company, Membership
from suppliers.services import require_member

from . import documents as generated_documents
from . import sealing
from .models import (
    MIN_BID_DAYS,
    Bid,
    BidDocument,
    BidDocumentKind,
    BidStatus,
    Criterion,
    CriterionKind,
    EnergyLabel,
    Invitation,
    PriceLine,
    PriceMethod,
    Question,
    Tender,
    TenderDocument,
    TenderDocumentKind,
    TenderStatus,
)

CENT = Decimal("0.01")
MAX_TEXT = 10_000


# --- small parsers ---------------------------------------------------------------------------------------


def _text(data, field, errors, *, required=True, max_length=255):
    value = (data.get(field) or "").strip() if isinstance(data.get(field, ""), str) else ""
    if not isinstance(data.get(field, ""), str | type(None)):
        errors.setdefault(field, []).append(_("Texte attendu."))
    elif required and not value:
        errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            _("%(max)s caractères au plus.") % {"max": max_length})
    return value


def _decimal(value, field, errors, *, required=True, positive=False, places=CENT):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    try:
        number = Decimal(str(value).replace(" ", "").replace(",", "."))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Nombre décimal attendu (par exemple 1250.50)."))
        return None
    if number < 0 or (positive and number == 0):
        errors.setdefault(field, []).append(
            _("La valeur doit être strictement positive.") if positive else _("La valeur ne peut pas être négative."))
        return None
    if number >= Decimal("1e12"):
        errors.setdefault(field, []).append(_("Valeur trop grande."))
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _integer(value, field, errors, *, required=True, minimum=1, maximum=10_000):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Nombre entier attendu."))
        return None
    if not minimum <= number <= maximum:
        errors.setdefault(field, []).append(
            _("Valeur attendue entre %(min)s et %(max)s.") % {"min": minimum, "max": maximum})
        return None
    return number


def _moment(value, field, errors):
    if value in (None, ""):
        errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        errors.setdefault(field, []).append(_("Date et heure attendues (ISO 8601 avec fuseau horaire)."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # entered in the buyer's time zone (Europe/Paris)
    return value


def money(value) -> str:
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True) + " €"


def when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


# --- the tender ------------------------------------------------------------------------------------------


def _clean_rows(items, errors, *, field: str, key: str, clean_row, required_message: str | None = None) -> list[dict]:
    """Clean a list of rows (criteria, schedule lines): errors are keyed ``field[i].name``; ``key`` must be unique."""
    if items in (None, "") or items == []:
        if required_message:
            errors.setdefault(field, []).append(required_message)
        return []
    if not isinstance(items, list):
        errors.setdefault(field, []).append(_("Liste attendue."))
        return []
    cleaned, seen = [], set()
    for index, item in enumerate(items):
        prefix = f"{field}[{index}]"
        if not isinstance(item, dict):
            errors.setdefault(prefix, []).append(_("Ligne invalide."))
            continue
        sub: dict[str, list[str]] = {}
        row = clean_row(item, sub)
        if row.get(key) and row[key] in seen:
            sub.setdefault(key, []).append(_("« %(value)s » est utilisé deux fois.") % {"value": row[key]})
        seen.add(row.get(key))
        for name, msgs in sub.items():
            errors.setdefault(f"{prefix}.{name}", []).extend(msgs)
        if not sub:
            cleaned.append({**row, "position": index})
    return cleaned


def _criterion_row(item, sub) -> dict:
    kind = item.get("kind")
    if kind not in CriterionKind.values:
        sub.setdefault("kind", []).append(
            _("Nature inconnue ; valeurs possibles : %(values)s.") % {"values": ", ".join(CriterionKind.values)})
    return {"code": _text(item, "code", sub, max_length=30), "name": _text(item, "name", sub), "kind": kind,
            "weight": _integer(item.get("weight"), "weight", sub, minimum=1, maximum=100)}


def _price_line_row(item, sub) -> dict:
    return {"ref": _text(item, "ref", sub, max_length=30), "label": _text(item, "label", sub),
            "unit": _text(item, "unit", sub, max_length=20),
            "quantity": _decimal(item.get("quantity"), "quantity", sub, positive=True, places=Decimal("0.001"))}


def _clean_tender(data: dict, *, dps: DynamicPurchasingSystem, category: Category | None) -> tuple[dict, list, list]:
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    if dps.status != DPSStatus.OPEN:
        errors.setdefault("dps", []).append(_("Le SAD doit être ouvert pour y passer un marché spécifique."))
    if category is None or category.dps_id != dps.id:
        errors.setdefault("category", []).append(_("Choisissez une catégorie de ce SAD."))
    fields["title"] = _text(data, "title", errors)
    fields["description"] = _text(data, "description", errors, max_length=MAX_TEXT)
    operation = data.get("operation") or {}
    if not isinstance(operation, dict):
        errors["operation"] = [_("Décrivez l'opération (résidence, adresse, commune…).")]
        operation = {}
    op_errors: dict[str, list[str]] = {}
    fields["operation_name"] = _text(operation, "name", op_errors)
    fields["operation_address"] = _text(operation, "address", op_errors)
    fields["operation_commune"] = _text(operation, "commune", op_errors, max_length=100)
    insee = _text(operation, "insee_code", op_errors, max_length=5)
    if insee and not (len(insee) == 5 and (insee.isdigit() or insee[:2] in ("2A", "2B") and insee[2:].isdigit())):
        op_errors.setdefault("insee_code", []).append(_("Le code INSEE d'une commune a 5 caractères (ex. 60057)."))
    fields["operation_insee_code"] = insee
    fields["dwellings"] = _integer(operation.get("dwellings"), "dwellings", op_errors, maximum=100_000)
    for key in ("energy_label_before", "energy_label_target"):
        label = (operation.get(key) or "").strip().upper()
        if label not in EnergyLabel.values:
            op_errors.setdefault(key, []).append(_("Étiquette énergie attendue : une lettre de A à G."))
        fields[key] = label
    labels_known = {fields["energy_label_before"], fields["energy_label_target"]} <= set(EnergyLabel.values)
    if labels_known and fields["energy_label_target"] >= fields["energy_label_before"]:
        op_errors.setdefault("energy_label_target", []).append(
            _("L'étiquette visée doit être meilleure que l'étiquette actuelle."))
    for key, msgs in op_errors.items():
        errors.setdefault(f"operation.{key}", []).extend(msgs)
    fields["estimated_value"] = _decimal(data.get("estimated_value"), "estimated_value", errors, positive=True)
    fields["budget_ceiling"] = _decimal(data.get("budget_ceiling"), "budget_ceiling", errors, required=False,
                                        positive=True)
    if category is not None and category.max_contract_value and fields["estimated_value"] \
            and fields["estimated_value"] > category.max_contract_value:
        errors.setdefault("estimated_value", []).append(
            _("Le montant estimé dépasse le montant maximal des marchés de cette catégorie (%(max)s).")
            % {"max": money(category.max_contract_value)})
    fields["works_duration_weeks"] = _integer(data.get("works_duration_weeks"), "works_duration_weeks", errors,
                                              maximum=520)
    fields["questions_deadline"] = _moment(data.get("questions_deadline"), "questions_deadline", errors)
    fields["bid_deadline"] = _moment(data.get("bid_deadline"), "bid_deadline", errors)
    if fields["questions_deadline"] and fields["bid_deadline"] and \
            fields["questions_deadline"] >= fields["bid_deadline"]:
        errors.setdefault("questions_deadline", []).append(
            _("La date limite des questions doit précéder la date limite de remise des offres."))
    method = data.get("price_method") or PriceMethod.PROPORTIONAL
    if method not in PriceMethod.values:
        errors.setdefault("price_method", []).append(_("Méthode inconnue : « proportional » ou « linear »."))
    fields["price_method"] = method
    standstill = data.get("standstill", True)
    if not isinstance(standstill, bool):
        errors.setdefault("standstill", []).append(_("Vrai ou faux attendu."))
    fields["standstill"] = bool(standstill)
    fields["deadline_agreement"] = _text(data, "deadline_agreement", errors, required=False, max_length=MAX_TEXT)
    criteria = _clean_rows(data.get("criteria"), errors, field="criteria", key="code", clean_row=_criterion_row,
                           required_message=_("Indiquez les critères d'attribution et leur pondération."))
    lines = _clean_rows(data.get("price_schedule"), errors, field="price_schedule", key="ref",
                        clean_row=_price_line_row)
    from .services_evaluation import clean_evaluation_settings

    fields.update(clean_evaluation_settings(data, errors, criteria=criteria))
    if errors:
        raise ValidationFailed(errors)
    return fields, criteria, lines


def _save_children(tender: Tender, criteria: list[dict], lines: list[dict]) -> None:
    tender.criteria.all().delete()
    tender.price_lines.all().delete()
    Criterion.objects.bulk_create([Criterion(tender=tender, **c) for c in criteria])
    PriceLine.objects.bulk_create([PriceLine(tender=tender, **line) for line in lines])


def _next_reference(dps: DynamicPurchasingSystem) -> str:
    count = Tender.objects.filter(dps=dps).count()
    while True:
        count += 1
        reference = f"{dps.reference}-MS{count:03d}"
        if not Tender.objects.filter(reference=reference).exists():
            return reference


def tender_create(*, actor, dps: DynamicPurchasingSystem, category: Category | None, data: dict) -> Tender:
    require_role(actor, BUYER)
    fields, criteria, lines = _clean_tender(data, dps=dps, category=category)
    with transaction.atomic():
        DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)  # serialises the references
        tender = Tender(dps=dps, category=category, created_by=actor, reference=_next_reference(dps), **fields)
        tender.wrapped_key = sealing.new_wrapped_key(tender_id=tender.id)
        tender.save()
        _save_children(tender, criteria, lines)
        audit.record(obj=tender, object_type="tender", action="create", actor=actor, from_state="",
                     to_state=tender.status)
    return tender


def tender_update(*, actor, tender: Tender, data: dict) -> Tender:
    """Change a draft. Once published, criteria, weights and the schedule are fixed (only addenda remain)."""
    require_role(actor, BUYER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("dps", "category").get(pk=tender.pk)
        if tender.status != TenderStatus.DRAFT:
            raise InvalidTransition(
                _("Un marché publié ne se modifie plus : publiez un document modificatif."),
                state=tender.status, allowed_transitions=allowed_actions(tender))
        category = tender.category
        if "category" in data:
            category = Category.objects.filter(dps=tender.dps, pk=data["category"]).first() \
                if _is_uuid(data["category"]) else None
        merged = {**tender_as_data(tender), **data}
        fields, criteria, lines = _clean_tender(merged, dps=tender.dps, category=category)
        for key, value in fields.items():
            setattr(tender, key, value)
        tender.category = category
        tender.save()
        _save_children(tender, criteria, lines)
    return tender


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def tender_as_data(tender: Tender) -> dict:
    """A tender in the shape ``tender_create`` takes (to edit a draft or start from a copy)."""
    return {
        "title": tender.title, "description": tender.description,
        "operation": {
            "name": tender.operation_name, "address": tender.operation_address,
            "commune": tender.operation_commune, "insee_code": tender.operation_insee_code,
            "dwellings": tender.dwellings, "energy_label_before": tender.energy_label_before,
            "energy_label_target": tender.energy_label_target,
        },
        "estimated_value": tender.estimated_value, "budget_ceiling": tender.budget_ceiling,
        "works_duration_weeks": tender.works_duration_weeks,
        "questions_deadline": tender.questions_deadline, "bid_deadline": tender.bid_deadline,
        "price_method": tender.price_method, "standstill": tender.standstill,
        "deadline_agreement": tender.deadline_agreement,
        "criteria": [{"code": c.code, "name": c.name, "kind": c.kind, "weight": c.weight}
                     for c in tender.criteria.all()],
        "price_schedule": [{"ref": p.ref, "label": p.label, "unit": p.unit, "quantity": p.quantity}
                           for p in tender.price_lines.all()],
        "abnormally_low": {"method": tender.abnormally_low_method, "threshold": tender.abnormally_low_threshold},
        "tie_break": list(tender.tie_break or []),
        "delay_scored_by_panel": tender.delay_scored_by_panel,
    }


def tender_document_upload(*, actor, tender: Tender, kind: str, uploaded_file, title: str = "") -> TenderDocument:
    """Attach a consultation document; after publication it is an addendum and every invitee is told."""
    require_role(actor, BUYER)
    errors = {}
    if kind not in TenderDocumentKind.values:
        errors["kind"] = [_("Type de document inconnu.")]
    try:
        checked = check_upload(uploaded_file, max_bytes=settings.TENDER_MAX_UPLOAD_BYTES)
    except ValueError as exc:
        errors["file"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        if tender.status not in (TenderStatus.DRAFT, TenderStatus.PUBLISHED) or tender.deadline_passed():
            raise InvalidTransition(
                _("Les documents de la consultation ne peuvent plus être modifiés après la date limite."),
                state=tender.status, allowed_transitions=allowed_actions(tender))
        addendum = tender.status == TenderStatus.PUBLISHED
        document = TenderDocument(
            tender=tender, kind=kind, title=(title or "").strip()[:255], filename=checked.filename,
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256, is_addendum=addendum,
            uploaded_by=actor,
        )
        document.file.save(checked.filename, uploaded_file, save=False)
        try:
            document.save()
            audit.record(obj=tender, object_type="tender", action="publish-addendum" if addendum else "upload-document",
                         actor=actor, details={"document": str(document.id), "kind": kind, "title": document.title,
                                               "filename": document.filename, "size": document.size,
                                               "sha256": document.sha256})
        except Exception:
            document.file.delete(save=False)  # the row is rolled back: leave no orphan file in storage
            raise
        if addendum:
            notify_many(
                (f"tender-addendum:{document.id}:{email}", email, "tender_addendum",
                 {"tender": tender, "document": document, "company_name": name})
                for email, name in _invitee_recipients(tender)
            )
    return document


# --- publication -----------------------------------------------------------------------------------------


def live_admissions(category: Category):
    """The admissions that publication would invite now: admitted, neither suspended nor excluded."""
    return Admission.objects.filter(category=category, status=AdmissionStatus.ADMITTED)


def publication_problems(tender: Tender, *, at: dt.datetime | None = None) -> dict[str, list[str]]:
    """Every rule that stops publication now, one message each (empty when the tender can go out)."""
    at = at or timezone.now()
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
        now = timezone.now()
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
    from .tasks import send_invitation_mails

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
            invitations_mailed_at=timezone.now())
    return queued


def invitation_mails_sweep(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Queue again the invitation mails of tenders published without them (broker down at publication)."""
    ids = list(Tender.objects.filter(published_at__lt=timezone.now() - older_than,
                                     invitations_mailed_at__isnull=True).values_list("id", flat=True))
    for tender_id in ids:
        _queue_invitation_mails(tender_id)
    return len(ids)


# --- closing, opening, ending ----------------------------------------------------------------------------


def tenders_close_expired() -> int:
    """Scheduled: close the published tenders whose deadline has passed (bids are refused anyway)."""
    count = 0
    for tender_id in Tender.objects.filter(status=TenderStatus.PUBLISHED, bid_deadline__lte=timezone.now()) \
            .values_list("id", flat=True):
        with transaction.atomic():
            tender = Tender.objects.select_for_update().get(pk=tender_id)
            if tender.status == TenderStatus.PUBLISHED and tender.deadline_passed():
                apply_transition(tender, "close", actor=None, object_type="tender",
                                 reason=_("Date limite de remise des offres atteinte."))
                count += 1
    return count


def tender_open(*, actor, tender: Tender) -> Tender:
    """Record the opening (after the deadline only) and unseal the bids that count."""
    require_role(actor, BUYER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        now = timezone.now()
        if tender.status == TenderStatus.PUBLISHED:
            if not tender.deadline_passed(now):
                raise InvalidTransition(
                    _("Les plis ne peuvent être ouverts qu'après la date limite de remise des offres (%(date)s).")
                    % {"date": when(tender.bid_deadline)},
                    state=tender.status, allowed_transitions=allowed_actions(tender))
            apply_transition(tender, "close", actor=None, object_type="tender",
                             reason=_("Date limite de remise des offres atteinte."))
        apply_transition(tender, "open", actor=actor, object_type="tender", by=actor)
        for bid in Bid.objects.select_for_update().filter(tender=tender, status=BidStatus.SUBMITTED):
            bid.tender = tender
            try:
                content = _opened_content(bid)
            except sealing.SealingError:
                # Nothing is recorded: the opening can be done again once the key is back in place.
                raise Conflict(_("Les offres ne peuvent pas être déchiffrées : la clé maîtresse qui a scellé ce "
                                 "marché n'est pas configurée (SEALING_MASTER_KEYS). Rien n'a été enregistré."))
            apply_transition(bid, "open", actor=actor, object_type="bid", content=content)
        transaction.on_commit(lambda: generated_documents.after_opening(tender.id))
    return tender


def _opened_content(bid: Bid) -> dict:
    content = bid_content(bid)
    return {
        "total_price": Decimal(content["total_price"]) if content.get("total_price") is not None else None,
        "duration_weeks": content.get("duration_weeks"),
        "lines": content.get("lines") or [],
        "notes": content.get("notes") or "",
    }


def _end(*, actor, tender: Tender, method: str, reason: str) -> Tender:
    require_role(actor, BUYER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif de la décision.")]})
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        apply_transition(tender, method, actor=actor, object_type="tender", reason=reason.strip(),
                         note=reason.strip())
        notify_many(
            (f"tender-{method}:{tender.id}:{email}", email, "tender_ended",
             {"tender": tender, "company_name": name, "reason": reason.strip(),
              "unsuccessful": method == "declare_unsuccessful"})
            for email, name in _invitee_recipients(tender)
        )
    return tender


def tender_cancel(*, actor, tender: Tender, reason: str) -> Tender:
    return _end(actor=actor, tender=tender, method="cancel", reason=reason)


def tender_declare_unsuccessful(*, actor, tender: Tender, reason: str) -> Tender:
    return _end(actor=actor, tender=tender, method="declare_unsuccessful", reason=reason)


# --- questions -------------------------------------------------------------------------------------------


def invited_company(*, actor, tender: Tender, company: Company | None = None) -> Company:
    """The caller's company that was invited to this tender (404 when there is none: not invited)."""
    from django.http import Http404

    companies = Company.objects.filter(memberships__user=actor, tender_invitations__tender=tender)
    if company is not None:
        companies = companies.filter(pk=company.pk)
    found = list(companies[:2])
    if not found:
        raise Http404(_("Marché introuvable"))
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
        if tender.status != TenderStatus.PUBLISHED:
            raise InvalidTransition(_("Les réponses ne sont plus possibles : la remise des offres est close."),
                                    state=tender.status, allowed_transitions=allowed_actions(tender))
        question.answer = text
        question.answered_by = actor
        question.answered_at = timezone.now()
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


# --- bids ------------------------------------------------------------------------------------------------


def bid_content(bid: Bid) -> dict:
    """The unsealed content of a bid. Callers decide who may see it (see tenders.selectors)."""
    return sealing.unseal_json(bid.tender, bid.sealed_content, purpose="bid", object_id=bid.id)


def document_name(document: BidDocument) -> str:
    return sealing.unseal(document.bid.tender, document.sealed_name, purpose="bid-document-name",
                          object_id=document.id).decode()


def _clean_bid(data: dict, tender: Tender, current: dict) -> dict:
    errors: dict[str, list[str]] = {}
    content = dict(current)
    if "total_price" in data:
        total = _decimal(data.get("total_price"), "total_price", errors, required=False)
        content["total_price"] = str(total) if total is not None else None
    if "duration_weeks" in data:
        content["duration_weeks"] = _integer(data.get("duration_weeks"), "duration_weeks", errors,
                                             required=False, maximum=520)
    if "notes" in data:
        content["notes"] = _text(data, "notes", errors, required=False, max_length=MAX_TEXT)
    if "lines" in data:
        known = {line.ref for line in tender.price_lines.all()}
        prices = {}
        items = data.get("lines") or []
        if not isinstance(items, list):
            errors["lines"] = [_("Liste de lignes attendue.")]
            items = []
        for index, item in enumerate(items):
            ref = str((item or {}).get("ref", "")).strip() if isinstance(item, dict) else ""
            sub: dict[str, list[str]] = {}
            if ref not in known:
                sub["ref"] = [_("La ligne « %(ref)s » n'existe pas dans le bordereau de ce marché.") % {"ref": ref}]
            elif ref in prices:
                sub["ref"] = [_("La ligne « %(ref)s » est chiffrée deux fois.") % {"ref": ref}]
            price = _decimal(item.get("unit_price") if isinstance(item, dict) else None, "unit_price", sub,
                             required=False)
            for key, msgs in sub.items():
                errors.setdefault(f"lines[{index}].{key}", []).extend(msgs)
            if not sub:
                prices[ref] = str(price) if price is not None else None
        content["lines"] = [{"ref": line.ref, "unit_price": prices.get(line.ref)} for line in tender.price_lines.all()
                            if line.ref in prices]
    if errors:
        raise ValidationFailed(errors)
    return content


def priced_schedule(tender: Tender, content: dict) -> tuple[list[dict], Decimal]:
    """The tender's schedule with the bid's unit prices and the computed line amounts, and their sum."""
    prices = {line["ref"]: line.get("unit_price") for line in content.get("lines") or []}
    rows, total = [], Decimal("0")
    for line in tender.price_lines.all():
        unit_price = prices.get(line.ref)
        amount = None
        if unit_price not in (None, ""):
            amount = (line.quantity * Decimal(unit_price)).quantize(CENT, rounding=ROUND_HALF_UP)
            total += amount
        rows.append({"ref": line.ref, "label": line.label, "unit": line.unit, "quantity": line.quantity,
                     "unit_price": Decimal(unit_price) if unit_price not in (None, "") else None, "amount": amount})
    return rows, total


def submission_problems(tender: Tender, content: dict) -> dict[str, list[str]]:
    """What stops a bid from being submitted: missing figures, unpriced lines, a total that is not their sum."""
    errors: dict[str, list[str]] = {}
    if content.get("total_price") in (None, ""):
        errors["total_price"] = [_("Indiquez le prix total de l'offre (HT).")]
    if not content.get("duration_weeks"):
        errors["duration_weeks"] = [_("Indiquez la durée des travaux proposée (en semaines).")]
    rows, total = priced_schedule(tender, content)
    missing = [row for row in rows if row["unit_price"] is None]
    for row in missing:
        errors[f"lines.{row['ref']}"] = [
            _("Ligne %(ref)s « %(label)s » : prix unitaire manquant.") % {"ref": row["ref"], "label": row["label"]}]
    if rows and not missing and "total_price" not in errors and Decimal(content["total_price"]) != total:
        errors["total_price"] = [
            _("Le prix total (%(total)s) ne correspond pas à la somme des lignes %(refs)s (%(sum)s) : écart de "
              "%(gap)s.") % {"total": money(Decimal(content["total_price"])), "sum": money(total),
                             "refs": ", ".join(row["ref"] for row in rows),
                             "gap": money(abs(Decimal(content["total_price"]) - total))}]
    return errors


def _require_bidder(actor, bid: Bid) -> None:
    require_member(actor, bid.company)


def _empty_content() -> dict:
    # The salt makes the fingerprint of a bid impossible to guess from a price by trying values.
    return {"total_price": None, "duration_weeks": None, "lines": [], "notes": "", "salt": secrets.token_hex(16)}


def bid_create(*, actor, tender: Tender, data: dict | None = None, company: Company | None = None,
               copy_from: Bid | None = None) -> Bid:
    """Start a draft bid (sealed from this first save). ``copy_from`` starts from an earlier version."""
    company = invited_company(actor=actor, tender=tender, company=company)
    if not tender.accepts_bids():
        raise InvalidTransition(
            _("La remise des offres est close depuis le %(date)s.") % {"date": when(tender.bid_deadline)}
            if tender.status != TenderStatus.DRAFT else _("Ce marché n'est pas publié."),
            state=tender.status, allowed_transitions=allowed_actions(tender))
    base = _empty_content()
    if copy_from is not None:
        if copy_from.company_id != company.id or copy_from.tender_id != tender.id:
            raise ValidationFailed({"copy_from": [_("Offre introuvable.")]})
        base = {**bid_content(copy_from), "salt": base["salt"]}
    content = _clean_bid(data or {}, tender, base)
    with transaction.atomic():
        bid = Bid(tender=tender, company=company, created_by=actor)
        bid.sealed_content = sealing.seal_json(tender, content, purpose="bid", object_id=bid.id)
        bid.save()
        if copy_from is not None:
            for document in copy_from.documents.select_related("bid__tender"):
                copy = _prepare_document(bid=bid, tender=tender, actor=actor, kind=document.kind,
                                         name=document_name(document), data=_document_bytes(document),
                                         content_type=document.content_type, sha256=document.sha256)
                copy.save()
                _record_bid_document(bid=bid, document=copy, actor=actor, action="add-document",
                                     copied_from=str(document.id))
    return bid


def _record_bid_document(*, bid: Bid, document: BidDocument, actor, action: str, **extra) -> None:
    """A draft bid's document added or removed. Its name and bytes are sealed: the chain gets its kind, size
    and fingerprint only."""
    audit.record(obj=bid, object_type="bid", action=action, actor=actor,
                 details={"document": str(document.id), "kind": document.kind, "size": document.size,
                          "sha256": document.sha256, **extra})


def _lock_draft(actor, bid: Bid) -> tuple[Bid, Tender]:
    tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
    bid = Bid.objects.select_for_update().select_related("company").get(pk=bid.pk)
    bid.tender = tender
    _require_bidder(actor, bid)
    if bid.status != BidStatus.DRAFT:
        raise InvalidTransition(_("Une offre déposée ne se modifie plus : préparez une nouvelle version."),
                                state=bid.status, allowed_transitions=allowed_actions(bid))
    if not tender.accepts_bids():
        raise InvalidTransition(
            _("La remise des offres est close depuis le %(date)s.") % {"date": when(tender.bid_deadline)},
            state=tender.status, allowed_transitions=[])
    return bid, tender


def bid_update(*, actor, bid: Bid, data: dict) -> Bid:
    with transaction.atomic():
        bid, tender = _lock_draft(actor, bid)
        content = _clean_bid(data, tender, bid_content(bid))
        bid.sealed_content = sealing.seal_json(tender, content, purpose="bid", object_id=bid.id)
        bid.updated_at = timezone.now()
        bid.save(update_fields=["sealed_content", "updated_at"])
    return bid


def _prepare_document(*, bid, tender, actor, kind, name, data: bytes, content_type, sha256) -> BidDocument:
    """Seal a document and put its encrypted bytes in storage; the row is saved by the caller."""
    document = BidDocument(bid=bid, kind=kind, content_type=content_type, size=len(data), sha256=sha256,
                           uploaded_by=actor)
    document.sealed_name = sealing.seal(tender, name.encode(), purpose="bid-document-name", object_id=document.id)
    sealed = sealing.seal(tender, data, purpose="bid-document", object_id=document.id)
    document.file.save("sealed", ContentFile(sealed), save=False)
    return document


def _document_bytes(document: BidDocument) -> bytes:
    with document.file.open("rb") as handle:
        sealed = handle.read()
    return sealing.unseal(document.bid.tender, sealed, purpose="bid-document", object_id=document.id)


def bid_document_upload(*, actor, bid: Bid, kind: str, uploaded_file) -> BidDocument:
    """Add a document to a draft bid; it is encrypted before it reaches storage."""
    errors = {}
    if kind not in BidDocumentKind.values:
        errors["kind"] = [_("Type de document inconnu.")]
    try:
        checked = check_upload(uploaded_file, max_bytes=settings.TENDER_MAX_UPLOAD_BYTES)
    except ValueError as exc:
        errors["file"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    uploaded_file.seek(0)
    data = uploaded_file.read()
    with transaction.atomic():
        bid, tender = _lock_draft(actor, bid)
    # Encryption and the upload to storage happen outside the row locks; the draft is checked again after.
    document = _prepare_document(bid=bid, tender=tender, actor=actor, kind=kind, name=checked.filename, data=data,
                                 content_type=checked.content_type, sha256=checked.sha256)
    try:
        with transaction.atomic():
            bid, tender = _lock_draft(actor, bid)
            document.bid = bid
            document.save()
            Bid.objects.filter(pk=bid.pk).update(updated_at=timezone.now())
            _record_bid_document(bid=bid, document=document, actor=actor, action="add-document")
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def bid_document_delete(*, actor, document: BidDocument) -> None:
    with transaction.atomic():
        bid, _tender = _lock_draft(actor, document.bid)
        _record_bid_document(bid=bid, document=document, actor=actor, action="delete-document")
        storage, name = document.file.storage, document.file.name
        document.delete()
        # The sealed file leaves storage once the deletion is committed (a rollback keeps both).
        transaction.on_commit(lambda: storage.delete(name))


def document_content(document: BidDocument) -> bytes:
    """The decrypted bytes of a bid document (the caller checked who may read it)."""
    return _document_bytes(document)


def receipt(bid: Bid) -> dict:
    """The electronic receipt (arrêté of 22 March 2019): depositor, buyer, tender, time, documents, fingerprint."""
    documents = sealing.unseal_json(bid.tender, bid.sealed_receipt, purpose="bid-receipt", object_id=bid.id) \
        if bid.sealed_receipt else []
    return {
        "received_at": bid.submitted_at,
        "sha256": bid.fingerprint,
        "documents": documents,
        "depositor": {"company": bid.company.name, "identifier": bid.company.identifier,
                      "person": bid.submitted_by.email if bid.submitted_by else ""},
        "buyer": settings.BUYER_NAME,
        "tender": {"reference": bid.tender.reference, "title": bid.tender.title,
                   "object": bid.tender.description},
    }


def _fingerprint(*, bid: Bid, received_at: dt.datetime, content: dict, documents: list[dict]) -> str:
    payload = {"tender": str(bid.tender_id), "company": str(bid.company_id), "bid": str(bid.id),
               "received_at": received_at.isoformat(), "content": content, "documents": documents}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class LateBid(Conflict):
    """Raised after the late bid was recorded (and committed): the bidder gets 409."""

    title = gettext_lazy("Date limite de remise des offres dépassée")


def bid_submit(*, actor, bid: Bid) -> Bid:
    """Deposit the bid. The time of receipt is read under the tender's row lock and compared there.

    A deposit is the busiest write at a deadline: it reads what it needs in as few queries as it can (the
    bid and the company's earlier deposit locked together, the members once) and returns the bid with its
    tender, schedule and documents loaded, ready to be shown.
    """
    late_message = None
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
        locked = list(
            Bid.objects.select_for_update(of=("self",)).select_related("company")
            .filter(Q(pk=bid.pk) | Q(tender_id=bid.tender_id, company_id=bid.company_id, status=BidStatus.SUBMITTED))
        )
        bid = next(b for b in locked if b.pk == bid.pk)
        bid.tender = tender
        members = dict(Membership.objects.filter(company_id=bid.company_id).values_list("user_id", "user__email"))
        if not (actor and actor.is_authenticated and actor.pk in members):
            raise NotAllowed(_("Vous n'êtes pas membre de cette entreprise."))
        received_at = timezone.now()
        check_allowed(bid, "submit", refusal=_("Cette offre a déjà été déposée.")
                      if bid.status == BidStatus.SUBMITTED else None)
        if tender.status in (TenderStatus.DRAFT, TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL):
            raise InvalidTransition(_("Ce marché ne reçoit pas d'offres."), state=tender.status,
                                    allowed_transitions=[])
        if tender.status != TenderStatus.PUBLISHED or received_at >= tender.bid_deadline:
            apply_transition(bid, "mark_late", actor=actor, object_type="bid", by=actor, at=received_at,
                             reason=_("Reçue le %(at)s, après la date limite du %(deadline)s.")
                             % {"at": when(received_at), "deadline": when(tender.bid_deadline)})
            late_message = _(
                "Offre reçue le %(at)s, après la date limite du %(deadline)s : elle est conservée comme offre hors "
                "délai et ne sera pas examinée (R2151-5).") % {"at": when(received_at),
                                                               "deadline": when(tender.bid_deadline)}
        else:
            prefetch_related_objects([tender], "price_lines")
            prefetch_related_objects([bid], Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at")))
            content = bid_content(bid)
            problems = submission_problems(tender, content)
            if problems:
                raise ValidationFailed(problems)
            attached = list(bid.documents.all())
            for d in attached:
                d.bid = bid
            documents = [{"name": document_name(d), "sha256": d.sha256, "size": d.size} for d in attached]
            fingerprint = _fingerprint(bid=bid, received_at=received_at, content=content, documents=documents)
            sealed_receipt = sealing.seal_json(tender, documents, purpose="bid-receipt", object_id=bid.id)
            apply_transition(bid, "submit", actor=actor, object_type="bid", by=actor, at=received_at,
                             fingerprint=fingerprint, sealed_receipt=sealed_receipt)
            for previous in (b for b in locked if b.pk != bid.pk):
                apply_transition(previous, "withdraw", actor=actor, object_type="bid", action="replace",
                                 reason=_("Remplacée par l'offre déposée le %(at)s.") % {"at": when(received_at)},
                                 at=received_at, replaced_by=bid)
            # One receipt per member and per deposit (a bid withdrawn and deposited again gets a new one). The
            # mail names the documents by type and fingerprint only: stored in the outbox, their names would
            # sit in the clear in the database before the opening.
            context = {"bid": bid, "tender": tender, "receipt": receipt(bid), "attached": attached,
                       "received_at": when(received_at)}
            notify_many(((f"bid-receipt:{bid.id}:{received_at.isoformat()}:{email}", email, "bid_receipt", context)
                         for email in sorted(members.values())), fresh=True)
        transaction.on_commit(lambda: generated_documents.after_deposit(bid.id))
    if late_message:
        raise LateBid(late_message, state=BidStatus.LATE, allowed_transitions=[])
    return bid


def bid_withdraw(*, actor, bid: Bid, reason: str = "") -> Bid:
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=bid.tender_id)
        bid = Bid.objects.select_for_update().select_related("company").get(pk=bid.pk)
        bid.tender = tender
        _require_bidder(actor, bid)
        now = timezone.now()
        check_allowed(bid, "withdraw")
        if tender.deadline_passed(now) or tender.status != TenderStatus.PUBLISHED:
            raise InvalidTransition(
                _("Le retrait n'est plus possible : la date limite du %(date)s est passée.")
                % {"date": when(tender.bid_deadline)}, state=bid.status, allowed_transitions=[])
        apply_transition(bid, "withdraw", actor=actor, object_type="bid", reason=(reason or "").strip(), at=now)
    return bid

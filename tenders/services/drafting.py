"""Drafting a tender: its input, creation and edits while draft, its documents and addenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from procurement import audit, inputs
from procurement.errors import InvalidTransition, ValidationFailed
from procurement.models import Category, DPSStatus, DynamicPurchasingSystem
from procurement.notifications import notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import allowed_actions
from suppliers.evidence_files import check_upload

from .. import sealing
from ..models import (
    Criterion,
    CriterionKind,
    EnergyLabel,
    PriceLine,
    PriceMethod,
    Tender,
    TenderDocument,
    TenderDocumentKind,
)
from .inputs import MAX_TEXT, money
from .publication import _invitee_recipients

ONE_MINUTE = dt.timedelta(minutes=1)


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
    return {"code": inputs.text(item.get("code"), "code", sub, max_length=30), "name": inputs.text(item.get("name"), "name", sub), "kind": kind,
            "weight": inputs.integer(item.get("weight"), "weight", sub, minimum=1, maximum=100)}


def _price_line_row(item, sub) -> dict:
    return {"ref": inputs.text(item.get("ref"), "ref", sub, max_length=30), "label": inputs.text(item.get("label"), "label", sub),
            "unit": inputs.text(item.get("unit"), "unit", sub, max_length=20),
            "quantity": inputs.decimal(item.get("quantity"), "quantity", sub, positive=True, places=Decimal("0.001"))}


def _clean_tender(data: dict, *, dps: DynamicPurchasingSystem, category: Category | None,
                  stored: Tender | None = None) -> tuple[dict, list, list]:
    """The fields, criteria and schedule lines of a tender's input. Its deadlines must be ahead when set: at
    creation, and on a draft when changed (``stored`` is the draft as saved)."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    if dps.status != DPSStatus.OPEN:
        errors.setdefault("dps", []).append(_("Le SAD doit être ouvert pour y passer un marché spécifique."))
    if category is None or category.dps_id != dps.id:
        errors.setdefault("category", []).append(_("Choisissez une catégorie de ce SAD."))
    fields["title"] = inputs.text(data.get("title"), "title", errors)
    fields["description"] = inputs.text(data.get("description"), "description", errors, max_length=MAX_TEXT)
    operation = data.get("operation") or {}
    if not isinstance(operation, dict):
        errors["operation"] = [_("Décrivez l'opération (résidence, adresse, commune…).")]
        operation = {}
    op_errors: dict[str, list[str]] = {}
    fields["operation_name"] = inputs.text(operation.get("name"), "name", op_errors)
    fields["operation_address"] = inputs.text(operation.get("address"), "address", op_errors)
    fields["operation_commune"] = inputs.text(operation.get("commune"), "commune", op_errors, max_length=100)
    insee = inputs.text(operation.get("insee_code"), "insee_code", op_errors, max_length=5)
    if insee and not (len(insee) == 5 and (insee.isdigit() or insee[:2] in ("2A", "2B") and insee[2:].isdigit())):
        op_errors.setdefault("insee_code", []).append(_("Le code INSEE d'une commune a 5 caractères (ex. 60057)."))
    fields["operation_insee_code"] = insee
    fields["dwellings"] = inputs.integer(operation.get("dwellings"), "dwellings", op_errors, maximum=100_000)
    for key in ("energy_label_before", "energy_label_target"):
        label = (inputs.text(operation.get(key), key, op_errors, required=False, max_length=1) or "").upper()
        if key not in op_errors and label not in EnergyLabel.values:
            op_errors.setdefault(key, []).append(_("Étiquette énergie attendue : une lettre de A à G."))
        fields[key] = label
    labels_known = {fields["energy_label_before"], fields["energy_label_target"]} <= set(EnergyLabel.values)
    if labels_known and fields["energy_label_target"] >= fields["energy_label_before"]:
        op_errors.setdefault("energy_label_target", []).append(
            _("L'étiquette visée doit être meilleure que l'étiquette actuelle."))
    for key, msgs in op_errors.items():
        errors.setdefault(f"operation.{key}", []).extend(msgs)
    fields["estimated_value"] = inputs.decimal(data.get("estimated_value"), "estimated_value", errors, positive=True)
    fields["budget_ceiling"] = inputs.decimal(data.get("budget_ceiling"), "budget_ceiling", errors, required=False,
                                        positive=True)
    if category is not None and category.max_contract_value and fields["estimated_value"] \
            and fields["estimated_value"] > category.max_contract_value:
        errors.setdefault("estimated_value", []).append(
            _("Le montant estimé dépasse le montant maximal des marchés de cette catégorie (%(max)s).")
            % {"max": money(category.max_contract_value)})
    fields["works_duration_weeks"] = inputs.integer(data.get("works_duration_weeks"), "works_duration_weeks", errors,
                                              maximum=520)
    for key in ("questions_deadline", "bid_deadline"):
        value = data.get(key)
        # The wizard shows and posts deadlines to the minute: within the same minute is unchanged.
        parsed = inputs.parse_moment(value, window=False)
        unchanged = stored is not None and parsed is not None and abs(parsed - getattr(stored, key)) < ONE_MINUTE
        fields[key] = inputs.moment(value, key, errors, future=not unchanged)
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
    fields["deadline_agreement"] = inputs.text(data.get("deadline_agreement"), "deadline_agreement", errors, required=False, max_length=MAX_TEXT)
    criteria = _clean_rows(data.get("criteria"), errors, field="criteria", key="code", clean_row=_criterion_row,
                           required_message=_("Indiquez les critères d'attribution et leur pondération."))
    lines = _clean_rows(data.get("price_schedule"), errors, field="price_schedule", key="ref",
                        clean_row=_price_line_row)
    from .evaluation import clean_evaluation_settings

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
        if not tender.is_editable():
            raise InvalidTransition(
                _("Un marché publié ne se modifie plus : publiez un document modificatif."),
                state=tender.status, allowed_transitions=allowed_actions(tender))
        category = tender.category
        if "category" in data:
            category = Category.objects.filter(dps=tender.dps, pk=data["category"]).first() \
                if _is_uuid(data["category"]) else None
        merged = {**tender_as_data(tender), **data}
        fields, criteria, lines = _clean_tender(merged, dps=tender.dps, category=category, stored=tender)
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
        if not tender.accepts_documents():
            raise InvalidTransition(
                _("Les documents de la consultation ne peuvent plus être modifiés après la date limite."),
                state=tender.status, allowed_transitions=allowed_actions(tender))
        addendum = tender.documents_are_addenda()
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

"""Writes on the DPS and its categories."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import audit, calendar, clock, inputs
from .errors import Conflict, ValidationFailed
from .models import Category, DPSStatus, DynamicPurchasingSystem, EvidenceKind, Trade
from .permissions import BUYER, require_role
from .workflow import apply_transition

MAX_TURNOVER_RATIO = Decimal("1.5")  # R2142-7
# A longer decision period announced in the DPS documents before its first invitation (R2162-45).
INITIAL_DECISION_DAYS_MIN, INITIAL_DECISION_DAYS_MAX = 10, 60


@transaction.atomic
def dps_create(*, actor, reference: str, title: str, valid_until: dt.date, description: str = "",
               cpv_codes: list[str] | None = None, initial_decision_days: int | None = None) -> DynamicPurchasingSystem:
    require_role(actor, BUYER)
    errors: dict[str, list[str]] = {}
    if not (reference or "").strip():
        errors["reference"] = [_("La référence est obligatoire.")]
    if not (title or "").strip():
        errors["title"] = [_("L'intitulé est obligatoire.")]
    valid_until = inputs.day(valid_until, "valid_until", errors, required=False)
    if "valid_until" not in errors and (valid_until is None or valid_until <= clock.today()):
        errors["valid_until"] = [_("La date de fin de validité doit être postérieure à aujourd'hui.")]
    bad_cpv = [c for c in cpv_codes or [] if not re.fullmatch(r"\d{8}(-\d)?", str(c))]
    if bad_cpv:
        errors["cpv_codes"] = [_("Code CPV invalide : %(code)s (8 chiffres, éventuellement suivis de -clé).")
                               % {"code": c} for c in bad_cpv]
    initial_decision_days = inputs.integer(initial_decision_days, "initial_decision_days", errors, required=False,
                                           minimum=0, maximum=32_767)
    if initial_decision_days is not None and not (
            INITIAL_DECISION_DAYS_MIN <= initial_decision_days <= INITIAL_DECISION_DAYS_MAX):
        errors["initial_decision_days"] = [
            _("Le délai initial d'examen doit être compris entre %(min)s et %(max)s jours ouvrables.")
            % {"min": INITIAL_DECISION_DAYS_MIN, "max": INITIAL_DECISION_DAYS_MAX}]
    if errors:
        raise ValidationFailed(errors)
    if DynamicPurchasingSystem.objects.filter(reference=reference.strip()).exists():
        raise Conflict(_("Un SAD porte déjà la référence %(reference)s.") % {"reference": reference})
    dps = DynamicPurchasingSystem.objects.create(
        reference=reference.strip(), title=title.strip(), description=description or "", valid_until=valid_until,
        cpv_codes=list(cpv_codes or []), initial_decision_days=initial_decision_days, created_by=actor,
    )
    audit.record(obj=dps, object_type="dps", action="create", actor=actor, to_state=dps.status)
    return dps


@transaction.atomic
def category_create(*, actor, dps: DynamicPurchasingSystem, code: str, name: str, trade: str,
                    territories: list[str], max_contract_value=None, min_turnover=None,
                    required_evidence: list[str] | None = None, min_turnover_justification: str = "") -> Category:
    require_role(actor, BUYER)
    dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)
    errors: dict[str, list[str]] = {}
    if not dps.accepts_categories():
        raise Conflict(_("Le SAD est clos : on ne peut plus y ajouter de catégorie."), state=dps.status)
    if not (code or "").strip():
        errors["code"] = [_("Le code est obligatoire.")]
    if not (name or "").strip():
        errors["name"] = [_("Le nom est obligatoire.")]
    if trade not in Trade.values:
        errors["trade"] = [_("Corps d'état inconnu : %(trade)s.") % {"trade": trade}]
    territories = [str(t).strip().upper() for t in territories or []]
    if not territories:
        errors["territories"] = [_("Au moins un département est requis.")]
    bad = [t for t in territories if inputs.parse_departement(t) != t]
    if bad:
        errors["territories"] = [_("Département inconnu : %(code)s.") % {"code": t} for t in bad]
    kinds = list(dict.fromkeys(required_evidence or []))
    unknown = [k for k in kinds if k not in set(EvidenceKind.values)]
    if unknown:
        errors["required_evidence"] = [_("Type de justificatif inconnu : %(kind)s.") % {"kind": k} for k in unknown]
    max_value = inputs.decimal(max_contract_value, "max_contract_value", errors, required=False)
    turnover = inputs.decimal(min_turnover, "min_turnover", errors, required=False) or Decimal("0")
    if max_value and turnover > max_value * MAX_TURNOVER_RATIO and not (min_turnover_justification or "").strip():
        errors["min_turnover"] = [
            _("Le chiffre d'affaires minimal dépasse 1,5 fois le montant maximal du marché : "
              "une justification est obligatoire (article R2142-7).")
        ]
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            category = Category.objects.create(
                dps=dps, code=code.strip(), name=name.strip(), trade=trade, territories=territories,
                max_contract_value=max_value, min_turnover=turnover, required_evidence=kinds,
                min_turnover_justification=min_turnover_justification or "",
            )
    except IntegrityError:
        raise Conflict(_("Une catégorie porte déjà le code %(code)s dans ce SAD.") % {"code": code})
    audit.record(obj=dps, object_type="dps", action="add-category", actor=actor, from_state=dps.status,
                 to_state=dps.status, reason=f"{category.code} — {category.name}")
    return category


@transaction.atomic
def dps_publish(*, actor, dps: DynamicPurchasingSystem) -> DynamicPurchasingSystem:
    require_role(actor, BUYER)
    dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)
    if dps.status == DPSStatus.DRAFT:
        errors = {}
        if not dps.categories.exists():
            errors["categories"] = [_("Le SAD doit comporter au moins une catégorie avant sa publication.")]
        if dps.valid_until <= clock.today():
            errors["valid_until"] = [_("La période de validité du SAD est déjà terminée.")]
        if errors:
            raise ValidationFailed(errors)
    apply_transition(dps, "publish", actor=actor, object_type="dps")
    return dps


@transaction.atomic
def dps_terminate(*, actor, dps: DynamicPurchasingSystem, reason: str) -> DynamicPurchasingSystem:
    require_role(actor, BUYER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Un motif est obligatoire.")]})
    dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)
    apply_transition(dps, "terminate", actor=actor, object_type="dps", reason=reason)
    return dps


def dps_close_expired() -> int:
    """Close every open DPS whose validity is over (scheduled task). Returns how many were closed."""
    closed = 0
    today = clock.today()
    for pk in DynamicPurchasingSystem.objects.filter(status=DPSStatus.OPEN, valid_until__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=pk)
            if dps.status == DPSStatus.OPEN and dps.valid_until < today:
                apply_transition(dps, "close", actor=None, object_type="dps", reason=audit.message(gettext_noop("Fin de la période de validité")))
                closed += 1
    return closed


DECISION_DAYS = 10  # R2162-45: jours ouvrables to decide on an application


def decision_period_days(dps: DynamicPurchasingSystem) -> int:
    """10 jours ouvrables (R2162-45), or the longer initial period stated for the DPS before its first invitation."""
    if dps.first_invitation_at is None and dps.initial_decision_days:
        return max(DECISION_DAYS, dps.initial_decision_days)
    return DECISION_DAYS


def decision_due_for(dps: DynamicPurchasingSystem, received_at: dt.datetime) -> dt.date:
    return calendar.add_working_days(calendar.local_date(received_at), decision_period_days(dps))

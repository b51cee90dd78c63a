"""The contract (DOMAIN.md "Award"): created at the award, signed by the holder then the buyer after the
standstill, notified, and the URSSAF vigilance asked again every 6 months of the works.

- ``contract_create`` (called by ``award_approve``): number ``<tender reference>-C1``, the holder, the amount
  and duration of its bid, its priced schedule as annex;
- ``contract_sign``: the holder's company admin first, then a buyer (a buyer first → 409); both refused
  (409) before ``standstill_ends_at`` or while the holder's evidence is not valid; the second signature
  makes it ``signed`` with ``signed_at``;
- ``contract_notify`` (buyer): ``notified``; the signed contract is sent to the holder; the award notice is
  due 30 days after the date of signature (R2183-1);
- ``contracts_vigilance_reminders`` (scheduled): during the works, each 6 months after the notification, the
  holder is asked for a new URSSAF vigilance certificate (DOMAIN.md "Evidence").

Every transition is audited with the object type ``contract``; signatures with the action ``sign``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from procurement import audit, calendar, clock
from procurement.errors import Conflict
from procurement.notifications import attaches, notify, notify_many
from procurement.permissions import BUYER, require_role
from procurement.workflow import allowed_actions, apply_transition
from suppliers import evidence_checks
from suppliers.models import Membership
from suppliers.services import evidence_mark_relied_on, require_member

from .. import award_documents
from ..models import Bid, Contract, ContractParty, ContractSignature, ContractStatus, Tender
from .inputs import CENT, when

AWARD_NOTICE_DAYS = 30  # R2183-1
VIGILANCE_MONTHS = 6  # the URSSAF vigilance certificate is renewed every 6 months during the works


def _schedule(tender: Tender, bid: Bid) -> list[dict]:
    prices = {line.get("ref"): line.get("unit_price") for line in (bid.lines or [])}
    rows = []
    for line in tender.price_lines.all():
        unit_price = prices.get(line.ref)
        amount = None
        if unit_price not in (None, ""):
            amount = str((Decimal(str(unit_price)) * line.quantity).quantize(CENT))
        rows.append({"ref": line.ref, "label": line.label, "unit": line.unit, "quantity": str(line.quantity),
                     "unit_price": None if unit_price in (None, "") else str(unit_price), "amount": amount})
    return rows


def contract_create(*, tender: Tender, bid: Bid, at: dt.datetime) -> Contract:
    """The contract of an award (inside ``award_approve``'s transaction)."""
    contract = Contract.objects.create(
        number=f"{tender.reference}-C1", tender=tender, bid=bid, holder=bid.company, amount=bid.total_price,
        duration_weeks=bid.duration_weeks, schedule=_schedule(tender, bid), created_at=at,
        standstill_ends_at=tender.standstill_ends_at)
    audit.record(obj=contract, object_type="contract", action="create", actor=tender.awarded_by,
                 to_state=contract.status,
                 reason=audit.message(gettext_noop("Marché %(number)s : %(company)s, %(amount)s € HT."),
                                      number=contract.number, company=bid.company.name, amount=contract.amount))
    return contract


def _lock(contract: Contract) -> Contract:
    return (Contract.objects.select_for_update(of=("self",)).select_related("holder", "tender__category")
            .get(pk=contract.pk))


def _refusal(contract: Contract, message: str) -> Conflict:
    return Conflict(message, state=contract.status, allowed_transitions=allowed_actions(contract))


def _party(actor, contract: Contract) -> str:
    """Who signs: the holder's company admin (another member: 403), or a buyer (other staff: 403)."""
    if actor is not None and actor.is_authenticated and \
            Membership.objects.filter(user=actor, company_id=contract.holder_id).exists():
        require_member(actor, contract.holder, admin=True)
        return ContractParty.HOLDER
    require_role(actor, BUYER)
    return ContractParty.BUYER


def contract_sign(*, actor, contract: Contract) -> Contract:
    """Sign as the holder's company admin (first) or as a buyer (second)."""
    with transaction.atomic():
        contract = _lock(contract)
        party = _party(actor, contract)
        now = clock.now()
        if contract.standstill_ends_at is not None and now < contract.standstill_ends_at:
            raise _refusal(contract, _("Le marché ne peut pas être signé avant la fin du délai de suspension, le "
                                       "%(date)s (R2182-1).") % {"date": when(contract.standstill_ends_at)})
        checks = evidence_checks.winner_evidence(
            contract.holder, trade=contract.tender.category.trade,
            documents=contract.holder.documents.current())
        problems = [c for c in checks if not c.ok]
        if problems:
            raise _refusal(contract, _("Les justificatifs du titulaire ne sont pas valides : %(items)s.")
                           % {"items": "; ".join(f"{c.label} : {c.detail}" for c in problems)})
        evidence_mark_relied_on(company_id=contract.holder_id, documents=[c.document for c in checks], at=now)
        if party == ContractParty.HOLDER:
            apply_transition(contract, "sign_as_holder", actor=actor, object_type="contract", action="sign",
                             reason=audit.message(gettext_noop("Signé par le titulaire (%(email)s)."),
                                                  email=actor.email),
                             refusal=_("Le titulaire a déjà signé ce marché."))
        else:
            apply_transition(contract, "sign_as_buyer", actor=actor, object_type="contract", action="sign",
                             reason=audit.message(gettext_noop("Signé par l'acheteur (%(email)s)."),
                                                  email=actor.email),
                             refusal=_("Le titulaire signe le marché en premier, l'acheteur ensuite."), at=now)
        ContractSignature.objects.create(contract=contract, party=party, signed_by=actor, signed_at=now)
        if party == ContractParty.HOLDER:
            _mail_buyers(contract, "contract_signed_by_holder")
        else:  # signed by both: the contract again, carrying both signatures
            contract_id = contract.id
            transaction.on_commit(lambda: award_documents.after_contract_signed(contract_id))
    return contract


def _mail_buyers(contract: Contract, template: str) -> None:
    tender = contract.tender
    staff = {u.pk: u for u in (tender.created_by, tender.awarded_by) if u is not None}
    notify_many((f"{template}:{contract.id}:{user.email}", user.email, template, {"contract": contract,
                                                                                  "tender": tender})
                for user in staff.values())


def _mail_holder(contract: Contract, template: str, key: str, **context) -> None:
    notify_many(
        (f"{template}:{contract.id}:{key}:{email}", email, template,
         {"contract": contract, "tender": contract.tender, "company_name": name, **context})
        for email, name in Membership.objects.filter(company_id=contract.holder_id).order_by("user__email")
        .values_list("user__email", "company__name"))


def contract_notify(*, actor, contract: Contract) -> Contract:
    """Notify the signed contract to the holder (buyer): execution starts; the award notice is due 30 days
    after the date of signature."""
    require_role(actor, BUYER)
    with transaction.atomic():
        contract = _lock(contract)
        if contract.status != ContractStatus.SIGNED:
            raise _refusal(contract, _("Seul un marché signé par les deux parties peut être notifié."))
        now = clock.now()
        due = calendar.add_days(calendar.local_date(contract.signed_at), AWARD_NOTICE_DAYS)
        apply_transition(contract, "notify", actor=actor, object_type="contract", by=actor, at=now,
                         award_notice_due=due)
        _mail_notification(contract)
        contract_id = contract.id
        transaction.on_commit(lambda: award_documents.after_contract_notified(contract_id))
    return contract


def _mail_notification(contract: Contract) -> None:
    """The notification: the signed contract (its PDF carrying both signatures, attached when it is ready and
    small enough; else linked) to every member of the holder's company."""
    document = award_documents.signed_contract(contract)
    for email, name in Membership.objects.filter(company_id=contract.holder_id).order_by("user__email") \
            .values_list("user__email", "company__name"):
        notify(key=f"contract_notified:{contract.id}:notified:{email}", to=email, template="contract_notified",
               context={"contract": contract, "tender": contract.tender, "company_name": name,
                        "document": document, "attached": attaches(document)},
               attachment=document)


def works_end(contract: Contract) -> dt.date | None:
    if contract.notified_at is None:
        return None
    return calendar.add_days(calendar.local_date(contract.notified_at), 7 * (contract.duration_weeks or 0))


def contracts_vigilance_reminders(*, today: dt.date | None = None) -> int:
    """Scheduled: ask each holder whose works run for a new URSSAF vigilance certificate, every 6 months after
    the notification (once per period)."""
    today = today or calendar.local_date()
    asked = 0
    for contract in Contract.objects.filter(status=ContractStatus.NOTIFIED).select_related("tender", "holder"):
        end = works_end(contract)
        if end is None or today > end:
            continue
        period = calendar.months_elapsed(calendar.local_date(contract.notified_at), today) // VIGILANCE_MONTHS
        if period <= contract.vigilance_period_asked:
            continue
        with transaction.atomic():
            claimed = Contract.objects.filter(pk=contract.pk, vigilance_period_asked__lt=period) \
                .update(vigilance_period_asked=period)
            if not claimed:
                continue
            audit.record(obj=contract, object_type="contract", action="request-vigilance", actor=None,
                         from_state=contract.status, to_state=contract.status,
                         reason=audit.message(gettext_noop("Attestation de vigilance URSSAF redemandée "
                                                           "(%(months)s mois de travaux)."),
                                              months=period * VIGILANCE_MONTHS))
            _mail_holder(contract, "vigilance_renewal", str(period), months=period * VIGILANCE_MONTHS)
            asked += 1
    return asked


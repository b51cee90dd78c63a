"""The buyer's award pages, under /console/marches/.

- the award page of a tender (``award``): the live proposal, the intended winner's evidence checklist, the
  request for what it lacks (due date), the withdrawal (with the R2144-7 elimination), the four-eyes approval,
  then the letters sent to every bidder with the standstill, the debriefing requests and the contract;
- the approvals inbox (``approvals``) of the approver role;
- the debriefing requests (``debriefs``, R2181-4) with their answer form;
- the contracts (``contracts``) and a contract's page (``contract``): its signatures, the standstill, the
  buyer's signature and the notification.

Reading needs the right to read the tender's bids (``_readable_tender`` of the evaluation pages); each action
calls one service of ``tenders.services.award`` or ``tenders.services.contracts``, which decide. Buttons are
shown only when the object's state machine allows the action (``allowed_actions``) and the person holds the
role; the services refuse anything else (a proposer approving its own proposal, a buyer signing first…).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from procurement import clock
from procurement.confirmation import irreversible
from procurement.permissions import APPROVER, BUYER, has_role
from procurement.web import INVALID, OK, buyer_or_message, call_service, can_act, paginate, staff_required
from procurement.workflow import allowed_actions
from suppliers import evidence_checks

from .. import letters as letter_rules
from .. import selectors
from ..documents import generated_for_bid
from ..forms.award import EvidenceRequestForm, TextForm, WithdrawProposalForm
from ..models import Bid, ContractParty, ContractStatus, TenderStatus
from ..services import award as award_services
from ..services import contracts as contract_services
from .evaluation import _readable_tender

TENDER_STATES = dict(TenderStatus.choices)
CONTRACT_STATES = dict(ContractStatus.choices)

CHECK_LABELS = {
    evidence_checks.VALID: _lazy("Valide"),
    evidence_checks.MISSING: _lazy("Manquant"),
    evidence_checks.EXPIRED: _lazy("Expiré"),
    evidence_checks.TOO_OLD: _lazy("Trop ancien"),
    evidence_checks.NOT_MATCHING: _lazy("Ne couvre pas le corps d'état"),
}
CONTRACTS_PER_PAGE = 25
DEBRIEFS_PER_PAGE = 25


def checklist_rows(checks) -> list[dict]:
    """The winner's checklist as the pages show it (console and portal): kind, status and its words."""
    return [{"kind": c.kind, "label": c.label, "status": c.status, "status_label": CHECK_LABELS[c.status],
             "ok": c.ok, "detail": c.detail, "document": c.document} for c in checks]


# --- the award page ----------------------------------------------------------------------------------------


def _approval(user, tender, proposal, actions) -> dict:
    """Whether this person may approve, and if not, why (shown beside the approval block)."""
    is_approver = has_role(user, APPROVER)
    is_proposer = proposal is not None and proposal.proposed_by_id == user.pk
    allowed = "approve-award" in actions
    reason = ""
    if allowed and is_approver and is_proposer:
        reason = _("Vous avez proposé cette attribution : elle doit être approuvée par une autre personne ayant le "
                   "rôle approbateur (principe des quatre yeux).")
    elif allowed and not is_approver:
        reason = _("L'approbation est réservée au rôle « approbateur ».")
    return {"can_approve": allowed and is_approver and not is_proposer, "approval_refusal": reason}


def _letters(user, tender) -> list[dict]:
    rows = []
    for letter in letter_rules.letters(tender):
        bid = Bid(id=letter.bid, tender=tender, company_id=letter.company_id)  # what generated_for_bid reads
        documents = [d for d in generated_for_bid(user, bid) if d.kind == letter.kind]
        rows.append({"letter": letter, "document": documents[0] if documents else None})
    return rows


def _award_context(request, tender, *, evidence_form=None, withdraw_form=None) -> dict:
    actions = allowed_actions(tender)
    proposal = selectors.live_proposal_of(tender)
    checks = (checklist_rows(award_services.winner_checklist(tender, proposal.bid.company))
              if proposal is not None else [])
    buyer = can_act(request.user)
    contract = selectors.contracts_for_user(request.user, tender_id=tender.id).first()
    proposed = tender.status == TenderStatus.AWARD_PROPOSED
    return {
        "tender": tender, "current": "award", "can_act": buyer, "proposal": proposal,
        "proposals": [p for p in selectors.award_proposals(tender) if p.withdrawn_at is not None],
        "checks": checks, "missing": [c for c in checks if not c["ok"]],
        "can_request_evidence": buyer and proposed and any(not c["ok"] for c in checks),
        "evidence_form": evidence_form or EvidenceRequestForm(prefix="evidence"),
        "can_withdraw": buyer and "withdraw-proposal" in actions,
        "withdraw_form": withdraw_form or WithdrawProposalForm(prefix="withdraw"),
        **_approval(request.user, tender, proposal, actions),
        "letters": _letters(request.user, tender) if tender.status == TenderStatus.AWARDED else [],
        "debriefs": list(selectors.debrief_requests(request.user, tender_id=tender.id)),
        "contract": contract,
        "now": clock.now(),
    }


def _go(tender, anchor=""):
    return redirect(reverse("tenders_console:award", args=[tender.id]) + anchor)


@require_GET
@staff_required
def award(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if tender.status not in (TenderStatus.AWARD_PROPOSED, TenderStatus.AWARDED) and \
            not selectors.award_proposals(tender).exists():
        messages.info(request, _("Aucune attribution n'est proposée sur ce marché : elle se propose depuis le "
                                 "classement final."))
        return redirect("tenders_console:evaluation_ranking", tender_id=tender.id)
    return render(request, "console/award_detail.html", _award_context(request, tender))


@require_POST
@staff_required
def award_request_evidence(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if not buyer_or_message(request):
        return _go(tender)
    form = EvidenceRequestForm(request.POST, prefix="evidence")
    if form.is_valid():
        outcome, _result = call_service(request, award_services.winner_evidence_request, form=form,
                                        states=TENDER_STATES, tender=tender, due_at=form.cleaned_data["due_at"])
        if outcome == OK:
            messages.success(request, _("La demande de justificatifs est envoyée au candidat pressenti."))
        if outcome != INVALID:
            return _go(tender, "#justificatifs")
    return render(request, "console/award_detail.html", _award_context(request, tender, evidence_form=form),
                  status=400)


@require_POST
@staff_required
@irreversible(_lazy("Retirer cette proposition d'attribution ?"),
              _lazy("Si l'offre est écartée (R2144-7), ce choix est définitif : l'offre classée "
                    "ensuite pourra être proposée."))
def award_withdraw(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if not buyer_or_message(request):
        return _go(tender)
    form = WithdrawProposalForm(request.POST, prefix="withdraw")
    if form.is_valid():
        eliminate = form.cleaned_data["eliminate"]
        outcome, _result = call_service(request, award_services.award_withdraw, form=form, states=TENDER_STATES,
                                        tender=tender, reason=form.cleaned_data["reason"], eliminate=eliminate)
        if outcome == OK:
            messages.success(request, _("La proposition est retirée ; l'offre est écartée (R2144-7) : l'offre "
                                        "classée ensuite peut être proposée.") if eliminate else
                             _("La proposition est retirée : une nouvelle proposition peut être faite."))
            return redirect("tenders_console:evaluation_ranking", tender_id=tender.id)
        if outcome != INVALID:
            return _go(tender)
    return render(request, "console/award_detail.html", _award_context(request, tender, withdraw_form=form),
                  status=400)


@require_POST
@staff_required
@irreversible(_lazy("Approuver l'attribution ?"),
              _lazy("Les lettres partiront à chaque soumissionnaire et le marché sera créé ; "
                    "l'approbation est définitive."))
def award_approve(request, tender_id):
    """The approval: one message per missing or invalid evidence kind when refused (the service says which)."""
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    outcome, _result = call_service(request, award_services.award_approve, states=TENDER_STATES, tender=tender)
    if outcome == OK:
        messages.success(request, _("L'attribution est approuvée : chaque soumissionnaire reçoit sa lettre et le "
                                    "marché attend les signatures."))
    return _go(tender)


# --- the approvals inbox -------------------------------------------------------------------------------------


@require_GET
@staff_required
def approvals(request):
    rows = list(selectors.proposals_awaiting_approval(request.user))
    return render(request, "console/award_approvals.html", {
        "rows": rows, "is_approver": has_role(request.user, APPROVER)})


# --- debriefing requests (R2181-4) ---------------------------------------------------------------------------


def _debriefs_context(request, *, bound=None) -> dict:
    page, query = paginate(request, selectors.debrief_requests(request.user), DEBRIEFS_PER_PAGE)
    buyer = can_act(request.user)
    for row in page.object_list:
        row.form = None
        if buyer and not row.is_answered:
            prefix = f"d{row.pk}"
            row.form = bound if bound is not None and bound.prefix == prefix else TextForm(
                prefix=prefix, label=_("Votre réponse"))
    return {"page": page, "rows": page.object_list, "query": query, "can_act": buyer, "now": clock.now()}


@require_GET
@staff_required
def debriefs(request):
    return render(request, "console/award_debriefs.html", _debriefs_context(request))


def _answer(*, actor, row, text):
    return award_services.debrief_answer(actor=actor, request=row, text=text)


@require_POST
@staff_required
@irreversible(_lazy("Envoyer cette réponse à l'entreprise ?"),
              _lazy("La réponse part aussitôt et ne pourra plus être modifiée."))
def debrief_answer(request, request_id):
    row = selectors.debrief_request_get(user=request.user, request_id=request_id)
    if not buyer_or_message(request):
        return redirect("tenders_console:debriefs")
    form = TextForm(request.POST, prefix=f"d{row.pk}", label=_("Votre réponse"))
    if form.is_valid():
        outcome, _result = call_service(request, _answer, form=form, row=row, text=form.cleaned_data["text"])
        if outcome == OK:
            messages.success(request, _("La réponse est envoyée à %(company)s.") % {"company": row.bid.company.name})
        if outcome != INVALID:
            return redirect("tenders_console:debriefs")
    return render(request, "console/award_debriefs.html", _debriefs_context(request, bound=form), status=400)


# --- contracts -------------------------------------------------------------------------------------------------


@require_GET
@staff_required
def contracts(request):
    page, query = paginate(request, selectors.contracts_for_user(request.user), CONTRACTS_PER_PAGE)
    return render(request, "console/award_contracts.html", {"page": page, "rows": page.object_list,
                                                            "query": query, "now": clock.now()})


def contract_buttons(user, contract) -> dict:
    """The buyer's actions on a contract, as its state machine and the standstill allow them now."""
    actions = allowed_actions(contract)
    buyer = has_role(user, BUYER)
    waiting = contract.standstill_ends_at is not None and clock.now() < contract.standstill_ends_at
    return {"can_sign": buyer and "sign-as-buyer" in actions and not waiting,
            "can_notify": buyer and "notify" in actions,
            "standstill_running": waiting,
            "holder_signed": contract.signed_by_holder()}


@require_GET
@staff_required
def contract(request, contract_id):
    row = selectors.contract_get(user=request.user, contract_id=contract_id)
    bid = row.bid
    bid.tender = row.tender
    return render(request, "console/award_contract.html", {
        "contract": row, "tender": row.tender, "signatures": list(row.signatures.all()),
        "parties": dict(ContractParty.choices), "documents": list(generated_for_bid(request.user, bid)),
        **contract_buttons(request.user, row)})


def _contract_action(request, contract_id, service, done):
    row = selectors.contract_get(user=request.user, contract_id=contract_id)
    outcome, _result = call_service(request, service, states=CONTRACT_STATES, contract=row)
    if outcome == OK:
        messages.success(request, done)
    return redirect("tenders_console:contract", contract_id=row.id)


@require_POST
@staff_required
@irreversible(_lazy("Signer ce marché au nom de l'acheteur ?"),
              _lazy("La signature est définitive ; le marché pourra ensuite être notifié au "
                    "titulaire."))
def contract_sign(request, contract_id):
    return _contract_action(request, contract_id, contract_services.contract_sign,
                            _("Le marché est signé par l'acheteur : il peut être notifié au titulaire."))


@require_POST
@staff_required
@irreversible(_lazy("Notifier le marché signé au titulaire ?"),
              _lazy("L'exécution commence à la notification, qui est définitive."))
def contract_notify(request, contract_id):
    return _contract_action(request, contract_id, contract_services.contract_notify,
                            _("Le marché est notifié au titulaire : l'exécution commence. L'avis d'attribution "
                              "est à publier dans les 30 jours."))


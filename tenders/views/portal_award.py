"""The award seen from the supplier portal.

- on a bid's page (``bid_award_context``, merged into the deposited bid's page of ``tenders.views.portal``):
  the proposed winner's evidence checklist with the due date of the buyer's request and a link to deposit
  each document (the company's own evidence page); once the tender is awarded (or ended), the company's
  letter as ``tenders.letters`` writes it (its own scores and rank, the winner's name, scores and reasons,
  the earliest signature date, the 15-day right to ask for the retained bid's characteristics) and the form
  to ask for them; the holder's contract;
- the contract's page (``contract_page``) for the holder's members, and its signature by the company's admin
  (``contract_sign``: a confirmation page, then the signature; refused by the service before the end of the
  standstill, with its message).

Another company's bid, letter or contract is "not found".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from procurement import clock
from procurement.confirmation import irreversible
from procurement.web import OK, call_service
from procurement.workflow import allowed_actions
from suppliers.selectors import is_company_admin

from .. import letters as letter_rules
from .. import selectors
from ..documents import generated_for_bid
from ..forms.award import TextForm
from ..models import ContractParty, ContractStatus, TenderStatus
from ..services import award as award_services
from ..services import contracts as contract_services
from .award import checklist_rows

ENDED = (TenderStatus.AWARDED, TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL)


def debrief_form(data=None) -> TextForm:
    return TextForm(data, prefix="debrief", label=_("Votre demande"))


def bid_award_context(request, bid, *, form=None) -> dict:
    """What the award says to this bid's company, on its bid page."""
    tender = bid.tender
    context: dict = {"letter": None, "winner_checks": None, "debrief": None, "contract": None}
    if tender.status == TenderStatus.AWARD_PROPOSED:
        proposal = selectors.live_proposal_of(tender)
        if proposal is not None and proposal.bid_id == bid.id:
            context["proposal"] = proposal
            context["winner_checks"] = checklist_rows(award_services.winner_checklist(tender, bid.company))
        return context
    if tender.status not in ENDED:
        return context
    letter = letter_rules.letter_for(bid)
    debrief = selectors.debrief_of(bid)
    now = clock.now()
    may_ask = (letter is not None and letter.kind == letter_rules.REJECTION_LETTER and letter.examined
               and tender.status == TenderStatus.AWARDED and debrief is None
               and letter.debrief_until is not None and now <= letter.debrief_until)
    context.update({
        "letter": letter, "debrief": debrief, "may_ask_debrief": may_ask,
        "debrief_form": form or (debrief_form() if may_ask else None),
        "contract": selectors.contracts_for_user(request.user).filter(bid_id=bid.id).first(),
    })
    return context


# --- the contract ------------------------------------------------------------------------------------------


def _contract_context(request, contract) -> dict:
    actions = allowed_actions(contract)
    admin = is_company_admin(request.user, contract.holder)
    waiting = contract.standstill_ends_at is not None and clock.now() < contract.standstill_ends_at
    bid = contract.bid
    bid.tender = contract.tender
    return {"contract": contract, "tender": contract.tender, "signatures": list(contract.signatures.all()),
            "is_admin": admin, "standstill_running": waiting,
            "may_sign": admin and "sign-as-holder" in actions and not waiting,
            "holder_signed": contract.signed_by_holder(),
            "documents": list(generated_for_bid(request.user, bid)),
            "parties": dict(ContractParty.choices)}


@login_required
@require_http_methods(["GET"])
def contract_page(request, contract_id):
    contract = selectors.contract_get(user=request.user, contract_id=contract_id)
    return render(request, "portal/contract_detail.html", _contract_context(request, contract))


@login_required
@require_http_methods(["GET", "POST"])
@irreversible(_lazy("Signer le marché ?"),
              _lazy("La signature est définitive : vous acceptez le marché au nom de l'entreprise, "
                    "aux prix de votre offre."))
def contract_sign(request, contract_id):
    """GET: the confirmation step (what is signed, by whom, what follows). POST: the signature, which the
    service refuses before the end of the standstill, to a member who is not the company's admin, or twice."""
    if request.user.is_procurement_staff:  # the buyer signs in the console
        raise Http404(_("Marché introuvable"))
    contract = selectors.contract_get(user=request.user, contract_id=contract_id)
    if request.method == "GET":
        return render(request, "portal/contract_sign.html", _contract_context(request, contract))
    outcome, _result = call_service(request, contract_services.contract_sign, states=dict(ContractStatus.choices),
                                    contract=contract)
    if outcome == OK:
        messages.success(request, _("Vous avez signé le marché. L'acheteur le signe à son tour, puis vous le notifie : "
                                    "l'exécution commence à la notification."))
    return redirect("tenders_portal:contract", contract_id=contract.id)

"""The award pages of the console: the proposal from the ranking, the award page (evidence checklist, request,
withdrawal with the R2144-7 cascade, four-eyes approval, letters, contract), the approvals inbox, the
debriefing requests, the contracts and a contract's signature and notification.

Worked figures (``ranked_tender``): bids at 150 000 €, 160 000 € and 200 000 €; totals 85, 81.88 and 72.5.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from procurement.models import EvidenceKind
from tenders.models import AwardProposal, Bid, BidStatus, Contract, ContractStatus
from tenders.services import award as aw
from tenders.services import contracts as ct
from tests.factories import (
    StaffFactory,
    awarded_tender,
    company_owner,
    complete_winner_evidence,
    proposed_tender,
    ranked_tender,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"tenders_console:{name}", args=args)


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def after_standstill(contract):
    return time_machine.travel(contract.standstill_ends_at + dt.timedelta(minutes=1), tick=False)


# --- the proposal, from the ranking ------------------------------------------------------------------------


def test_the_ranking_offers_only_the_first_ranked_admissible_bid_and_proposing_freezes_it(client):
    ot = ranked_tender()
    first, second, _third = ot.bids
    client.force_login(ot.buyer)
    body = text(client.get(url("evaluation_ranking", ot.tender.id)))
    assert "Proposer l'attribution" in body and 'data-confirm="Proposer l' in body
    radios = re.findall(r'<input type="radio" name="bid" value="([^"]+)"', body)
    assert radios == [str(first.id)]
    assert first.company.name in body.split('id="proposition"')[1].split("</section>")[0]

    # A reason is required: the service says so, on the field, and nothing happens.
    response = client.post(url("award_propose", ot.tender.id), {"confirmed": "1", "bid": str(first.id), "reason": " "})
    assert response.status_code == 400
    assert "Indiquez le motif de la proposition" in text(response)
    assert fresh(ot.tender).status == "opened"

    # Another bid than the first-ranked is refused by the service, with its words.
    response = client.post(url("award_propose", ot.tender.id), {"confirmed": "1", "bid": str(second.id), "reason": "Meilleur"})
    assert response.status_code == 400
    assert "Seule l'offre recevable classée première peut être proposée" in text(response)

    response = client.post(url("award_propose", ot.tender.id), {"confirmed": "1", "bid": str(first.id), "reason": "Mieux-disant"})
    assert response.status_code == 302 and response["Location"] == url("award", ot.tender.id)
    assert fresh(ot.tender).status == "award_proposed"
    body = text(client.get(url("evaluation_ranking", ot.tender.id)))
    assert 'name="bid"' not in body and "Classement figé" in body and url("award", ot.tender.id) in body


def test_the_ranking_says_what_blocks_the_proposal_and_non_buyers_get_no_form(client, approver):
    ot = ranked_tender()
    Bid.objects.filter(pk=ot.bids[2].pk).update()  # untouched: all admissible with consensus
    client.force_login(approver)
    body = text(client.get(url("evaluation_ranking", ot.tender.id)))
    assert 'name="bid"' not in body and "réservée au rôle acheteur" in body
    response = client.post(url("award_propose", ot.tender.id), {"confirmed": "1", "bid": str(ot.bids[0].id), "reason": "x"})
    assert response.status_code == 302
    assert "réservée au rôle « acheteur »" in " ".join(messages_of(response))
    assert fresh(ot.tender).status == "opened"


def test_a_missing_consensus_score_is_listed_instead_of_the_form(client):
    from tenders.models import Consensus

    ot = ranked_tender()
    Consensus.objects.filter(bid=ot.bids[1], criterion__code="env").delete()
    client.force_login(ot.buyer)
    body = text(client.get(url("evaluation_ranking", ot.tender.id)))
    assert "note de consensus manquante" in body and 'name="bid"' not in body


# --- the award page ---------------------------------------------------------------------------------------


def test_the_award_page_shows_the_proposal_the_checklist_and_the_attribution_tab(client):
    ot = proposed_tender(evidence=False)
    winner = ot.bids[0].company
    complete_winner_evidence(winner, trade=ot.tender.category.trade,
                             skip=[EvidenceKind.KBIS, EvidenceKind.DECENNIAL_INSURANCE])
    from tests.factories import EvidenceDocumentFactory

    EvidenceDocumentFactory(company=winner, kind=EvidenceKind.DECENNIAL_INSURANCE, activities=["windows"])
    EvidenceDocumentFactory(company=winner, kind=EvidenceKind.KBIS,
                            issued_on=timezone.localdate() - dt.timedelta(days=120))
    client.force_login(ot.buyer)
    body = text(client.get(url("detail", ot.tender.id)))
    assert f'href="{url("award", ot.tender.id)}"' in body and "Attribution" in body
    response = client.get(url("award", ot.tender.id))
    body = text(response)
    assert winner.name in body and "Offre économiquement la plus avantageuse" in body
    table = body.split('id="evidence-checklist"')[1].split("</table>")[0]
    assert "Trop ancien" in table and "Ne couvre pas le corps d'état" in table and "Valide" in table
    assert "Demander les justificatifs manquants" in body
    assert f'action="{url("award_withdraw", ot.tender.id)}"' in body
    assert "R2144-7" in body and 'data-confirm="Retirer cette proposition' in body
    # The buyer is not an approver: no approve button.
    assert url("award_approve", ot.tender.id) not in body
    assert "réservée au rôle « approbateur »" in body


def test_the_winner_is_asked_for_its_evidence_by_a_due_date(client):
    ot = proposed_tender(evidence=False)
    client.force_login(ot.buyer)
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(url("award_request_evidence", ot.tender.id), {"evidence-due_at": past})
    assert response.status_code == 400 and "L'échéance doit être dans le futur" in text(response)
    due = (timezone.localdate() + dt.timedelta(days=8)).isoformat()
    response = client.post(url("award_request_evidence", ot.tender.id), {"evidence-due_at": due})
    assert response.status_code == 302
    proposal = AwardProposal.objects.get(tender=ot.tender)
    assert proposal.evidence_due_at is not None
    body = text(client.get(url("award", ot.tender.id)))
    assert "Justificatifs demandés le" in body and proposal.evidence_due_at.astimezone(
        timezone.get_current_timezone()).strftime("%d/%m/%Y") in body


def test_the_proposer_cannot_approve_even_with_the_approver_role_and_the_page_says_why(client):
    ot = proposed_tender()
    both = StaffFactory(roles=["buyer", "approver"])
    ot.buyer.groups.add(*both.groups.filter(name="approver"))
    proposer = fresh(ot.buyer)
    client.force_login(proposer)
    body = text(client.get(url("award", ot.tender.id)))
    assert url("award_approve", ot.tender.id) not in body
    assert "Vous avez proposé cette attribution" in body and "quatre yeux" in body
    response = client.post(url("award_approve", ot.tender.id), {"confirmed": "1"})
    assert response.status_code == 302
    assert any("quatre yeux" in m for m in messages_of(response))
    assert fresh(ot.tender).status == "award_proposed"


def test_a_buyer_without_the_approver_role_is_refused_on_post(client, buyer):
    ot = proposed_tender()
    client.force_login(buyer)
    assert url("award_approve", ot.tender.id) not in text(client.get(url("award", ot.tender.id)))
    response = client.post(url("award_approve", ot.tender.id), {"confirmed": "1"})
    assert "réservée au rôle « approbateur »" in " ".join(messages_of(response))
    assert fresh(ot.tender).status == "award_proposed"


def test_approval_is_refused_with_one_message_per_missing_or_invalid_evidence_kind(client):
    ot = proposed_tender(evidence=False)
    complete_winner_evidence(ot.bids[0].company, trade=ot.tender.category.trade,
                             skip=[EvidenceKind.KBIS, EvidenceKind.TAX_CERTIFICATE])
    client.force_login(ot.approver)
    body = text(client.get(url("award", ot.tender.id)))
    assert "data-confirm=\"Approuver l'attribution ?" in body
    response = client.post(url("award_approve", ot.tender.id), {"confirmed": "1"})
    errors = messages_of(response)
    assert len(errors) == 2
    assert any(m.startswith("Extrait Kbis") or "Kbis" in m for m in errors)
    assert any("fiscale" in m.lower() for m in errors)
    assert fresh(ot.tender).status == "award_proposed"


def test_the_approver_approves_and_the_page_lists_the_letters_the_standstill_and_the_contract(client):
    ot = proposed_tender()
    client.force_login(ot.approver)
    response = client.post(url("award_approve", ot.tender.id), {"confirmed": "1"})
    assert response.status_code == 302
    assert "L'attribution est approuvée" in " ".join(messages_of(response))
    tender = fresh(ot.tender)
    assert tender.status == "awarded"
    body = text(client.get(url("award", tender.id)))
    letters = body.split('id="letters-table"')[1].split("</table>")[0]
    for bid in ot.bids:
        assert bid.company.name in letters
    assert letters.count("Lettre de rejet") == 2 and letters.count("Lettre d'attribution") == 1
    assert "signature possible à partir du" in body
    assert timezone.localtime(tender.standstill_ends_at).strftime("%d/%m/%Y") in body
    contract = Contract.objects.get(tender=tender)
    assert url("contract", contract.id) in body and contract.number in body


def test_withdrawing_with_elimination_cascades_to_the_next_ranked_bid(client):
    ot = proposed_tender(evidence=False)
    first, second, _third = ot.bids
    client.force_login(ot.buyer)
    response = client.post(url("award_withdraw", ot.tender.id), {"confirmed": "1", "withdraw-reason": " ", "withdraw-eliminate": "on"})
    assert response.status_code == 400 and "Indiquez le motif du retrait" in text(response)
    response = client.post(url("award_withdraw", ot.tender.id),
                           {"confirmed": "1", "withdraw-reason": "Justificatifs non produits dans le délai", "withdraw-eliminate": "on"})
    assert response.status_code == 302 and response["Location"] == url("evaluation_ranking", ot.tender.id)
    assert fresh(first).status == BidStatus.ELIMINATED and fresh(ot.tender).status == "opened"
    body = text(client.get(url("evaluation_ranking", ot.tender.id)))
    assert re.findall(r'<input type="radio" name="bid" value="([^"]+)"', body) == [str(second.id)]
    body = text(client.get(url("award", ot.tender.id)))
    assert "Propositions retirées" in body and "offre écartée (R2144-7)" in body


def test_award_pages_of_another_tender_are_404_for_suppliers_and_403_for_outsider_evaluators(client, evaluator):
    ot = proposed_tender()
    _company, user = ot.bidders[0]
    client.force_login(user)
    assert client.get(url("award", ot.tender.id)).status_code == 403  # no console for suppliers
    client.force_login(evaluator)
    assert client.get(url("award", ot.tender.id)).status_code == 403  # not on this panel


# --- the approvals inbox ----------------------------------------------------------------------------------


def test_the_approvals_inbox_lists_waiting_proposals_with_a_fixed_number_of_queries(
        client, approver, django_assert_max_num_queries):
    ot = proposed_tender()
    client.force_login(approver)
    body = text(client.get(url("approvals")))
    assert f'href="{url("approvals")}" aria-current="page"' in body  # the nav entry of the approver role
    assert ot.tender.reference in body and ot.bids[0].company.name in body
    with django_assert_max_num_queries(8):
        client.get(url("approvals"))
    others = [proposed_tender() for _ in range(2)]
    with django_assert_max_num_queries(8):
        response = client.get(url("approvals"))
    assert len(response.context["rows"]) == 3
    assert all(o.tender.reference in text(response) for o in others)


def test_the_approvals_nav_entry_is_for_approvers_only(client, buyer):
    client.force_login(buyer)
    body = text(client.get(reverse("console:dashboard")))
    assert url("approvals") not in body and url("contracts") in body


def test_the_proposer_sees_its_own_proposal_flagged_in_the_inbox(client):
    ot = proposed_tender()
    client.force_login(ot.buyer)
    body = text(client.get(url("approvals")))
    assert "votre proposition : une autre personne l'approuve" in body
    assert "lecture seule" in body


# --- debriefing requests ---------------------------------------------------------------------------------


def test_open_debriefing_requests_show_on_the_dashboard_and_the_buyer_answers(client):
    ot = awarded_tender()
    loser = ot.bids[1]
    request = aw.debrief_request_create(actor=ot.bidders[1][1], bid=loser, text="Quels avantages ?")
    client.force_login(ot.buyer)
    body = text(client.get(reverse("console:dashboard")))
    block = body.split('id="debrief-requests"')[1].split("</section>")[0]
    assert ot.tender.reference in block and loser.company.name in block
    assert timezone.localtime(request.due_at).strftime("%d/%m/%Y") in block and "15 jours" in block

    body = text(client.get(url("debriefs")))
    assert "Quels avantages ?" in body and 'data-confirm="Envoyer cette réponse' in body
    response = client.post(url("debrief_answer", request.id), {"confirmed": "1", f"d{request.pk}-text": "  "})
    assert response.status_code == 400 and "Écrivez la réponse" in text(response)
    response = client.post(url("debrief_answer", request.id),
                           {"confirmed": "1", f"d{request.pk}-text": "Meilleure valeur technique et prix le plus bas."})
    assert response.status_code == 302
    assert fresh(request).answered_at is not None
    body = text(client.get(reverse("console:dashboard")))
    assert "Aucune demande n'attend de réponse." in body


# --- contracts ------------------------------------------------------------------------------------------


def test_the_contracts_list_has_a_fixed_number_of_queries(client, buyer, django_assert_max_num_queries):
    ot = awarded_tender()
    client.force_login(buyer)
    body = text(client.get(url("contracts")))
    assert ot.contract.number in body and f'href="{url("contracts")}" aria-current="page"' in body
    with django_assert_max_num_queries(9):
        client.get(url("contracts"))
    for _ in range(2):
        awarded_tender()
    with django_assert_max_num_queries(9):
        response = client.get(url("contracts"))
    assert len(response.context["rows"]) == 3


def test_the_buyer_signs_after_the_holder_and_the_standstill_then_notifies(client):
    ot = awarded_tender()
    contract = ot.contract
    holder_admin = company_owner(contract.holder)
    client.force_login(ot.buyer)
    body = text(client.get(url("contract", contract.id)))
    assert url("contract_sign", contract.id) not in body  # standstill running, holder first
    assert "Signature possible à partir du" in body and "Le titulaire signe en premier" in body
    response = client.post(url("contract_sign", contract.id), {"confirmed": "1"})
    assert "délai de suspension" in " ".join(messages_of(response))

    with after_standstill(contract):
        body = text(client.get(url("contract", contract.id)))
        assert url("contract_sign", contract.id) not in body  # the holder has not signed
        response = client.post(url("contract_sign", contract.id), {"confirmed": "1"})
        assert "Le titulaire signe le marché en premier" in " ".join(messages_of(response))
        ct.contract_sign(actor=holder_admin, contract=contract)
        body = text(client.get(url("contract", contract.id)))
        assert "data-confirm=\"Signer ce marché au nom de l'acheteur" in body
        assert url("contract_notify", contract.id) not in body
        response = client.post(url("contract_sign", contract.id), {"confirmed": "1"})
        assert fresh(contract).status == ContractStatus.SIGNED
        body = text(client.get(url("contract", contract.id)))
        assert url("contract_sign", contract.id) not in body
        assert 'data-confirm="Notifier le marché signé' in body
        client.post(url("contract_notify", contract.id), {"confirmed": "1"})
    contract = fresh(contract)
    assert contract.status == ContractStatus.NOTIFIED
    body = text(client.get(url("contract", contract.id)))
    notice = body.split('id="award-notice-due"')[1].split("</dd>")[0]
    assert contract.award_notice_due.strftime("%d/%m/%Y") in notice
    assert url("contract_notify", contract.id) not in body
    assert "Titulaire" in body and "Acheteur" in body


def test_an_evaluator_sees_the_contract_without_buttons(client, evaluator):
    ot = awarded_tender()
    client.force_login(evaluator)
    with after_standstill(ot.contract):
        ct.contract_sign(actor=company_owner(ot.contract.holder), contract=ot.contract)
        body = text(client.get(url("contract", ot.contract.id)))
    assert ot.contract.number in body and url("contract_sign", ot.contract.id) not in body


def test_unknown_contract_is_404(client, buyer):
    import uuid

    client.force_login(buyer)
    assert client.get(url("contract", uuid.uuid4())).status_code == 404




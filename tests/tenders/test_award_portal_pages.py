"""The award in the supplier portal: the proposed winner's evidence checklist and its uploads, every bidder's
result on its bid page (its letter), the debriefing request within 15 days, the holder's signature.

Worked figures (``ranked_tender``): bids at 150 000 €, 160 000 € and 200 000 €; totals 85, 81.88 and 72.5.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from procurement.models import EvidenceKind
from suppliers.models import EvidenceDocument
from tenders.models import ContractStatus, DebriefRequest
from tenders.services import award as aw
from tests.factories import (
    TINY_PDF,
    MembershipFactory,
    awarded_tender,
    complete_winner_evidence,
    proposed_tender,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def bid_url(bid):
    return reverse("tenders_portal:bid", args=[bid.id])


def text(response) -> str:
    return html.unescape(response.content.decode())


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- the proposed winner's evidence ------------------------------------------------------------------------


def test_the_proposed_winner_sees_what_is_asked_by_when_and_uploads_it(client):
    ot = proposed_tender(evidence=False)
    winner = ot.bids[0].company
    trade = ot.tender.category.trade
    complete_winner_evidence(winner, trade=trade, skip=[EvidenceKind.DECENNIAL_INSURANCE])
    aw.winner_evidence_request(actor=ot.buyer, tender=ot.tender, due_at=timezone.localdate() + dt.timedelta(days=7))
    _company, user = ot.bidders[0]
    client.force_login(user)
    body = text(client.get(bid_url(ot.bids[0])))
    block = body.split('id="justificatifs"')[1].split("</section>")[0]
    assert "Vous êtes le candidat pressenti" in block and "À déposer avant le" in block and "R2144-7" in block
    assert block.count(">Valide</span>") == 4 and "Manquant" in block
    upload = reverse("portal:documents", args=[winner.id]) + f"?type={EvidenceKind.DECENNIAL_INSURANCE}"
    assert upload in block

    # The company's own evidence page, preselected, then back to the bid page.
    page = text(client.get(upload + f"&suite={bid_url(ot.bids[0])}"))
    assert f'<option value="{EvidenceKind.DECENNIAL_INSURANCE}" selected>' in page
    assert "Retour à mon offre" in page
    response = client.post(upload, {
        "kind": EvidenceKind.DECENNIAL_INSURANCE, "issued_on": timezone.localdate().isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(), "activities": [trade],
        "suite": bid_url(ot.bids[0]) + "#justificatifs",
        "file": SimpleUploadedFile("decennale.pdf", TINY_PDF, content_type="application/pdf")})
    assert response.status_code == 302 and response["Location"] == bid_url(ot.bids[0]) + "#justificatifs"
    document = EvidenceDocument.objects.get(company=winner, kind=EvidenceKind.DECENNIAL_INSURANCE)
    assert document.activities == [trade]
    block = text(client.get(bid_url(ot.bids[0]))).split('id="justificatifs"')[1].split("</section>")[0]
    assert block.count(">Valide</span>") == 5 and "Manquant" not in block


def test_an_outside_return_address_is_ignored(client):
    ot = proposed_tender(evidence=False)
    winner, user = ot.bidders[0]
    client.force_login(user)
    response = client.post(reverse("portal:documents", args=[winner.id]), {
        "kind": EvidenceKind.TAX_CERTIFICATE, "issued_on": timezone.localdate().isoformat(),
        "suite": "https://evil.example/", "file": SimpleUploadedFile("fisc.pdf", TINY_PDF)})
    assert response.status_code == 302 and response["Location"] == reverse("portal:documents", args=[winner.id])


def test_other_bidders_see_no_checklist(client):
    ot = proposed_tender()
    client.force_login(ot.bidders[1][1])
    body = text(client.get(bid_url(ot.bids[1])))
    assert 'id="justificatifs"' not in body and "candidat pressenti" not in body


# --- the result on every bid page --------------------------------------------------------------------------


def test_a_losing_bidder_reads_its_letter_and_never_another_losers_scores(client):
    ot = awarded_tender()
    winner, second, third = ot.bids
    client.force_login(ot.bidders[1][1])
    body = text(client.get(bid_url(second)))
    result = body.split('id="resultat"')[1].split("</section>")[0]
    assert "Votre offre n'est pas retenue" in result
    assert "Rang 2 sur 3" in result and "81,88" in result
    assert f"L'offre retenue : {winner.company.name}" in result and "85,00" in result
    assert "Motifs du choix" in result and "Méthodologie détaillée" in result
    assert "ne sera pas signé avant le" in result and "R2182-1" in result
    assert "15 jours" in result and "R2181-4" in result
    assert third.company.name not in body and "72,5" not in body
    assert 'data-confirm="Envoyer cette demande' in result


def test_the_winner_reads_its_award_letter_and_finds_its_contract(client):
    ot = awarded_tender()
    client.force_login(ot.bidders[0][1])
    body = text(client.get(bid_url(ot.bids[0])))
    result = body.split('id="resultat"')[1].split("</section>")[0]
    assert "Votre offre est retenue" in result and "Rang 1 sur 3" in result
    assert reverse("tenders_portal:contract", args=[ot.contract.id]) in result
    assert "Demander les motifs détaillés" not in result
    assert ot.bids[1].company.name not in body


def test_another_companys_bid_and_contract_are_404(client):
    ot = awarded_tender()
    client.force_login(ot.bidders[1][1])
    assert client.get(bid_url(ot.bids[0])).status_code == 404
    assert client.get(bid_url(ot.bids[2])).status_code == 404
    assert client.get(reverse("tenders_portal:contract", args=[ot.contract.id])).status_code == 404
    assert client.post(reverse("tenders_portal:contract_sign", args=[ot.contract.id]), {"confirmed": "1"}).status_code == 404
    assert client.post(reverse("tenders_portal:bid_debrief", args=[ot.bids[2].id]), {"confirmed": "1", "debrief-text": "x"}) \
        .status_code == 404


# --- debriefing ------------------------------------------------------------------------------------------


def test_a_rejected_bidder_asks_for_the_detailed_reasons_once_within_15_days(client):
    ot = awarded_tender()
    second = ot.bids[1]
    client.force_login(ot.bidders[1][1])
    target = reverse("tenders_portal:bid_debrief", args=[second.id])
    response = client.post(target, {"confirmed": "1", "debrief-text": "  "})
    assert response.status_code == 400 and "Écrivez votre demande" in text(response)
    response = client.post(target, {"confirmed": "1", "debrief-text": "Quels sont les avantages de l'offre retenue ?"})
    assert response.status_code == 302
    request = DebriefRequest.objects.get(bid=second)
    body = text(client.get(bid_url(second)))
    assert "Vous avez demandé le" in body and "L'acheteur doit vous répondre avant le" in body
    assert 'name="debrief-text"' not in body
    response = client.post(target, {"confirmed": "1", "debrief-text": "Encore ?"})
    assert "Une demande a déjà été faite" in " ".join(messages_of(response))
    aw.debrief_answer(actor=ot.buyer, request=request, text="Valeur technique supérieure.")
    assert "Valeur technique supérieure." in text(client.get(bid_url(second)))


def test_after_15_days_the_form_is_gone_and_a_request_is_refused(client):
    ot = awarded_tender()
    third = ot.bids[2]
    with time_machine.travel(fresh(ot.tender).letters_sent_at + dt.timedelta(days=16), tick=False):
        client.force_login(ot.bidders[2][1])  # a session of 16 days ago would have expired
        body = text(client.get(bid_url(third)))
        assert 'name="debrief-text"' not in body and "a expiré le" in body
        response = client.post(reverse("tenders_portal:bid_debrief", args=[third.id]), {"confirmed": "1", "debrief-text": "Motifs ?"})
    assert "Le délai de 15 jours pour cette demande a expiré" in " ".join(messages_of(response))
    assert not DebriefRequest.objects.filter(bid=third).exists()


# --- the holder's signature ------------------------------------------------------------------------------


def test_the_holder_admin_signs_after_the_standstill_through_a_confirmation_step(client):
    ot = awarded_tender()
    contract = ot.contract
    _company, admin = ot.bidders[0]
    page_url = reverse("tenders_portal:contract", args=[contract.id])
    sign_url = reverse("tenders_portal:contract_sign", args=[contract.id])
    client.force_login(admin)
    body = text(client.get(page_url))
    assert "Vous pourrez signer à partir du" in body and sign_url not in body
    body = text(client.get(sign_url))
    assert "ne peut pas être signé avant le" in body and "Je signe" not in body
    response = client.post(sign_url, {"confirmed": "1"})
    assert response.status_code == 302
    assert "avant la fin du délai de suspension" in " ".join(messages_of(response))
    assert not contract.signatures.exists()

    with time_machine.travel(contract.standstill_ends_at + dt.timedelta(minutes=1), tick=False):
        assert sign_url in text(client.get(page_url))
        body = text(client.get(sign_url))
        assert "Je signe le marché" in body and 'data-confirm="Signer le marché' in body
        assert contract.holder.name in body and re.search(r"150\D000,00 € HT", body)
        response = client.post(sign_url, {"confirmed": "1"})  # what the confirmation step's form sends
        assert "Vous avez signé le marché" in " ".join(messages_of(response))
        body = text(client.get(page_url))
    assert contract.signatures.get().party == "holder"
    assert fresh(contract).status == ContractStatus.AWAITING_SIGNATURES
    assert "Vous avez signé" in body and sign_url not in body


def test_a_member_who_is_not_the_admin_cannot_sign(client):
    ot = awarded_tender()
    contract = ot.contract
    member = MembershipFactory(company=contract.holder).user
    client.force_login(member)
    with time_machine.travel(contract.standstill_ends_at + dt.timedelta(minutes=1), tick=False):
        body = text(client.get(reverse("tenders_portal:contract", args=[contract.id])))
        assert "réservée aux administrateurs" in body
        response = client.post(reverse("tenders_portal:contract_sign", args=[contract.id]), {"confirmed": "1"})
    assert "administrateurs de l'entreprise" in " ".join(messages_of(response))
    assert not contract.signatures.exists()


def test_a_late_bidder_is_told_its_bid_was_not_examined_and_has_no_debriefing_form(client):
    ot = awarded_tender(late=1)
    [late] = ot.late_bids
    _company, user = ot.outsiders[0]
    client.force_login(user)
    body = text(client.get(bid_url(late)))
    result = body.split('id="resultat"')[1].split("</section>")[0]
    assert "n'a pas été examinée" in result and "R2151-5" in result
    assert 'name="debrief-text"' not in result and "Rang" not in result
    assert ot.bids[0].company.name not in result

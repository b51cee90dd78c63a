from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from stdnum.fr import siret

from procurement import audit
from procurement.models import DPSStatus, DynamicPurchasingSystem
from suppliers.models import (
    Admission,
    AdmissionStatus,
    Application,
    ApplicationStatus,
    Company,
    EvidenceDocument,
)


@pytest.mark.django_db(transaction=True)
def test_it_loads_a_programme_in_every_state_and_prints_the_accounts():
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)

    dps = DynamicPurchasingSystem.objects.get()
    assert dps.status == DPSStatus.OPEN and dps.first_window_over()
    assert {c.trade for c in dps.categories.all()} >= {
        "external_wall_insulation", "windows", "heating", "ventilation", "roof_insulation", "electrical"}
    assert {t for c in dps.categories.all() for t in c.territories} == {"02", "59", "60", "62", "80"}
    companies = Company.objects.all()
    assert companies.count() == 40
    assert all(siret.is_valid(c.siret) for c in companies)
    assert EvidenceDocument.objects.count() >= 80
    states = set(Application.objects.values_list("status", flat=True))
    assert states == set(ApplicationStatus.values)
    assert set(Admission.objects.values_list("status", flat=True)) == set(AdmissionStatus.values)
    assert audit.verify().valid
    _assert_the_evaluation_stages()
    _assert_the_award_stages()
    printed = out.getvalue()
    assert "acheteur@sad-renovation.fr" in printed and "fournisseur@demo.fr" in printed

    again = StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert Company.objects.count() == 40 and "--if-empty" in again.getvalue()


def _assert_the_evaluation_stages():
    """A tender being scored and one whose ranking is frozen, made through the services."""
    from tenders.models import Bid, BidStatus, Consensus, PanelMember, RankingSnapshot, Score, TenderStatus

    snapshot = RankingSnapshot.objects.get(tender__status=TenderStatus.OPENED)  # frozen, no proposal yet
    frozen = snapshot.tender
    panel = list(PanelMember.objects.filter(tender=frozen))
    assert len(panel) == 2 and all(m.declared and m.submitted for m in panel)
    admissible = Bid.objects.filter(tender=frozen, status=BidStatus.ADMISSIBLE).count()
    assert admissible >= 2 and Consensus.objects.filter(bid__tender=frozen).count() == admissible * 2
    assert [row["rank"] for row in snapshot.rows] == list(range(1, admissible + 1))
    assert {"freeze-ranking", "scores-submit", "declare-impartiality"} <= {
        e.action for e in audit.history("tender", frozen.id)}

    scoring = Bid.objects.get(status=BidStatus.JUSTIFICATION_REQUESTED).tender_id
    seats = {m.evaluator.email: m for m in PanelMember.objects.filter(tender_id=scoring).select_related("evaluator")}
    assert not seats["evaluateur@sad-renovation.fr"].declared  # the demo evaluator starts at the declaration
    assert seats["evaluatrice@sad-renovation.fr"].declared and not seats["evaluatrice@sad-renovation.fr"].submitted
    assert Score.objects.filter(bid__tender_id=scoring).exists()
    waiting = Bid.objects.get(tender_id=scoring, status=BidStatus.JUSTIFICATION_REQUESTED)
    assert waiting.company.memberships.filter(user__email="fournisseur@demo.fr").exists()
    assert waiting.requests.get().responded_at is None


def _assert_the_award_stages():
    """A tender whose award is proposed, one awarded with its letters and standstill, one whose contract is
    signed by both parties after the standstill, made through the award services."""
    from tenders.models import (
        AwardProposal,
        BidStatus,
        Contract,
        ContractStatus,
        DebriefRequest,
        Tender,
        TenderStatus,
    )

    proposed = Tender.objects.get(status=TenderStatus.AWARD_PROPOSED)
    proposal = AwardProposal.objects.get(tender=proposed, withdrawn_at__isnull=True)
    assert proposal.proposed_by.email == "acheteur@sad-renovation.fr"

    awarded = Tender.objects.filter(status=TenderStatus.AWARDED).order_by("awarded_at")
    assert awarded.count() == 2
    signed_tender, letters_tender = awarded
    for tender in awarded:
        assert tender.awarded_by.email == "approbateur@sad-renovation.fr" and tender.letters_sent_at
        assert tender.bids.filter(status=BidStatus.AWARDED).count() == 1
        assert tender.bids.filter(status=BidStatus.NOT_RETAINED).count() >= 1
        assert {"propose-award", "approve-award"} <= {e.action for e in audit.history("tender", tender.id)}

    contract = Contract.objects.get(tender=signed_tender)
    assert contract.status == ContractStatus.SIGNED
    assert [s.party for s in contract.signatures.order_by("signed_at")] == ["holder", "buyer"]
    assert min(s.signed_at for s in contract.signatures.all()) >= contract.standstill_ends_at

    letters_contract = Contract.objects.get(tender=letters_tender)
    assert letters_contract.status == ContractStatus.AWAITING_SIGNATURES
    assert letters_tender.standstill_ends_at > timezone.now()  # the standstill still runs
    demo_bid = letters_tender.bids.get(company__memberships__user__email="fournisseur@demo.fr")
    assert demo_bid.status == BidStatus.NOT_RETAINED
    request = DebriefRequest.objects.get(bid__tender=letters_tender)
    assert request.answered_at is None and request.bid != demo_bid

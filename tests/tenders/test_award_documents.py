"""The documents of the award: analysis report, award and rejection letters, contract (two signatures),
award notice; what each carries, who may fetch it, and that the hooks and the task make each one once."""

import datetime as dt
import io
import json

import pikepdf
import pypdf
import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from procurement.documents import services as document_services
from procurement.documents import signing, verification
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument, OutboundEmail
from tenders.services import award as aw
from tenders.services import contracts as ct
from tenders.services.evaluation import bid_classify, bid_respond, justification_request
from tests.factories import StaffFactory, complete_winner_evidence, ranked_tender

pytestmark = pytest.mark.django_db

PRICES = ("120000.00", "160000.00", "200000.00", "170000.00")
JUSTIFICATION = "Matériaux achetés en gros avant la hausse ; équipe déjà sur place pour la résidence voisine."


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _ready(document) -> bytes:
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY, document.error
    return document_services.document_content(document)


def _documents(kind, **filters):
    return list(GeneratedDocument.objects.filter(kind=kind, **filters).order_by("version"))


@pytest.fixture
def case(django_capture_on_commit_callbacks):
    """Four opened bids and a late one. The cheapest (120 000) is suspected abnormally low: asked to justify,
    it answers and is kept admissible; the fourth is classed irregular. The cheapest is proposed (analysis
    report v1) and the award approved (letters, analysis report v2, contract), documents generated in-process."""
    ot = ranked_tender(PRICES, late=1, consensus=[{"tech": "7", "env": "7"}, {"tech": "8", "env": "6"},
                                                  {"tech": "6", "env": "5"}, {"tech": "5", "env": "5"}])
    cheapest, second, third, irregular = ot.bids
    justification_request(actor=ot.buyer, bid=cheapest, message="Justifiez le prix du poste 1.1.",
                          due_at=timezone.now() + dt.timedelta(days=5))
    bid_respond(actor=ot.bidders[0][1], bid=cheapest, text=JUSTIFICATION)
    cheapest.refresh_from_db()
    bid_classify(actor=ot.buyer, bid=cheapest, decision="admissible", reason="Justification convaincante.")
    irregular.refresh_from_db()
    bid_classify(actor=ot.buyer, bid=irregular, decision="irregular", reason="Bordereau incomplet : poste 2.2.")
    complete_winner_evidence(cheapest.company, trade=ot.tender.category.trade)
    with django_capture_on_commit_callbacks(execute=True):
        aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=cheapest, reason="Offre la mieux classée")
    ot.approver = StaffFactory(roles=["approver"], first_name="Claire", last_name="Approbatrice")
    with django_capture_on_commit_callbacks(execute=True):
        ot.contract = aw.award_approve(actor=ot.approver, tender=ot.tender)
    ot.tender.refresh_from_db()
    for bid in ot.bids + ot.late_bids:
        bid.refresh_from_db()
    return ot


def test_the_analysis_report_is_made_at_the_proposal_and_again_at_the_approval(case):
    first, second = _documents(DocumentKind.ANALYSIS_REPORT, object_id=case.tender.id)
    assert (first.version, second.version, first.key) == (1, 2, second.key)
    assert first.company_id is None and not first.sealed
    assert "Proposition d'attribution (en attente d'approbation)" in _text(_ready(first))
    assert not first.data["approved"] and second.data["approved"]

    text = _text(_ready(second))
    cheapest, second_bid, third, irregular = case.bids
    assert "Rapport d'analyse des offres" in text and case.tender.reference in text
    # Every bid classified, with its reason; the late one not examined.
    for bid in case.bids + case.late_bids:
        assert bid.company.name in text
    assert "Bordereau incomplet : poste 2.2." in text and "Irrégulière" in text and "L2152-2" in text
    assert "non examinée (R2151-5)" in text
    # Abnormally low: detection, request, answer, decision.
    assert "Présumée anormalement basse" in text and "Justifiez le prix du poste 1.1." in text
    assert JUSTIFICATION in text and "Décision : justification admise" in text
    suspected = next(b for b in second.data["classification"] if b["bid"] == str(cheapest.id))
    assert suspected["abnormally_low"]["suspected"] and suspected["abnormally_low"]["decision"] == "accepted"
    # Each criterion's scores per evaluator, and the consensus with its rationale.
    assert case.evaluator.email in text or (case.evaluator.get_full_name() or "§") in text
    assert "Méthodologie détaillée, planning réaliste." in text and "Isolant biosourcé" in text
    tech = next(c for c in second.data["panel_scores"] if c["code"] == "tech")
    assert {line["company"]: line["consensus"] for line in tech["lines"]} == {
        cheapest.company.name: "7.00", second_bid.company.name: "8.00", third.company.name: "6.00"}
    assert all(line["scores"] == [{"evaluator": case.evaluator.get_full_name() or case.evaluator.email,
                                   "email": case.evaluator.email, "score": "7.0", "comment": ""}]
               for line in tech["lines"])
    # Price scores with the formula, weighted totals, ranking, tie-break.
    assert "N = 10 × Pmin / P" in text and "10 × 120000.00 / 160000.00 = 7.50" in text
    rows = {row["company"]: row for row in second.data["ranking"]}
    assert (rows[cheapest.company.name]["rank"], rows[cheapest.company.name]["price_score"]) == (1, "10.00")
    assert rows[second_bid.company.name]["price_formula"] == "10 × 120000.00 / 160000.00 = 7.50"
    assert [row["rank"] for row in second.data["ranking"]] == [1, 2, 3]
    assert "Règle de départage" in text and "le prix total le plus bas" in text and "l'offre reçue la première" in text
    # The proposal and its approval.
    assert "Offre la mieux classée" in text and case.buyer.email in text
    assert case.approver.email in text and "quatre yeux" in text


def test_the_winner_gets_its_award_letter_with_the_amount_the_signature_and_the_standstill(case):
    winner = case.bids[0]
    [letter] = _documents(DocumentKind.AWARD_LETTER)
    assert letter.company_id == winner.company_id and letter.params["bid"] == str(winner.id)
    text = _text(_ready(letter))
    ends = timezone.localtime(case.tender.standstill_ends_at)
    assert "Lettre d'attribution" in text and winner.company.name in text
    assert "120 000,00 € HT" in text and case.contract.number in text
    assert "signature est possible à partir du" in text and f"{ends:%H:%M:%S}" in text and "R2182-1" in text
    assert "signe en premier" in text
    for other in case.bids[1:]:
        assert other.company.name not in text


def test_each_rejection_letter_carries_every_item_of_r2181_and_no_other_bidders_scores(case):
    winner, second, third, irregular = case.bids
    letters = {d.company_id: d for d in _documents(DocumentKind.REJECTION_LETTER)}
    assert set(letters) == {second.company_id, third.company_id, irregular.company_id,
                            case.late_bids[0].company_id}

    text = _text(_ready(letters[second.company_id]))
    data = letters[second.company_id].data
    report = GeneratedDocument.objects.filter(kind=DocumentKind.ANALYSIS_REPORT).order_by("version").last()
    totals = {row["bid"]: row["total"] for row in report.data["ranking"]}
    own_total = totals[str(second.id)]
    assert data["own"]["rank"] == 2 and data["own"]["total"] == own_total  # the report's figure
    assert "n'est pas retenue" in text and "R2181-1" in text
    assert "classée 2e sur 3" in text.replace("2 e", "2e") and own_total.replace(".", ",") in text
    assert "7,50" in text  # its own price score
    assert winner.company.name in text and "85,00" in text  # the winner's name and total
    assert "Méthodologie détaillée, planning réaliste." in text  # the reasons for the choice
    ends = timezone.localtime(case.tender.standstill_ends_at)
    assert "ne sera pas signé avant le" in text and f"{ends:%H:%M:%S}" in text
    assert "R2181-4" in text and "15 jours" in text
    # The remedies of a private-law buyer (an ESH): the judicial courts, not the administrative ones.
    assert "référé précontractuel devant le président du tribunal judiciaire" in text
    assert "ordonnance n° 2009-515" in text and "administratif" not in text
    # Never another bidder's scores: neither the third's name nor its total.
    third_total = totals[str(third.id)]
    assert third.company.name not in text and third_total.replace(".", ",") not in text
    assert third.company.name not in json.dumps(data)

    irregular_text = _text(_ready(letters[irregular.company_id]))
    assert "Irrégulière" in irregular_text and "Bordereau incomplet : poste 2.2." in irregular_text
    assert second.company.name not in irregular_text
    late_text = _text(_ready(letters[case.late_bids[0].company_id]))
    assert "n'a pas été examinée" in late_text and "R2151-5" in late_text


def test_the_letter_is_mailed_once_with_its_pdf_and_the_letter_mail_stays(case):
    second = case.bids[1]
    letter = next(d for d in _documents(DocumentKind.REJECTION_LETTER) if d.company_id == second.company_id)
    with_pdf = [m for m in mail.outbox if letter.reference in m.body]
    assert len(with_pdf) == 1 and with_pdf[0].attachments[0][2] == "application/pdf"
    assert with_pdf[0].attachments[0][1] == _ready(letter)
    assert "Lettre de rejet" in with_pdf[0].subject
    letter_mail = OutboundEmail.objects.get(key__startswith=f"rejection_letter:{case.tender.id}:{second.id}:")
    assert "courriel séparé" in letter_mail.body and letter_mail.attachment_id is None


def test_pdfa_markers_and_embedded_data_equal_the_stored_data(case):
    for kind in (DocumentKind.ANALYSIS_REPORT, DocumentKind.AWARD_LETTER, DocumentKind.REJECTION_LETTER,
                 DocumentKind.CONTRACT):
        document = _documents(kind)[-1]
        with pikepdf.open(io.BytesIO(_ready(document))) as pdf:
            meta = pdf.open_metadata()
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B"), kind
            assert json.loads(pdf.attachments["data.json"].get_file().read_bytes()) == document.data, kind


def test_the_contract_is_signed_by_both_parties_in_a_new_version_with_two_valid_signatures(
        case, django_capture_on_commit_callbacks):
    [unsigned] = _documents(DocumentKind.CONTRACT)
    assert unsigned.company_id == case.bids[0].company_id and unsigned.params["stage"] == "award"
    text = _text(_ready(unsigned))
    holder = case.bids[0].company
    assert "Acte d'engagement" in text and case.contract.number in text
    assert holder.name in text and holder.siret in text and "Habitat Hauts-de-France ESH" in text
    assert "120 000,00 € HT" in text and "144 000,00 € TTC" in text and "TVA (20,0 %)" in text
    assert f"{case.contract.duration_weeks} semaines" in text
    assert "bordereau des prix" in text and "1.1" in text and "En attente des signatures" in text
    assert not [m for m in mail.outbox if unsigned.reference in m.body]  # the contract goes with the notification

    holder_user = case.bidders[0][1]
    with time_machine.travel(case.contract.standstill_ends_at + dt.timedelta(minutes=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        ct.contract_sign(actor=holder_user, contract=case.contract)
        assert len(_documents(DocumentKind.CONTRACT)) == 1  # one signature: nothing new yet
        ct.contract_sign(actor=case.buyer, contract=case.contract)
    first, signed = _documents(DocumentKind.CONTRACT)
    assert signed.version == 2 and signed.params["stage"] == "signed"
    pdf = _ready(signed)
    text = _text(pdf)
    assert "Acceptation du titulaire" in text and "Signature de l'acheteur" in text
    assert holder_user.email in text.replace(" ", "") and case.buyer.email in text.replace(" ", "")

    result = verification.verify_pdf(pdf, trust_roots=[signing.signer_certificate()])
    assert result.intact and result.valid and len(result.signatures) == 2
    holder_sig, buyer_sig = result.signatures
    assert holder_sig["field"] == "AcceptationTitulaire" and holder.name in holder_sig["reason"]
    assert holder_user.email in holder_sig["reason"] and holder_sig["contact"] == holder_user.email
    assert buyer_sig["field"] == "SignatureAcheteur" and case.buyer.email in buyer_sig["reason"]
    assert all(s["intact"] and s["valid"] for s in result.signatures)

    answer = APIClient().post("/api/v1/documents/verify/", {"file": io.BytesIO(pdf)}, format="multipart").json()
    assert answer["intact"] and answer["issued_by_platform"] and answer["document"]["version"] == 2
    assert [s["field"] for s in answer["signatures"]] == ["AcceptationTitulaire", "SignatureAcheteur"]

    tampered = bytearray(pdf)
    index = pdf.index(b"stream", len(pdf) // 4) + 40
    tampered[index] ^= 0x01
    broken = APIClient().post("/api/v1/documents/verify/", {"file": io.BytesIO(bytes(tampered))},
                              format="multipart").json()
    assert broken["signed"] and broken["intact"] is False and broken["issued_by_platform"] is False

    # The notification carries the signed contract; the award notice follows.
    with time_machine.travel(case.contract.standstill_ends_at + dt.timedelta(days=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        ct.contract_notify(actor=case.buyer, contract=case.contract)
    [notified] = [m for m in mail.outbox if m.subject.startswith("Notification du marché") and
                  m.to == [holder_user.email]]
    assert notified.attachments and notified.attachments[0][1] == pdf
    [notice] = _documents(DocumentKind.AWARD_NOTICE)
    notice_text = _text(_ready(notice))
    case.contract.refresh_from_db()
    assert "Avis d'attribution" in notice_text and "Habitat Hauts-de-France ESH" in notice_text
    assert holder.name in notice_text and "120 000,00 € HT" in notice_text and case.tender.title in notice_text
    assert notice.data["bids_received"] == 4 and notice.data["late_bids"] == 1
    signed_on = timezone.localtime(case.contract.signed_at)
    from procurement.documents.formatting import date

    assert f"Date de signature {date(signed_on)}" in notice_text
    assert notice.company_id is None


def test_a_bidder_downloads_its_letter_and_gets_404_on_anothers_staff_see_everything(case, client):
    second, third = case.bids[1], case.bids[2]
    letters = {d.company_id: d for d in _documents(DocumentKind.REJECTION_LETTER)}
    mine, theirs = letters[second.company_id], letters[third.company_id]
    user = case.bidders[1][1]
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(f"/api/v1/generated-documents/{mine.id}/download/").status_code == 200
    assert api.get(f"/api/v1/generated-documents/{theirs.id}/download/").status_code == 404
    report = _documents(DocumentKind.ANALYSIS_REPORT)[-1]
    assert api.get(f"/api/v1/generated-documents/{report.id}/download/").status_code == 404
    listed = api.get(f"/api/v1/tenders/{case.tender.id}/generated-documents/").json()["results"]
    assert {d["kind"] for d in listed} <= {"receipt", "rejection_letter"}
    assert str(mine.id) in {d["id"] for d in listed} and str(theirs.id) not in {d["id"] for d in listed}

    client.force_login(user)
    page = client.get(reverse("tenders_portal:bid", kwargs={"bid_id": second.id})).content.decode()
    assert reverse("tenders_portal:generated_document", kwargs={"document_id": mine.id}) in page
    assert client.get(reverse("tenders_portal:generated_document", kwargs={"document_id": mine.id})).status_code == 200
    assert client.get(reverse("tenders_portal:generated_document",
                              kwargs={"document_id": theirs.id})).status_code == 404

    staff = APIClient()
    staff.force_authenticate(StaffFactory(roles=["evaluator"]))
    everything = staff.get(f"/api/v1/tenders/{case.tender.id}/generated-documents/?page_size=100").json()
    assert {"analysis_report", "award_letter", "rejection_letter", "contract"} <= {d["kind"] for d in
                                                                                   everything["results"]}
    for document in (mine, theirs, report):
        assert staff.get(f"/api/v1/generated-documents/{document.id}/download/").status_code == 200


def test_the_buyer_finds_the_analysis_report_on_the_tender_page(case, client):
    report = _documents(DocumentKind.ANALYSIS_REPORT)[-1]
    client.force_login(case.buyer)
    page = client.get(reverse("tenders_console:detail", kwargs={"tender_id": case.tender.id})).content.decode()
    assert reverse("tenders_console:generated_document", kwargs={"document_id": report.id}) in page


def test_hooks_and_retried_tasks_make_no_second_document(case, django_capture_on_commit_callbacks):
    from procurement.tasks import generate_document
    from tenders import award_documents

    before = GeneratedDocument.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        award_documents.after_award(case.tender.id)
        award_documents.after_proposal(case.tender.id)  # late or twice: each stage makes its version once
    assert GeneratedDocument.objects.count() == before
    letter = _documents(DocumentKind.AWARD_LETTER)[0]
    generate_document.apply(args=[str(letter.id)])
    generate_document.apply(args=[str(letter.id)])
    letter.refresh_from_db()
    assert letter.attempts == 1 and _documents(DocumentKind.AWARD_LETTER) == [letter]
    assert len([m for m in mail.outbox if letter.reference in m.body]) == 1


def test_an_eliminated_bid_gets_its_letter_at_once_then_a_new_version_naming_the_winner(
        django_capture_on_commit_callbacks):
    ot = ranked_tender(("150000.00", "160000.00"))
    first, second = ot.bids
    aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=first, reason="Mieux classée")
    with django_capture_on_commit_callbacks(execute=True):
        aw.award_withdraw(actor=ot.buyer, tender=ot.tender, reason="Attestation URSSAF non produite",
                          eliminate=True)
    [letter] = _documents(DocumentKind.REJECTION_LETTER)
    text = _text(_ready(letter))
    assert letter.company_id == first.company_id
    assert "Attestation URSSAF non produite" in text and "R2144-7" in text
    assert "classée 1" in text and second.company.name not in text
    assert "pas encore attribué" in text

    aw.award_propose(actor=ot.buyer, tender=ot.tender, bid=second, reason="Suivante au classement")
    complete_winner_evidence(second.company, trade=ot.tender.category.trade)
    with django_capture_on_commit_callbacks(execute=True):
        aw.award_approve(actor=StaffFactory(roles=["approver"]), tender=ot.tender)
    old, new = _documents(DocumentKind.REJECTION_LETTER)
    assert (old.key, new.version) == (new.key, 2)
    text = _text(_ready(new))
    assert second.company.name in text and "Attestation URSSAF non produite" in text and "R2181-4" in text


def _bids_loaded(function):
    """(function's result, how many Bid rows it loaded, how many queries it ran)."""
    from django.db import connection
    from django.db.models.signals import post_init
    from django.test.utils import CaptureQueriesContext

    from tenders.models import Bid

    loaded = []

    def count(sender, **kwargs):
        loaded.append(1)

    post_init.connect(count, sender=Bid)
    try:
        with CaptureQueriesContext(connection) as queries:
            result = function()
    finally:
        post_init.disconnect(count, sender=Bid)
    return result, len(loaded), len(queries)


@pytest.mark.parametrize("bids", [2, 5])
def test_one_letter_reads_its_own_bid_and_the_winners_not_every_bid_of_the_tender(bids):
    """The worker's data builder of one letter: a constant number of queries reading its own bid and the
    winner's, whatever the number of bids; else N letters cost N² rows."""
    from tenders import award_documents
    from tenders.models import Bid
    from tests.factories import awarded_tender

    ot = awarded_tender(PRICES[:bids])
    loser = Bid.objects.select_related("company").get(pk=ot.bids[-1].pk)
    document = award_documents.letter_request(loser, stage="award")

    data, loaded, queries = _bids_loaded(lambda: award_documents.build_letter(document))

    assert data["kind"] == "rejection_letter" and data["winner"]["company"] == ot.bids[0].company.name
    assert loaded == 3, loaded  # its own bid (the builder's, then the letter's) and the winner
    assert queries <= 7, queries  # the same for 2 bids or 5


def test_the_award_queues_every_letter_reading_each_bid_once():
    """``after_award`` builds the letters of all bidders from one read of the bids and of the frozen ranking."""
    from tenders import award_documents
    from tests.factories import awarded_tender

    ot = awarded_tender(PRICES)

    _result, loaded, queries = _bids_loaded(lambda: award_documents.after_award(ot.tender.id))

    letters = GeneratedDocument.objects.filter(object_id=ot.tender.id, kind__in=[
        DocumentKind.AWARD_LETTER, DocumentKind.REJECTION_LETTER])
    assert sorted(letters.values_list("kind", flat=True)) == ["award_letter"] + ["rejection_letter"] * 3
    assert loaded <= len(PRICES) + 1, loaded  # each bid once (and the contract's bid)
    assert queries < 20 * len(PRICES), queries

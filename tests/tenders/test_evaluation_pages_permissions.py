"""Who may open and post each page of the evaluation: the buyer's workspace, the evaluator's panel pages and the
bidder's answer in the portal, for every persona (the pages' side of the API permission matrix).

Personas: ``buyer``; ``declared`` (evaluator on the panel who declared no conflict); ``undeclared`` (on the
panel, not declared yet); ``off_panel`` (evaluator not on the panel); ``approver``; ``bidder`` (member of the
company whose bid is used); ``other_bidder`` (member of another bidding company); ``anonymous``.

Each case says the status of every persona and, for a post, which personas' post changed something: a refused
post (a 403 page, a redirect with a message, a 404) never writes. A refusal never shows a price or another
company's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from procurement.accounts.models import User
from procurement.models import AuditEntry
from tenders.models import Bid, BidRequest, Consensus, PanelMember, Score, Tender
from tenders.services import evaluation as ev
from tests.factories import TINY_PDF, StaffFactory, classify_all, seat_evaluators

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "buyer", "declared", "undeclared", "off_panel", "approver", "bidder", "other_bidder")
PRICES = ("200000.00", "150000.00")
CONSOLE = "/console/marches"
PORTAL = "/portail/marches"


@dataclass
class World:
    tender: Tender
    bids: list[Bid]
    buyer: User
    declared: User
    undeclared: User
    off_panel: User
    approver: User
    bidder: User
    other_bidder: User

    def client(self, persona) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(self, persona))
        return client

    @property
    def bid(self) -> Bid:
        return self.bids[0]


def _opened_with_documents():
    """Like ``opened_tender``, each bid carrying a PDF technical memo (for the grid's viewer)."""
    from types import SimpleNamespace

    from tenders.services import bid_document_upload, bid_submit, tender_open
    from tests.factories import close_bidding, draft_bid, lines_for_total, pdf_file, published_tender

    tender, invited = published_tender(suppliers=len(PRICES))
    bids = []
    for (_company, user), price in zip(invited, PRICES, strict=True):
        bid = draft_bid(tender, user, total_price=price, lines=lines_for_total(price))
        bid_document_upload(actor=user, bid=bid, kind="technical_memo", uploaded_file=pdf_file("memoire.pdf"))
        bids.append(bid_submit(actor=user, bid=bid))
    close_bidding(tender)
    tender = tender_open(actor=tender.dps.created_by, tender=tender)
    return SimpleNamespace(tender=tender, buyer=tender.dps.created_by,
                           bids=[Bid.objects.get(pk=b.pk) for b in bids], bidders=invited)


def build() -> World:
    ot = _opened_with_documents()
    declared, undeclared, off_panel = (StaffFactory(roles=["evaluator"]) for _ in range(3))
    seat_evaluators(ot.tender, [declared])
    seat_evaluators(ot.tender, [undeclared], declare=False)
    return World(tender=ot.tender, bids=ot.bids, buyer=ot.buyer, declared=declared, undeclared=undeclared,
                 off_panel=off_panel, approver=StaffFactory(roles=["approver"]), bidder=ot.bidders[0][1],
                 other_bidder=ot.bidders[1][1])


def due(days=5) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def pdf():
    return SimpleUploadedFile("justificatif.pdf", TINY_PDF, content_type="application/pdf")


def expect(**overrides) -> dict:
    """Console pages by default: anonymous to the login page, suppliers get the console's 403, staff 403."""
    base = {"anonymous": 302, "buyer": 403, "declared": 403, "undeclared": 403, "off_panel": 403,
            "approver": 403, "bidder": 403, "other_bidder": 403}
    return {**base, **overrides}


READERS = {"buyer": 200, "declared": 200, "approver": 200}
# A buyer's action posted by staff who may read but not act: back to the page with a message, nothing written.
READ_ONLY_POSTERS = {"declared": 302, "approver": 302}
PORTAL_OUTSIDERS = {persona: 404 for persona in ("buyer", "declared", "undeclared", "off_panel", "approver",
                                                 "other_bidder")}


def _audit_count(w, action):
    return AuditEntry.objects.filter(action=action).count()


# --- the cases: (builder → (method, path, data), expected status per persona, effect → bool) ----------------


def _page(tail):
    return lambda w: ("get", f"{CONSOLE}/{w.tender.id}/evaluation/{tail}", None)


def _classify(w):
    return "post", f"{CONSOLE}/offres/{w.bid.id}/classer/", {f"c{w.bid.pk}-decision": "admissible"}


def _justify(w):
    return "post", f"{CONSOLE}/offres/{w.bid.id}/justification/", {
        f"j{w.bid.pk}-message": "Justifiez le poste 2.1", f"j{w.bid.pk}-due_at": due()}


def _regularise(w):
    ev.bid_classify(actor=w.buyer, bid=w.bid, decision="irregular", reason="Pièce manquante")
    return "post", f"{CONSOLE}/{w.tender.id}/evaluation/regularisation/", {
        "regularisation-message": "Joignez l'attestation", "regularisation-due_at": due()}


def _panel_post(w):
    extra = StaffFactory(roles=["evaluator"])
    w.extra = extra
    return "post", f"{CONSOLE}/{w.tender.id}/evaluation/commission/", {
        "evaluators": [str(w.declared.pk), str(w.undeclared.pk), str(extra.pk)]}


def _all_submitted(w):
    classify_all(w.tender, buyer=w.buyer)
    ev.impartiality_declare(actor=w.undeclared, tender=w.tender, no_conflict=True, statement="")
    for person in (w.declared, w.undeclared):
        for bid in w.bids:
            for code in ("tech", "env"):
                ev.score_put(actor=person, bid=bid, criterion=code, score="7")
        ev.scores_submit(actor=person, tender=w.tender)
    # The "undeclared" persona has declared and submitted by now: it reads like the declared one.
    prefix = f"k{w.bid.pk}-tech"
    return "post", f"{CONSOLE}/offres/{w.bid.id}/consensus/", {
        "cell": "tech", f"{prefix}-criterion": "tech", f"{prefix}-score": "7", f"{prefix}-rationale": "Accord"}


def _request_document(w):
    ev.justification_request(actor=w.buyer, bid=w.bid, message="Justifiez", due_at=due())
    request = ev.bid_respond(actor=w.bidder, bid=Bid.objects.get(pk=w.bid.pk), text="Voici", files=[pdf()])
    w.document = request.documents.get()
    return request


def _console_request_document(w):
    _request_document(w)
    return "get", f"{CONSOLE}/offres/reponses/documents/{w.document.id}/", None


def _portal_request_document(w):
    _request_document(w)
    return "get", f"{PORTAL}/offres/{w.bid.id}/reponses/{w.document.id}/", None


def _bid_document_view(w):
    from tenders.models import BidDocument

    document = BidDocument.objects.get(bid=w.bid)
    return "get", f"{CONSOLE}/offres/documents/{document.id}/apercu/", None


def _declare(w):
    return "post", f"{CONSOLE}/{w.tender.id}/commission/declaration/", {"no_conflict": "yes", "statement": "Aucun lien"}


def _scores(w):
    classify_all(w.tender, buyer=w.buyer)
    return "post", f"{CONSOLE}/{w.tender.id}/commission/notes/", {
        "criterion": "tech", **{f"s-{bid.id}-score": "7" for bid in w.bids}}


def _submit(w):
    classify_all(w.tender, buyer=w.buyer)
    for bid in w.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=w.declared, bid=bid, criterion=code, score="7")
    return "post", f"{CONSOLE}/{w.tender.id}/commission/remise/", {"confirmed": "1"}


def _respond(w):
    ev.justification_request(actor=w.buyer, bid=w.bid, message="Justifiez", due_at=due())
    return "post", f"{PORTAL}/offres/{w.bid.id}/repondre/", {"text": "Voici nos explications", "file": pdf()}


def _portal_bid(w):
    ev.justification_request(actor=w.buyer, bid=w.bid, message="Justifiez", due_at=due())
    return "get", f"{PORTAL}/offres/{w.bid.id}/", None


SEATED_POSTERS = {"buyer": 302, "off_panel": 302, "approver": 302}  # refused by the service: back with a message

CASES = {
    # The buyer's workspace: read by buyer, approver and a declared evaluator.
    "evaluation": (_page(""), expect(**READERS), None, ()),
    "evaluation_bids": (_page("offres/"), expect(**READERS), None, ()),
    "evaluation_anomalies": (_page("anomalies/"), expect(**READERS), None, ()),
    "evaluation_panel": (_page("commission/"), expect(**READERS), None, ()),
    "evaluation_consensus": (_page("consensus/"), expect(**READERS), None, ()),
    "evaluation_ranking": (_page("classement/"), expect(**READERS), None, ()),
    "evaluation_ranking_csv": (_page("classement.csv"), expect(**READERS), None, ()),
    "evaluation_ranking_xlsx": (_page("classement.xlsx"), expect(**READERS), None, ()),
    "evaluation_request_document": (_console_request_document, expect(**READERS), None, ()),
    # The buyer's actions: written by the buyer only.
    "evaluation_classify": (_classify, expect(buyer=302, **READ_ONLY_POSTERS),
                            lambda w: Bid.objects.get(pk=w.bid.pk).status == "admissible", {"buyer"}),
    "evaluation_justification": (_justify, expect(buyer=302, **READ_ONLY_POSTERS),
                                 lambda w: BidRequest.objects.filter(bid=w.bid).exists(), {"buyer"}),
    "evaluation_regularisation": (_regularise, expect(buyer=302, **READ_ONLY_POSTERS),
                                  lambda w: Bid.objects.get(pk=w.bid.pk).status == "regularisation_requested",
                                  {"buyer"}),
    "evaluation_panel_post": (_panel_post, expect(buyer=302, **READ_ONLY_POSTERS),
                              lambda w: PanelMember.objects.filter(evaluator=w.extra).exists(), {"buyer"}),
    # (the "undeclared" persona has declared and submitted by then: it reads, it does not act)
    "evaluation_consensus_record": (_all_submitted, expect(buyer=302, undeclared=302, **READ_ONLY_POSTERS),
                                    lambda w: Consensus.objects.exists(), {"buyer"}),
    # The evaluator's pages: my panels for every staff member; a tender's panel for its members only.
    "panels": (lambda w: ("get", f"{CONSOLE}/commissions/", None),
               expect(buyer=200, declared=200, undeclared=200, off_panel=200, approver=200), None, ()),
    "panel": (lambda w: ("get", f"{CONSOLE}/{w.tender.id}/commission/", None), expect(declared=200, undeclared=200),
              None, ()),
    "panel_declare": (_declare, expect(undeclared=302, declared=302, **SEATED_POSTERS),
                      lambda w: _audit_count(w, "declare-impartiality") == 2, {"undeclared"}),
    "panel_scores": (_scores, expect(declared=302, undeclared=302, **SEATED_POSTERS),
                     lambda w: Score.objects.exists(), {"declared"}),
    "panel_submit": (_submit, expect(declared=302, undeclared=302, **SEATED_POSTERS),
                     lambda w: PanelMember.objects.filter(submitted_at__isnull=False).exists(), {"declared"}),
    # A bid document in the viewer: whoever may not read the bids does not learn that it exists.
    "bid_document_view": (_bid_document_view, expect(undeclared=404, off_panel=404, **READERS), None, ()),
    # The bidder's side in the portal: its own bid only; anybody else's is not found (staff included).
    "portal_bid": (_portal_bid, expect(**PORTAL_OUTSIDERS, bidder=200), None, ()),
    "portal_respond": (_respond, expect(**PORTAL_OUTSIDERS, bidder=302),
                       lambda w: BidRequest.objects.filter(bid=w.bid, responded_at__isnull=False).exists(), {"bidder"}),
    "portal_request_document": (_portal_request_document, expect(**PORTAL_OUTSIDERS, bidder=200), None, ()),
}

MATRIX = [(name, persona) for name in CASES for persona in PERSONAS]


@pytest.mark.parametrize(("case", "persona"), MATRIX, ids=[f"{c}-{p}" for c, p in MATRIX])
def test_page_permission_matrix(case, persona):
    w = build()
    builder, expected, effect, writers = CASES[case]
    method, path, data = builder(w)
    response = getattr(w.client(persona), method)(path, data or {})
    assert response.status_code == expected[persona], (case, persona, response.content[:400])
    if effect is not None:
        assert effect(w) is (persona in writers), f"{persona} {'did not write' if persona in writers else 'wrote'}"
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]
    if response.status_code in (403, 404):
        content = response.content.decode()
        for price in PRICES:
            assert price.split(".")[0] not in content.replace("\u202f", "").replace(" ", "")
        assert w.bids[1].company.name not in content
        if persona != "bidder":
            assert w.bids[0].company.name not in content


def test_every_evaluation_page_is_in_the_matrix():
    """A new page of the evaluation (its URL name) must join the matrix."""
    from tenders import urls_console, urls_portal

    console = {p.name for p in urls_console.urlpatterns
               if p.callback.__module__ in ("tenders.views.evaluation", "tenders.views.panel")}
    portal = {p.name for p in urls_portal.urlpatterns if p.name in ("bid_respond", "request_document")}
    # The award proposal, posted from the ranking page, is the award's first step: its refusals are tested with
    # the award pages (tests/tenders/test_award_pages.py).
    covered = {name.removesuffix("_post") for name in CASES} | {"evaluation_consensus_record", "award_propose"}
    assert console <= covered, console - covered
    assert portal == {"bid_respond", "request_document"} and {"portal_respond", "portal_request_document"} <= set(CASES)

"""The evaluation through the API (API.md "Evaluation (after the opening)"): the journey from the opened bids to
the ranking, blind scoring, refusals, query counts, and the permission matrix of every evaluation endpoint.

Personas: ``buyer``; ``declared`` (evaluator on the panel who declared no conflict); ``undeclared`` (on the
panel, not declared yet); ``off_panel`` (evaluator not on the panel); ``approver``; ``bidder`` (member of
the company whose bid is used); ``other_bidder`` (member of another bidding company); ``anonymous``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement.accounts.models import User
from procurement.models import AuditEntry
from tenders.models import Bid, RankingSnapshot, Tender
from tenders.services import evaluation as ev
from tests.factories import TINY_PDF, StaffFactory, classify_all, opened_tender, seat_evaluators

from .conftest import client_for

pytestmark = pytest.mark.django_db


def due(days=5):
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def pdf(name="justificatif.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


def ok(response, status=200):
    assert response.status_code == status, response.content[:800]
    return response.json()


def problem(response, status):
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


@dataclass
class EvalWorld:
    tender: Tender
    bids: list[Bid]
    buyer: User
    declared: User
    undeclared: User
    off_panel: User
    approver: User
    bidder: User
    other_bidder: User

    def user(self, persona):
        return None if persona == "anonymous" else getattr(self, persona)

    def client(self, persona):
        return client_for(self.user(persona))


def build(prices=("200000.00", "150000.00"), **kwargs) -> EvalWorld:
    ot = opened_tender(prices, **kwargs)
    declared, undeclared, off_panel = (StaffFactory(roles=["evaluator"]) for _ in range(3))
    seat_evaluators(ot.tender, [declared])
    seat_evaluators(ot.tender, [undeclared], declare=False)
    return EvalWorld(tender=ot.tender, bids=ot.bids, buyer=ot.buyer, declared=declared, undeclared=undeclared,
                     off_panel=off_panel, approver=StaffFactory(roles=["approver"]), bidder=ot.bidders[0][1],
                     other_bidder=ot.bidders[1][1])


def url(kind, obj, tail=""):
    return f"/api/v1/{kind}/{obj.id}/{tail}"


def score_everything(w, evaluator, value="7"):
    for bid in w.bids:
        for code in ("tech", "env"):
            ok(client_for(evaluator).post(url("bids", bid, "scores/"),
                                          {"criterion": code, "score": value, "comment": "Vu"}, format="json"))


# --- the journey ---------------------------------------------------------------------------------------------


def test_the_evaluation_from_the_opened_bids_to_the_ranking(mailoutbox, django_capture_on_commit_callbacks):
    w = build()
    high, low = w.bids
    buyer, bidder = w.client("buyer"), w.client("other_bidder")

    anomalies = ok(buyer.get(url("tenders", w.tender, "anomalies/")))
    assert anomalies["method"] == "mean_gap" and anomalies["threshold"] == 0.2
    assert {row["bid"] for row in anomalies["bids"]} == {str(high.id), str(low.id)}
    # 150 000 ≤ 0.8 × 200 000 = 160 000: a suspicion.
    assert {row["bid"]: row["suspected"] for row in anomalies["bids"]} == {str(high.id): False, str(low.id): True}

    body = problem(buyer.post(url("bids", low, "classify/"), {"decision": "abnormally_low", "reason": "Trop bas"},
                              format="json"), 409)
    assert body["state"] == "opened" and "request-justification" in body["allowed_transitions"]
    with django_capture_on_commit_callbacks(execute=True):
        body = ok(buyer.post(url("bids", low, "request-justification/"),
                             {"message": "Justifiez le prix de l'isolant", "due_at": due()}, format="json"))
    assert body["status"] == "justification_requested" and body["requests"][0]["kind"] == "justification"
    assert any("justifier" in m.body for m in mailoutbox)

    # The bidder answers; a price in the answer is refused.
    body = problem(bidder.post(url("bids", low, "respond/"), {"text": "Stock acheté", "total_price": "140000"},
                               format="multipart"), 400)
    assert "total_price" in body["errors"]
    answer = ok(bidder.post(url("bids", low, "respond/"), {"text": "Stock acheté en 2025", "file": pdf()},
                            format="multipart"))
    assert answer["bid_status"] == "opened" and answer["documents"][0]["sha256"]
    [listed] = ok(bidder.get(url("bids", low, "requests/")))
    assert listed["message"] == "Justifiez le prix de l'isolant" and listed["response"] == "Stock acheté en 2025"
    download = buyer.get(f"/api/v1/bid-request-documents/{answer['documents'][0]['id']}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == TINY_PDF

    for bid in (high, low):
        body = ok(buyer.post(url("bids", bid, "classify/"), {"decision": "admissible"}, format="json"))
        assert body["status"] == "admissible"

    panel = ok(buyer.put(url("tenders", w.tender, "panel/"),
                         {"evaluators": [w.declared.email, str(w.undeclared.id)]}, format="json"))
    assert {e["email"] for e in panel["evaluators"]} == {w.declared.email, w.undeclared.email}
    ok(w.client("undeclared").post(url("tenders", w.tender, "declare-impartiality/"),
                                   {"no_conflict": True, "statement": "Aucun lien"}, format="json"))
    for person in ("declared", "undeclared"):
        score_everything(w, w.user(person), "8" if person == "declared" else "6.5")
        body = ok(w.client(person).post(url("tenders", w.tender, "scores/submit/"), {}, format="json"))
        assert len(body["sheet_sha256"]) == 64

    scores = ok(buyer.get(url("tenders", w.tender, "scores/")))
    assert len(scores["scores"]) == 8 and all(isinstance(s["score"], float) for s in scores["scores"])
    assert {p["email"] for p in scores["panel"] if p["submitted_at"]} == {w.declared.email, w.undeclared.email}
    assert {row["flagged"] for row in scores["spread"]} == {False}
    for bid, tech in ((high, "9"), (low, "6")):
        for code, value in (("tech", tech), ("env", "7")):
            ok(buyer.post(url("bids", bid, "consensus/"), {"criterion": code, "score": value,
                                                           "rationale": "Accord de la commission"}, format="json"))

    ranking = ok(buyer.get(url("tenders", w.tender, "ranking/")))
    # proportional: high 7.5 → 37.5 + 27 + 14 = 78.5; low 10 → 50 + 18 + 14 = 82
    assert [(row["bid"], row["rank"], row["total"]) for row in ranking] == [(str(low.id), 1, 82.0),
                                                                            (str(high.id), 2, 78.5)]
    assert ranking[1]["price_score"] == 7.5 and ranking[1]["scores"] == {"price": 7.5, "tech": 9.0, "env": 7.0}
    assert ranking[0]["abnormally_low_suspected"] is True and ranking[0]["total_price"] == "150000.00"
    what_if = ok(buyer.get(url("tenders", w.tender, "ranking/") + "?price_method=linear"))
    assert {row["bid"]: row["price_score"] for row in what_if} == {str(low.id): 10.0, str(high.id): 0.0}
    assert Tender.objects.get(pk=w.tender.pk).price_method == "proportional"
    assert not RankingSnapshot.objects.exists()
    problem(buyer.get(url("tenders", w.tender, "ranking/") + "?price_method=cubic"), 400)


def test_scores_are_rounded_to_two_decimals_in_responses():
    w = build(("150000.00", "180000.00"))
    classify_all(w.tender)
    ranking = ok(w.client("buyer").get(url("tenders", w.tender, "ranking/")))
    # 10 × 150 000 / 180 000 = 8.333…
    assert {row["price_score"] for row in ranking} == {10.0, 8.33}
    assert all(row["total"] is None and row["complete"] is False for row in ranking)


# --- blind scoring and declarations ----------------------------------------------------------------------------


def test_an_evaluator_reading_anothers_scores_before_submitting_gets_nothing():
    w = build()
    classify_all(w.tender)
    ev.impartiality_declare(actor=w.undeclared, tender=w.tender, no_conflict=True, statement="")
    score_everything(w, w.declared, "9")
    score_everything(w, w.undeclared, "2")
    mine = ok(w.client("declared").get(url("tenders", w.tender, "scores/")))
    assert {s["evaluator"] for s in mine["scores"]} == {str(w.declared.id)}
    assert b'"score":2.0' not in w.client("declared").get(url("tenders", w.tender, "scores/")).content
    assert ok(w.client("buyer").get(url("tenders", w.tender, "scores/")))["scores"] == []
    ok(w.client("declared").post(url("tenders", w.tender, "scores/submit/"), {}, format="json"))
    # Submitted, it sees the submitted sheets: still not the other's open one.
    seen = ok(w.client("declared").get(url("tenders", w.tender, "scores/")))
    assert {s["evaluator"] for s in seen["scores"]} == {str(w.declared.id)}
    assert ok(w.client("approver").get(url("tenders", w.tender, "scores/")))["scores"] == []
    # A locked sheet cannot change.
    body = problem(w.client("declared").post(url("bids", w.bids[0], "scores/"),
                                             {"criterion": "tech", "score": "3", "comment": ""}, format="json"), 409)
    assert body["state"] == "submitted"
    ok(w.client("undeclared").post(url("tenders", w.tender, "scores/submit/"), {}, format="json"))
    everyone = ok(w.client("approver").get(url("tenders", w.tender, "scores/")))
    assert len(everyone["scores"]) == 8 and all(row["flagged"] for row in everyone["spread"])
    sheets = {p["email"]: p["sheet_sha256"] for p in everyone["panel"]}
    entries = " ".join(AuditEntry.objects.filter(action="scores-submit").values_list("reason", flat=True))
    assert all(sha in entries for sha in sheets.values())


def test_an_undeclared_evaluator_cannot_read_a_bid_anomalies_or_the_ranking():
    w = build()
    for path in (url("bids", w.bids[0]), url("tenders", w.tender, "bids/"), url("tenders", w.tender, "anomalies/"),
                 url("tenders", w.tender, "ranking/")):
        for persona in ("undeclared", "off_panel"):
            body = problem(w.client(persona).get(path), 403)
            assert "200000" not in str(body)
        ok(w.client("declared").get(path))


def test_submitting_with_missing_scores_lists_each_one():
    w = build()
    classify_all(w.tender)
    high, low = w.bids
    ok(w.client("declared").post(url("bids", high, "scores/"), {"criterion": "tech", "score": "7.5"}, format="json"))
    body = problem(w.client("declared").post(url("tenders", w.tender, "scores/submit/"), {}, format="json"), 400)
    assert set(body["errors"]) == {f"{high.id}.env", f"{low.id}.tech", f"{low.id}.env"}
    body = problem(w.client("declared").post(url("bids", high, "scores/"), {"criterion": "tech", "score": "7.3"},
                                             format="json"), 400)
    assert "score" in body["errors"]


def test_regularisation_through_the_api_goes_to_every_irregular_bid():
    w = build(("200000.00", "150000.00", "170000.00"))
    a, b, c = w.bids
    buyer = w.client("buyer")
    problem(buyer.post(url("tenders", w.tender, "request-regularisation/"), {"message": "m", "due_at": due()},
                       format="json"), 400)
    for bid in (a, c):
        ok(buyer.post(url("bids", bid, "classify/"), {"decision": "irregular", "reason": "Pièce manquante"},
                      format="json"))
    ok(buyer.post(url("bids", b, "classify/"), {"decision": "admissible"}, format="json"))
    body = ok(buyer.post(url("tenders", w.tender, "request-regularisation/"),
                         {"message": "Joignez l'attestation", "due_at": due()}, format="json"))
    assert {row["id"] for row in body["bids"]} == {str(a.id), str(c.id)}
    assert {row["status"] for row in body["bids"]} == {"regularisation_requested"}
    assert Bid.objects.get(pk=b.pk).status == "admissible"


# --- query counts ---------------------------------------------------------------------------------------------


def _consensus_everywhere(w):
    classify_all(w.tender)
    ev.impartiality_declare(actor=w.undeclared, tender=w.tender, no_conflict=True, statement="")
    for person in (w.declared, w.undeclared):
        for bid in w.bids:
            for code in ("tech", "env"):
                ev.score_put(actor=person, bid=bid, criterion=code, score="7")
        ev.scores_submit(actor=person, tender=w.tender)
    for bid in w.bids:
        for code in ("tech", "env"):
            ev.consensus_record(actor=w.buyer, bid=bid, criterion=code, score="7", rationale="Accord")


@pytest.mark.parametrize("prices", [("200000.00", "150000.00"),
                                    ("200000.00", "150000.00", "170000.00", "180000.00", "190000.00")])
def test_the_evaluation_reads_take_a_fixed_number_of_queries(prices, django_assert_max_num_queries):
    w = build(prices)
    _consensus_everywhere(w)
    buyer, declared = w.client("buyer"), w.client("declared")
    buyer.get(url("tenders", w.tender, "ranking/"))  # warm the token and role caches alike for both sizes
    with django_assert_max_num_queries(12):
        assert len(ok(buyer.get(url("tenders", w.tender, "ranking/")))) == len(prices)
    with django_assert_max_num_queries(12):
        assert len(ok(declared.get(url("tenders", w.tender, "ranking/") + "?price_method=linear"))) == len(prices)
    with django_assert_max_num_queries(10):
        assert len(ok(buyer.get(url("tenders", w.tender, "anomalies/")))["bids"]) == len(prices)
    with django_assert_max_num_queries(10):
        assert len(ok(buyer.get(url("tenders", w.tender, "scores/")))["scores"]) == 4 * len(prices)
    with django_assert_max_num_queries(10):
        assert len(ok(declared.get(url("tenders", w.tender, "scores/")))["consensus"]) == 2 * len(prices)


# --- the permission matrix -------------------------------------------------------------------------------------

PERSONAS = ("anonymous", "buyer", "declared", "undeclared", "off_panel", "approver", "bidder", "other_bidder")


def _expect(**overrides):
    base = {"anonymous": 401, "buyer": 403, "declared": 403, "undeclared": 403, "off_panel": 403, "approver": 403,
            "bidder": 403, "other_bidder": 403}
    return {**base, **overrides}


def _bid(w):
    return w.bids[0]


def _justification_asked(w):
    ev.justification_request(actor=w.buyer, bid=_bid(w), message="Justifiez", due_at=due())
    return "multipart", url("bids", _bid(w), "respond/"), {"text": "Voici", "file": pdf()}


def _irregular(w):
    ev.bid_classify(actor=w.buyer, bid=_bid(w), decision="irregular", reason="Pièce manquante")
    return "post", url("tenders", w.tender, "request-regularisation/"), {"message": "Joignez-la", "due_at": due()}


def _admissible(w, tail, body):
    classify_all(w.tender)
    return "post", url("bids", _bid(w), tail), body


def _ready_to_submit(w):
    classify_all(w.tender)
    for bid in w.bids:
        for code in ("tech", "env"):
            ev.score_put(actor=w.declared, bid=bid, criterion=code, score="7")
    return "post", url("tenders", w.tender, "scores/submit/"), {}


def _all_submitted(w):
    classify_all(w.tender)
    for person in (w.declared, w.undeclared):
        if person is w.undeclared:
            ev.impartiality_declare(actor=person, tender=w.tender, no_conflict=True, statement="")
        for bid in w.bids:
            for code in ("tech", "env"):
                ev.score_put(actor=person, bid=bid, criterion=code, score="7")
        ev.scores_submit(actor=person, tender=w.tender)
    # The "undeclared" persona has declared by now: it reads like the declared one.
    return "post", url("bids", _bid(w), "consensus/"), {"criterion": "tech", "score": "7", "rationale": "Accord"}


def _answer_document(w):
    ev.justification_request(actor=w.buyer, bid=_bid(w), message="Justifiez", due_at=due())
    request = ev.bid_respond(actor=w.bidder, bid=Bid.objects.get(pk=_bid(w).pk), text="Voici", files=[pdf()])
    return "get", f"/api/v1/bid-request-documents/{request.documents.get().id}/download/", None


READERS = {"buyer": 200, "declared": 200, "approver": 200}

# endpoint -> (case builder, expected status per persona)
CASES = {
    "tenders/{id}/anomalies": (lambda w: ("get", url("tenders", w.tender, "anomalies/"), None), _expect(**READERS)),
    "bids/{id}/classify": (lambda w: ("post", url("bids", _bid(w), "classify/"), {"decision": "admissible"}),
                           _expect(buyer=200, other_bidder=404)),
    "tenders/{id}/request-regularisation": (_irregular, _expect(buyer=200)),
    "bids/{id}/request-justification": (
        lambda w: ("post", url("bids", _bid(w), "request-justification/"), {"message": "Justifiez", "due_at": due()}),
        _expect(buyer=200, other_bidder=404)),
    "bids/{id}/respond": (_justification_asked, _expect(bidder=200, other_bidder=404)),
    "bids/{id}/requests": (
        lambda w: (_justification_asked(w) and "get", url("bids", _bid(w), "requests/"), None),
        _expect(bidder=200, other_bidder=404, **READERS)),
    "bid-request-documents/{id}/download": (_answer_document, _expect(bidder=200, other_bidder=404, **READERS)),
    "tenders/{id}/panel": (
        lambda w: ("put", url("tenders", w.tender, "panel/"), {"evaluators": [w.declared.email, w.undeclared.email]}),
        _expect(buyer=200)),
    "tenders/{id}/declare-impartiality": (
        lambda w: ("post", url("tenders", w.tender, "declare-impartiality/"), {"no_conflict": True, "statement": ""}),
        _expect(undeclared=200, declared=409)),
    "bids/{id}/scores": (lambda w: _admissible(w, "scores/", {"criterion": "tech", "score": "7", "comment": ""}),
                         _expect(declared=200, other_bidder=404)),
    "tenders/{id}/scores/submit": (_ready_to_submit, _expect(declared=200)),
    "tenders/{id}/scores": (lambda w: ("get", url("tenders", w.tender, "scores/"), None),
                            _expect(undeclared=200, **READERS)),
    "bids/{id}/consensus": (_all_submitted, _expect(buyer=200, other_bidder=404)),
    "tenders/{id}/ranking": (lambda w: ("get", url("tenders", w.tender, "ranking/"), None), _expect(**READERS)),
}

MATRIX = [(name, persona, expected[persona]) for name, (_, expected) in CASES.items() for persona in PERSONAS]


def call(client, method, path, body):
    if method == "get":
        return client.get(path)
    if method == "multipart":
        return client.post(path, body, format="multipart")
    return getattr(client, method)(path, body if body is not None else {}, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), MATRIX, ids=[f"{n}-{p}" for n, p, _ in MATRIX])
def test_permission_matrix(endpoint, persona, expected):
    w = build()
    builder, _ = CASES[endpoint]
    method, path, body = builder(w)
    response = call(w.client(persona), method, path, body)
    assert response.status_code == expected, (endpoint, persona, response.content[:500])
    if expected >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
        content = response.content.decode()
        # No leak: neither a price nor another company's name in a refusal.
        assert "200000" not in content and "150000" not in content
        assert Bid.objects.get(pk=w.bids[1].pk).company.name not in content


def test_every_evaluation_endpoint_is_in_the_matrix():
    from procurement import api_urls

    routes = {str(p.pattern).rstrip("/").replace("<str:id>", "{id}") for p in api_urls.urlpatterns
              if p.callback.__module__ == "tenders.api_evaluation"}
    assert routes == set(CASES)


# --- the tender's evaluation settings ----------------------------------------------------------------------


def test_a_tender_states_its_detection_method_and_tie_break_at_creation():
    from tests.factories import open_category, tender_data

    category = open_category()
    buyer = client_for(category.dps.created_by)
    body = ok(buyer.post("/api/v1/tenders/", tender_data(category, abnormally_low={"method": "estimate_gap"},
                                                         tie_break=["env", "price"]), format="json"), 201)
    assert body["abnormally_low"] == {"method": "estimate_gap", "threshold": "0.30"}
    assert body["tie_break"] == ["env", "price"] and body["delay_scored_by_panel"] is False
    body = ok(buyer.patch(f"/api/v1/tenders/{body['id']}/", {"abnormally_low": {"method": "mean_gap",
                                                                                 "threshold": "0.4"}},
                          format="json"))
    assert body["abnormally_low"]["method"] == "mean_gap" and float(body["abnormally_low"]["threshold"]) == 0.4
    assert body["tie_break"] == ["env", "price"]
    default = ok(buyer.post("/api/v1/tenders/", tender_data(category), format="json"), 201)
    assert default["abnormally_low"] == {"method": "mean_gap", "threshold": "0.20"} and default["tie_break"] == []
    refused = problem(buyer.post("/api/v1/tenders/", tender_data(category, abnormally_low={"method": "dice"},
                                                                 tie_break=["nope"]), format="json"), 400)
    assert {"abnormally_low.method", "tie_break[0]"} <= set(refused["errors"])


def test_the_schema_documents_the_evaluation_endpoints(tmp_path):
    import yaml
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path in ("anomalies", "ranking", "panel", "declare-impartiality", "scores", "scores/submit",
                 "request-regularisation"):
        assert f"/api/v1/tenders/{{id}}/{path}/" in paths, path
    for path in ("classify", "request-justification", "respond", "scores", "consensus"):
        assert f"/api/v1/bids/{{id}}/{path}/" in paths, path
    assert "multipart/form-data" in paths["/api/v1/bids/{id}/respond/"]["post"]["requestBody"]["content"]

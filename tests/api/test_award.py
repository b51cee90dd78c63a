"""The award and the contract through the API (API.md "Award and contract"): the journey from the ranking to
the notified contract, four eyes, evidence refusals, the pinned query count of the contracts list, and the
permission matrix of every award endpoint.

Personas: ``buyer``; ``approver`` (approver role only); ``evaluator``; ``winner`` (admin of the winning
company); ``other_bidder`` (admin of a company whose bid was not retained); ``anonymous``.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement.models import AuditEntry
from suppliers.models import EvidenceDocument
from tenders.models import Contract
from tenders.services import award as aw
from tests.factories import TINY_PDF, StaffFactory, awarded_tender, proposed_tender, ranked_tender

from .conftest import client_for

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.content[:800]
    return response.json()


def problem(response, status):
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def pdf(name="attestation.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


def upload(client, company, kind, **extra):
    data = {"kind": kind, "file": pdf(), "issued_on": (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
            "valid_until": (timezone.localdate() + dt.timedelta(days=300)).isoformat(), **extra}
    return ok(client.post(f"/api/v1/companies/{company.id}/documents/", data, format="multipart"), 201)


# --- the journey ---------------------------------------------------------------------------------------------


def test_the_award_from_the_ranking_to_the_notified_contract(django_capture_on_commit_callbacks, mailoutbox):
    ot = ranked_tender(("150000.00", "160000.00"))
    first, second = ot.bids
    (company, holder), (_other_company, loser) = ot.bidders
    buyer, approver = client_for(ot.buyer), client_for(StaffFactory(roles=["approver"]))
    base = f"/api/v1/tenders/{ot.tender.id}/"

    award = ok(buyer.get(base + "award/"))
    assert award["proposable_bid"] == str(first.id) and "propose-award" in award["allowed_transitions"]
    body = problem(buyer.post(base + "propose-award/", {"bid": str(second.id), "reason": "Technique"}, format="json"),
                   400)
    assert "bid" in body["errors"]
    award = ok(buyer.post(base + "propose-award/", {"bid": str(first.id), "reason": "Mieux-disant"}, format="json"))
    assert award["status"] == "award_proposed" and award["proposal"]["bid"] == str(first.id)

    checklist = {row["kind"]: row for row in ok(client_for(holder).get(base + "winner-evidence/"))}
    assert list(checklist) == ["kbis", "urssaf_vigilance", "tax_certificate", "liability_insurance",
                               "decennial_insurance"]
    assert (checklist["kbis"]["status"], checklist["tax_certificate"]["status"]) == ("valid", "missing")
    assert checklist["liability_insurance"]["status"] == "not_matching"
    with django_capture_on_commit_callbacks(execute=True):
        ok(buyer.post(base + "request-winner-evidence/", {"due_at": (timezone.localdate() + dt.timedelta(days=7))
                                                          .isoformat()}, format="json"))
    assert any("Justificatifs à fournir" in m.subject and m.to == [holder.email] for m in mailoutbox)

    body = problem(approver.post(base + "approve-award/"), 400)
    assert set(body["errors"]) == {"tax_certificate", "liability_insurance", "decennial_insurance"}

    supplier = client_for(holder)
    upload(supplier, company, "tax_certificate")
    document = upload(supplier, company, "decennial_insurance", activities="external_wall_insulation,windows")
    assert document["activities"] == ["external_wall_insulation", "windows"]
    upload(supplier, company, "liability_insurance", activities=["external_wall_insulation"])
    assert {row["status"] for row in ok(supplier.get(base + "winner-evidence/"))} == {"valid"}

    with django_capture_on_commit_callbacks(execute=True):
        award = ok(approver.post(base + "approve-award/"))
    assert award["status"] == "awarded" and award["standstill_ends_at"]
    contract = award["contract"]
    assert contract["number"] == f"{ot.tender.reference}-C1" and contract["status"] == "awaiting_signatures"
    assert contract["amount"] == "150000.00" and contract["holder"]["id"] == str(company.id)
    assert contract["standstill_ends_at"] == award["standstill_ends_at"]
    assert {m.subject.split(" — ")[0] for m in mailoutbox} >= {"Votre offre est retenue",
                                                              "Votre offre n'est pas retenue"}

    letter = ok(client_for(loser).get(f"/api/v1/bids/{second.id}/letter/"))
    assert letter["kind"] == "rejection_letter" and letter["own"]["rank"] == 2
    assert letter["winner"]["company"] == company.name and letter["earliest_signature_at"]
    assert letter["debrief_request"] is None
    asked = ok(client_for(loser).post(f"/api/v1/bids/{second.id}/debrief-request/",
                                      {"text": "Quels sont les avantages de l'offre retenue ?"}, format="json"), 201)
    answered = ok(buyer.post(f"/api/v1/debrief-requests/{asked['id']}/answer/", {"text": "Délai plus court."},
                             format="json"))
    assert answered["answer"] == "Délai plus court." and answered["answered_at"]

    sign = f"/api/v1/contracts/{contract['id']}/sign/"
    ends = dt.datetime.fromisoformat(award["standstill_ends_at"])
    with time_machine.travel(ends - dt.timedelta(seconds=1), tick=False):
        body = problem(supplier.post(sign), 409)
        assert body["state"] == "awaiting_signatures"
    with time_machine.travel(ends + dt.timedelta(minutes=1), tick=False):
        body = problem(buyer.post(sign), 409)  # the buyer first
        assert body["state"] == "awaiting_signatures" and "sign-as-holder" in body["allowed_transitions"]
        signed = ok(supplier.post(sign))
        assert [s["party"] for s in signed["signatures"]] == ["holder"]
        signed = ok(buyer.post(sign))
        assert signed["status"] == "signed" and [s["party"] for s in signed["signatures"]] == ["holder", "buyer"]
        notified = ok(buyer.post(f"/api/v1/contracts/{contract['id']}/notify/"))
    signed_at = dt.datetime.fromisoformat(signed["signed_at"])
    assert notified["status"] == "notified"
    assert notified["award_notice_due"] == (timezone.localtime(signed_at).date() + dt.timedelta(days=30)).isoformat()

    entries = ok(buyer.get(f"/api/v1/audit/?object_type=contract&object_id={contract['id']}"))
    rows = entries["results"] if isinstance(entries, dict) else entries
    assert [row["action"] for row in rows] == ["create", "sign", "sign", "notify"]


def test_four_eyes_through_the_api():
    ot = ranked_tender(("150000.00", "160000.00"))
    both = StaffFactory(roles=["buyer", "approver"])
    from tests.factories import complete_winner_evidence

    complete_winner_evidence(ot.bids[0].company)
    base = f"/api/v1/tenders/{ot.tender.id}/"
    ok(client_for(both).post(base + "propose-award/", {"bid": str(ot.bids[0].id), "reason": "Mieux-disant"},
                             format="json"))
    problem(client_for(both).post(base + "approve-award/"), 403)
    problem(client_for(ot.buyer).post(base + "approve-award/"), 403)
    assert ok(client_for(StaffFactory(roles=["approver"])).post(base + "approve-award/"))["status"] == "awarded"
    assert AuditEntry.objects.filter(object_id=str(ot.tender.id), action="approve-award").count() == 1


def test_withdrawing_with_elimination_through_the_api():
    ot = proposed_tender(("150000.00", "160000.00"), evidence=False)
    base = f"/api/v1/tenders/{ot.tender.id}/"
    award = ok(client_for(ot.buyer).post(base + "withdraw-proposal/",
                                         {"reason": "Justificatifs non produits", "eliminate": True}, format="json"))
    assert award["status"] == "opened" and award["proposable_bid"] == str(ot.bids[1].id)
    assert award["proposals"][0]["eliminated"] is True
    assert ok(client_for(ot.buyer).get(f"/api/v1/bids/{ot.bids[0].id}/"))["status"] == "eliminated"


# --- the contracts list's query count ------------------------------------------------------------------------


def test_the_contracts_list_has_a_fixed_number_of_queries(django_assert_num_queries):
    ot = awarded_tender(("150000.00", "160000.00"), standstill=False)
    buyer = client_for(ot.buyer)
    # One more contract, signed by its holder, does not add a query.
    from tenders.services.contracts import contract_sign

    contract_sign(actor=ot.bidders[0][1], contract=ot.contract)
    buyer.get("/api/v1/contracts/")  # the token is looked up once
    # token and user, roles, count, contracts with tender and holder, signatures with their signer
    with django_assert_num_queries(5):
        body = ok(buyer.get("/api/v1/contracts/"))
    assert body["count"] == 1 and body["results"][0]["signatures"][0]["party"] == "holder"
    other = awarded_tender(("150000.00", "160000.00"), standstill=False)
    with django_assert_num_queries(5):
        body = ok(buyer.get("/api/v1/contracts/"))
    assert body["count"] == 2
    filtered = ok(buyer.get(f"/api/v1/contracts/?tender={other.tender.id}"))
    assert [row["id"] for row in filtered["results"]] == [str(other.contract.id)]
    problem(buyer.get("/api/v1/contracts/?tender=nope"), 400)


# --- the permission matrix -----------------------------------------------------------------------------------

PERSONAS = ("buyer", "approver", "evaluator", "winner", "other_bidder", "anonymous")


def test_every_award_endpoint_answers_each_persona_without_leaking():
    ot = awarded_tender(("150000.00", "160000.00", "200000.00"))
    people = {"buyer": ot.buyer, "approver": StaffFactory(roles=["approver"]),
              "evaluator": StaffFactory(roles=["evaluator"]), "winner": ot.bidders[0][1],
              "other_bidder": ot.bidders[1][1], "anonymous": None}
    third_bidder = ot.bidders[2][1]
    asked = aw.debrief_request_create(actor=third_bidder, bid=ot.bids[2], text="Avantages de l'offre retenue ?")
    tender, contract = f"/api/v1/tenders/{ot.tender.id}/", f"/api/v1/contracts/{ot.contract.id}/"
    due = {"due_at": (timezone.localdate() + dt.timedelta(days=5)).isoformat()}
    loser_bid = ot.bids[1]
    # (method, url, body, {persona: status}); mutating successes come last.
    matrix = [
        ("get", tender + "award/", None,
         {"buyer": 200, "approver": 200, "evaluator": 200, "winner": 403, "other_bidder": 403, "anonymous": 401}),
        ("post", tender + "propose-award/", {"bid": str(ot.bids[0].id), "reason": "x"},
         {"buyer": 409, "approver": 403, "evaluator": 403, "winner": 403, "other_bidder": 403, "anonymous": 401}),
        ("get", tender + "winner-evidence/", None,
         {"buyer": 200, "approver": 200, "evaluator": 200, "winner": 200, "other_bidder": 404, "anonymous": 401}),
        ("post", tender + "request-winner-evidence/", due,
         {"buyer": 409, "approver": 403, "evaluator": 403, "winner": 403, "other_bidder": 403, "anonymous": 401}),
        ("post", tender + "approve-award/", None,
         {"buyer": 403, "approver": 409, "evaluator": 403, "winner": 403, "other_bidder": 403, "anonymous": 401}),
        ("post", tender + "withdraw-proposal/", {"reason": "x", "eliminate": False},
         {"buyer": 409, "approver": 403, "evaluator": 403, "winner": 403, "other_bidder": 403, "anonymous": 401}),
        ("get", "/api/v1/contracts/", None,
         {"buyer": 200, "approver": 200, "evaluator": 200, "winner": 200, "other_bidder": 200, "anonymous": 401}),
        ("get", contract, None,
         {"buyer": 200, "approver": 200, "evaluator": 200, "winner": 200, "other_bidder": 404, "anonymous": 401}),
        ("post", contract + "sign/", None,  # before the end of the standstill
         {"buyer": 409, "approver": 403, "evaluator": 403, "winner": 409, "other_bidder": 404, "anonymous": 401}),
        ("post", contract + "notify/", None,
         {"buyer": 409, "approver": 403, "evaluator": 403, "winner": 403, "other_bidder": 404, "anonymous": 401}),
        ("get", f"/api/v1/bids/{loser_bid.id}/letter/", None,
         {"buyer": 200, "approver": 200, "evaluator": 200, "winner": 404, "other_bidder": 200, "anonymous": 401}),
        ("post", f"/api/v1/debrief-requests/{asked.id}/answer/", {"text": "Réponse"},
         {"approver": 403, "evaluator": 403, "winner": 404, "other_bidder": 404, "anonymous": 401, "buyer": 200}),
        ("post", f"/api/v1/bids/{loser_bid.id}/debrief-request/", {"text": "Demande"},
         {"buyer": 403, "approver": 403, "evaluator": 403, "winner": 404, "anonymous": 401, "other_bidder": 201}),
    ]
    failures = []
    for method, url, body, expected in matrix:
        for persona, status in expected.items():
            client = client_for(people[persona])
            response = getattr(client, method)(url, body, format="json") if body is not None \
                else getattr(client, method)(url)
            if response.status_code != status:
                failures.append(f"{method.upper()} {url} as {persona}: {response.status_code} (expected {status})")
            elif status >= 400:
                assert response["Content-Type"].startswith("application/problem+json")
    assert not failures, "\n".join(failures)

    # What each one sees: the list is filtered, and no letter names the third bidder's scores.
    lists = {p: ok(client_for(people[p]).get("/api/v1/contracts/"))["count"] for p in ("buyer", "winner",
                                                                                      "other_bidder")}
    assert lists == {"buyer": 1, "winner": 1, "other_bidder": 0}
    letter = ok(client_for(people["other_bidder"]).get(f"/api/v1/bids/{loser_bid.id}/letter/"))
    assert ot.bids[2].company.name not in str(letter) and "72.50" not in str(letter)
    assert Contract.objects.get().status == "awaiting_signatures"


def test_the_schema_documents_the_award_endpoints(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target), "--validate")
    text = target.read_text()
    for path in ("/api/v1/tenders/{id}/propose-award/", "/api/v1/tenders/{id}/winner-evidence/",
                 "/api/v1/tenders/{id}/request-winner-evidence/", "/api/v1/tenders/{id}/approve-award/",
                 "/api/v1/tenders/{id}/withdraw-proposal/", "/api/v1/contracts/", "/api/v1/contracts/{id}/sign/",
                 "/api/v1/contracts/{id}/notify/", "/api/v1/bids/{id}/debrief-request/",
                 "/api/v1/debrief-requests/{id}/answer/"):
        assert path in text, path
    assert EvidenceDocument._meta.get_field("activities")

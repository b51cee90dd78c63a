"""Tenders and sealed bids through the API: the whole journey, the publication rules, who sees what
before and after the opening, late bids, questions and the deadlines."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement.accounts.models import User
from procurement.models import DynamicPurchasingSystem
from suppliers.models import Company
from tenders.models import Bid, BidStatus, Tender
from tenders.services import bid_document_upload, bid_submit
from tests.factories import (
    PRICED_LINES,
    PRICED_TOTAL,
    TINY_PDF,
    StaffFactory,
    admitted_company,
    company_owner,
    draft_bid,
    draft_tender,
    open_category,
    published_tender,
    ready_company,
    seat_declared_evaluator,
    submitted_bid,
    tender_data,
)

from .conftest import client_for

pytestmark = pytest.mark.django_db

# A price nobody would write by chance: it must never show in a response before the opening.
SECRET_TOTAL = "171717.17"
SECRET_LINES = [{"ref": "1.1", "unit_price": "9717.17"}, {"ref": "2.1", "unit_price": "95.00"},
                {"ref": "2.2", "unit_price": "40.00"}]


def ok(response, status=200):
    assert response.status_code == status, response.content[:1000]
    return response.json()


def problem(response, status):
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def pdf(name="memoire.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


@dataclass
class TenderWorld:
    """A published tender with two invited companies, a company that was not invited, and staff."""

    tender: Tender
    buyer: User
    evaluator: User
    approver: User
    invited: User              # admin of ``company``
    company: Company
    second: User               # admin of ``second_company``, also invited
    second_company: Company
    outsider: User             # a supplier whose company was not invited
    outsider_company: Company

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)

    def client(self, persona: str):
        return client_for(self.user(persona))


def build_world(**overrides) -> TenderWorld:
    tender, [(company, invited), (second_company, second)] = published_tender(suppliers=2, **overrides)
    outsider_company, outsider = ready_company()
    return TenderWorld(
        tender=tender, buyer=tender.dps.created_by, evaluator=StaffFactory(roles=["evaluator"]),
        approver=StaffFactory(roles=["approver"]), invited=invited, company=company, second=second,
        second_company=second_company, outsider=outsider, outsider_company=outsider_company,
    )


@pytest.fixture
def tw(db) -> TenderWorld:
    return build_world()


def after_deadline(tender):
    return time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5), tick=False)


# --- the whole journey ------------------------------------------------------------------------------------


def test_the_whole_journey_from_draft_to_opening(django_capture_on_commit_callbacks, mailoutbox):
    category = open_category()
    buyer_user = category.dps.created_by
    (company, supplier), (second_company, second) = [
        (a.company, company_owner(a.company)) for a in (admitted_company(category), admitted_company(category))]
    outsider_company, outsider_user = ready_company()
    buyer = client_for(buyer_user)
    supplier = client_for(supplier)
    rival = client_for(second)
    outsider = client_for(outsider_user)

    # 1. The buyer drafts the tender exactly as API.md describes it.
    body = tender_data(category, deadline_agreement="")
    draft = ok(buyer.post("/api/v1/tenders/", body, format="json"), 201)
    assert draft["status"] == "draft"
    assert draft["reference"].startswith(category.dps.reference)
    assert draft["category"] == {"id": str(category.id), "code": category.code, "name": category.name}
    assert draft["operation"] == body["operation"]
    assert draft["estimated_value"] == "250000.00" and draft["budget_ceiling"] == "300000.00"
    assert [c["weight"] for c in draft["criteria"]] == [50, 30, 20]
    assert draft["price_schedule"][1] == {"ref": "2.1", "label": "Isolant PSE graphité 160 mm", "unit": "m²",
                                          "quantity": "1200.000"}
    assert draft["invitation_count"] == 0 and "publish" in draft["allowed_transitions"]
    tender_id = draft["id"]

    # The draft can still change.
    changed = ok(buyer.patch(f"/api/v1/tenders/{tender_id}/", {"works_duration_weeks": 18}, format="json"))
    assert changed["works_duration_weeks"] == 18 and changed["title"] == body["title"]

    # 2. A consultation document.
    document = ok(buyer.post(f"/api/v1/tenders/{tender_id}/documents/",
                             {"kind": "rules", "title": "Règlement de consultation", "file": pdf("rc.pdf")},
                             format="multipart"), 201)
    assert document["filename"] == "rc.pdf" and document["is_addendum"] is False
    assert document["size"] == len(TINY_PDF)

    # 3. Publication: the two admitted companies are invited (not the outsider), each member is mailed.
    with django_capture_on_commit_callbacks(execute=True):
        published = ok(buyer.post(f"/api/v1/tenders/{tender_id}/publish/", {}, format="json"))
    assert published["status"] == "published" and published["published_at"]
    assert published["invitation_count"] == 2
    invitations = ok(buyer.get(f"/api/v1/tenders/{tender_id}/invitations/"))
    assert invitations["count"] == 2
    assert {i["company"]["id"] for i in invitations["results"]} == {str(company.id), str(second_company.id)}
    assert all(i["company"]["siret"] and i["sent_at"] == published["published_at"] for i in invitations["results"])
    assert {m.to[0] for m in mailoutbox} >= {company_owner(company).email, company_owner(second_company).email}
    assert outsider_user.email not in {m.to[0] for m in mailoutbox}

    # 4. The invited supplier sees the tender and downloads its documents; the outsider does not.
    listed = ok(supplier.get("/api/v1/tenders/"))
    assert [t["id"] for t in listed["results"]] == [tender_id]
    seen = ok(supplier.get(f"/api/v1/tenders/{tender_id}/"))
    assert "invitation_count" not in seen and seen["allowed_transitions"] == []
    download = supplier.get(document["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == TINY_PDF
    assert ok(outsider.get("/api/v1/tenders/"))["count"] == 0
    problem(outsider.get(f"/api/v1/tenders/{tender_id}/"), 404)
    problem(outsider.get(document["download_url"]), 404)

    # 5. A question, answered for everyone without naming the asker.
    question = ok(supplier.post(f"/api/v1/tenders/{tender_id}/questions/",
                                {"text": "L'échafaudage est-il à la charge du titulaire ?"}, format="json"), 201)
    assert question["company"] == {"id": str(company.id), "name": company.name} and question["own"] is True
    assert ok(rival.get(f"/api/v1/tenders/{tender_id}/questions/"))["count"] == 0  # not answered yet
    answered = ok(buyer.post(f"/api/v1/questions/{question['id']}/answer/",
                             {"text": "Oui, il est compris dans le lot."}, format="json"))
    assert answered["answer"] == "Oui, il est compris dans le lot." and answered["answered_at"]
    [public] = ok(rival.get(f"/api/v1/tenders/{tender_id}/questions/"))["results"]
    assert public["company"] is None and public["own"] is False and public["answer"]

    # 6. A draft bid, changed, with a document, then submitted with its receipt.
    bid = ok(supplier.post(f"/api/v1/tenders/{tender_id}/bids/", {
        "total_price": "1.00", "duration_weeks": 14, "lines": SECRET_LINES, "notes": "Équipe de 6 compagnons"},
        format="json"), 201)
    assert bid["status"] == "draft" and bid["total_price"] == "1.00" and bid["receipt"] is None
    assert [line["amount"] for line in bid["lines"]] == ["9717.17", "114000.00", "48000.00"]
    assert bid["lines_total"] == SECRET_TOTAL
    bid = ok(supplier.patch(f"/api/v1/bids/{bid['id']}/", {"total_price": SECRET_TOTAL}, format="json"))
    assert bid["total_price"] == SECRET_TOTAL and bid["notes"] == "Équipe de 6 compagnons"
    memo = ok(supplier.post(f"/api/v1/bids/{bid['id']}/documents/",
                            {"kind": "technical_memo", "file": pdf("memoire-technique-secret.pdf")},
                            format="multipart"), 201)
    assert memo["name"] == "memoire-technique-secret.pdf" and memo["size"] == len(TINY_PDF)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = ok(supplier.post(f"/api/v1/bids/{bid['id']}/submit/", {}, format="json"))
    assert submitted["status"] == "submitted" and submitted["submitted_at"]
    receipt = submitted["receipt"]
    assert receipt["received_at"] == submitted["submitted_at"] and len(receipt["sha256"]) == 64
    assert receipt["sha256"] == submitted["fingerprint"]
    assert receipt["documents"][0]["name"] == "memoire-technique-secret.pdf"
    assert receipt["depositor"]["company"] == company.name and receipt["tender"]["reference"] == draft["reference"]
    assert ok(supplier.get("/api/v1/bids/"))["results"][0]["id"] == bid["id"]
    rival_bid = ok(rival.post(f"/api/v1/tenders/{tender_id}/bids/", {
        "total_price": PRICED_TOTAL, "duration_weeks": 12, "lines": PRICED_LINES}, format="json"), 201)
    ok(rival.post(f"/api/v1/bids/{rival_bid['id']}/submit/", {}, format="json"))

    # 7. Before the opening, staff see the deposit register only, and no bid.
    register = buyer.get(f"/api/v1/tenders/{tender_id}/bids/")
    assert register.status_code == 200
    rows = register.json()["results"]
    assert {(r["id"], r["status"]) for r in rows} == {(bid["id"], "submitted"), (rival_bid["id"], "submitted")}
    assert all(set(r) == {"id", "company", "submitted_at", "status"} for r in rows)
    problem(buyer.get(f"/api/v1/bids/{bid['id']}/"), 404)
    problem(buyer.get(memo["download_url"]), 404)
    problem(rival.get(f"/api/v1/bids/{bid['id']}/"), 404)

    # 8. The opening, after the deadline; then staff read the bids and their documents.
    problem(buyer.post(f"/api/v1/tenders/{tender_id}/open/", {}, format="json"), 409)
    with after_deadline(Tender.objects.get(pk=tender_id)):
        opened = ok(buyer.post(f"/api/v1/tenders/{tender_id}/open/", {}, format="json"))
        assert opened["status"] == "opened" and opened["opened_at"] and opened["opened_by"] == buyer_user.email
        full = ok(buyer.get(f"/api/v1/bids/{bid['id']}/"))
        assert full["status"] == "opened" and full["total_price"] == SECRET_TOTAL
        assert full["documents"][0]["name"] == "memoire-technique-secret.pdf"
        content = buyer.get(full["documents"][0]["download_url"])
        assert content.status_code == 200 and b"".join(content.streaming_content) == TINY_PDF
        assert "memoire-technique-secret.pdf" in content["Content-Disposition"]
        bids = ok(buyer.get(f"/api/v1/tenders/{tender_id}/bids/"))["results"]
        assert {b["id"]: b["total_price"] for b in bids} == {bid["id"]: SECRET_TOTAL, rival_bid["id"]: PRICED_TOTAL}
        assert all(b["receipt"]["sha256"] == b["fingerprint"] for b in bids)


# --- publication rules -------------------------------------------------------------------------------------


def _publish_errors(tender, buyer):
    return problem(client_for(buyer).post(f"/api/v1/tenders/{tender.id}/publish/", {}, format="json"), 400)["errors"]


def test_a_deadline_under_ten_days_without_agreement_is_refused_on_bid_deadline(db):
    category = open_category()
    admitted_company(category)
    now = timezone.now()
    tender = draft_tender(category, questions_deadline=(now + dt.timedelta(days=2)).isoformat(),
                          bid_deadline=(now + dt.timedelta(days=6)).isoformat())
    assert set(_publish_errors(tender, category.dps.created_by)) == {"bid_deadline"}
    # With the recorded agreement of every supplier, the short deadline is allowed.
    client = client_for(category.dps.created_by)
    ok(client.patch(f"/api/v1/tenders/{tender.id}/", {"deadline_agreement": "Accord écrit de tous, 3 mars."},
                    format="json"))
    assert ok(client.post(f"/api/v1/tenders/{tender.id}/publish/", {}, format="json"))["status"] == "published"


def test_weights_not_totalling_100_are_refused_on_criteria(db):
    category = open_category()
    admitted_company(category)
    tender = draft_tender(category, criteria=[
        {"code": "price", "name": "Prix", "kind": "price", "weight": 60},
        {"code": "env", "name": "Environnement", "kind": "environmental", "weight": 30}])
    errors = _publish_errors(tender, category.dps.created_by)
    assert set(errors) == {"criteria"} and "90" in errors["criteria"][0]


def test_no_environmental_criterion_is_refused_on_criteria(db):
    category = open_category()
    admitted_company(category)
    tender = draft_tender(category, criteria=[
        {"code": "price", "name": "Prix", "kind": "price", "weight": 60},
        {"code": "tech", "name": "Valeur technique", "kind": "technical", "weight": 40}])
    errors = _publish_errors(tender, category.dps.created_by)
    assert set(errors) == {"criteria"} and len(errors["criteria"]) == 1


def test_the_first_dps_window_not_over_is_refused_on_dps(db):
    category = open_category()
    admitted_company(category)
    tender = draft_tender(category)
    DynamicPurchasingSystem.objects.filter(pk=category.dps_id).update(
        first_window_ends_at=timezone.now() + dt.timedelta(days=3))
    assert set(_publish_errors(tender, category.dps.created_by)) == {"dps"}


def test_a_category_without_admitted_supplier_is_refused_on_category(db):
    category = open_category()
    tender = draft_tender(category)
    assert set(_publish_errors(tender, category.dps.created_by)) == {"category"}


def test_every_broken_rule_is_listed_at_once(db):
    category = open_category()
    now = timezone.now()
    tender = draft_tender(category, questions_deadline=(now + dt.timedelta(days=1)).isoformat(),
                          bid_deadline=(now + dt.timedelta(days=3)).isoformat(),
                          criteria=[{"code": "price", "name": "Prix", "kind": "price", "weight": 50}])
    assert set(_publish_errors(tender, category.dps.created_by)) == {"bid_deadline", "criteria", "category"}
    assert Tender.objects.get(pk=tender.id).status == "draft"


# --- creating a tender: errors per field ------------------------------------------------------------------


def test_create_reports_each_field_with_its_path(db):
    category = open_category()
    body = tender_data(category)
    body["operation"] = {**body["operation"], "insee_code": "ABC"}
    body["criteria"] = [{**body["criteria"][0], "weight": 0}, *body["criteria"][1:]]
    errors = problem(client_for(category.dps.created_by).post("/api/v1/tenders/", body, format="json"), 400)["errors"]
    assert "operation.insee_code" in errors and "criteria[0].weight" in errors
    assert not Tender.objects.exists()


@pytest.mark.parametrize("field", ["dps", "category"])
def test_create_with_an_unknown_dps_or_category_is_a_400_on_that_field(db, field):
    category = open_category()
    body = {**tender_data(category), field: "00000000-0000-0000-0000-000000000000"}
    errors = problem(client_for(category.dps.created_by).post("/api/v1/tenders/", body, format="json"), 400)["errors"]
    assert field in errors


def test_create_with_a_non_object_body_is_a_400(db):
    category = open_category()
    problem(client_for(category.dps.created_by).post("/api/v1/tenders/", [1, 2], format="json"), 400)


def test_a_published_tender_cannot_be_patched(tw):
    body = problem(tw.client("buyer").patch(f"/api/v1/tenders/{tw.tender.id}/", {"title": "Autre"}, format="json"),
                   409)
    assert body["state"] == "published"


# --- who sees what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "questions/", "bids/", "documents/", "invitations/"])
def test_a_supplier_not_invited_gets_404_on_the_tender_and_everything_under_it(tw, path):
    outsider = tw.client("outsider")
    problem(outsider.get(f"/api/v1/tenders/{tw.tender.id}/{path}"), 404)


def test_a_supplier_not_invited_cannot_ask_or_bid(tw):
    outsider = tw.client("outsider")
    problem(outsider.post(f"/api/v1/tenders/{tw.tender.id}/questions/", {"text": "?"}, format="json"), 404)
    problem(outsider.post(f"/api/v1/tenders/{tw.tender.id}/bids/", {"total_price": PRICED_TOTAL}, format="json"), 404)
    assert not Bid.objects.filter(company=tw.outsider_company).exists()


def test_another_supplier_gets_404_on_a_bid_and_its_documents(tw):
    bid = draft_bid(tw.tender, tw.invited)
    memo = ok(tw.client("invited").post(f"/api/v1/bids/{bid.id}/documents/",
                                        {"kind": "technical_memo", "file": pdf()}, format="multipart"), 201)
    rival = tw.client("second")
    problem(rival.get(f"/api/v1/bids/{bid.id}/"), 404)
    problem(rival.patch(f"/api/v1/bids/{bid.id}/", {"notes": "x"}, format="json"), 404)
    problem(rival.post(f"/api/v1/bids/{bid.id}/submit/", {}, format="json"), 404)
    problem(rival.get(memo["download_url"]), 404)
    problem(rival.delete(f"/api/v1/bid-documents/{memo['id']}/"), 404)


def test_staff_get_404_on_a_bid_before_the_opening_and_200_after(tw):
    bid = submitted_bid(tw.tender, tw.invited)
    for persona in ("buyer", "evaluator", "approver"):
        problem(tw.client(persona).get(f"/api/v1/bids/{bid.id}/"), 404)
    with after_deadline(tw.tender):
        ok(tw.client("buyer").post(f"/api/v1/tenders/{tw.tender.id}/open/", {}, format="json"))
        # An evaluator reads the bids once seated on the panel and declared free of any conflict of interest.
        problem(tw.client("evaluator").get(f"/api/v1/bids/{bid.id}/"), 403)
        seat_declared_evaluator(tw.tender, tw.evaluator)
        for persona in ("buyer", "evaluator", "approver"):
            body = ok(tw.client(persona).get(f"/api/v1/bids/{bid.id}/"))
            assert body["total_price"] == PRICED_TOTAL and body["status"] == "opened"
            assert body["lines"][0]["unit_price"] == "5000.00"


def test_the_register_before_opening_shows_no_price_and_no_document_name(tw):
    bid = draft_bid(tw.tender, tw.invited, total_price=SECRET_TOTAL, lines=SECRET_LINES,
                    notes="Notes confidentielles")
    ok(tw.client("invited").post(f"/api/v1/bids/{bid.id}/documents/",
                                 {"kind": "technical_memo", "file": pdf("nom-de-fichier-scelle.pdf")},
                                 format="multipart"), 201)
    ok(tw.client("invited").post(f"/api/v1/bids/{bid.id}/submit/", {}, format="json"))
    for persona in ("buyer", "evaluator", "approver"):
        response = tw.client(persona).get(f"/api/v1/tenders/{tw.tender.id}/bids/")
        assert response.status_code == 200
        raw = response.content
        for secret in (SECRET_TOTAL, "9717.17", "171717", "nom-de-fichier-scelle", "Notes confidentielles"):
            assert secret.encode() not in raw, secret
        [row] = json.loads(raw)["results"]
        assert set(row) == {"id", "company", "submitted_at", "status"}
        assert row["company"] == {"id": str(tw.company.id), "name": tw.company.name}
        # Nor anywhere else staff could look.
        for url in (f"/api/v1/tenders/{tw.tender.id}/", "/api/v1/tenders/", f"/api/v1/bids/{bid.id}/"):
            assert SECRET_TOTAL.encode() not in tw.client(persona).get(url).content


def test_drafts_are_not_in_the_register(tw):
    draft_bid(tw.tender, tw.invited)
    assert ok(tw.client("buyer").get(f"/api/v1/tenders/{tw.tender.id}/bids/"))["count"] == 0


def test_after_opening_the_register_gives_opened_bids_in_full_and_the_others_as_rows(tw):
    opened_bid = submitted_bid(tw.tender, tw.invited)
    withdrawn = submitted_bid(tw.tender, tw.second)
    ok(tw.client("second").post(f"/api/v1/bids/{withdrawn.id}/withdraw/", {"reason": "Erreur"}, format="json"))
    with after_deadline(tw.tender):
        ok(tw.client("buyer").post(f"/api/v1/tenders/{tw.tender.id}/open/", {}, format="json"))
        seat_declared_evaluator(tw.tender, tw.evaluator)
        rows = {r["id"]: r for r in ok(tw.client("evaluator").get(f"/api/v1/tenders/{tw.tender.id}/bids/"))["results"]}
    assert rows[str(opened_bid.id)]["total_price"] == PRICED_TOTAL
    assert rows[str(withdrawn.id)] == {"id": str(withdrawn.id), "submitted_at": rows[str(withdrawn.id)]["submitted_at"],
                                       "company": {"id": str(tw.second_company.id), "name": tw.second_company.name},
                                       "status": "withdrawn"}


def test_bids_list_is_the_suppliers_own_and_refused_to_staff(tw):
    own = draft_bid(tw.tender, tw.invited)
    draft_bid(tw.tender, tw.second)
    body = ok(tw.client("invited").get("/api/v1/bids/"))
    assert [b["id"] for b in body["results"]] == [str(own.id)]
    assert "total_price" not in body["results"][0]
    problem(tw.client("buyer").get("/api/v1/bids/"), 403)


# --- deadlines ----------------------------------------------------------------------------------------------


def test_a_late_submission_is_a_409_and_the_bid_is_kept_as_late(tw):
    bid = draft_bid(tw.tender, tw.invited)
    with after_deadline(tw.tender):
        body = problem(tw.client("invited").post(f"/api/v1/bids/{bid.id}/submit/", {}, format="json"), 409)
        assert body["state"] == "late" and body["allowed_transitions"] == []
        assert ok(tw.client("invited").get(f"/api/v1/bids/{bid.id}/"))["status"] == "late"
        [row] = ok(tw.client("buyer").get(f"/api/v1/tenders/{tw.tender.id}/bids/"))["results"]
    assert row["id"] == str(bid.id) and row["status"] == "late" and row["submitted_at"]
    assert Bid.objects.get(pk=bid.id).status == BidStatus.LATE


def test_an_incomplete_bid_lists_each_problem(tw):
    bid = draft_bid(tw.tender, tw.invited, total_price="", lines=[{"ref": "1.1", "unit_price": "5000"}])
    errors = problem(tw.client("invited").post(f"/api/v1/bids/{bid.id}/submit/", {}, format="json"), 400)["errors"]
    assert set(errors) == {"total_price", "lines.2.1", "lines.2.2"}
    assert Bid.objects.get(pk=bid.id).status == BidStatus.DRAFT


def test_a_submitted_bid_cannot_be_changed_and_a_new_submission_replaces_it(tw):
    client = tw.client("invited")
    first = submitted_bid(tw.tender, tw.invited)
    body = problem(client.patch(f"/api/v1/bids/{first.id}/", {"notes": "x"}, format="json"), 409)
    assert body["state"] == "submitted"
    second = ok(client.post(f"/api/v1/tenders/{tw.tender.id}/bids/", {"copy_from": str(first.id)}, format="json"), 201)
    assert second["total_price"] == PRICED_TOTAL
    ok(client.post(f"/api/v1/bids/{second['id']}/submit/", {}, format="json"))
    replaced = ok(client.get(f"/api/v1/bids/{first.id}/"))
    assert replaced["status"] == "withdrawn" and replaced["replaced_by"] == second["id"]


def test_a_draft_document_can_be_deleted_by_the_bidder(tw):
    bid = draft_bid(tw.tender, tw.invited)
    client = tw.client("invited")
    memo = ok(client.post(f"/api/v1/bids/{bid.id}/documents/", {"kind": "schedule", "file": pdf()},
                          format="multipart"), 201)
    assert client.delete(f"/api/v1/bid-documents/{memo['id']}/").status_code == 204
    assert ok(client.get(f"/api/v1/bids/{bid.id}/"))["documents"] == []


def test_withdrawal_after_the_deadline_is_a_409(tw):
    bid = submitted_bid(tw.tender, tw.invited)
    with after_deadline(tw.tender):
        body = problem(tw.client("invited").post(f"/api/v1/bids/{bid.id}/withdraw/", {}, format="json"), 409)
    assert body["state"] == "submitted"


def test_opening_before_the_deadline_is_a_409_with_state_and_transitions(tw):
    body = problem(tw.client("buyer").post(f"/api/v1/tenders/{tw.tender.id}/open/", {}, format="json"), 409)
    assert body["state"] == "published"
    assert "open" not in body["allowed_transitions"] and "cancel" in body["allowed_transitions"]
    assert Tender.objects.get(pk=tw.tender.id).opened_at is None


def test_a_question_after_the_questions_deadline_is_a_409(tw):
    with time_machine.travel(tw.tender.questions_deadline + dt.timedelta(minutes=1), tick=False):
        body = problem(tw.client("invited").post(f"/api/v1/tenders/{tw.tender.id}/questions/",
                                                 {"text": "Encore une question ?"}, format="json"), 409)
    assert body["state"] == "published"


def test_answered_questions_are_anonymous_for_other_suppliers_and_unanswered_ones_hidden(tw):
    invited, rival = tw.client("invited"), tw.client("second")
    answered = ok(invited.post(f"/api/v1/tenders/{tw.tender.id}/questions/", {"text": "Question A"}, format="json"), 201)
    ok(invited.post(f"/api/v1/tenders/{tw.tender.id}/questions/", {"text": "Question B"}, format="json"), 201)
    ok(rival.post(f"/api/v1/tenders/{tw.tender.id}/questions/", {"text": "Question C"}, format="json"), 201)
    ok(tw.client("buyer").post(f"/api/v1/questions/{answered['id']}/answer/", {"text": "Réponse A"}, format="json"))

    seen = ok(rival.get(f"/api/v1/tenders/{tw.tender.id}/questions/"))["results"]
    by_text = {q["text"]: q for q in seen}
    assert set(by_text) == {"Question A", "Question C"}
    assert by_text["Question A"]["company"] is None and by_text["Question A"]["answer"] == "Réponse A"
    assert by_text["Question C"]["company"]["id"] == str(tw.second_company.id)
    assert tw.company.name.encode() not in rival.get(f"/api/v1/tenders/{tw.tender.id}/questions/").content

    staff = ok(tw.client("evaluator").get(f"/api/v1/tenders/{tw.tender.id}/questions/"))["results"]
    assert {q["text"]: q["company"]["name"] for q in staff} == {
        "Question A": tw.company.name, "Question B": tw.company.name, "Question C": tw.second_company.name}


# --- ending -------------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_tells_the_invitees(tw, django_capture_on_commit_callbacks, mailoutbox):
    client = tw.client("buyer")
    assert "reason" in problem(client.post(f"/api/v1/tenders/{tw.tender.id}/cancel/", {"reason": " "},
                                           format="json"), 400)["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        body = ok(client.post(f"/api/v1/tenders/{tw.tender.id}/cancel/", {"reason": "Programme reporté"},
                              format="json"))
    assert body["status"] == "cancelled" and body["end_reason"] == "Programme reporté"
    assert {tw.invited.email, tw.second.email} <= {m.to[0] for m in mailoutbox}


def test_declare_unsuccessful_only_once_closed(tw):
    client = tw.client("buyer")
    body = problem(client.post(f"/api/v1/tenders/{tw.tender.id}/declare-unsuccessful/",
                               {"reason": "Aucune offre"}, format="json"), 409)
    assert body["state"] == "published"
    with after_deadline(tw.tender):
        ok(client.post(f"/api/v1/tenders/{tw.tender.id}/open/", {}, format="json"))
        body = ok(client.post(f"/api/v1/tenders/{tw.tender.id}/declare-unsuccessful/",
                              {"reason": "Aucune offre acceptable"}, format="json"))
    assert body["status"] == "unsuccessful"


# --- lists: filters and a fixed number of queries ---------------------------------------------------------


def test_tender_list_filters(tw):
    client = tw.client("buyer")
    other = draft_tender(tw.tender.category, title="Remplacement des menuiseries")
    assert ok(client.get("/api/v1/tenders/?status=draft"))["results"][0]["id"] == str(other.id)
    assert ok(client.get("/api/v1/tenders/?q=menuiseries"))["count"] == 1
    assert ok(client.get(f"/api/v1/tenders/?category={tw.tender.category_id}"))["count"] == 2
    assert ok(client.get(f"/api/v1/tenders/?dps={tw.tender.dps_id}&status=published"))["count"] == 1
    day = timezone.localdate(tw.tender.bid_deadline)
    assert ok(client.get(f"/api/v1/tenders/?deadline_after={day + dt.timedelta(days=1)}"))["count"] == 0
    assert ok(client.get(f"/api/v1/tenders/?deadline_before={day + dt.timedelta(days=1)}"))["count"] == 2
    for query in ("status=nope", "category=abc", "deadline_before=demain"):
        problem(client.get(f"/api/v1/tenders/?{query}"), 400)


# Token and user, staff roles, count, page, then the prefetches (criteria, schedule, documents).
TENDER_LIST_QUERIES = 7
# Token and user, roles, the tender, count, page of the register.
REGISTER_QUERIES = 5
# After the opening, also: the tender with its three prefetches (the schedule is read once for all bids),
# the opened bids of the page and their documents.
OPENED_BIDS_QUERIES = REGISTER_QUERIES + 6


@pytest.mark.parametrize("persona", ["buyer", "invited"])
def test_tender_list_has_a_fixed_number_of_queries(tw, persona, django_assert_max_num_queries):
    client = tw.client(persona)
    with django_assert_max_num_queries(TENDER_LIST_QUERIES):
        small = ok(client.get("/api/v1/tenders/"))
    for _ in range(4):
        tender = published_tender(suppliers=0, category=tw.tender.category)[0]
        tender.documents.create(kind="rules", file="x", filename="x.pdf", content_type="application/pdf", size=1,
                                sha256="0" * 64)
        assert tender.invitations.filter(company=tw.company).exists()  # the category's admitted companies
    with django_assert_max_num_queries(TENDER_LIST_QUERIES):
        large = ok(client.get("/api/v1/tenders/"))
    assert large["count"] == small["count"] + 4 == len(large["results"])


def test_register_has_a_fixed_number_of_queries_before_and_after_opening(tw, django_assert_max_num_queries):
    client = tw.client("buyer")
    submitted_bid(tw.tender, tw.invited)
    with django_assert_max_num_queries(REGISTER_QUERIES):
        ok(client.get(f"/api/v1/tenders/{tw.tender.id}/bids/"))
    for _ in range(4):
        admission = admitted_company(tw.tender.category)
        tw.tender.invitations.create(company=admission.company, admission=admission, sent_at=timezone.now())
        owner = company_owner(admission.company)
        bid = draft_bid(tw.tender, owner)
        bid_document_upload(actor=owner, bid=bid, kind="other", uploaded_file=pdf())
        bid_submit(actor=owner, bid=bid)
    with django_assert_max_num_queries(REGISTER_QUERIES):
        assert ok(client.get(f"/api/v1/tenders/{tw.tender.id}/bids/"))["count"] == 5
    with after_deadline(tw.tender):
        ok(client.post(f"/api/v1/tenders/{tw.tender.id}/open/", {}, format="json"))
        with django_assert_max_num_queries(OPENED_BIDS_QUERIES):
            rows = ok(client.get(f"/api/v1/tenders/{tw.tender.id}/bids/"))["results"]
    assert len(rows) == 5 and all(r["total_price"] == PRICED_TOTAL for r in rows)
    assert sorted(len(r["documents"]) for r in rows) == [0, 1, 1, 1, 1]


# --- malformed input: always a problem+json 4xx, never a 500 ----------------------------------------------

MALFORMED = [
    ("post", "tenders/", {"dps": [1], "category": {"a": 1}}),
    ("post", "tenders/", {"dps": 12, "category": None, "operation": "rue"}),
    ("post", "tenders/", "not an object"),
    ("patch", "tenders/{draft}/", {"category": {"x": 1}, "criteria": "prix", "operation": [1],
                                   "price_schedule": [1, "a"], "standstill": "oui", "bid_deadline": 5}),
    ("patch", "tenders/{draft}/", {"estimated_value": True, "works_duration_weeks": 2.5,
                                   "questions_deadline": "2026-02-30T10:00:00"}),
    ("post", "tenders/{tender}/questions/", {"text": ["a"], "company": "abc"}),
    ("post", "tenders/{tender}/questions/", {"text": "Question ?", "company": "00000000-0000-0000-0000-000000000000"}),
    ("post", "tenders/{tender}/bids/", {"total_price": {"a": 1}, "duration_weeks": [2], "lines": "abc"}),
    ("post", "tenders/{tender}/bids/", {"lines": [1, None, {"ref": 3, "unit_price": "x"}], "notes": 5}),
    ("post", "tenders/{tender}/bids/", {"company": "abc", "copy_from": "def"}),
    ("post", "tenders/{tender}/bids/", [1, 2]),
    ("patch", "bids/{bid}/", {"total_price": "1e400", "duration_weeks": -1, "lines": [{"ref": "9.9"}]}),
    ("multipart", "bids/{bid}/documents/", {"kind": "technical_memo"}),
    ("multipart", "bids/{bid}/documents/", {"kind": "nope", "file": b"not a pdf"}),
    ("multipart", "tenders/{tender}/documents/", {"kind": "rules", "file": b"MZ\x90\x00"}),
    ("post", "tenders/{tender}/cancel/", {}),
    ("get", "tenders/?deadline_after=2026-13-45", None),
    ("get", "tenders/?deadline_before=2026-02-30T10:00", None),
    ("get", "tenders/?dps=12", None),
]


@pytest.mark.parametrize(("method", "path", "body"), MALFORMED, ids=[f"{m} {p} {i}" for i, (m, p, _) in
                                                                     enumerate(MALFORMED)])
def test_malformed_input_is_a_problem_never_a_500(tw, method, path, body):
    draft = draft_tender(tw.tender.category)
    bid = draft_bid(tw.tender, tw.invited)
    url = "/api/v1/" + path.format(draft=draft.id, tender=tw.tender.id, bid=bid.id)
    supplier_side = path.startswith(("bids/", "tenders/{tender}/questions/", "tenders/{tender}/bids/"))
    client = tw.client("invited" if supplier_side else "buyer")
    if method == "get":
        response = client.get(url)
    elif method == "multipart":
        files = {k: SimpleUploadedFile("f.pdf", v) if isinstance(v, bytes) else v for k, v in body.items()}
        response = client.post(url, files, format="multipart")
    else:
        response = getattr(client, method)(url, body, format="json")
    body = problem(response, 400)
    assert body["errors"], body
    assert Tender.objects.count() == 2 and Bid.objects.count() == 1


def test_the_schema_documents_the_tender_and_bid_endpoints(tmp_path):
    import yaml
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path, method, tag in [
        ("/api/v1/tenders/", "post", "tenders"), ("/api/v1/tenders/{id}/publish/", "post", "tenders"),
        ("/api/v1/tenders/{id}/invitations/", "get", "tenders"), ("/api/v1/questions/{id}/answer/", "post", "tenders"),
        ("/api/v1/tenders/{id}/open/", "post", "tenders"), ("/api/v1/tenders/{id}/declare-unsuccessful/", "post",
                                                            "tenders"),
        ("/api/v1/tenders/{id}/bids/", "get", "bids"), ("/api/v1/bids/{id}/submit/", "post", "bids"),
        ("/api/v1/bid-documents/{id}/download/", "get", "bids"),
    ]:
        operation = paths[path][method]
        assert operation["tags"] == [tag] and operation["summary"], (path, method)
    for path in ("/api/v1/tenders/{id}/documents/", "/api/v1/bids/{id}/documents/"):
        assert "multipart/form-data" in paths[path]["post"]["requestBody"]["content"]
    listed = paths["/api/v1/tenders/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("PaginatedTenderList")

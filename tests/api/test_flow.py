"""The whole supplier journey through the API, and the mails it sends (each exactly once)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from procurement.models import AuditEntry, OutboundEmail
from suppliers.models import Admission
from tests.factories import TINY_PDF, StaffFactory, all_grounds_false, valid_siret

from .conftest import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "Une-phrase-de-passe-2026"


def ok(response, status=200):
    assert response.status_code == status, response.content[:800]
    return response.json()


def test_register_verify_token_company_declaration_documents_apply_decide(django_capture_on_commit_callbacks,
                                                                          mailoutbox):
    today = timezone.localdate()
    anonymous = APIClient()

    # 1. Register: one verification mail whose link is /accounts/verify/<token>/.
    with django_capture_on_commit_callbacks(execute=True):
        user = ok(anonymous.post("/api/v1/auth/register/", {"email": "Gerante@Isolation-Oise.fr", "password": PASSWORD,
                                                            "first_name": "Inès", "last_name": "Morel",
                                                            "accept_terms": True},
                                 format="json"), 201)
    assert set(user) == {"id", "email"} and user["email"] == "gerante@isolation-oise.fr"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["gerante@isolation-oise.fr"]
    token = re.search(r"/accounts/verify/([^/\s]+)/", mailoutbox[0].body).group(1)

    # 2. No API token before verification.
    response = anonymous.post("/api/v1/auth/token/", {"email": user["email"], "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")

    # 3. Verify, then get a token.
    assert ok(anonymous.post("/api/v1/auth/verify-email/", {"token": token}, format="json"))["verified"] is True
    key = ok(anonymous.post("/api/v1/auth/token/", {"email": user["email"], "password": PASSWORD},
                            format="json"))["token"]
    supplier = APIClient()
    supplier.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = ok(supplier.get("/api/v1/me/"))
    assert me["id"] == user["id"] and me["roles"] == [] and me["companies"] == []

    # 4. The company; the caller becomes its admin.
    siret = valid_siret(777)
    company = ok(supplier.post("/api/v1/companies/", {
        "siret": siret, "name": "Isolation de l'Oise SAS", "vat_number": "",
        "address": {"street": "4 place Jeanne Hachette", "postal_code": "60000", "city": "Beauvais", "country": "FR"},
        "legal_form": "SAS", "naf_code": "4329A", "employees": 18,
        "turnovers": [{"year": today.year - 1, "amount": "1800000"}, {"year": today.year - 2, "amount": "1500000.5"}],
    }, format="json"), 201)
    assert company["siret"] == siret and company["address"]["city"] == "Beauvais"
    assert company["turnovers"][0] == {"year": today.year - 1, "amount": "1800000.00"}
    assert company["turnovers"][1]["amount"] == "1500000.50"
    assert ok(supplier.get("/api/v1/me/"))["companies"] == [
        {"id": company["id"], "name": "Isolation de l'Oise SAS", "role": "admin"}]

    # 5. The buyer builds and publishes a DPS through the API.
    buyer_user = StaffFactory(roles=["buyer"])
    buyer = client_for(buyer_user)
    dps = ok(buyer.post("/api/v1/dps/", {"reference": "SAD-2027-ITE", "title": "Isolation par l'extérieur",
                                         "description": "Patrimoine de l'Oise",
                                         "valid_until": (today + dt.timedelta(days=1000)).isoformat(),
                                         "cpv_codes": ["45321000-3"]}, format="json"), 201)
    assert dps["status"] == "draft" and dps["categories"] == []
    category = ok(buyer.post(f"/api/v1/dps/{dps['id']}/categories/", {
        "code": "ITE-60", "name": "ITE — Oise", "trade": "external_wall_insulation", "territories": ["60"],
        "max_contract_value": "400000", "min_turnover": "500000",
        "required_evidence": ["kbis", "urssaf_vigilance", "decennial_insurance"],
    }, format="json"), 201)
    assert category["max_contract_value"] == "400000.00"
    published = ok(buyer.post(f"/api/v1/dps/{dps['id']}/publish/", format="json"))
    assert published["status"] == "open"
    published_at = dt.datetime.fromisoformat(published["published_at"])
    assert dt.datetime.fromisoformat(published["first_window_ends_at"]) >= published_at + dt.timedelta(days=30)
    assert published_at.utcoffset() is not None
    listed = ok(APIClient().get("/api/v1/dps/"))
    assert [d["id"] for d in listed["results"]] == [dps["id"]]
    assert listed["results"][0]["categories"][0]["code"] == "ITE-60"

    # 6. Declaration on honour.
    declaration = ok(supplier.put(f"/api/v1/companies/{company['id']}/declaration/", {
        "exclusion_grounds": all_grounds_false(), "capacities": {"staff": 18}, "sworn": True,
        "signatory": "Inès Morel, présidente"}, format="json"))
    assert declaration["version"] == 1 and declaration["declared_at"]

    # 7. Documents.
    for kind in ("kbis", "urssaf_vigilance", "decennial_insurance"):
        document = ok(supplier.post(f"/api/v1/companies/{company['id']}/documents/", {
            "kind": kind, "issued_on": (today - dt.timedelta(days=5)).isoformat(),
            "file": SimpleUploadedFile(f"{kind}.PDF", TINY_PDF, content_type="application/pdf")},
            format="multipart"), 201)
        assert {"id", "kind", "filename", "size", "sha256", "issued_on", "valid_until", "status"} <= set(document)
        assert document["size"] == len(TINY_PDF) and document["status"] in {"valid", "expiring"}
    documents = ok(supplier.get(f"/api/v1/companies/{company['id']}/documents/"))
    assert documents["count"] == 3
    urssaf = next(d for d in documents["results"] if d["kind"] == "urssaf_vigilance")
    assert urssaf["valid_until"] is not None  # six months by law when no date is printed
    download = supplier.get(f"/api/v1/documents/{urssaf['id']}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "urssaf_vigilance.pdf" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == TINY_PDF

    # 8. Apply and submit: a receipt mail to the member, once.
    application = ok(supplier.post("/api/v1/applications/", {"dps": dps["id"], "company": company["id"],
                                                              "categories": [category["id"]]}, format="json"), 201)
    assert application["status"] == "draft" and application["categories"] == [category["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        submitted = ok(supplier.post(f"/api/v1/applications/{application['id']}/submit/", format="json"))
    assert submitted["status"] == "submitted" and submitted["submitted_at"] and submitted["decision_due"]
    assert OutboundEmail.objects.filter(key__startswith=f"application-received:{application['id']}").count() == 1
    assert len(mailoutbox) == 2

    # 9. The buyer sees it in the queue and decides; admissions are created, the member is told once.
    queue = ok(buyer.get("/api/v1/applications/?status=submitted"))
    assert [a["id"] for a in queue["results"]] == [application["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        decided = ok(buyer.post(f"/api/v1/applications/{application['id']}/decide/", {
            "decisions": [{"category": category["id"], "admitted": True, "reason": ""}]}, format="json"))
    assert decided["status"] == "decided"
    assert decided["decisions"] == [{"category": category["id"], "code": "ITE-60", "name": "ITE — Oise",
                                     "decision": "admitted", "reason": ""}]
    assert len(mailoutbox) == 3 and mailoutbox[-1].to == [user["email"]]

    # A second decision is refused and mails nobody.
    with django_capture_on_commit_callbacks(execute=True):
        again = buyer.post(f"/api/v1/applications/{application['id']}/decide/", {
            "decisions": [{"category": category["id"], "admitted": True, "reason": ""}]}, format="json")
    assert again.status_code == 409
    assert len(mailoutbox) == 3
    assert OutboundEmail.objects.filter(key__startswith=f"application-decided:{application['id']}").count() == 1

    admissions = ok(buyer.get(f"/api/v1/admissions/?company={company['id']}"))
    assert admissions["count"] == 1
    admission = admissions["results"][0]
    assert admission["company"] == company["id"] and admission["category"] == category["id"]
    assert admission["status"] == "admitted"
    assert Admission.objects.count() == 1

    # 10. The audit trail shows the application's transitions and the chain holds.
    trail = ok(buyer.get(f"/api/v1/audit/?object_type=application&object_id={application['id']}"))
    assert [(e["action"], e["from_state"], e["to_state"]) for e in trail["results"]] == [
        ("create", "", "draft"), ("submit", "draft", "submitted"), ("decide", "submitted", "decided"),
        ("admit-category", "", "")]
    assert trail["results"][-1]["actor"] == buyer_user.email
    assert trail["results"][-1]["details"]["code"] == "ITE-60"
    head = AuditEntry.objects.last().hash
    assert ok(buyer.get("/api/v1/audit/verify/")) == {"valid": True, "entries": AuditEntry.objects.count(), "head": head}
    assert ok(buyer.get("/api/v1/audit/verify/", {"anchor": head}))["anchor_found"] is True


def test_request_info_then_resubmit_and_extend(world, django_capture_on_commit_callbacks, mailoutbox):
    buyer, member = world.client("buyer"), world.client("member")
    url = f"/api/v1/applications/{world.application.id}"

    extended = ok(buyer.post(f"{url}/extend/", {"reason": "Références à vérifier"}, format="json"))
    assert extended["extended"] is True and extended["decision_due"] > world.application.decision_due.isoformat()
    second = buyer.post(f"{url}/extend/", {"reason": "Encore"}, format="json")
    assert second.status_code == 409 and second.json()["state"] == "submitted"

    with django_capture_on_commit_callbacks(execute=True):
        asked = ok(buyer.post(f"{url}/request-info/", {"message": "Joindre le Qualibat."}, format="json"))
    assert asked["status"] == "info_requested" and asked["info_request_message"] == "Joindre le Qualibat."
    assert asked["allowed_transitions"] == ["submit", "withdraw"]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [world.member.email]

    resubmitted = ok(member.post(f"{url}/submit/", format="json"))
    assert resubmitted["status"] == "submitted" and resubmitted["extended"] is False


def test_admission_suspend_reinstate_exclude_mail_each_once(world, django_capture_on_commit_callbacks, mailoutbox):
    buyer = world.client("buyer")
    url = f"/api/v1/admissions/{world.admission.id}"
    with django_capture_on_commit_callbacks(execute=True):
        assert ok(buyer.post(f"{url}/suspend/", {"reason": "URSSAF échue"}, format="json"))["status"] == "suspended"
        assert ok(buyer.post(f"{url}/reinstate/", {"reason": "À jour"}, format="json"))["status"] == "admitted"
        excluded = ok(buyer.post(f"{url}/exclude/", {"reason": "Fausse déclaration"}, format="json"))
    assert excluded["status"] == "excluded" and excluded["status_reason"] == "Fausse déclaration"
    assert excluded["allowed_transitions"] == []
    assert [m.to for m in mailoutbox] == [[world.member.email]] * 3
    assert OutboundEmail.objects.filter(key__startswith="admission-").count() == 3
    trail = ok(buyer.get(f"/api/v1/audit/?object_type=admission&object_id={world.admission.id}"))
    assert [e["action"] for e in trail["results"]] == ["admit", "suspend", "reinstate", "exclude"]


def test_declaration_renewals_requested_once_per_company(world):
    buyer = world.client("buyer")
    url = f"/api/v1/dps/{world.dps.id}/declaration-renewals/"
    renewals = ok(buyer.post(url, {}, format="json"), 201)
    assert [r["company"] for r in renewals] == [str(world.company.id)]
    assert renewals[0]["status"] == "pending" and renewals[0]["due_on"]
    assert ok(buyer.post(url, {"companies": [str(world.company.id)]}, format="json"), 201) == []
    assert OutboundEmail.objects.filter(key__startswith="renewal-request:").count() == 1
    refused = buyer.post(url, {"companies": [str(world.other_company.id)]}, format="json")
    assert refused.status_code == 400 and "companies" in refused.json()["errors"]


def test_invitation_then_acceptance_gives_membership(world, new_user):
    colleague = new_user()
    invitation = ok(world.client("member").post(f"/api/v1/companies/{world.company.id}/invitations/",
                                                {"email": colleague.email, "role": "member"}, format="json"), 201)
    assert OutboundEmail.objects.filter(to=colleague.email).count() == 1
    client = client_for(colleague)
    assert client.get(f"/api/v1/companies/{world.company.id}/").status_code == 404
    membership = ok(client.post(f"/api/v1/invitations/{invitation['id']}/accept/", format="json"))
    assert membership == {"company": str(world.company.id), "company_name": world.company.name, "role": "member"}
    assert client.get(f"/api/v1/companies/{world.company.id}/").status_code == 200
    # A plain member may not change the company.
    assert client.patch(f"/api/v1/companies/{world.company.id}/", {"name": "X"}, format="json").status_code == 403

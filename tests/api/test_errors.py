"""Refusals: each as problem+json with a clear message, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from suppliers.models import Application, ApplicationCategory, Company
from suppliers.services import application_withdraw
from tests.factories import (
    TINY_PDF,
    CategoryFactory,
    CompanyFactory,
    UserFactory,
    evidence_direct,
    next_siret,
    valid_siret,
)

from .conftest import client_for

pytestmark = pytest.mark.django_db

today = timezone.localdate()


def problem(response, status):
    assert response.status_code == status, response.content[:800]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and "type" in body and "detail" in body
    return body


# --- accounts ------------------------------------------------------------------------------------------


def test_token_with_bad_credentials_is_400():
    user = UserFactory()
    body = problem(APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": "faux"},
                                    format="json"), 400)
    assert body["errors"]["non_field_errors"]
    problem(APIClient().post("/api/v1/auth/token/", {"email": "personne@example.fr", "password": "x"},
                             format="json"), 400)
    assert problem(APIClient().post("/api/v1/auth/token/", {}, format="json"), 400)["errors"].keys() == {
        "email", "password"}


def test_token_for_unverified_user_is_403():
    user = UserFactory(unverified=True)
    problem(APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": "Test-passw0rd-2026"},
                             format="json"), 403)


def test_register_refuses_a_weak_password_without_telling_whether_the_address_is_known():
    user = UserFactory()
    known = problem(APIClient().post("/api/v1/auth/register/", {"email": user.email, "password": "123"},
                                     format="json"), 400)
    new = problem(APIClient().post("/api/v1/auth/register/", {"email": "libre@example.fr", "password": "123"},
                                   format="json"), 400)
    assert known["errors"] == new["errors"] and set(known["errors"]) == {"password"}


def test_verify_email_with_forged_token_is_400():
    body = problem(APIClient().post("/api/v1/auth/verify-email/", {"token": "forged"}, format="json"), 400)
    assert "token" in body["errors"]


def test_bad_token_header_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    problem(client.get("/api/v1/me/"), 401)


# --- companies ---------------------------------------------------------------------------------------------


def test_siret_with_bad_checksum_is_400_on_siret():
    good = valid_siret(4242)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    body = problem(client_for(UserFactory()).post("/api/v1/companies/", {"siret": bad, "name": "Mauvais SIRET"},
                                                  format="json"), 400)
    assert list(body["errors"]) == ["siret"]
    assert "clé de contrôle" in body["errors"]["siret"][0]


def test_duplicate_siret_is_409():
    existing = CompanyFactory()
    body = problem(client_for(UserFactory()).post("/api/v1/companies/", {"siret": existing.siret, "name": "Doublon"},
                                                  format="json"), 409)
    assert "déjà inscrite" in body["detail"]
    assert Company.objects.filter(siret=existing.siret).count() == 1


def test_foreign_company_uses_country_and_national_id():
    client = client_for(UserFactory())
    created = client.post("/api/v1/companies/", {"name": "Bau GmbH", "national_id": "HRB 12345",
                                                 "address": {"city": "Köln", "country": "DE"}}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["country"] == "DE" and created.json()["siret"] is None
    problem(client.post("/api/v1/companies/", {"name": "Bau GmbH", "country": "DE", "national_id": "HRB 12345"},
                        format="json"), 409)


def test_company_field_errors_are_per_field():
    body = problem(client_for(UserFactory()).post("/api/v1/companies/", {
        "siret": next_siret(), "name": "", "address": {"postal_code": "6000"}, "employees": "beaucoup",
        "turnovers": [{"year": 1800, "amount": "12"}], "naf_code": "TROP-LONG-CODE"}, format="json"), 400)
    assert {"employees", "naf_code"} <= set(body["errors"])


def test_unverified_user_cannot_create_company():
    problem(client_for(UserFactory(unverified=True)).post("/api/v1/companies/", {"siret": next_siret(), "name": "X"},
                                                          format="json"), 403)


def test_declaration_errors(world):
    body = problem(world.client("member").put(f"/api/v1/companies/{world.company.id}/declaration/", {
        "exclusion_grounds": {"fraud": False, "inconnu": True}, "sworn": False, "signatory": ""}, format="json"), 400)
    assert {"exclusion_grounds", "sworn", "signatory"} <= set(body["errors"])


def test_declaration_404_when_none_yet(new_user):
    company = CompanyFactory()
    owner = company.memberships.get().user
    problem(client_for(owner).get(f"/api/v1/companies/{company.id}/declaration/"), 404)


# --- uploads -----------------------------------------------------------------------------------------------------


def upload(client, company, **fields):
    data = {"kind": "kbis", "issued_on": (today - dt.timedelta(days=2)).isoformat(), **fields}
    return client.post(f"/api/v1/companies/{company.id}/documents/", data, format="multipart")


def test_oversize_upload_is_400_on_file(world, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 100
    big = TINY_PDF + b"%" * 200 + b"\n%%EOF\n"
    body = problem(upload(world.client("member"), world.company,
                          file=SimpleUploadedFile("kbis.pdf", big, content_type="application/pdf")), 400)
    assert list(body["errors"]) == ["file"]
    assert "taille maximale" in body["errors"]["file"][0]


def test_text_named_pdf_is_400_on_file(world):
    body = problem(upload(world.client("member"), world.company,
                          file=SimpleUploadedFile("kbis.pdf", b"Ceci n'est pas un PDF.\n", content_type="application/pdf")),
                   400)
    assert list(body["errors"]) == ["file"]
    assert "PDF, JPEG et PNG" in body["errors"]["file"][0]


def test_upload_without_file_or_date_or_known_kind(world):
    body = problem(world.client("member").post(f"/api/v1/companies/{world.company.id}/documents/",
                                               {"kind": "passeport"}, format="multipart"), 400)
    assert {"kind", "file", "issued_on"} <= set(body["errors"])
    body = problem(upload(world.client("member"), world.company, issued_on="22/11/2026",
                          file=SimpleUploadedFile("k.pdf", TINY_PDF)), 400)
    assert "issued_on" in body["errors"]


# --- applications ---------------------------------------------------------------------------------------------------


def test_submit_reports_each_missing_item(world):
    """No declaration, one category lacking a document, another with an expired one: one entry per item."""
    company = CompanyFactory(owner=world.other)  # a fresh company: no declaration, no documents
    extra = CategoryFactory(dps=world.dps, actor=world.buyer, code="MEN-62", required_evidence=["tax_certificate"])
    evidence_direct(company=company, kind="tax_certificate", issued_on=today - dt.timedelta(days=400),
                    valid_until=today - dt.timedelta(days=1))
    client = world.client("other")
    created = client.post("/api/v1/applications/", {"dps": str(world.dps.id), "company": str(company.id),
                                                    "categories": [str(world.category.id), str(extra.id)]},
                          format="json")
    assert created.status_code == 201, created.content
    body = problem(client.post(f"/api/v1/applications/{created.json()['id']}/submit/", format="json"), 400)
    # One entry per missing item: the declaration, each evidence of ITE-59, the expired one of MEN-62.
    assert set(body["errors"]) == {"declaration", "category:MEN-62:tax_certificate"} | {
        f"category:ITE-59:{kind}" for kind in world.category.required_evidence}
    assert all(len(messages) == 1 for messages in body["errors"].values())
    assert "expiré" in body["errors"]["category:MEN-62:tax_certificate"][0]
    assert Application.objects.get(id=created.json()["id"]).status == "draft"


def test_wrong_state_action_is_409_with_state_and_allowed_transitions(world):
    url = f"/api/v1/applications/{world.application.id}/request-info/"
    assert world.client("buyer").post(url, {"message": "Le Kbis ?"}, format="json").status_code == 200
    body = problem(world.client("buyer").post(url, {"message": "?"}, format="json"), 409)
    assert body["state"] == "info_requested" and body["allowed_transitions"] == ["submit", "withdraw"]
    application_withdraw(actor=world.member, application=world.application)
    body = problem(world.client("buyer").post(f"/api/v1/applications/{world.application.id}/decide/", {
        "decisions": [{"category": str(world.category.id), "admitted": True}]}, format="json"), 409)
    assert body["state"] == "withdrawn" and body["allowed_transitions"] == []
    body = problem(world.client("member").post(f"/api/v1/applications/{world.application.id}/withdraw/",
                                               format="json"), 409)
    assert body["state"] == "withdrawn"
    draft = Application.objects.create(dps=world.dps, company=world.company)
    ApplicationCategory.objects.create(application=draft, category=world.category)
    # Staff do not see a draft (ApplicationQuerySet.visible_to): acting on one is "not found".
    problem(world.client("buyer").post(f"/api/v1/applications/{draft.id}/request-info/",
                                       {"message": "?"}, format="json"), 404)


def test_suspending_a_suspended_admission_is_409(world):
    url = f"/api/v1/admissions/{world.admission.id}/suspend/"
    assert world.client("buyer").post(url, {"reason": "URSSAF"}, format="json").status_code == 200
    body = problem(world.client("buyer").post(url, {"reason": "URSSAF"}, format="json"), 409)
    assert body["state"] == "suspended" and body["allowed_transitions"] == ["exclude", "reinstate"]


def test_rejection_without_reason_is_400(world):
    url = f"/api/v1/applications/{world.application.id}/decide/"
    body = problem(world.client("buyer").post(url, {"decisions": [
        {"category": str(world.category.id), "admitted": False, "reason": "  "}]}, format="json"), 400)
    assert list(body["errors"]) == ["decisions[0].reason"]
    assert "motivé" in body["errors"]["decisions[0].reason"][0]
    body = problem(world.client("buyer").post(url, {"decisions": []}, format="json"), 400)
    assert "decisions" in body["errors"]
    world.application.refresh_from_db()
    assert world.application.status == "submitted"


def test_reasons_and_messages_are_required(world):
    buyer = world.client("buyer")
    problem(buyer.post(f"/api/v1/applications/{world.application.id}/request-info/", {"message": ""},
                       format="json"), 400)
    problem(buyer.post(f"/api/v1/applications/{world.application.id}/extend/", {}, format="json"), 400)
    problem(buyer.post(f"/api/v1/admissions/{world.admission.id}/exclude/", {"reason": ""}, format="json"), 400)


def test_application_body_errors(world):
    client = world.client("member")
    body = problem(client.post("/api/v1/applications/", {"dps": "nope", "company": str(world.company.id),
                                                         "categories": ["pas-un-uuid"]}, format="json"), 400)
    assert "categories.0" in body["errors"]
    body = problem(client.post("/api/v1/applications/", {"dps": "nope", "company": str(world.company.id),
                                                         "categories": []}, format="json"), 400)
    assert list(body["errors"]) == ["dps"]


# --- isolation between suppliers ---------------------------------------------------------------------------------------


def test_a_supplier_never_sees_another_companys_objects(world):
    other = world.client("other")
    for url in (f"/api/v1/companies/{world.company.id}/", f"/api/v1/companies/{world.company.id}/documents/",
                f"/api/v1/companies/{world.company.id}/declaration/", f"/api/v1/documents/{world.document.id}/download/",
                f"/api/v1/applications/{world.application.id}/"):
        problem(other.get(url), 404)
    listed = other.get("/api/v1/applications/").json()
    assert str(world.application.id) not in {a["id"] for a in listed["results"]}
    assert all(a["company"] == str(world.other_company.id) for a in listed["results"])
    problem(other.post(f"/api/v1/applications/{world.application.id}/withdraw/", format="json"), 404)


# --- malformed input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/api/v1/companies/not-a-uuid/", "/api/v1/companies/1234/documents/", "/api/v1/documents/%20/download/",
    "/api/v1/applications/zzz/", "/api/v1/dps/'; drop table x/", "/api/v1/companies/00000000-0000-0000-0000-000000000000/",
])
def test_malformed_or_unknown_ids_are_404(world, url):
    problem(world.client("buyer").get(url), 404)


@pytest.mark.parametrize("url", ["/api/v1/admissions/nope/suspend/", "/api/v1/applications/nope/decide/",
                                 "/api/v1/invitations/nope/accept/", "/api/v1/dps/nope/publish/"])
def test_malformed_ids_in_actions_never_500(world, url):
    status = world.client("buyer").post(url, {"reason": "x"}, format="json").status_code
    assert status in (400, 403, 404)


def test_malformed_json_is_400(world):
    for url in ("/api/v1/dps/", "/api/v1/companies/", f"/api/v1/applications/{world.application.id}/decide/"):
        body = problem(world.client("buyer").post(url, data="{not json", content_type="application/json"), 400)
        # Like every 400, it says what is wrong under ``errors`` (here, the request as a whole).
        assert body["errors"] == {"non_field_errors": [body["detail"]]} and "JSON invalide" in body["detail"]
    problem(world.client("buyer").post("/api/v1/dps/", [1, 2], format="json"), 400)
    problem(world.client("buyer").post(f"/api/v1/applications/{world.application.id}/decide/",
                                       {"decisions": ["x", 3]}, format="json"), 400)
    problem(world.client("member").put(f"/api/v1/companies/{world.company.id}/declaration/",
                                       {"exclusion_grounds": [], "capacities": {"references": 3}}, format="json"), 400)


def test_bad_list_filters_are_400(world):
    problem(world.client("buyer").get("/api/v1/applications/?dps=abc"), 400)
    problem(world.client("buyer").get("/api/v1/admissions/?category=abc"), 400)
    problem(world.client("buyer").get("/api/v1/audit/?object_type=foo"), 400)


# --- audit ---------------------------------------------------------------------------------------------------------------


def test_audit_verify_reports_the_first_tampered_entry(world):
    from procurement.models import AuditEntry

    client = world.client("evaluator")
    body = client.get("/api/v1/audit/verify/").json()
    assert body == {"valid": True, "entries": AuditEntry.objects.count(), "head": AuditEntry.objects.last().hash}
    victim = AuditEntry.objects.filter(object_type="application").order_by("id").first()
    AuditEntry.objects.filter(pk=victim.pk).update(reason="réécrit")  # bypasses the append-only save()
    body = client.get("/api/v1/audit/verify/").json()
    assert body["valid"] is False and body["first_broken"] == victim.id
    assert body["entries"] == AuditEntry.objects.count()


def test_audit_requires_object_type_and_id(world):
    body = problem(world.client("buyer").get("/api/v1/audit/"), 400)
    assert set(body["errors"]) == {"object_type", "object_id"}
    empty = world.client("buyer").get("/api/v1/audit/?object_type=bid&object_id=unknown").json()
    assert empty["count"] == 0


# --- browser sessions -------------------------------------------------------------------------------------------------------


def test_session_authentication_enforces_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.buyer)
    assert client.get("/api/v1/me/").status_code == 200
    body = problem(client.post("/api/v1/dps/", {"reference": "X", "title": "Y", "valid_until": "2030-01-01"},
                               format="json"), 403)
    assert "CSRF" in body["detail"]


def test_method_and_media_type_refusals_have_a_plain_title(world):
    """DRF's messages for 405 and 415 are templates: the title never shows a raw placeholder."""
    client = world.client("buyer")
    body = problem(client.delete(f"/api/v1/dps/{world.dps.id}/"), 405)
    assert "{" not in body["title"] and "DELETE" in body["detail"]
    body = problem(client.post("/api/v1/dps/", "x", content_type="text/plain"), 415)
    assert "{" not in body["title"] and "text/plain" in body["detail"]


def test_unknown_api_paths_and_crashes_answer_problem_json(world, client, monkeypatch):
    """Django's own 404 and 500 pages are HTML: under /api/ the answer stays problem+json."""
    problem(world.client("buyer").get("/api/v1/no-such-endpoint/"), 404)
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]

    from procurement import api

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.audit, "verify", crash)
    crashing = world.client("buyer")
    crashing.raise_request_exception = False
    body = problem(crashing.get("/api/v1/audit/verify/"), 500)
    assert "boom" not in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/applications/", "/api/v1/admissions/"])
def test_an_unknown_state_filter_is_a_400_not_an_empty_list(world, path):
    body = problem(world.client("buyer").get(path, {"status": "bogus"}), 400)
    assert "status" in body["errors"]

"""Who may call what: every endpoint of this part of the API × six personas, with the expected status.

Personas: anonymous, ``member`` (admin member of the company that owns the objects), ``other`` (member of
another company), and the three staff roles. Objects a caller may not know about answer 404, never 403.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from procurement.accounts.services import verification_token
from suppliers.models import Application, ApplicationCategory, CompanyInvitation
from suppliers.services import admission_suspend, application_withdraw
from tests.factories import TINY_PDF, CategoryFactory, DPSFactory, UserFactory, all_grounds_false, next_siret

from .conftest import PERSONAS

pytestmark = pytest.mark.django_db

today = timezone.localdate()


def _draft_application(w):
    application = Application.objects.create(dps=w.dps, company=w.company, created_by=w.member)
    ApplicationCategory.objects.create(application=application, category=w.category)
    return application


def _submit_case(w):
    # The submitted application is withdrawn first, so that a new draft can be submitted.
    application_withdraw(actor=w.member, application=w.application)
    draft = _draft_application(w)
    return "post", f"/api/v1/applications/{draft.id}/submit/", {}


def _withdraw_case(w):
    return "post", f"/api/v1/applications/{w.application.id}/withdraw/", {"reason": "Plus disponible"}


def _new_application_case(w):
    dps2 = DPSFactory(actor=w.buyer, published=True)
    category = dps2.categories.first()
    return "post", "/api/v1/applications/", {"dps": str(dps2.id), "company": str(w.company.id),
                                             "categories": [str(category.id)]}


def _publish_case(w):
    draft = DPSFactory(actor=w.buyer)
    CategoryFactory(dps=draft, actor=w.buyer)
    return "post", f"/api/v1/dps/{draft.id}/publish/", {}


def _invitation_accept_case(w):
    invitation = CompanyInvitation.objects.create(company=w.company, email=w.other.email, invited_by=w.member)
    return "post", f"/api/v1/invitations/{invitation.id}/accept/", {}


def _reinstate_case(w):
    admission_suspend(actor=w.buyer, admission=w.admission, reason="Attestation URSSAF échue")
    return "post", f"/api/v1/admissions/{w.admission.id}/reinstate/", {"reason": "Attestation à jour"}


def _verify_case(w):
    unverified = UserFactory(unverified=True)
    return "post", "/api/v1/auth/verify-email/", {"token": verification_token(unverified)}


def _decide_body(w):
    return {"decisions": [{"category": str(w.category.id), "admitted": True, "reason": ""}]}


def _declaration_body():
    return {"exclusion_grounds": all_grounds_false(), "capacities": {"staff": 12}, "sworn": True,
            "signatory": "Jeanne Martin, présidente"}


def _upload_case(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return "multipart", f"/api/v1/companies/{w.company.id}/documents/", {
        "kind": "kbis", "issued_on": (today - dt.timedelta(days=3)).isoformat(),
        "file": SimpleUploadedFile("kbis.pdf", TINY_PDF, content_type="application/pdf"),
    }


A, M, O, B, E, P = PERSONAS  # noqa: E741

# endpoint name -> (case builder, {persona: expected status})
CASES = {
    "auth/register": (lambda w: ("post", "/api/v1/auth/register/", {
        "email": "nouveau@example.fr", "password": "Tr3s-longue-phrase", "first_name": "Léa", "last_name": "Roux",
        "accept_terms": True}),
        dict.fromkeys(PERSONAS, 201)),
    "auth/verify-email": (_verify_case, dict.fromkeys(PERSONAS, 200)),
    "auth/token": (lambda w: ("post", "/api/v1/auth/token/", {"email": w.member.email,
                                                              "password": "Test-passw0rd-2026"}),
                   dict.fromkeys(PERSONAS, 200)),
    "auth/logout": (lambda w: ("post", "/api/v1/auth/logout/", None),
                    {A: 401, M: 204, O: 204, B: 204, E: 204, P: 204}),
    "me": (lambda w: ("get", "/api/v1/me/", None), {A: 401, M: 200, O: 200, B: 200, E: 200, P: 200}),
    "companies": (lambda w: ("post", "/api/v1/companies/", {
        "siret": next_siret(), "name": "Nouvelle SAS", "address": {"street": "1 rue Neuve", "postal_code": "60000",
                                                                   "city": "Beauvais", "country": "FR"},
        "turnovers": [{"year": today.year - 1, "amount": "800000.00"}]}),
        {A: 401, M: 201, O: 201, B: 403, E: 403, P: 403}),
    "companies GET": (lambda w: ("get", "/api/v1/companies/", None),
                      {A: 401, M: 200, O: 200, B: 200, E: 200, P: 200}),
    "companies/{id} GET": (lambda w: ("get", f"/api/v1/companies/{w.company.id}/", None),
                           {A: 401, M: 200, O: 404, B: 200, E: 200, P: 200}),
    "companies/{id} PATCH": (lambda w: ("patch", f"/api/v1/companies/{w.company.id}/", {"name": "Nouveau nom"}),
                             {A: 401, M: 200, O: 404, B: 403, E: 403, P: 403}),
    "companies/{id}/declaration GET": (lambda w: ("get", f"/api/v1/companies/{w.company.id}/declaration/", None),
                        {A: 401, M: 200, O: 404, B: 200, E: 200, P: 200}),
    "companies/{id}/declaration PUT": (lambda w: ("put", f"/api/v1/companies/{w.company.id}/declaration/", _declaration_body()),
                        {A: 401, M: 200, O: 404, B: 403, E: 403, P: 403}),
    "companies/{id}/documents GET": (lambda w: ("get", f"/api/v1/companies/{w.company.id}/documents/", None),
                      {A: 401, M: 200, O: 404, B: 200, E: 200, P: 200}),
    "companies/{id}/documents POST": (_upload_case, {A: 401, M: 201, O: 404, B: 403, E: 403, P: 403}),
    "documents/{id}/download": (lambda w: ("get", f"/api/v1/documents/{w.document.id}/download/", None),
                                {A: 401, M: 200, O: 404, B: 200, E: 200, P: 200}),
    "companies/{id}/invitations": (lambda w: ("post", f"/api/v1/companies/{w.company.id}/invitations/",
                                    {"email": "collegue@example.fr", "role": "member"}),
                         {A: 401, M: 201, O: 404, B: 403, E: 403, P: 403}),
    "invitations/{id}/accept": (_invitation_accept_case, {A: 401, M: 403, O: 200, B: 403, E: 403, P: 403}),
    "dps": (lambda w: ("get", "/api/v1/dps/", None), dict.fromkeys(PERSONAS, 200)),
    "dps/{id} GET": (lambda w: ("get", f"/api/v1/dps/{w.dps.id}/", None), dict.fromkeys(PERSONAS, 200)),
    "dps POST": (lambda w: ("post", "/api/v1/dps/", {"reference": "SAD-NEUF", "title": "SAD chauffage",
                                                     "valid_until": (today + dt.timedelta(days=800)).isoformat()}),
                 {A: 401, M: 403, O: 403, B: 201, E: 403, P: 403}),
    "dps/{id}/categories": (lambda w: ("post", f"/api/v1/dps/{w.dps.id}/categories/", {
        "code": "CHAUF-80", "name": "Chauffage — Somme", "trade": "heating", "territories": ["80"],
        "max_contract_value": "300000.00", "min_turnover": "200000.00", "required_evidence": ["kbis"]}),
        {A: 401, M: 403, O: 403, B: 201, E: 403, P: 403}),
    # A draft DPS is unknown to suppliers: 404.
    "dps/{id}/publish": (_publish_case, {A: 401, M: 404, O: 404, B: 200, E: 403, P: 403}),
    "dps/{id}/declaration-renewals": (lambda w: ("post", f"/api/v1/dps/{w.dps.id}/declaration-renewals/", {}),
                                      {A: 401, M: 403, O: 403, B: 201, E: 403, P: 403}),
    "applications GET": (lambda w: ("get", "/api/v1/applications/", None),
                         {A: 401, M: 200, O: 200, B: 200, E: 200, P: 200}),
    # Another company named in the body is unknown to the caller: 400 on that field.
    "applications POST": (_new_application_case, {A: 401, M: 201, O: 400, B: 403, E: 403, P: 403}),
    "applications/{id} GET": (lambda w: ("get", f"/api/v1/applications/{w.application.id}/", None),
                              {A: 401, M: 200, O: 404, B: 200, E: 200, P: 200}),
    # The application is a draft: staff do not see drafts, so it is "not found" for them.
    "applications/{id}/submit": (_submit_case, {A: 401, M: 200, O: 404, B: 404, E: 404, P: 404}),
    "applications/{id}/withdraw": (_withdraw_case, {A: 401, M: 200, O: 404, B: 403, E: 403, P: 403}),
    "applications/{id}/request-info": (lambda w: ("post", f"/api/v1/applications/{w.application.id}/request-info/",
                                                  {"message": "Joindre l'attestation Qualibat."}),
                                       {A: 401, M: 403, O: 404, B: 200, E: 403, P: 403}),
    "applications/{id}/extend": (lambda w: ("post", f"/api/v1/applications/{w.application.id}/extend/",
                                            {"reason": "Vérification des références"}),
                                 {A: 401, M: 403, O: 404, B: 200, E: 403, P: 403}),
    "applications/{id}/decide": (lambda w: ("post", f"/api/v1/applications/{w.application.id}/decide/",
                                            _decide_body(w)),
                                 {A: 401, M: 403, O: 404, B: 200, E: 403, P: 403}),
    "admissions": (lambda w: ("get", "/api/v1/admissions/", None),
                       {A: 401, M: 403, O: 403, B: 200, E: 200, P: 200}),
    "admissions/{id}/suspend": (lambda w: ("post", f"/api/v1/admissions/{w.admission.id}/suspend/",
                                           {"reason": "Attestation URSSAF échue"}),
                                {A: 401, M: 403, O: 403, B: 200, E: 403, P: 403}),
    "admissions/{id}/reinstate": (_reinstate_case, {A: 401, M: 403, O: 403, B: 200, E: 403, P: 403}),
    "admissions/{id}/exclude": (lambda w: ("post", f"/api/v1/admissions/{w.admission.id}/exclude/",
                                           {"reason": "Fausse déclaration"}),
                                {A: 401, M: 403, O: 403, B: 200, E: 403, P: 403}),
    "audit": (lambda w: ("get", f"/api/v1/audit/?object_type=application&object_id={w.application.id}", None),
                  {A: 401, M: 403, O: 403, B: 200, E: 200, P: 200}),
    "audit/verify": (lambda w: ("get", "/api/v1/audit/verify/", None),
                     {A: 401, M: 403, O: 403, B: 200, E: 200, P: 200}),
}

MATRIX = [(name, persona, expected[persona]) for name, (_, expected) in CASES.items() for persona in PERSONAS]


def call(client, method, url, body):
    if method == "get":
        return client.get(url)
    if method == "multipart":
        return client.post(url, body, format="multipart")
    return getattr(client, method)(url, body if body is not None else {}, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), MATRIX, ids=[f"{n}-{p}" for n, p, _ in MATRIX])
def test_permission_matrix(world, endpoint, persona, expected):
    build, _ = CASES[endpoint]
    method, url, body = build(world)
    response = call(world.client(persona), method, url, body)

    assert response.status_code == expected, (endpoint, persona, response.content[:500])
    if expected >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == expected


def test_every_endpoint_of_this_part_is_in_the_matrix():
    from procurement import api_urls

    covered = {name.split(" ")[0] for name in CASES}
    ours = ("procurement.api", "suppliers.api")
    for pattern in api_urls.urlpatterns:
        if pattern.callback.__module__ not in ours:
            continue  # other parts of the API have their own matrix
        route = str(pattern.pattern).rstrip("/").replace("<str:id>", "{id}")
        assert route in covered, f"{route} is missing from the permission matrix"

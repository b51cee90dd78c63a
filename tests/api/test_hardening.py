"""Bad input never makes a 500: each case below once did (on PostgreSQL, or everywhere) and is now a 400 (413 for
a body over the size limit) in problem+json, naming the field; nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from suppliers.models import Company
from tenders.models import Tender
from tests.factories import TINY_PDF, UserFactory, open_category, tender_data

from .conftest import client_for

pytestmark = pytest.mark.django_db


def problem(response, status=400):
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- the body: depth, size, characters --------------------------------------------------------------------


def nested(depth: int) -> str:
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.mark.parametrize("depth", [33, 1000, 5000, 100_000])
def test_deeply_nested_json_is_a_400_even_anonymously(depth):
    body = problem(APIClient().post("/api/v1/auth/token/", nested(depth), content_type="application/json"))
    assert "profonde" in " ".join(m for msgs in body["errors"].values() for m in msgs)


def test_a_body_nested_within_the_limit_reaches_the_view():
    body = problem(APIClient().post("/api/v1/auth/token/", nested(20), content_type="application/json"))
    assert "email" in body["errors"]  # the serializer's answer: a list is not an address


def test_a_number_of_thousands_of_digits_is_a_400():
    problem(APIClient().post("/api/v1/auth/token/", '{"email": ' + "9" * 5000 + "}",
                             content_type="application/json"))


def test_a_json_body_over_the_size_limit_is_a_413_in_problem_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "a@b.fr", "password": "x" * 5000})
    problem(APIClient().post("/api/v1/auth/token/", body, content_type="application/json"), 413)


def test_a_form_over_the_size_limit_is_problem_json_not_an_html_page(world, settings):
    """Django refuses it before the view (RequestDataTooBig): the 400 handler answers problem+json."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = world.client("member").post(f"/api/v1/companies/{world.company.id}/documents/", {
        "kind": "kbis", "issued_on": "2026-01-02", "activities": "x" * 5000,
        "file": SimpleUploadedFile("k.pdf", TINY_PDF, content_type="application/pdf")}, format="multipart")
    problem(response, 413)


def test_nul_byte_in_a_tender_title_is_a_400_on_title(db):
    category = open_category()
    response = client_for(category.dps.created_by).post(
        "/api/v1/tenders/", tender_data(category, title="Isolation\x00"), format="json")
    assert "title" in problem(response)["errors"]
    assert not Tender.objects.exists()


def test_nul_byte_deep_in_a_body_is_named_by_its_path(db):
    category = open_category()
    body = tender_data(category)
    body["criteria"][1]["name"] = "Valeur\x00technique"
    response = client_for(category.dps.created_by).post("/api/v1/tenders/", body, format="json")
    assert "criteria[1].name" in problem(response)["errors"]


def test_nul_byte_in_a_multipart_field_is_a_400(world):
    response = world.client("member").post(f"/api/v1/companies/{world.company.id}/documents/", {
        "kind": "kbis\x00", "issued_on": "2026-01-02",
        "file": SimpleUploadedFile("k.pdf", TINY_PDF, content_type="application/pdf")}, format="multipart")
    assert problem(response)["errors"] == {"kind": ["Caractère nul (\\0) interdit dans un texte."]}


# --- fields ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [2147483648, 10**30])
def test_employees_beyond_the_column_is_a_400_on_employees(world, value):
    response = world.client("member").patch(f"/api/v1/companies/{world.company.id}/", {"employees": value},
                                            format="json")
    assert "employees" in problem(response)["errors"]
    world.company.refresh_from_db()
    assert world.company.employees != value


def test_employees_at_the_column_maximum_is_accepted(world):
    response = world.client("member").patch(f"/api/v1/companies/{world.company.id}/", {"employees": 2147483647},
                                            format="json")
    assert response.status_code == 200, response.content[:400]


def test_a_list_where_a_label_is_expected_is_a_400(db):
    category = open_category()
    body = tender_data(category)
    body["operation"]["energy_label_before"] = ["G"]
    response = client_for(category.dps.created_by).post("/api/v1/tenders/", body, format="json")
    assert "operation.energy_label_before" in problem(response)["errors"]
    assert not Tender.objects.exists()


def test_a_foreign_company_with_a_vat_number_is_registered(db):
    user = UserFactory()
    response = client_for(user).post("/api/v1/companies/", {
        "country": "BE", "national_id": "0403170701", "name": "x", "vat_number": "BE0403170701"}, format="json")
    assert response.status_code == 201, response.content[:500]
    assert Company.objects.get(id=response.json()["id"]).vat_number == "BE0403170701"


def test_a_foreign_company_with_a_wrong_vat_number_is_a_400_on_vat_number(db):
    user = UserFactory()
    response = client_for(user).post("/api/v1/companies/", {
        "country": "BE", "national_id": "0403170701", "name": "x", "vat_number": "BE0403170702"}, format="json")
    assert "vat_number" in problem(response)["errors"]


# --- query parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path,param", [("/api/v1/tenders/?q=%00", "q"),
                                        ("/api/v1/audit/?object_type=tender&object_id=%00", "object_id")])
def test_nul_byte_in_a_query_parameter_is_a_400(world, path, param):
    assert param in problem(world.client("buyer").get(path))["errors"]


def test_nul_byte_in_a_page_query_is_a_400_page(client, buyer):
    client.force_login(buyer)
    response = client.get("/console/marches/?q=%00")
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["0", "-5", "null", "abc", "1.5"])
def test_bad_page_size_is_a_400(world, value):
    assert "page_size" in problem(world.client("buyer").get(f"/api/v1/applications/?page_size={value}"))["errors"]


def test_a_page_size_above_the_maximum_gives_the_maximum(world):
    response = world.client("buyer").get("/api/v1/applications/?page_size=1000")
    assert response.status_code == 200


TENDER_TEXTS = ["title", "description", "deadline_agreement", "price_method", "operation.name", "operation.address",
                "operation.commune", "operation.insee_code", "operation.energy_label_before",
                "operation.energy_label_target", "criteria[0].code", "criteria[0].name", "criteria[0].kind",
                "price_schedule[0].ref", "price_schedule[0].label", "price_schedule[0].unit"]


@pytest.mark.parametrize("field", TENDER_TEXTS)
@pytest.mark.parametrize("value", [["G"], {"x": "G"}, 7])
def test_a_tender_text_field_of_another_type_is_a_400(db, field, value):
    category = open_category()
    body = tender_data(category)
    target, key = body, field
    if "." in field:
        head, key = field.split(".")
        target = body[head[:-3]][0] if head.endswith("[0]") else body[head]
    target[key] = value
    response = client_for(category.dps.created_by).post("/api/v1/tenders/", body, format="json")
    assert problem(response)["errors"]
    assert not Tender.objects.exists()


def test_registering_with_something_that_is_no_address_is_a_400_on_email():
    response = APIClient().post("/api/v1/auth/register/", {"email": "post", "password": "Tr3s-l0ng-mot-de-passe"},
                                format="json")
    assert "email" in problem(response)["errors"]

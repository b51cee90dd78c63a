"""The OpenAPI schema generates cleanly and documents this part of the API; the docs use local assets."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in ("/api/v1/auth/token/", "/api/v1/me/", "/api/v1/companies/{id}/declaration/",
                 "/api/v1/companies/{id}/documents/", "/api/v1/documents/{id}/download/",
                 "/api/v1/applications/{id}/decide/", "/api/v1/admissions/{id}/suspend/",
                 "/api/v1/dps/{id}/declaration-renewals/", "/api/v1/audit/", "/api/v1/audit/verify/"):
        assert path in paths, path
    upload = paths["/api/v1/companies/{id}/documents/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    listed = paths["/api/v1/applications/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("PaginatedApplicationList")


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_every_operation_documents_its_errors_as_problem_json(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            answers = operation["responses"]
            expected = {"400", "401", "403", "404"} | ({"409"} if method != "get" else set())
            assert expected <= set(answers), (method, path, sorted(answers))
            for code, answer in answers.items():
                if int(code) >= 400:
                    assert set(answer["content"]) == {"application/problem+json"}, (method, path, code)
                    assert answer["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_a_supplier_gets_every_field_the_schema_requires_of_a_tender(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"))
    required = yaml.safe_load((tmp_path / "schema.yml").read_text())["components"]["schemas"]["Tender"]["required"]
    assert "allowed_transitions" in required and "invitation_count" not in required


def test_downloads_of_uploaded_files_document_every_type_an_upload_can_have(tmp_path):
    from procurement.api_support import UPLOADED_FILE_TYPES
    from suppliers.evidence_files import ACCEPTED

    assert set(UPLOADED_FILE_TYPES) == set(ACCEPTED)
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"))
    paths = yaml.safe_load((tmp_path / "schema.yml").read_text())["paths"]
    for path in ("/api/v1/documents/{id}/download/", "/api/v1/tender-documents/{id}/download/",
                 "/api/v1/bid-documents/{id}/download/", "/api/v1/bid-request-documents/{id}/download/"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == set(ACCEPTED), path

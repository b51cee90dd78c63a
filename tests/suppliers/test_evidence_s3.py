"""Evidence documents stored on the S3 server: upload through the API, bytes in the bucket under an
unguessable key, download by a member, 404 for an outsider."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import CompanyFactory, UserFactory, company_owner

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

PDF = b"%PDF-1.4\n% attestation URSSAF de vigilance\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def s3_storage(require_s3, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": require_s3.storage_options()},
    }
    return require_s3


def test_it_stores_evidence_in_the_bucket_and_serves_it_to_members_only(s3_storage):
    company = CompanyFactory()
    member = APIClient()
    member.force_authenticate(company_owner(company))

    upload = SimpleUploadedFile("Attestation URSSAF.pdf", PDF, content_type="application/pdf")
    response = member.post(
        f"/api/v1/companies/{company.id}/documents/",
        {"kind": "urssaf_vigilance", "file": upload, "issued_on": "2026-11-02"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()

    from suppliers.models import EvidenceDocument

    key = EvidenceDocument.objects.get(id=document["id"]).file.name
    assert "URSSAF" not in key and key.startswith(f"evidence/{company.id}/")
    stored = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=key)["Body"].read()
    assert stored == PDF

    download = member.get(f"/api/v1/documents/{document['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF

    outsider = APIClient()
    outsider.force_authenticate(UserFactory())
    assert outsider.get(f"/api/v1/documents/{document['id']}/download/").status_code == 404

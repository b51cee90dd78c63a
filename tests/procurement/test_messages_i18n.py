"""Messages raised by services and validators follow the language: French by default, English on request."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from rest_framework.test import APIClient

from procurement.errors import NotAllowed, ValidationFailed
from procurement.models import EvidenceKind
from procurement.services import dps_create
from suppliers.identifiers import clean_siret
from suppliers.services import application_create, application_submit, evidence_upload
from tests.factories import TINY_PDF, CompanyFactory, DPSFactory, UserFactory, company_owner, valid_siret

from ..api.conftest import client_for

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in English activates English in this thread: put the previous language back afterwards."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _bad_siret() -> str:
    good = valid_siret(4343)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def _application_without_declaration():
    dps = DPSFactory(published=True)
    company = CompanyFactory()
    user = company_owner(company)
    application = application_create(actor=user, dps=dps, company=company,
                                     category_ids=list(dps.categories.values_list("id", flat=True)))
    return user, application, dps.categories.get()


# --- services and validators -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_incomplete_application_is_explained_in_english():
    user, application, category = _application_without_declaration()
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        application_submit(actor=user, application=application)
    errors = caught.value.errors
    assert errors["declaration"] == ["The declaration on honour has not been made and signed."]
    assert caught.value.detail == "The application is incomplete."
    with translation.override("en"):
        labels = [str(EvidenceKind(kind).label) for kind in category.required_evidence]
    assert [errors[f"category:{category.code}:{kind}"][0] for kind in category.required_evidence] == [
        f"{label}: document missing." for label in labels]


@pytest.mark.django_db
def test_incomplete_application_stays_french_by_default():
    user, application, category = _application_without_declaration()
    with pytest.raises(ValidationFailed) as caught:
        application_submit(actor=user, application=application)
    errors = caught.value.errors
    assert errors["declaration"] == ["La déclaration sur l'honneur n'a pas été faite et signée."]
    labels = [str(EvidenceKind(kind).label) for kind in category.required_evidence]
    assert [errors[f"category:{category.code}:{kind}"][0] for kind in category.required_evidence] == [
        f"{label} : document manquant." for label in labels]


def test_bad_siret_in_english_and_in_french():
    with translation.override("en"), pytest.raises(ValueError) as caught:
        clean_siret(_bad_siret())
    assert str(caught.value) == "This SIRET is not valid: the check digit is wrong (14 digits expected)."
    with pytest.raises(ValueError) as caught:
        clean_siret(_bad_siret())
    assert str(caught.value) == "Ce SIRET n'est pas valide : la clé de contrôle est fausse (14 chiffres attendus)."


@pytest.mark.django_db
def test_oversized_file_in_english(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    company = CompanyFactory()
    big = TINY_PDF + b"%" * 4096 + b"\n%%EOF\n"
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        evidence_upload(actor=company_owner(company), company=company, kind=EvidenceKind.KBIS,
                        uploaded_file=SimpleUploadedFile("kbis.pdf", big, content_type="application/pdf"),
                        issued_on=timezone.localdate() - dt.timedelta(days=1))
    assert caught.value.errors == {"file": ["The file is 4 kB: the maximum size is 1 kB."]}


@pytest.mark.django_db
def test_role_refusal_in_english():
    with translation.override("en"), pytest.raises(NotAllowed) as caught:
        dps_create(actor=UserFactory(), reference="SAD-X", title="X",
                   valid_until=timezone.localdate() + dt.timedelta(days=30))
    assert caught.value.detail == "This action is reserved for the “buyer” role."
    with translation.override("en"):  # the title is read in the language of the moment it is shown
        assert str(caught.value.title) == "Action not allowed"
    assert str(caught.value.title) == "Action non autorisée"


# --- through the API ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_errors_follow_accept_language():
    client = client_for(UserFactory())
    data = {"siret": _bad_siret(), "name": "Mauvais SIRET"}
    english = client.post("/api/v1/companies/", data, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english["Content-Type"].startswith("application/problem+json")
    body = english.json()
    assert body["title"] == "Invalid data"
    assert body["errors"] == {"siret": ["This SIRET is not valid: the check digit is wrong (14 digits expected)."]}

    french = client.post("/api/v1/companies/", data, format="json").json()
    assert french["title"] == "Données invalides"
    assert french["errors"] == {
        "siret": ["Ce SIRET n'est pas valide : la clé de contrôle est fausse (14 chiffres attendus)."]}


@pytest.mark.django_db
def test_api_refusals_follow_accept_language():
    user = UserFactory(unverified=True)
    payload = {"email": user.email, "password": "Test-passw0rd-2026"}
    english = APIClient().post("/api/v1/auth/token/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["status"] == 403
    assert english["title"] == "Action not allowed"
    assert english["detail"] == "Verify your email address first (with the link you received by email)."
    french = APIClient().post("/api/v1/auth/token/", payload, format="json").json()
    assert french["title"] == "Action non autorisée"
    assert french["detail"] == "Vérifiez d'abord votre adresse e-mail (lien reçu par courriel)."


@pytest.mark.django_db
def test_api_unknown_address_in_english(client):
    body = client.get("/api/v1/nowhere/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body == {"type": "about:blank", "title": "Not found", "status": 404,
                    "detail": "No resource at this address."}


# --- the catalogue itself -----------------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """Each non-obsolete entry of a .po file: its flags, msgid and msgstr(s)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line and not line.startswith("#~")]
        entry: dict = {"flags": [], "strings": {}}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                entry["strings"][key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry["strings"][key] += ast.literal_eval(line)
        if entry["strings"].get("msgid"):
            entries.append(entry)
    return entries


def test_every_english_message_is_translated_and_none_is_fuzzy():
    entries = _po_entries(PO_FILE)
    assert len(entries) > 100
    fuzzy = [e["strings"]["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["strings"]["msgid"] for e in entries
             if not all(value for key, value in e["strings"].items() if key.startswith("msgstr"))]
    assert fuzzy == []
    assert empty == []

"""Refusals a contractor meets: an incomplete file cannot be submitted; a bad upload is explained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from suppliers.models import Application, ApplicationStatus, EvidenceDocument
from suppliers.services import application_create
from tests.factories import DEFAULT_PASSWORD, TINY_PDF, CompanyFactory, UserFactory, ready_company

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft_missing_two(open_dps):
    """A draft application whose company has its declaration and only the Kbis of three certificates."""
    dps, category = open_dps
    user = UserFactory(email="luc.bernard@chauffage-arras.fr", first_name="Luc", last_name="Bernard")
    company, _ = ready_company(company=CompanyFactory(owner=user, name="Chauffage d'Arras SARL"), user=user,
                               kinds=["kbis"])
    application = application_create(actor=user, dps=dps, company=company, category_ids=[category.id])
    return application, user


def test_submitting_with_missing_certificates_lists_each_missing_item(ui, draft_missing_two):
    application, user = draft_missing_two
    page = ui.new_page("contractor")
    ui.log_in(page, user.email, DEFAULT_PASSWORD)
    page.goto(f"/portail/candidatures/{application.id}/")
    expect(page.get_by_role("main"), ui.why(page, "draft shown as incomplete")).to_contain_text(
        "Votre dossier est incomplet")

    page.get_by_role("button", name="Déposer la candidature").click()
    alerts = page.get_by_role("list").filter(has=page.get_by_role("alert")).get_by_role("alert")
    expected = [
        "La candidature n'a pas été déposée : il manque les éléments suivants.",
        "Attestation de vigilance URSSAF : document manquant.",
        "Assurance responsabilité civile : document manquant.",
    ]
    expect(alerts, ui.why(page, "one message per missing item")).to_have_text(expected)
    expect(page.locator(".page-header"), ui.why(page, "still a draft")).to_contain_text("Brouillon")
    expect(page.get_by_role("button", name="Déposer la candidature")).to_be_enabled()
    ui.screenshot(page, "refusal-missing-certificates")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.submitted_at is None


def test_oversized_or_wrong_type_upload_is_explained_and_the_form_kept(ui, draft_missing_two, settings, tmp_path):
    application, user = draft_missing_two
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 4 * 1024
    today = timezone.localdate()
    issued, until = (today - dt.timedelta(days=5)).isoformat(), (today + dt.timedelta(days=180)).isoformat()
    page = ui.new_page("contractor")
    ui.log_in(page, user.email, DEFAULT_PASSWORD)
    page.goto(f"/portail/entreprises/{application.company_id}/documents/")

    def upload(path):
        page.get_by_label("Type de justificatif").select_option(label="Attestation de vigilance URSSAF")
        page.get_by_label("Fichier").set_input_files(str(path))
        page.get_by_label("Délivré le").fill(issued)
        page.get_by_label("Valide jusqu'au").fill(until)
        page.get_by_role("button", name="Déposer le document").click()

    def assert_form_kept(what):
        expect(page.get_by_label("Type de justificatif"), ui.why(page, f"{what}: kind kept")).to_have_value(
            "urssaf_vigilance")
        expect(page.get_by_label("Délivré le"), ui.why(page, f"{what}: issue date kept")).to_have_value(issued)
        expect(page.get_by_label("Valide jusqu'au"), ui.why(page, f"{what}: expiry date kept")).to_have_value(until)
        expect(page.get_by_role("alert").filter(has_text="Le document n'a pas été déposé"),
               ui.why(page, f"{what}: summary message")).to_be_visible()

    big = tmp_path / "urssaf-scan.pdf"
    big.write_bytes(TINY_PDF[:-6] + b"%" * 10 * 1024 + b"\n%%EOF\n")
    upload(big)
    expect(page.locator(".form-row--error").filter(has_text="Fichier"), ui.why(page, "size message on the field")
           ).to_contain_text("Le fichier pèse 10 ko : la taille maximale est de 4 ko.")
    assert_form_kept("oversized")
    ui.screenshot(page, "refusal-oversized")

    fake = tmp_path / "urssaf.pdf"
    fake.write_text("Ceci n'est pas un PDF, seulement du texte renommé.\n")
    upload(fake)
    expect(page.locator(".form-row--error").filter(has_text="Fichier"), ui.why(page, "type message on the field")
           ).to_contain_text("Seuls les fichiers PDF, JPEG et PNG sont acceptés")
    assert_form_kept("wrong type")
    ui.screenshot(page, "refusal-wrong-type")

    assert not EvidenceDocument.objects.filter(company_id=application.company_id, kind="urssaf_vigilance").exists()
    assert Application.objects.get(id=application.id).status == ApplicationStatus.DRAFT

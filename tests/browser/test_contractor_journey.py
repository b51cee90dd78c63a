"""A contractor, from the home page to a submitted application, in Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import dateformat, timezone, translation
from playwright.sync_api import expect

from suppliers.models import Application, ApplicationStatus

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIRET = "73282932000074"
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
CERTIFICATES = [
    # (label of the kind, file name, days before today it was issued, days after today it expires)
    ("Extrait Kbis", "kbis.pdf", 20, 70),
    ("Attestation de vigilance URSSAF", "urssaf.pdf", 10, 170),
    ("Assurance responsabilité civile", "rc-pro.pdf", 60, 300),
]


def test_contractor_registers_declares_uploads_and_applies(ui, open_dps, mailoutbox, tmp_path):
    dps, category = open_dps
    page = ui.new_page("contractor")
    today = timezone.localdate()

    # Home page → registration.
    page.goto("/")
    expect(page.get_by_role("heading", level=1), ui.why(page, "home page heading")).to_contain_text(
        "Référencez votre entreprise")
    page.get_by_role("main").get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte"), ui.why(page, "registration page")).to_be_visible()
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_role("textbox", name="Nom", exact=True).fill("Martin")
    page.get_by_label("Adresse e-mail professionnelle").fill("jeanne.martin@isolation-nord.fr")
    page.locator("#id_password").fill(PASSWORD)  # its label "Mot de passe" is also the start of the next one
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_role("checkbox", name="J'accepte les conditions générales d'utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez votre adresse e-mail"),
           ui.why(page, "registration done page")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("jeanne.martin@isolation-nord.fr")

    # The verification link from the mail.
    mails = [m for m in mailoutbox if m.to == ["jeanne.martin@isolation-nord.fr"]]
    assert len(mails) == 1, f"one verification mail expected, got {[m.subject for m in mailoutbox]}"
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mails[0].body)
    assert link and link.group(0).startswith(ui.base_url), mails[0].body
    page.goto(link.group(0))
    expect(page.get_by_role("status").filter(has_text="Votre adresse e-mail est vérifiée"),
           ui.why(page, "verified message")).to_be_visible()
    expect(page.get_by_role("heading", name="Mon espace entreprise")).to_be_visible()

    # A French company.
    page.get_by_role("link", name="Inscrire mon entreprise").click()
    ui.screenshot(page, "contractor-company-form")
    expect(page.get_by_label("Pays du siège"), ui.why(page, "France by default")).to_have_value("FR")
    page.get_by_label("Raison sociale").fill("Isolation du Nord SARL")
    page.get_by_label("SIRET").fill(SIRET)
    page.get_by_label("Forme juridique").fill("SARL")
    page.get_by_role("textbox", name="Adresse", exact=True).fill("12 rue de la République")
    page.get_by_label("Code postal").fill("59000")
    page.get_by_label("Commune").fill("Lille")
    page.get_by_label("Effectif (salariés)").fill("25")
    page.get_by_label(f"Chiffre d'affaires {today.year - 1} (€ HT)").fill("2500000")
    page.get_by_role("button", name="Inscrire l'entreprise").click()
    expect(page.get_by_role("status").filter(has_text="L'entreprise Isolation du Nord SARL est inscrite"),
           ui.why(page, "company registered")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Isolation du Nord SARL")
    expect(page.get_by_role("main")).to_contain_text(SIRET)

    # The declaration on honour: every exclusion ground answered "non".
    page.get_by_role("navigation", name="Rubriques de l’entreprise").get_by_role(
        "link", name="Déclaration sur l'honneur").click()
    grounds = page.get_by_role("radiogroup")
    assert grounds.count() == 17, ui.why(page, f"17 exclusion grounds expected, {grounds.count()} shown")
    for index in range(grounds.count()):
        grounds.nth(index).get_by_label("Non").check()
    page.get_by_label(f"Chiffre d'affaires {today.year - 1} (€ HT)").fill("2500000")
    page.get_by_label("Effectif moyen annuel").fill("25")
    page.get_by_label("Nom et qualité du signataire").fill("Jeanne Martin, gérante")
    page.get_by_label("Je certifie sur l'honneur").check()
    ui.screenshot(page, "contractor-declaration-filled")
    page.get_by_role("button", name="Signer et enregistrer la déclaration").click()
    expect(page.get_by_role("status").filter(has_text="Déclaration sur l'honneur enregistrée (version 1)"),
           ui.why(page, "declaration recorded")).to_be_visible()

    # The certificates the category requires.
    page.get_by_role("navigation", name="Rubriques de l’entreprise").get_by_role("link", name="Justificatifs").click()
    for label, filename, issued_days_ago, valid_days in CERTIFICATES:
        path = tmp_path / filename
        path.write_bytes(TINY_PDF)
        page.get_by_label("Type de justificatif").select_option(label=label)
        page.get_by_label("Fichier").set_input_files(str(path))
        page.get_by_label("Délivré le").fill((today - dt.timedelta(days=issued_days_ago)).isoformat())
        page.get_by_label("Valide jusqu'au").fill((today + dt.timedelta(days=valid_days)).isoformat())
        page.get_by_role("button", name="Déposer le document").click()
        expect(page.get_by_role("status").filter(has_text=f"Document « {filename} » déposé"),
               ui.why(page, f"{label} uploaded")).to_be_visible()
    documents = page.get_by_role("table")
    for label, filename, _, _ in CERTIFICATES:
        expect(documents.get_by_role("row").filter(has_text=label), ui.why(page, f"{label} listed")).to_contain_text(
            filename)

    ui.screenshot(page, "contractor-documents")

    # Apply to the category of the open DPS.
    page.get_by_role("link", name="Mon espace entreprise").first.click()
    page.get_by_role("row").filter(has_text=dps.reference).get_by_role("link", name="Candidater").click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "apply page")).to_contain_text(dps.reference)
    row = page.get_by_role("row").filter(has_text=category.code)
    expect(row, ui.why(page, "nothing missing for the category")).to_contain_text("Dossier complet")
    page.get_by_label(category.code).check()
    ui.screenshot(page, "contractor-apply")
    page.get_by_role("button", name="Créer ma candidature (brouillon)").click()
    expect(page.get_by_role("status").filter(has_text="Catégories enregistrées"),
           ui.why(page, "draft created")).to_be_visible()
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_role("status").filter(has_text="Votre candidature est déposée"),
           ui.why(page, "application submitted")).to_be_visible()

    application = Application.objects.get(company__siret=SIRET)
    assert application.status == ApplicationStatus.SUBMITTED
    with translation.override("fr"):
        due = dateformat.format(application.decision_due, "l j F Y")
    header = page.locator(".page-header")
    expect(header, ui.why(page, "status badge")).to_contain_text("Déposée")
    expect(page.get_by_role("main"), ui.why(page, "decision due date")).to_contain_text(
        f"décision attendue au plus tard le {due}")
    expect(page.get_by_role("row").filter(has_text=category.code), ui.why(page, "line pending")).to_contain_text(
        "En attente")
    ui.screenshot(page, "contractor-application-submitted")

    receipts = [m for m in mailoutbox if m.to == ["jeanne.martin@isolation-nord.fr"] and m is not mails[0]]
    assert len(receipts) == 1, [m.subject for m in mailoutbox]

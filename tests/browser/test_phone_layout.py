"""The portal on a phone: a contractor answers from the site van.

The main portal journey at 390 × 844 (and, for comparison, on a 1366 px laptop): the public pages, the
company's pages, an application, the invitations inbox, a tender, a priced bid and its receipt. On every
page nothing may stick out of the viewport (nothing to scroll sideways); tables become one card per row
that still reads as a table to a screen reader; while the unit prices are typed the live sum of the lines
stays on screen.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from procurement.models import DynamicPurchasingSystem
from tenders.services import tender_publish
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    UserFactory,
    admitted_company,
    draft_tender,
    ready_company,
)

from .confirm import CONFIRM_DIALOG, confirm_dialog
from .layout import PHONE, assert_fits, in_viewport, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# Eight lines: on a phone the schedule is taller than the screen, so the sum has to be kept in view.
SCHEDULE = [
    ("1.1", "Installation de chantier, clôtures et base vie", "forfait", "1", "5000"),
    ("1.2", "Échafaudage de pied, montage, location et repli", "m²", "1450", "12,50"),
    ("2.1", "Isolant PSE graphité 160 mm collé-chevillé", "m²", "1200", "95,00"),
    ("2.2", "Enduit de finition hydraulique", "m²", "1200", "40"),
    ("2.3", "Retours en tableaux de baies, isolant 30 mm", "ml", "640", "38,20"),
    ("3.1", "Appuis de fenêtre en aluminium laqué", "u", "96", "145"),
    ("3.2", "Reprise des descentes d'eaux pluviales", "ml", "210", "48,75"),
    ("4.1", "Nettoyage et repli de chantier", "forfait", "1", "2500"),
]
# 5 000 + 18 125 + 114 000 + 48 000 + 24 448 + 13 920 + 10 237,50 + 2 500
SUM_SHOWN = re.compile(r"^236\s230,50$")


@pytest.fixture
def contractor_situation(open_dps):
    """A contractor whose company is admitted to a category with a published tender, and may still apply to
    the category of ``open_dps``. Returns (contractor, company, tender, dps to apply to, its category)."""
    dps, category = open_dps
    buyer = dps.created_by
    other_dps_category = _tendering_category(buyer)
    contractor = UserFactory(email="karim.benali@facades-artois.fr", first_name="Karim", last_name="Benali")
    company, _ = ready_company(
        [category, other_dps_category],
        user=contractor,
        company=CompanyFactory(owner=contractor, name="Façades de l'Artois SAS"),
    )
    admitted_company(other_dps_category, company=company, actor=buyer)
    schedule = [
        {"ref": ref, "label": label, "unit": unit, "quantity": quantity}
        for ref, label, unit, quantity, _price in SCHEDULE
    ]
    tender = draft_tender(
        other_dps_category,
        actor=buyer,
        price_schedule=schedule,
        estimated_value="250000.00",
        budget_ceiling="300000.00",
    )
    tender = tender_publish(actor=buyer, tender=tender)
    return contractor, company, tender, dps, category


def _tendering_category(buyer):
    """A category of a second DPS whose first 30-day window is over, so that a tender may be published."""
    from procurement.models import Trade
    from procurement.services import category_create, dps_create, dps_publish

    dps = dps_create(
        actor=buyer,
        reference="SAD-2026-ARTOIS",
        title="Rénovation des résidences de l'Artois",
        valid_until=timezone.localdate() + dt.timedelta(days=3 * 365),
        description="Façades et toitures des résidences du bassin minier.",
    )
    category = category_create(
        actor=buyer,
        dps=dps,
        code="ITE-62",
        name="Isolation thermique par l'extérieur — Pas-de-Calais",
        trade=Trade.EXTERNAL_WALL_INSULATION,
        territories=["62"],
        max_contract_value="500000",
        min_turnover="300000",
        required_evidence=["kbis", "urssaf_vigilance", "liability_insurance"],
    )
    dps_publish(actor=buyer, dps=dps)
    DynamicPurchasingSystem.objects.filter(pk=dps.pk).update(
        published_at=timezone.now() - dt.timedelta(days=40),
        first_window_ends_at=timezone.now() - dt.timedelta(days=10),
    )
    category.refresh_from_db()
    return category


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone-390", "laptop-1366"])
def test_portal_journey_fits_the_screen(ui, contractor_situation, viewport, tmp_path):
    contractor, company, tender, dps, category = contractor_situation
    wide = {}  # page name → what sticks out, gathered over the whole journey and reported at the end

    def check(page, name):
        shot = ui.screenshot(page, f"{viewport['width']}-{name}")
        problems = overflow(page)
        if problems:
            wide[name] = [f"{page.url} (screenshot {shot})", *problems[:10]]

    # --- Public pages. ---------------------------------------------------------------------------------
    page = ui.new_page("contractor", viewport=viewport)
    page.set_default_timeout(30_000)  # some twenty pages, a bid sealed and deposited: room for a slow machine
    for name, url in [
        ("home", "/"),
        ("dps", f"/sad/{dps.id}/"),
        ("login", "/accounts/login/"),
        ("register", "/accounts/register/"),
        ("password-reset", "/accounts/password-reset/"),
        ("accessibility", "/accessibilite/"),
        ("legal-notice", "/mentions-legales/"),
        ("privacy", "/donnees-personnelles/"),
        ("terms", "/cgu/"),
        ("contact", "/contact/"),
    ]:
        response = page.goto(url)
        assert response.ok, ui.why(page, f"{name}: HTTP {response.status}")
        check(page, name)

    # --- The company's pages. --------------------------------------------------------------------------
    ui.log_in(page, contractor.email, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1), ui.why(page, "dashboard")).to_have_text(
        "Mon espace entreprise"
    )
    check(page, "dashboard")
    apply_button = (
        page.get_by_role("row").filter(has_text=dps.reference).get_by_role("link", name="Candidater")
    )
    apply_button.scroll_into_view_if_needed()
    assert in_viewport(page, apply_button), ui.why(page, "the Candidater button fits the screen")

    page.get_by_role("link", name=company.name).first.click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "company page")).to_have_text(company.name)
    check(page, "company")
    page.get_by_role("link", name="Modifier").click()
    expect(page.get_by_label("Raison sociale"), ui.why(page, "company form")).to_have_value(company.name)
    check(page, "company-form")
    page.go_back()
    sections = page.get_by_role("navigation", name="Rubriques de l’entreprise")
    sections.get_by_role("link", name="Déclaration sur l'honneur").click()
    check(page, "declaration")
    sections.get_by_role("link", name="Justificatifs").click()
    today = timezone.localdate()
    proof = tmp_path / "qualibat.pdf"
    proof.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    page.get_by_label("Type de justificatif").select_option(label="Attestation de régularité fiscale")
    page.get_by_label("Fichier").set_input_files(str(proof))
    page.get_by_label("Délivré le").fill((today - dt.timedelta(days=5)).isoformat())
    page.get_by_label("Valide jusqu'au").fill((today + dt.timedelta(days=200)).isoformat())
    page.get_by_role("button", name="Déposer le document").click()
    expect(
        page.get_by_role("status").filter(has_text="déposé"), ui.why(page, "document uploaded")
    ).to_be_visible()
    # In card mode the documents are still a table with its rows and cells.
    expect(
        page.get_by_role("table").get_by_role("row").filter(has_text="qualibat.pdf"),
        ui.why(page, "uploaded document listed as a row"),
    ).to_be_visible()
    check(page, "documents")

    # --- An application. -------------------------------------------------------------------------------
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mon espace entreprise"
    ).click()
    page.get_by_role("row").filter(has_text=dps.reference).get_by_role("link", name="Candidater").click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "apply page")).to_contain_text(dps.reference)
    page.get_by_label(category.code).check()
    check(page, "apply")
    page.get_by_role("button", name="Créer ma candidature (brouillon)").click()
    expect(
        page.get_by_role("status").filter(has_text="Catégories enregistrées"),
        ui.why(page, "draft application"),
    ).to_be_visible()
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(
        page.get_by_role("status").filter(has_text="Votre candidature est déposée"),
        ui.why(page, "application submitted"),
    ).to_be_visible()
    check(page, "application")

    # --- The invitations inbox: deadline and state in view on every card. ------------------------------
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mes consultations"
    ).click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "inbox")).to_have_text(
        "Invitations à soumissionner"
    )
    # Shown as cards, read as a table: named by its caption, seven column headers, the title as row header.
    inbox = page.get_by_role("table", name="Invitations à soumissionner")
    expect(inbox.get_by_role("columnheader"), ui.why(page, "the inbox's column headers")).to_have_count(7)
    invitation = inbox.get_by_role("row").filter(has_text=tender.reference)
    expect(invitation.get_by_role("rowheader"), ui.why(page, "the invitation's title")).to_have_text(
        tender.title
    )
    deadline = invitation.get_by_role("cell").filter(has_text="dans ")
    state = invitation.get_by_role("cell").filter(has_text="Publié")
    for what, cell in [("deadline", deadline), ("state", state)]:
        expect(cell, ui.why(page, f"the invitation's {what}")).to_be_visible()
        assert in_viewport(page, cell), ui.why(page, f"the invitation's {what} fits the screen")
    check(page, "inbox")

    # --- The tender and the bid. -----------------------------------------------------------------------
    invitation.get_by_role("link", name=tender.title).click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "tender page")).to_have_text(tender.title)
    check(page, "tender")
    page.get_by_role("button", name="Préparer mon offre").click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "bid form")).to_have_text(
        f"Offre — {tender.reference}"
    )
    total = page.locator("[data-sum]")
    for index, (ref, _label, _unit, _quantity, price) in enumerate(SCHEDULE):
        field = page.get_by_label(f"Prix unitaire de la ligne {ref}")
        field.fill(price)
        # Whichever line is being typed, the field and the live sum are both on screen, one above the other.
        assert in_viewport(page, field), ui.why(page, f"price of line {ref} on screen while typed")
        assert in_viewport(page, total), ui.why(page, f"live sum on screen while line {ref} is typed")
        field_box, total_box = field.bounding_box(), total.bounding_box()
        assert field_box["y"] + field_box["height"] <= total_box["y"], ui.why(
            page, f"the live sum does not cover the price of line {ref}"
        )
        if index == 0:
            check(page, "bid-form-first-line")
    expect(
        page.get_by_label(f"Prix unitaire de la ligne {SCHEDULE[-1][0]}"), ui.why(page, "last price focused")
    ).to_be_focused()
    expect(total, ui.why(page, "live sum of the lines")).to_have_text(SUM_SHOWN)
    page.screenshot(path=str(ui.shots_dir / f"{viewport['width']}-bid-form-typing.png"))  # the window as seen
    check(page, "bid-form-last-line")
    page.get_by_role("button", name="Reporter la somme").click()
    expect(page.locator("[data-check]")).to_have_text("Le prix total est égal à la somme des lignes.")
    page.get_by_label("Durée des travaux proposée (semaines)").fill("14")
    check(page, "bid-form")
    page.get_by_role("button", name="Déposer l'offre").click()
    expect(page.locator(CONFIRM_DIALOG), ui.why(page, "deposit confirmation")).to_be_visible()
    check(page, "deposit confirmation")  # the dialog of an irreversible action fits the phone too
    confirm_dialog(page)
    expect(page.get_by_role("heading", level=1), ui.why(page, "receipt")).to_have_text(
        "Accusé de réception électronique"
    )
    check(page, "receipt")

    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mes consultations"
    ).click()
    page.get_by_role("link", name="Mes offres").first.click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "bids list")).to_have_text("Mes offres")
    expect(
        page.get_by_role("row").filter(has_text=tender.reference), ui.why(page, "bid listed")
    ).to_contain_text("Déposée")
    check(page, "bids")
    page.get_by_role("row").filter(has_text=tender.reference).get_by_role("link", name="Voir l'offre").click()
    check(page, "bid")

    assert not wide, "pages wider than the screen:\n" + "\n".join(
        f"- {name}: " + "\n    ".join(lines) for name, lines in wide.items()
    )


def test_assert_fits_names_what_sticks_out(ui, live_server):
    """The check itself: a page that fits passes; an element past the right edge is named."""
    page = ui.new_page("visitor", viewport=PHONE)
    page.goto("/accounts/login/")
    assert_fits(page)
    page.evaluate("""() => { const wide = document.createElement("div");
                             wide.className = "too-wide"; wide.textContent = "Bordereau";
                             wide.style.width = "600px"; document.querySelector("main").append(wide); }""")
    problems = overflow(page)
    assert any("div.too-wide «Bordereau»" in problem for problem in problems), problems
    assert any("scrolls sideways" in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="too-wide"):
        assert_fits(page)


def test_console_dashboard_fits_a_phone(ui, contractor_situation, open_dps):
    """The buyer's console is for the office, but its dashboard still opens on a phone."""
    from tests.factories import submitted_application

    dps, category = open_dps
    submitted_application(dps=dps, categories=[category])
    page = ui.new_page("buyer", viewport=PHONE)
    page.set_default_timeout(30_000)
    ui.log_in(page, dps.created_by.email)
    page.goto("/console/")
    expect(page.get_by_role("heading", level=1), ui.why(page, "console dashboard")).to_have_text(
        "Tableau de bord"
    )
    expect(
        page.get_by_role("row").filter(has_text="SAD-2026-NORD"), ui.why(page, "application to decide")
    ).to_be_visible()
    assert_fits(page, shot=ui.screenshot(page, "390-console-dashboard"))

"""Public SAD page, the header's navigation and language switch, decided applications in the console."""

import re

import pytest
from django.urls import reverse

from suppliers.services import application_decide
from tests.factories import (
    CategoryFactory,
    DPSFactory,
    StaffFactory,
    UserFactory,
    submitted_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return StaffFactory(roles=["buyer"], first_name="Claire", last_name="Dubois")


@pytest.fixture
def open_dps(buyer):
    return DPSFactory(actor=buyer, published=True, title="Rénovation du parc Nord")


def public_url(dps):
    return reverse("dps_public", args=[dps.id])


# --- the public SAD page ---------------------------------------------------------------------------------

def test_home_links_each_open_dps_to_its_public_page(client, open_dps):
    body = client.get("/").content.decode()
    assert f'href="{public_url(open_dps)}"' in body


def test_public_page_shows_the_dps_and_its_categories_to_a_visitor(client, open_dps, buyer):
    CategoryFactory(dps=open_dps, actor=buyer, code="MEN-62", name="Menuiseries extérieures — Pas-de-Calais",
                    territories=["62"], max_contract_value="450000", min_turnover="500000",
                    required_evidence=["kbis", "rge_certificate"])
    response = client.get(public_url(open_dps))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>" + open_dps.reference in body
    assert "Rénovation du parc Nord" in body
    assert open_dps.description in body
    assert '<th scope="row" class="nowrap">MEN-62</th>' in body
    assert "Menuiseries extérieures — Pas-de-Calais" in body
    assert "450 000 € HT" in body.replace("\xa0", " ")
    assert "Certificat RGE" in body
    # A visitor is led to registration, or to login and then to the application page.
    assert f'href="{reverse("accounts:register")}"' in body
    assert "?next=" + reverse("portal:apply", args=[open_dps.id]).replace("/", "%2F") in body


def test_public_page_leads_a_supplier_to_the_portal_apply_page(client, open_dps):
    client.force_login(UserFactory())
    body = client.get(public_url(open_dps)).content.decode()
    assert f'href="{reverse("portal:apply", args=[open_dps.id])}"' in body
    assert f'href="{reverse("accounts:register")}"' not in body


def test_portal_dashboard_links_open_dps_to_their_public_page(client, open_dps):
    client.force_login(UserFactory())
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{public_url(open_dps)}"' in body


def test_a_draft_dps_is_not_found_but_staff_see_it(client, buyer):
    draft = DPSFactory(actor=buyer)
    assert client.get(public_url(draft)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(public_url(draft)).status_code == 404
    client.force_login(buyer)
    response = client.get(public_url(draft))
    assert response.status_code == 200
    assert "Ce SAD n'est pas ouvert aux candidatures." in response.content.decode()


def test_unknown_dps_is_a_404(client):
    assert client.get("/sad/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- header ------------------------------------------------------------------------------------------------

def test_language_buttons_have_names_and_mark_the_current_language(client):
    body = client.get("/").content.decode()
    assert re.search(r'<button[^>]*value="fr" lang="fr" aria-label="FR — Français"[^>]*aria-current="true"[^>]*>FR<', body)
    assert re.search(r'<button[^>]*value="en" lang="en" aria-label="EN — English"[^>]*>EN<', body)
    assert body.count('aria-current="true"') == 1


def test_staff_have_one_navigation_marking_the_review_page_section(client, buyer, open_dps):
    application = submitted_application(dps=open_dps)
    client.force_login(buyer)
    body = client.get(reverse("console:application_review", args=[application.id])).content.decode()
    header = body[:body.index("<main")]
    assert header.count("<nav ") == 1  # the console navigation, in the header; no second menu
    assert 'aria-label="Console acheteur"' in body
    assert re.search(r'href="/console/candidatures/" aria-current="true">Candidatures<', body)
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert re.search(r'href="/console/" aria-current="page">Tableau de bord<', dashboard)


# --- decided applications in the console -----------------------------------------------------------------

def test_decided_application_shows_when_and_by_whom_and_names_the_agent_in_history(client, buyer, open_dps):
    application = submitted_application(dps=open_dps)
    category = application.lines.get().category
    application_decide(actor=buyer, application=application,
                       decisions=[{"category": category.id, "admitted": True, "reason": ""}])
    client.force_login(buyer)
    body = client.get(reverse("console:application_review", args=[application.id])).content.decode()
    due_box = body[body.index('class="console-due'):body.index("</div>", body.index('class="console-due'))]
    assert "Décision avant le" not in due_box
    assert "Décidée le" in due_box and "par Claire Dubois" in due_box
    history = body[body.index('<ol class="timeline">'):]
    assert "— Claire Dubois" in history
    assert buyer.email not in history
    listing = client.get(reverse("console:applications"), {"status": "decided"}).content.decode()
    assert "décidée le" in listing


def test_siret_is_marked_required_on_the_company_form(client):
    client.force_login(UserFactory())
    body = client.get(reverse("portal:company_create")).content.decode()
    assert re.search(r'for="id_siret">SIRET <span class="required" aria-hidden="true">\*</span>', body)
    assert 'aria-required="true"' in body

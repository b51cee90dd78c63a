"""The footer's pages: on every page, public, with the landlord of the settings; the accessibility statement
reports the automated check of the browser tests."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = {
    "legal:accessibility": "Déclaration d'accessibilité",
    "legal:legal_notice": "Mentions légales",
    "legal:privacy": "Données personnelles",
    "legal:terms": "Conditions générales d'utilisation",
    "legal:contact": "Contact",
}


@pytest.mark.parametrize("name, title", PAGES.items())
def test_each_footer_page_renders_for_a_visitor_with_the_landlord(client, settings, name, title):
    settings.LANDLORD_NAME = "Office Public de l'Habitat de Test"
    settings.LANDLORD_ADDRESS = "3 place du Marché\n80000 Amiens"
    settings.LANDLORD_EMAIL = "marches@oph-test.example"
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body
    if name != "legal:terms":
        assert "Office Public de l&#x27;Habitat de Test" in body or "marches@oph-test.example" in body


def test_the_footer_links_every_page_and_the_conformity_status(client, buyer):
    for user in (None, buyer):
        if user:
            client.force_login(user)
        body = client.get(reverse("console:dashboard") if user else reverse("home")).content.decode()
        footer = body[body.index('<footer'):]
        for name in PAGES:
            assert f'href="{reverse(name)}"' in footer
        assert "Accessibilité : partiellement conforme" in footer
        assert 'rel="icon"' in body and "favicon.svg" in body


def test_the_statement_gives_the_automated_check_and_its_pages(client):
    from procurement.site.legal import AUDIT, AUDITED_PAGES

    body = client.get(reverse("legal:accessibility")).content.decode()
    assert "partiellement conforme" in body and "RGAA" in body
    assert AUDIT["tool"] in body
    for label in AUDITED_PAGES.values():
        assert str(label).replace("'", "&#x27;") in body
    assert "Défenseur des droits" in body


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")

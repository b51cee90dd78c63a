"""Search and sorting that understand French: case and accents ignored by the search boxes, French
alphabetical order in the lists, and a filter value that names nothing said so (page and API).

Runs on the test database of the run: SQLite by default, PostgreSQL with DATABASE_URL=postgres://…
(test_french_search_pg.py adds what only PostgreSQL has: the indexes serving these queries).
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from procurement import sorting, text
from suppliers import selectors
from suppliers.models import Company
from tenders import selectors as tender_selectors
from tenders.models import Tender
from tests.api.conftest import client_for
from tests.factories import CompanyFactory, DPSFactory, UserFactory, admitted_company, draft_tender

pytestmark = pytest.mark.django_db

SHUFFLED = ["Boulonnais", "Bâtisseurs", "Électricité", "Ebénisterie", "Zinc", "zinguerie", "Œuvres communes"]
FRENCH_ORDER = [
    "Bâtisseurs",
    "Boulonnais",
    "Ebénisterie",
    "Électricité",
    "Œuvres communes",
    "Zinc",
    "zinguerie",
]


def companies(*names, city="Lille"):
    owner = UserFactory()
    return [CompanyFactory(owner=owner, name=name, city=city) for name in names]


# --- folding -------------------------------------------------------------------------------------------------


def test_fold_ignores_case_accents_ligatures_and_spacing():
    assert text.fold("  L’Électricité  du\tNORD ") == "l'electricite du nord"
    assert text.fold("Cœur de Béthune") == "coeur de bethune"
    assert text.fold("Straße") == "strasse"
    assert text.fold("ﬁnitions") == "finitions"
    assert text.fold(None) == ""


def test_the_search_column_follows_the_name_and_commune_on_every_save():
    company = CompanyFactory(name="Électricité Générale", city="Béthune")
    assert company.search_text == "electricite generale\nbethune"
    company.city = "Saint-Omer"
    company.save(update_fields=["city"])
    company.refresh_from_db()
    assert company.search_text == "electricite generale\nsaint-omer"


def test_bulk_created_companies_get_their_search_column():
    Company.objects.bulk_create([Company(name="Ébénisterie Dupré", city="Arras", siret=None)])
    assert Company.objects.get(name="Ébénisterie Dupré").search_text == "ebenisterie dupre\narras"


# --- the directory -------------------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def directory_names(client, **params):
    response = client.get(reverse("console:directory"), params)
    assert response.status_code == 200
    return [row["company"].name for row in response.context["rows"]], response


def test_directory_search_ignores_case_and_accents(client, buyer):
    companies("Électricité Générale", "Plomberie du Nord")
    companies("Toitures Artésiennes", city="Béthune")
    client.force_login(buyer)
    assert directory_names(client, q="Bethune")[0] == ["Toitures Artésiennes"]
    assert directory_names(client, q="BÉTHUNE")[0] == ["Toitures Artésiennes"]
    assert directory_names(client, q="electricite")[0] == ["Électricité Générale"]
    # Every word, in the name or the commune, in any order.
    assert directory_names(client, q="artesiennes bethune")[0] == ["Toitures Artésiennes"]
    assert directory_names(client, q="artesiennes lille")[0] == []


def test_directory_is_in_french_alphabetical_order(client, buyer):
    companies(*SHUFFLED)
    client.force_login(buyer)
    assert directory_names(client)[0] == FRENCH_ORDER
    assert directory_names(client, tri="entreprise")[0] == FRENCH_ORDER
    assert directory_names(client, tri="-entreprise")[0] == FRENCH_ORDER[::-1]


def test_selectors_order_by_french_collation():
    companies(*SHUFFLED)
    assert [c.name for c in selectors.supplier_directory()] == FRENCH_ORDER
    ordered = Company.objects.order_by(text.french("name"), "id")
    assert [c.name for c in ordered] == FRENCH_ORDER


def test_sorting_uses_the_french_order_for_text_columns_only():
    assert sorting.is_text(Company, "name")
    assert sorting.is_text(Tender, "category__code")
    assert not sorting.is_text(Tender, "status")  # a state: its code
    assert not sorting.is_text(Tender, "invitation_count")  # an annotation
    assert not sorting.is_text(Tender, "bid_deadline")


def test_unknown_departement_is_said_under_its_field_and_the_other_filters_still_apply(client, buyer):
    dps = DPSFactory(actor=buyer, published=True)
    admitted = admitted_company(dps.categories.get())
    companies("Zinguerie Picarde")
    client.force_login(buyer)
    names, response = directory_names(client, territory="999", q=admitted.company.name)
    assert names == [admitted.company.name]  # the search still applies
    body = page_text(response)
    assert "Le département « 999 » n'existe pas." in body
    control = re.search(r'<input[^>]*name="territory"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in control
    described = re.search(r'aria-describedby="([^"]+)"', control).group(1)
    assert f'id="{described}"' in body
    assert 'value="999"' in control  # what was typed stays in the box


def test_directory_departement_codes(client, buyer):
    dps = DPSFactory(actor=buyer, published=True)
    admitted = admitted_company(dps.categories.get())  # a category of the Nord (59)
    client.force_login(buyer)
    for code in ("59", " 59 "):
        names, response = directory_names(client, territory=code)
        assert names == [admitted.company.name]
        assert "n'existe pas" not in page_text(response)
    for code in ("2a", "974", "1"):
        names, response = directory_names(client, territory=code)
        assert names == [] and "n'existe pas" not in page_text(response)
    for code in ("20", "96", "00", "abc"):
        assert f"Le département « {code} » n'existe pas." in page_text(
            directory_names(client, territory=code)[1]
        )


def test_unknown_category_and_state_are_said_by_name(client, buyer):
    client.force_login(buyer)
    body = page_text(directory_names(client, category="nope", admission_status="frozen")[1])
    assert "La catégorie « nope » n'existe pas." in body
    assert "L'état d'admission « frozen » n'existe pas." in body
    body = page_text(client.get(reverse("console:applications"), {"status": "lost"}))
    assert "L'état « lost » n'existe pas." in body


def test_a_page_number_that_does_not_exist_is_said(client, buyer):
    companies(*[f"Entreprise {n:02d}" for n in range(3)])
    client.force_login(buyer)
    body = page_text(directory_names(client, page="abc")[1])
    assert "La page « abc » n'existe pas : voici la première page." in body
    body = page_text(directory_names(client, page="7")[1])
    assert "La page 7 n'existe pas : voici la dernière, la page 1." in body
    assert "n'existe pas" not in page_text(directory_names(client, page="1")[1])


# --- tenders -------------------------------------------------------------------------------------------------


def test_tender_search_ignores_case_and_accents(client, buyer):
    operation = {
        "name": "Résidence Les Écrins",
        "address": "3 rue d'Arras",
        "commune": "Béthune",
        "insee_code": "62119",
        "dwellings": 24,
        "energy_label_before": "E",
        "energy_label_target": "B",
    }
    tender = draft_tender(title="Ravalement et isolation", operation=operation)
    assert tender.search_text.endswith("\nresidence les ecrins\nbethune")
    client.force_login(buyer)
    for query in ("bethune", "ECRINS", "résidence ravalement"):
        assert list(tender_selectors.tender_list(user=buyer, search=query)) == [tender], query
    assert list(tender_selectors.tender_list(user=buyer, search="arras")) == []
    response = client.get(reverse("tenders_console:list"), {"q": "les ecrins"})
    assert tender.reference in page_text(response)


def test_tender_list_says_when_the_date_range_is_empty(client, buyer):
    client.force_login(buyer)
    response = client.get(
        reverse("tenders_console:list"), {"deadline_from": "2030-05-10", "deadline_to": "2030-05-01"}
    )
    assert "La date de fin précède la date de début" in page_text(response)


# --- the API -------------------------------------------------------------------------------------------------


def test_api_companies_search_and_order(buyer):
    companies(*SHUFFLED)
    companies("Toitures Artésiennes", city="Béthune")
    api = client_for(buyer)
    body = api.get("/api/v1/companies/", {"q": "bethune"}).json()
    assert [c["name"] for c in body["results"]] == ["Toitures Artésiennes"]
    body = api.get("/api/v1/companies/", {"q": "electricite"}).json()
    assert [c["name"] for c in body["results"]] == ["Électricité"]
    body = api.get("/api/v1/companies/", {"page_size": 200}).json()
    assert [c["name"] for c in body["results"] if c["name"] in SHUFFLED] == FRENCH_ORDER


def test_api_unknown_departement_is_a_400_on_that_parameter(buyer):
    response = client_for(buyer).get("/api/v1/companies/", {"territory": "999"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == {"territory": ["Le département « 999 » n'existe pas."]}


def test_api_unknown_category_and_state_are_400s(buyer):
    response = client_for(buyer).get(
        "/api/v1/companies/",
        {"category": "2b1f7a56-4d0c-4c3c-9a43-3c1c1b7e9f10", "admission_status": "frozen", "territory": "60"},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"category", "admission_status"}
    assert "n'existe pas" in errors["category"][0]


def test_api_directory_filters(buyer):
    dps = DPSFactory(actor=buyer, published=True)
    category = dps.categories.get()
    admitted = admitted_company(category)
    companies("Zinguerie Picarde")
    api = client_for(buyer)
    for params in ({"territory": "59"}, {"category": str(category.id)}, {"admission_status": "admitted"}):
        body = api.get("/api/v1/companies/", params).json()
        assert [c["id"] for c in body["results"]] == [str(admitted.company_id)], params
    assert api.get("/api/v1/companies/", {"territory": "80"}).json()["count"] == 0

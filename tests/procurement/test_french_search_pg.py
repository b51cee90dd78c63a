"""The directory stays fast with thousands of companies on PostgreSQL: its French order is read from the index
on the name in the ICU collation, and its accent-blind search from the trigram index on the folded column.

(test_french_search.py checks what the search and the order give, on whichever database the run uses.)
"""

from __future__ import annotations

import pytest
from django.db import connection

from suppliers import selectors
from suppliers.models import Company
from tests.factories import valid_siret

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

WORDS = [
    "Bâtisseurs",
    "Boulonnais",
    "Électricité",
    "Ebénisterie",
    "Zinc",
    "Toitures",
    "Façades",
    "Menuiserie",
]
COMMUNES = ["Béthune", "Lille", "Arras", "Amiens", "Beauvais", "Saint-Quentin", "Laon", "Compiègne"]


@pytest.fixture
def many_companies():
    Company.objects.bulk_create(
        [
            Company(
                name=f"{WORDS[n % len(WORDS)]} {n:05d}",
                city=COMMUNES[n % len(COMMUNES)],
                siret=valid_siret(700000 + n),
            )
            for n in range(4000)
        ],
        batch_size=1000,
    )
    Company.objects.bulk_create(
        [Company(name="Zinguerie Créquoise", city="Hesdin", siret=valid_siret(699999))]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE suppliers_company")


def plan(qs) -> str:
    return qs.explain()


def test_postgresql_has_the_french_icu_collation():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'fr-x-icu'")
        assert cursor.fetchone() is not None


def test_the_first_page_is_read_in_french_order_from_the_index(many_companies):
    qs = selectors.supplier_directory()[:50]
    assert "company_name_fr_idx" in plan(qs)
    names = [c.name for c in qs]
    assert names[0].startswith("Bâtisseurs") and names[-1].startswith("Bâtisseurs")
    last = [c.name for c in selectors.supplier_directory(sort="-entreprise")[:2]]
    assert last[0].startswith("Zinguerie")


def test_the_search_can_read_the_trigram_index(many_companies):
    qs = selectors.supplier_directory(search="crequoise")
    # On a table this small the planner rightly prefers reading it (or walking the name index): forbid both
    # to see that the trigram index serves the query's very expression (it would not if the search went
    # through UPPER() or unaccent()); on a large table the planner takes it by itself.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    assert "company_search_trgm_idx" in plan(qs)
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert [c.name for c in qs] == ["Zinguerie Créquoise"]
    assert [c.name for c in selectors.supplier_directory(search="HESDIN zinguerie")] == [
        "Zinguerie Créquoise"
    ]

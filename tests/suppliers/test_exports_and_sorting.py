"""The buyer's supplier lists as spreadsheets (applications, directory, admissions) and sorted by column.

Exports read the same selector and filter form as the page: the filters of the query string apply, every
matching row is exported (not just the page), and those who may not open the page may not export it.
"""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from procurement.models import EvidenceKind
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    UserFactory,
    admitted_company,
    company_owner,
    ready_company,
    submitted_application,
)

pytestmark = pytest.mark.django_db


def named_company(name, dps):
    """A company called ``name``, ready to apply to every category of ``dps``."""
    return ready_company(list(dps.categories.all()), company=CompanyFactory(name=name))[0]


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM French spreadsheets need
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def dps(buyer):
    return DPSFactory(actor=buyer, published=True)


@pytest.fixture
def two_applications(dps, buyer):
    second_category = CategoryFactory(dps=dps, actor=buyer, code="ITE-60", territories=["60"])
    first = submitted_application(dps=dps, categories=[dps.categories.exclude(pk=second_category.pk).get()])
    second = submitted_application(dps=dps, categories=[second_category])
    return first, second


# --- applications ----------------------------------------------------------------------------------------

def test_applications_export_applies_the_filters_and_types_its_cells(client, buyer, two_applications, dps):
    first, second = two_applications
    client.force_login(buyer)
    page = client.get(reverse("console:applications"), {"status": "submitted", "dps": str(dps.id)})
    body = page.content.decode()
    export = reverse("console:applications_export", args=["csv"])
    assert f'{export}?status=submitted&amp;dps={dps.id}' in body  # the links carry the filters

    rows = csv_rows(client.get(export, {"status": "submitted", "dps": str(dps.id)}))
    assert rows[0][:5] == ["Entreprise", "SIRET", "SAD", "Catégories", "Reçue le"]
    assert {r[0] for r in rows[1:]} == {first.company.name, second.company.name}
    received = rows[0].index("Reçue le")
    assert dt.datetime.strptime(rows[1][received], "%d/%m/%Y %H:%M")  # a French date and time
    assert rows[1][rows[0].index("État")] == "Déposée"

    assert csv_rows(client.get(export, {"status": "decided"}))[1:] == []

    rows = xlsx_rows(client.get(reverse("console:applications_export", args=["xlsx"]), {"status": "submitted"}))
    header = rows[0]
    line = rows[1]
    assert isinstance(line[header.index("Reçue le")], dt.datetime)
    assert isinstance(line[header.index("Décision attendue le")], dt.datetime)  # a date cell (Excel has no pure date)
    assert isinstance(line[header.index("Jours restants")], int)


def test_applications_export_is_refused_to_a_supplier_and_to_visitors(client, two_applications):
    first, _second = two_applications
    client.force_login(company_owner(first.company))
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("console:applications_export", args=[fmt]))
        assert response.status_code == 403
        assert first.company.name.encode() not in response.content
    client.logout()
    assert client.get(reverse("console:applications_export", args=["csv"])).status_code == 302
    assert client.get("/console/candidatures/export.pdf").status_code == 404


def test_applications_sorting_by_each_key(client, buyer, dps):
    names = ["Charpente Bleue", "Acier Rouge", "Bois Vert"]
    applications = [submitted_application(dps=dps, company=named_company(name, dps)) for name in names]
    client.force_login(buyer)
    url = reverse("console:applications")

    def order(sort):
        response = client.get(url, {"tri": sort})
        assert response.status_code == 200
        return [row["application"].company.name for row in response.context["rows"]]

    assert order("entreprise") == sorted(names)
    assert order("-entreprise") == sorted(names, reverse=True)
    for key in ("siret", "sad", "recue", "decision", "etat", "-recue"):
        assert sorted(order(key)) == sorted(names)
    assert order("recue") == [a.company.name for a in applications]  # deposited in this order
    body = client.get(url, {"tri": "entreprise"}).content.decode()
    assert 'aria-sort="ascending"' in body and body.count("aria-sort=") == 1
    assert 'aria-sort="descending"' in client.get(url, {"tri": "-entreprise"}).content.decode()
    # An unknown key, a field name or an injection is ignored: the usual order, no error.
    usual = order("")
    for sort in ("company__siret", "-password", "entreprise;DROP TABLE", "--entreprise", "x" * 500):
        assert order(sort) == usual
    # The export follows the page's sort.
    rows = csv_rows(client.get(reverse("console:applications_export", args=["csv"]), {"tri": "-entreprise"}))
    assert [r[0] for r in rows[1:]] == sorted(names, reverse=True)


# --- directory ---------------------------------------------------------------------------------------------

def test_directory_export_applies_the_filters_and_reads_every_page(client, buyer, dps, settings):
    admission = admitted_company(dps.categories.get())
    owner = UserFactory()
    for index in range(3):
        company = CompanyFactory(owner=owner, name=f"Zinc {index} SARL", city="Amiens")
        EvidenceDocumentFactory(company=company, actor=owner, kind=EvidenceKind.KBIS,
                                valid_until=timezone.localdate() + dt.timedelta(days=10))
    client.force_login(buyer)
    url = reverse("console:directory_export", args=["xlsx"])
    rows = xlsx_rows(client.get(url, {"category": str(admission.category_id)}))
    assert [r[0] for r in rows[1:]] == [admission.company.name]
    assert admission.category.code in rows[1][rows[0].index("Admissions")]

    rows = xlsx_rows(client.get(url, {"q": "Zinc", "tri": "-entreprise"}))
    assert [r[0] for r in rows[1:]] == ["Zinc 2 SARL", "Zinc 1 SARL", "Zinc 0 SARL"]
    header = rows[0]
    assert rows[1][header.index("Justificatifs")] == 1
    assert isinstance(rows[1][header.index("Prochaine expiration")], dt.datetime)

    rows = csv_rows(client.get(reverse("console:directory_export", args=["csv"]), {"q": "Zinc 1"}))
    expiry = (timezone.localdate() + dt.timedelta(days=10)).strftime("%d/%m/%Y")
    assert rows[1][rows[0].index("Prochaine expiration")] == expiry
    assert rows[1][rows[0].index("Commune")] == "Amiens"


def test_directory_sorting_and_refusals(client, buyer, dps):
    owner = UserFactory()
    for name, city in (("Béton Sud", "Nice"), ("Argile Est", "Metz"), ("Chaux Ouest", "Brest")):
        CompanyFactory(owner=owner, name=name, city=city)
    client.force_login(buyer)
    url = reverse("console:directory")

    def order(sort):
        return [row["company"].name for row in client.get(url, {"tri": sort}).context["rows"]]

    assert order("commune") == ["Chaux Ouest", "Argile Est", "Béton Sud"]
    assert order("-commune") == ["Béton Sud", "Argile Est", "Chaux Ouest"]
    assert order("entreprise") == ["Argile Est", "Béton Sud", "Chaux Ouest"]
    assert len(order("siret")) == 3
    assert order("name") == order("")  # a column name is not a sort key

    client.force_login(owner)
    assert client.get(reverse("console:directory_export", args=["csv"])).status_code == 403


# --- admissions --------------------------------------------------------------------------------------------

def test_admissions_export_and_sorting(client, buyer, evaluator, dps):
    first = admitted_company(dps.categories.get(), company=named_company("Maçonnerie Alpha", dps))
    second = admitted_company(dps.categories.get(), company=named_company("Zinguerie Oméga", dps))
    from suppliers.services import admission_suspend

    admission_suspend(actor=buyer, admission=second, reason="Attestation URSSAF expirée.")
    client.force_login(evaluator)  # any staff member reads the admissions, and may export them
    url = reverse("console:admissions_export", args=["csv"])
    rows = csv_rows(client.get(url, {"status": "suspended"}))
    assert [r[0] for r in rows[1:]] == ["Zinguerie Oméga"]
    assert rows[1][rows[0].index("Motif")] == "Attestation URSSAF expirée."
    assert rows[1][rows[0].index("État")] == "Suspendue"

    rows = xlsx_rows(client.get(reverse("console:admissions_export", args=["xlsx"]), {"tri": "-entreprise"}))
    assert [r[0] for r in rows[1:]] == ["Zinguerie Oméga", "Maçonnerie Alpha"]
    assert isinstance(rows[1][rows[0].index("Admise le")], dt.datetime)

    listing = client.get(reverse("console:admissions"), {"tri": "-admise"})
    assert [a.id for a in listing.context["page"].object_list] == [second.id, first.id]
    for key in ("entreprise", "categorie", "admise", "etat", "-etat", "inconnu"):
        assert client.get(reverse("console:admissions"), {"tri": key}).status_code == 200

    client.force_login(company_owner(first.company))
    assert client.get(url).status_code == 403


def test_directory_export_query_count_does_not_grow_with_the_rows(client, buyer, dps, django_assert_max_num_queries):
    owner = UserFactory()

    def add(count):
        for _ in range(count):
            company = CompanyFactory(owner=owner)
            EvidenceDocumentFactory(company=company, actor=owner, kind=EvidenceKind.KBIS,
                                    valid_until=timezone.localdate() + dt.timedelta(days=10))

    add(2)
    client.force_login(buyer)
    url = reverse("console:directory_export", args=["csv"])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        assert len(csv_rows(client.get(url))) == 3
    add(6)
    with django_assert_max_num_queries(12) as more:
        assert len(csv_rows(client.get(url))) == 9
    assert len(more.captured_queries) == len(few.captured_queries)

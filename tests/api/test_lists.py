"""Lists: paginated, filtered, and costing a fixed number of queries whatever the row count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from suppliers.models import Admission, Application, ApplicationCategory
from tests.factories import CategoryFactory, CompanyFactory, evidence_direct

pytestmark = pytest.mark.django_db

today = timezone.localdate()


def add_applications(world, n):
    for _ in range(n):
        company = CompanyFactory(owner=world.member)
        # Submitted: staff do not see drafts, and both personas must see the new rows.
        application = Application.objects.create(dps=world.dps, company=company, created_by=world.member,
                                                 status="submitted", submitted_at=timezone.now(),
                                                 decision_due=timezone.localdate())
        ApplicationCategory.objects.bulk_create([ApplicationCategory(application=application, category=world.category),
                                                 ApplicationCategory(application=application,
                                                                     category=world.admitted_category)])


def add_admissions(world, n):
    for _ in range(n):
        company = CompanyFactory()
        category = CategoryFactory(dps=world.dps, actor=world.buyer)
        application = Application.objects.create(dps=world.dps, company=company)
        Admission.objects.create(company=company, category=category, application=application)


def add_documents(world, n):
    for index in range(n):
        evidence_direct(company=world.company, kind="other", issued_on=today - dt.timedelta(days=index),
                        valid_until=None)


def count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.json()


# Token and user, staff roles, count, page, then one prefetch (application lines) or the company lookup.
LIMITS = {"applications": 5, "admissions": 4, "documents": 5}


@pytest.mark.parametrize("persona", ["buyer", "member"])
def test_applications_list_fixed_queries(world, persona, django_assert_max_num_queries):
    client = world.client(persona)
    small = count_queries(client, "/api/v1/applications/", django_assert_max_num_queries, LIMITS["applications"])
    add_applications(world, 12)
    large = count_queries(client, "/api/v1/applications/?page_size=200", django_assert_max_num_queries,
                          LIMITS["applications"])
    assert large["count"] == small["count"] + 12 == len(large["results"])
    assert all(len(a["decisions"]) >= 1 for a in large["results"])


def test_admissions_list_fixed_queries(world, django_assert_max_num_queries):
    client = world.client("evaluator")
    count_queries(client, "/api/v1/admissions/", django_assert_max_num_queries, LIMITS["admissions"])
    add_admissions(world, 10)
    body = count_queries(client, "/api/v1/admissions/", django_assert_max_num_queries, LIMITS["admissions"])
    assert body["count"] == 11


@pytest.mark.parametrize("persona", ["buyer", "member"])
def test_documents_list_fixed_queries(world, persona, django_assert_max_num_queries):
    client = world.client(persona)
    url = f"/api/v1/companies/{world.company.id}/documents/"
    count_queries(client, url, django_assert_max_num_queries, LIMITS["documents"])
    add_documents(world, 15)
    body = count_queries(client, url, django_assert_max_num_queries, LIMITS["documents"])
    assert body["count"] == 19


def test_pagination_shape_and_page_size_cap(world):
    add_documents(world, 6)
    client = world.client("member")
    url = f"/api/v1/companies/{world.company.id}/documents/"
    first = client.get(url + "?page_size=4").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 10 and len(first["results"]) == 4 and first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get(url + "?page_size=4&page=3").json()
    assert len(last["results"]) == 2 and last["next"] is None
    assert client.get(url + "?page_size=5000").json()["count"] == 10  # capped at 200, no error
    assert client.get(url + "?page=99").status_code == 404


def test_application_filters(world):
    buyer = world.client("buyer")
    submitted = buyer.get("/api/v1/applications/?status=submitted").json()
    assert [a["id"] for a in submitted["results"]] == [str(world.application.id)]
    assert buyer.get(f"/api/v1/applications/?company={world.other_company.id}").json()["count"] == 0
    assert buyer.get(f"/api/v1/applications/?dps={world.dps.id}").json()["count"] == 2
    assert buyer.get("/api/v1/applications/?overdue=true").json()["count"] == 0
    Application.objects.filter(pk=world.application.pk).update(decision_due=today - dt.timedelta(days=1))
    overdue = buyer.get("/api/v1/applications/?overdue=true").json()
    assert [a["id"] for a in overdue["results"]] == [str(world.application.id)]
    assert overdue["results"][0]["overdue"] is True


def test_admission_filters(world):
    buyer = world.client("buyer")
    assert buyer.get(f"/api/v1/admissions/?category={world.admitted_category.id}").json()["count"] == 1
    assert buyer.get(f"/api/v1/admissions/?category={world.category.id}").json()["count"] == 0
    assert buyer.get(f"/api/v1/admissions/?company={world.company.id}&status=admitted").json()["count"] == 1
    assert buyer.get("/api/v1/admissions/?status=suspended").json()["count"] == 0


def test_draft_dps_hidden_from_non_staff(world):
    from tests.factories import DPSFactory

    draft = DPSFactory(actor=world.buyer)
    from rest_framework.test import APIClient

    assert str(draft.id) not in {d["id"] for d in APIClient().get("/api/v1/dps/").json()["results"]}
    assert APIClient().get(f"/api/v1/dps/{draft.id}/").status_code == 404
    assert world.client("member").get(f"/api/v1/dps/{draft.id}/").status_code == 404
    assert str(draft.id) in {d["id"] for d in world.client("evaluator").get("/api/v1/dps/").json()["results"]}


def test_companies_list_shows_a_supplier_only_its_own(world):
    own = world.client("member").get("/api/v1/companies/").json()
    assert [c["id"] for c in own["results"]] == [str(world.company.id)]
    everyone = world.client("approver").get("/api/v1/companies/").json()
    assert {c["id"] for c in everyone["results"]} == {str(world.company.id), str(world.other_company.id)}

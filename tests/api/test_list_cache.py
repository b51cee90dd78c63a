"""Cached API lists (procurement.listcache): never another caller's rows, fresh after a committed write,
ETag and 304; and the lists that had no query-count pin get one."""

from __future__ import annotations

import pytest

from procurement import listcache
from suppliers.models import Application
from suppliers.services import admission_suspend
from tests.factories import CompanyFactory, published_tender, submitted_application

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.LIST_CACHE_SECONDS = 60


def of(company) -> set[str]:
    return {str(pk) for pk in Application.objects.filter(company=company).values_list("id", flat=True)}


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


def test_two_companies_never_see_each_others_rows(world, cached):
    other_application = submitted_application(dps=world.dps, categories=[world.category],
                                              company=world.other_company, user=world.other)
    member, other = world.client("member"), world.client("other")
    assert str(world.application.id) in of(world.company)
    assert ids(member.get("/api/v1/applications/")) == of(world.company)
    # The same list, the same query string, the cache now holding the member's entry.
    assert ids(other.get("/api/v1/applications/")) == {str(other_application.id)}
    assert ids(member.get("/api/v1/applications/")) == of(world.company)


def test_staff_and_suppliers_do_not_share_an_entry(world, cached):
    other_application = submitted_application(dps=world.dps, categories=[world.category],
                                              company=world.other_company, user=world.other)
    both = of(world.company) | {str(other_application.id)}
    assert ids(world.client("buyer").get("/api/v1/applications/")) == both
    assert ids(world.client("other").get("/api/v1/applications/")) == {str(other_application.id)}
    # A supplier is refused the staff list even once a buyer's answer is in the cache.
    assert world.client("buyer").get("/api/v1/admissions/").status_code == 200
    assert world.client("member").get("/api/v1/admissions/").status_code == 403


def test_a_supplier_sees_only_the_tenders_it_is_invited_to(cached):
    tender, [(_company, invited)] = published_tender(suppliers=1)
    outsider = CompanyFactory().memberships.get().user
    assert ids(client_for(invited).get("/api/v1/tenders/")) == {str(tender.id)}
    assert ids(client_for(outsider).get("/api/v1/tenders/")) == set()


def test_a_committed_write_makes_the_list_fresh(world, cached, django_capture_on_commit_callbacks):
    buyer = world.client("buyer")
    url = f"/api/v1/admissions/?company={world.company.id}"
    assert [row["status"] for row in buyer.get(url).json()["results"]] == ["admitted"]

    # Uncommitted (the test's transaction never commits): the list is still the cached one, so the cache works.
    admission_suspend(actor=world.buyer, admission=world.admission, reason="Attestation URSSAF échue")
    assert [row["status"] for row in buyer.get(url).json()["results"]] == ["admitted"]

    with django_capture_on_commit_callbacks(execute=True):
        listcache.bump_after_commit()  # what a write's signal queues; here after the write above
    assert [row["status"] for row in buyer.get(url).json()["results"]] == ["suspended"]


def test_a_service_write_queues_the_bump_after_commit(world, cached, django_capture_on_commit_callbacks):
    before = listcache.version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admission_suspend(actor=world.buyer, admission=world.admission, reason="Attestation URSSAF échue")
    assert listcache.version() == before  # nothing before the commit
    for callback in callbacks:
        callback()
    assert listcache.version() > before


def test_etag_and_304(world, cached):
    buyer = world.client("buyer")
    first = buyer.get("/api/v1/applications/")
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"
    again = buyer.get("/api/v1/applications/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    other_page = buyer.get("/api/v1/applications/?status=decided", HTTP_IF_NONE_MATCH=etag)
    assert other_page.status_code == 200


def test_a_bad_filter_is_still_a_400_and_is_not_cached(world, cached):
    buyer = world.client("buyer")
    assert buyer.get("/api/v1/applications/?status=nope").status_code == 400
    assert buyer.get("/api/v1/applications/?status=nope").status_code == 400


def test_a_hit_costs_only_the_callers_authentication(world, cached, django_assert_num_queries):
    buyer = world.client("buyer")
    buyer.get("/api/v1/applications/")
    with django_assert_num_queries(1):  # the token and its user
        assert buyer.get("/api/v1/applications/").status_code == 200


# --- pins on the lists that had none (cache off: the cost of building them) --------------------------------


def test_dps_list_fixed_queries(world, django_assert_max_num_queries):
    from tests.factories import CategoryFactory

    anonymous = world.client("anonymous")
    with django_assert_max_num_queries(3):  # count, page, categories
        small = anonymous.get("/api/v1/dps/").json()
    for n in range(6):
        CategoryFactory(dps=world.dps, actor=world.buyer, code=f"EXTRA-{n}")
    with django_assert_max_num_queries(3):
        large = anonymous.get("/api/v1/dps/").json()
    assert large["count"] == small["count"]


@pytest.mark.parametrize("persona", ["buyer", "member"])
def test_companies_list_fixed_queries(world, persona, django_assert_max_num_queries):
    client = world.client(persona)
    with django_assert_max_num_queries(4):  # token and user, roles, count, page
        small = client.get("/api/v1/companies/").json()
    for _ in range(5):
        CompanyFactory(owner=world.member)
    with django_assert_max_num_queries(4):
        large = client.get("/api/v1/companies/").json()
    assert large["count"] == small["count"] + 5

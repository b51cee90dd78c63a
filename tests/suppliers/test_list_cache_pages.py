"""Cached console lists (procurement.listcache): the content of a list page is kept per person, browser,
query string and data version; a committed write shows at once; forms of a cached page still pass CSRF."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from procurement import listcache
from suppliers.models import Admission
from tests.factories import CompanyFactory, DPSFactory, StaffFactory, UserFactory, admitted_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.LIST_CACHE_SECONDS = 60


@pytest.fixture
def admission(buyer) -> Admission:
    dps = DPSFactory(actor=buyer, published=True)
    return admitted_company(dps.categories.get(), actor=buyer)


def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_committed_write_shows_at_once(buyer, cached, django_capture_on_commit_callbacks):
    client = browser(buyer)
    url = reverse("console:directory")
    CompanyFactory(name="Isolation Première")
    assert "Isolation Première" in client.get(url).content.decode()

    CompanyFactory(name="Toitures Seconde")  # not committed yet (the test's transaction): still the cached page
    assert "Toitures Seconde" not in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        listcache.bump_after_commit()  # what the company's save queued, run as its commit would
    assert "Toitures Seconde" in client.get(url).content.decode()


def test_each_person_has_its_own_page(buyer, admission, cached):
    evaluator = StaffFactory(roles=["evaluator"])
    url = reverse("console:admissions")
    assert "Suspendre" in browser(buyer).get(url).content.decode()
    # The buyer's page (with its actions) is cached; a read-only evaluator gets a page without them.
    assert "Suspendre" not in browser(evaluator).get(url).content.decode()
    # A supplier never reaches a cached console page.
    supplier = browser(UserFactory())
    assert supplier.get(url).status_code == 403


def test_a_second_browser_posts_the_forms_of_its_own_page(buyer, admission, cached):
    url = reverse("console:admissions")
    first, second = browser(buyer), browser(buyer)
    first.get(url)
    page = second.get(url).content.decode()
    action = reverse("console:admission_action", args=[admission.id, "suspendre"])
    form = page[page.index(f'action="{action}"'):]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = second.post(action, {"csrfmiddlewaretoken": token, "confirmed": "1", "reason": "Attestation échue",
                                     "next": url})
    assert response.status_code == 302
    admission.refresh_from_db()
    assert admission.status == "suspended"


@pytest.mark.parametrize("name", ["console:dashboard", "console:applications", "console:directory",
                                  "console:admissions", "tenders_console:list"])
def test_a_hit_reads_no_list(buyer, admission, cached, name, django_assert_max_num_queries):
    client = browser(buyer)
    client.get(reverse(name))
    with django_assert_max_num_queries(3):  # the session, the user, the staff roles
        assert client.get(reverse(name)).status_code == 200


def test_row_links_built_from_the_list_url_are_the_detail_pages(buyer, admission):
    client = browser(buyer)
    company, application = admission.company, admission.application
    assert reverse("console:company_detail", args=[company.id]) in client.get(reverse("console:directory")).content.decode()
    assert reverse("console:company_detail", args=[company.id]) in client.get(reverse("console:admissions")).content.decode()
    page = client.get(reverse("console:applications")).content.decode()
    assert reverse("console:application_review", args=[application.id]) in page

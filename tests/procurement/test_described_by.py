"""Help texts and errors are tied to their fields: every id named by aria-describedby exists in the page,
on forms refused with errors in every part of the platform (console wizard, bid form, declaration, company)."""

import re

import pytest
from django.urls import reverse

from tests.factories import draft_bid, published_tender

pytestmark = pytest.mark.django_db


def assert_described_by_targets_exist(body: str) -> int:
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    named = [name for value in re.findall(r'aria-describedby="([^"]*)"', body) for name in value.split()]
    missing = sorted({name for name in named if name not in ids})
    assert not missing, f"aria-describedby names ids absent from the page: {missing}"
    return len(named)


def test_refused_forms_tie_their_errors_and_help_to_the_fields(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("tenders_console:create"), {"title": ""})
    assert response.status_code == 400
    assert assert_described_by_targets_exist(response.content.decode()) >= 5
    assert_described_by_targets_exist(client.get(reverse("tenders_console:create")).content.decode())

    tender, suppliers = published_tender(suppliers=1)
    company, supplier = suppliers[0]
    bid = draft_bid(tender, supplier)
    client.force_login(supplier)
    response = client.post(reverse("tenders_portal:bid", args=[bid.id]),
                           {"action": "save", "total_price": "beaucoup", "line_0": "12,5O", "line_1": "", "line_2": ""})
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert assert_described_by_targets_exist(body) >= 2

    response = client.post(reverse("portal:declaration", args=[company.id]), {})
    assert_described_by_targets_exist(response.content.decode())

    response = client.post(reverse("portal:company_create"), {"name": ""})
    assert_described_by_targets_exist(response.content.decode())

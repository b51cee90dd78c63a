"""The tender rules stated once:

- which bids' content staff may read (``content_readable_q``): the standing bids of an opened tender; the
  queryset, the one-bid predicate and the selectors agree, late and withdrawn bids are never in it;
- which actions a tender allows is asked of the model: the console's buttons follow ``can_proceed``;
- a service's "not found" (an outsider bidding) is a domain error the API and the pages make a 404.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_fsm import can_proceed

from procurement.errors import NotFound
from tenders import selectors, services
from tenders.models import Bid, Tender
from tests.api.conftest import client_for
from tests.factories import (
    CompanyFactory,
    UserFactory,
    draft_tender,
    open_category,
    opened_tender,
    published_tender,
    submitted_bid,
)

pytestmark = pytest.mark.django_db


def test_content_readable_is_the_standing_bids_of_an_opened_tender(buyer):
    world = opened_tender(late=1, withdrawn=1)
    readable = set(Bid.objects.content_readable().filter(tender=world.tender).values_list("pk", flat=True))
    assert readable == {b.pk for b in world.bids}
    for bid in Bid.objects.filter(tender=world.tender).select_related("tender"):
        assert bid.content_readable_by_staff() is (bid.pk in readable), bid.status
        assert selectors.content_readable(buyer, bid) is (bid.pk in readable), bid.status
    assert {b.pk for b in selectors.opened_bids(world.tender)} == readable
    assert set(Bid.objects.visible_to(buyer).filter(tender=world.tender).values_list("pk", flat=True)) == readable


def test_nothing_is_readable_by_staff_before_the_opening(buyer):
    tender, invited = published_tender()
    submitted_bid(tender, invited[0][1])
    assert not Bid.objects.content_readable().filter(tender=tender).exists()
    assert not Bid.objects.visible_to(buyer).filter(tender=tender).exists()
    assert Bid.objects.visible_to(invited[0][1]).filter(tender=tender).count() == 1


def test_console_buttons_follow_the_state_machine(client, buyer):
    client.force_login(buyer)
    tender = draft_tender(open_category())
    published, _invited = published_tender()
    opened = opened_tender().tender
    for item in (tender, published, opened):
        context = client.get(reverse("tenders_console:detail", args=[item.id])).context
        fresh = Tender.objects.get(pk=item.pk)
        assert context["can_cancel"] is can_proceed(fresh.cancel)
        assert context["can_declare_unsuccessful"] is can_proceed(fresh.declare_unsuccessful)
        assert context["can_open"] is fresh.can_be_opened()
    assert [client.get(reverse("tenders_console:detail", args=[t.id])).context["can_declare_unsuccessful"]
            for t in (tender, published, opened)] == [False, False, True]


def test_an_outsider_bidding_is_not_found_for_the_service_the_api_and_the_page(client):
    tender, _invited = published_tender()
    outsider = UserFactory()
    CompanyFactory(owner=outsider)
    with pytest.raises(NotFound):
        services.bid_create(actor=outsider, tender=tender, data={})
    response = client_for(outsider).post(f"/api/v1/tenders/{tender.id}/bids/", {}, format="json")
    assert response.status_code == 404
    client.force_login(outsider)
    assert client.post(reverse("tenders_portal:bid_start", args=[tender.id])).status_code == 404

"""Dates and times: every one the platform accepts goes through procurement.inputs into a sane window (ten
years either side of now, a UTC offset a real zone can have); nothing outside it is saved, and a list never
fails because one row holds an extreme date anyway."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from procurement import inputs
from procurement.errors import ValidationFailed
from tenders.models import Tender
from tests.factories import draft_tender, open_category, tender_data
from tests.tenders.test_console_pages import form_data

from .conftest import client_for
from .test_hardening import problem

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01T00:00:00+14:00"
YEAR_TEN_THOUSAND = "9999-12-31T23:59:59-12:00"


# --- the one parser ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [YEAR_ONE, YEAR_TEN_THOUSAND, "2026-01-01T00:00:00+23:07",
                                   "2026-01-01T00:00:00-12:30", "2026-01-01T00:00:00+14:01"])
def test_moments_no_real_zone_or_year_can_have_are_not_moments(value):
    assert inputs.parse_moment(value) is None


def test_real_offsets_at_both_ends_are_moments():
    assert inputs.parse_moment("2026-06-01T12:00:00+14:00").utcoffset() == dt.timedelta(hours=14)
    assert inputs.parse_moment("2026-06-01T12:00:00-12:00").utcoffset() == dt.timedelta(hours=-12)


def test_the_window_is_ten_years_either_side_of_now():
    now = timezone.now()
    inputs.moment(now + dt.timedelta(days=365 * 9), "at")
    inputs.moment(now - dt.timedelta(days=365 * 9), "at")
    for far in (now + dt.timedelta(days=365 * 11), now - dt.timedelta(days=365 * 11)):
        with pytest.raises(ValidationFailed) as refused:
            inputs.moment(far, "at")
        assert "at" in refused.value.errors


def test_a_date_outside_the_window_is_refused_too():
    errors = {}
    assert inputs.day(dt.date(1, 1, 1), "issued_on", errors) is None
    assert errors["issued_on"]


# --- the API -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [("questions_deadline", YEAR_ONE), ("bid_deadline", YEAR_TEN_THOUSAND),
                                          ("bid_deadline", "2027-01-01T00:00:00+23:07")])
def test_an_impossible_deadline_is_a_400_on_its_field_and_nothing_is_saved(field, value):
    category = open_category()
    client = client_for(category.dps.created_by)
    response = client.post("/api/v1/tenders/", tender_data(category, **{field: value}), format="json")
    assert field in problem(response)["errors"]
    assert not Tender.objects.exists()
    assert client.get("/api/v1/tenders/").status_code == 200


def test_deadlines_in_the_past_are_refused_at_creation():
    category = open_category()
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = client_for(category.dps.created_by).post(
        "/api/v1/tenders/", tender_data(category, questions_deadline=past, bid_deadline=past), format="json")
    errors = problem(response)["errors"]
    assert "questions_deadline" in errors and "bid_deadline" in errors


def test_an_unchanged_past_deadline_does_not_block_editing_a_draft(time_machine):
    category = open_category()
    tender = draft_tender(category)
    time_machine.move_to(tender.bid_deadline + dt.timedelta(days=1))
    response = client_for(category.dps.created_by).patch(
        f"/api/v1/tenders/{tender.id}/", {"title": "Isolation — Les Tilleuls"}, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("query", ["deadline_before=2026-01-01T00:00:00%2B23:07", "deadline_after=0001-01-01",
                                   "deadline_before=9999-12-31T23:59:59-12:00"])
def test_a_deadline_filter_out_of_range_is_a_400_on_its_parameter(query):
    category = open_category()
    response = client_for(category.dps.created_by).get(f"/api/v1/tenders/?{query}")
    assert query.split("=")[0] in problem(response)["errors"]


# --- the wizard ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [("questions_deadline", "0001-01-01T00:00"),
                                          ("bid_deadline", "9999-12-31T23:59"),
                                          ("questions_deadline", YEAR_ONE), ("bid_deadline", YEAR_TEN_THOUSAND)])
def test_the_wizard_refuses_an_impossible_deadline_on_its_field(client, field, value):
    category = open_category()
    client.force_login(category.dps.created_by)
    response = client.post(reverse("tenders_console:create"), form_data(category, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Tender.objects.exists()


def test_the_list_filter_with_an_impossible_day_still_renders(client):
    category = open_category()
    draft_tender(category)
    client.force_login(category.dps.created_by)
    response = client.get(reverse("tenders_console:list"), {"deadline_from": "0001-01-01", "deadline_to": "9999-12-31"})
    assert response.status_code == 200


# --- one extreme row in the database ---------------------------------------------------------------------------


@pytest.mark.parametrize("extreme", [dt.datetime(1, 1, 1, tzinfo=dt.UTC),
                                     dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)])
def test_a_row_with_an_extreme_date_does_not_break_the_lists(client, extreme):
    category = open_category()
    sane = draft_tender(category)
    odd = draft_tender(category, title="Couverture — Les Acacias")
    Tender.objects.filter(pk=odd.pk).update(bid_deadline=extreme, questions_deadline=extreme)
    buyer = category.dps.created_by

    response = client_for(buyer).get("/api/v1/tenders/")
    assert response.status_code == 200, response.content[:500]
    assert {row["id"] for row in response.json()["results"]} >= {str(sane.id)}

    client.force_login(buyer)
    page = client.get(reverse("tenders_console:list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert sane.reference in body and odd.reference in body


def test_a_row_that_cannot_be_written_is_left_out_of_the_api_list_not_a_500(monkeypatch, caplog):
    from tenders.serializers import TenderSerializer

    category = open_category()
    sane, odd = draft_tender(category), draft_tender(category, title="Couverture — Les Acacias")
    written = TenderSerializer.get_operation

    def failing_for_odd(self, tender):
        if tender.pk == odd.pk:
            raise ValueError("a broken row")
        return written(self, tender)

    monkeypatch.setattr(TenderSerializer, "get_operation", failing_for_odd)
    response = client_for(category.dps.created_by).get("/api/v1/tenders/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(sane.id)]
    assert "left out of a list" in caplog.text


def test_a_generated_document_shows_a_stored_extreme_moment_instead_of_failing():
    from procurement.documents import formatting

    assert formatting.short_moment(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)) == "31/12/9999 23:59:59"
    assert "0001" in formatting.moment(dt.datetime(1, 1, 1, tzinfo=dt.UTC))

"""Rules of the core stated once: the DPS form leaves the decision period to ``dps_create``; input shapes
are cleaned by ``procurement.inputs``; months are added by ``procurement.calendar``; the time comes from
``procurement.clock`` (the seam the PostgreSQL race tests replace)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from procurement import calendar, clock, inputs
from procurement.errors import ValidationFailed
from procurement.forms.console import DPSForm
from procurement.models import DynamicPurchasingSystem
from procurement.services import INITIAL_DECISION_DAYS_MAX, INITIAL_DECISION_DAYS_MIN, dps_create
from tests.factories import CategoryFactory, DPSFactory

from .test_console_dps import dps_data

# --- the DPS form accepts what the service accepts, and shows the service's message -----------------------


@pytest.mark.parametrize("days", [1, 9, 10, 60, 61, 365, 366])
def test_dps_form_leaves_the_decision_period_rule_to_the_service(db, days, buyer):
    form = DPSForm(dps_data(initial_decision_days=str(days)))
    assert form.is_valid(), form.errors  # the form only parses a whole number
    accepted = INITIAL_DECISION_DAYS_MIN <= days <= INITIAL_DECISION_DAYS_MAX
    try:
        dps_create(actor=buyer, **form.cleaned_data)
    except ValidationFailed as exc:
        assert not accepted and list(exc.errors) == ["initial_decision_days"]
    else:
        assert accepted


@pytest.mark.django_db
def test_dps_page_shows_the_service_message_under_the_field(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("console:dps_create"), dps_data(initial_decision_days="61"))
    assert response.status_code == 400
    assert response.context["form"].errors["initial_decision_days"] == [
        "Le délai initial d'examen doit être compris entre 10 et 60 jours ouvrables."]
    assert not DynamicPurchasingSystem.objects.exists()
    response = client.post(reverse("console:dps_create"), dps_data(initial_decision_days="60"))
    assert response.status_code == 302
    assert DynamicPurchasingSystem.objects.get().initial_decision_days == 60


# --- input shapes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("1 250,50", Decimal("1250.50")), ("1250.50", Decimal("1250.50")), (0.2, Decimal("0.2")), (7, Decimal(7)),
    (Decimal("3.5"), Decimal("3.5")), (" 7.5 ", Decimal("7.5")), ("NaN", None), ("Infinity", None), ("abc", None),
    (True, None), (None, None), ([1], None),
])
def test_parse_decimal(raw, expected):
    assert inputs.parse_decimal(raw) == expected


def test_cleaners_collect_or_raise():
    errors: dict = {}
    assert inputs.decimal("-1", "price", errors) is None
    assert inputs.integer("7.5", "weeks", errors) is None
    assert inputs.text(3, "title", errors) is None
    assert inputs.moment("demain", "at", errors) is None
    assert set(errors) == {"price", "weeks", "title", "at"}
    assert inputs.decimal("12,345", "price", {}) == Decimal("12.35")  # rounded half up to the cent
    assert inputs.integer("12", "weeks", {}) == 12
    with pytest.raises(ValidationFailed) as caught:
        inputs.text("  ", "reason", message="Un motif est obligatoire.")
    assert caught.value.errors == {"reason": ["Un motif est obligatoire."]}
    assert inputs.text("x" * 256, "title", {}) == "x" * 256 and inputs.text("x" * 256, "t", errors) == "x" * 256
    assert errors["t"] == ["255 caractères au plus."]


def test_due_moment_takes_a_date_or_a_moment_in_the_future(monkeypatch):
    fixed = timezone.make_aware(dt.datetime(2026, 3, 2, 12, 0))
    monkeypatch.setattr(clock, "now", lambda: fixed)
    assert inputs.due_moment(dt.date(2026, 3, 5)) == calendar.end_of_day(dt.date(2026, 3, 5))
    assert inputs.due_moment("2026-03-03T10:00:00+01:00") == timezone.make_aware(dt.datetime(2026, 3, 3, 10))
    with pytest.raises(ValidationFailed, match="futur"):
        inputs.due_moment("2026-03-02T11:00:00+01:00")
    with pytest.raises(ValidationFailed, match="AAAA-MM-JJ"):
        inputs.due_moment("lundi")


# --- calendar and clock --------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 1, 15), 6, dt.date(2026, 7, 15)),
    (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),
    (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
    (dt.date(2026, 10, 31), 3, dt.date(2027, 1, 31)),
])
def test_add_months_clamps_to_the_end_of_a_shorter_month(day, months, expected):
    assert calendar.add_months(day, months) == expected


def test_day_range_covers_whole_paris_days():
    start, end = calendar.day_range(dt.date(2026, 3, 28), dt.date(2026, 3, 29))  # DST starts on the 29th
    assert start == calendar.start_of_day(dt.date(2026, 3, 28))
    assert end == calendar.start_of_day(dt.date(2026, 3, 30))
    assert timezone.localtime(end).hour == 0
    assert calendar.day_range(None, None) == (None, None)


@pytest.mark.django_db
def test_replacing_the_clock_moves_services_and_models(monkeypatch, buyer):
    dps = DPSFactory(actor=buyer)
    CategoryFactory(dps=dps, actor=buyer)
    later = timezone.now() + dt.timedelta(days=400)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert clock.today() == timezone.localdate(later)
    with pytest.raises(ValidationFailed) as caught:  # "after today" is read through the clock
        dps_create(actor=buyer, reference="SAD-X", title="X", valid_until=timezone.localdate() + dt.timedelta(days=300))
    assert list(caught.value.errors) == ["valid_until"]
    from procurement.services import dps_publish

    dps.valid_until = timezone.localdate() + dt.timedelta(days=800)
    dps.save()
    published = dps_publish(actor=buyer, dps=dps)
    assert published.published_at == later

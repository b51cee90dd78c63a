"""The DPS and its categories: publication, first window (R2162-44), turnover cap (R2142-7), closing."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from procurement import audit
from procurement import tasks as procurement_tasks
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import DynamicPurchasingSystem
from procurement.services import category_create, dps_close_expired, dps_create, dps_publish, dps_terminate
from tests.factories import CategoryFactory, DPSFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=PARIS), tick=False)


def category(dps, **extra):
    kwargs = {"actor": dps.created_by, "dps": dps, "code": "ITE-60", "name": "ITE — Oise (60)",
              "trade": "external_wall_insulation", "territories": ["60"], "max_contract_value": "100000",
              "min_turnover": "150000", "required_evidence": ["kbis"]}
    kwargs.update(extra)
    return category_create(**kwargs)


def test_first_window_ends_30_days_after_publication():
    with at(2026, 3, 10, 10):
        dps = DPSFactory(published=True)
    assert dps.status == "open"
    assert dps.published_at == dt.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    # date to date in Paris time, across the switch to summer time (29 March)
    assert dps.first_window_ends_at == dt.datetime(2026, 4, 9, 10, tzinfo=PARIS)
    assert not dps.first_window_over(dt.datetime(2026, 4, 9, 9, 59, tzinfo=PARIS))
    assert dps.first_window_over(dt.datetime(2026, 4, 9, 10, tzinfo=PARIS))


def test_only_buyers_create_and_publish():
    for roles in (["evaluator"], ["approver"]):
        with pytest.raises(NotAllowed):
            dps_create(actor=StaffFactory(roles=roles), reference="X", title="X",
                       valid_until=dt.date.today() + dt.timedelta(days=400))
    with pytest.raises(NotAllowed):
        dps_create(actor=UserFactory(), reference="X", title="X", valid_until=dt.date.today() + dt.timedelta(days=9))
    dps = DPSFactory()
    CategoryFactory(dps=dps)
    with pytest.raises(NotAllowed):
        dps_publish(actor=StaffFactory(roles=["approver"]), dps=dps)


def test_create_checks_fields_and_duplicate_reference():
    buyer = StaffFactory(roles=["buyer"])
    with at(2026, 3, 10, 10):
        with pytest.raises(ValidationFailed) as exc:
            dps_create(actor=buyer, reference=" ", title="", valid_until=dt.date(2026, 3, 10),
                       cpv_codes=["4500000", "45000000-7"], initial_decision_days=5)
        assert set(exc.value.errors) == {"reference", "title", "valid_until", "cpv_codes", "initial_decision_days"}
        assert len(exc.value.errors["cpv_codes"]) == 1
        dps_create(actor=buyer, reference="SAD-1", title="SAD", valid_until=dt.date(2030, 1, 1))
        with pytest.raises(Conflict):
            dps_create(actor=buyer, reference="SAD-1", title="Autre", valid_until=dt.date(2030, 1, 1))


def test_publication_needs_a_category_and_happens_once():
    dps = DPSFactory()
    with pytest.raises(ValidationFailed) as exc:
        dps_publish(actor=dps.created_by, dps=dps)
    assert "categories" in exc.value.errors
    CategoryFactory(dps=dps)
    dps = dps_publish(actor=dps.created_by, dps=dps)
    with pytest.raises(InvalidTransition):
        dps_publish(actor=dps.created_by, dps=dps)
    entries = [(e.action, e.from_state, e.to_state) for e in audit.history("dps", dps.id)]
    assert entries[0] == ("create", "", "draft")
    assert entries[-1] == ("publish", "draft", "open")


def test_min_turnover_above_one_and_a_half_times_the_max_value_needs_justification():
    dps = DPSFactory()
    assert category(dps, code="A", min_turnover="150000").min_turnover == Decimal("150000.00")  # exactly 1.5×
    with pytest.raises(ValidationFailed) as exc:
        category(dps, code="B", min_turnover="150000.01")
    assert "R2142-7" in exc.value.errors["min_turnover"][0]
    justified = category(dps, code="C", min_turnover="400000",
                         min_turnover_justification="Risque financier élevé sur les chantiers en site occupé.")
    assert justified.min_turnover == Decimal("400000.00")
    assert category(dps, code="D", max_contract_value=None, min_turnover="9000000").max_contract_value is None


def test_category_fields_are_checked():
    dps = DPSFactory()
    with pytest.raises(ValidationFailed) as exc:
        category(dps, code="", name="", trade="masonry", territories=["99", "60"], required_evidence=["passport"],
                 max_contract_value="-5", min_turnover="abc")
    assert set(exc.value.errors) >= {"code", "name", "trade", "territories", "required_evidence",
                                     "max_contract_value", "min_turnover"}
    category(dps, code="X")
    with pytest.raises(Conflict):
        category(dps, code="X")
    with pytest.raises(ValidationFailed):
        category(dps, code="Y", territories=[])


def test_no_category_added_to_a_terminated_dps_and_termination_needs_a_reason():
    dps = DPSFactory(published=True)
    with pytest.raises(ValidationFailed):
        dps_terminate(actor=dps.created_by, dps=dps, reason=" ")
    dps = dps_terminate(actor=dps.created_by, dps=dps, reason="Fin du programme")
    assert dps.status == "terminated"
    with pytest.raises(Conflict):
        category(dps, code="Z")


def test_dps_closes_at_the_end_of_its_validity():
    with at(2026, 3, 10, 10):
        dps = DPSFactory(published=True, valid_until=dt.date(2026, 6, 30))
        DPSFactory(published=True, valid_until=dt.date(2026, 7, 31))
    with at(2026, 6, 30, 23, 59):
        assert dps_close_expired() == 0
    with at(2026, 7, 1, 0, 5):
        assert procurement_tasks.dps_close_expired.delay().get() == 1
        assert dps_close_expired() == 0
    dps.refresh_from_db()
    assert dps.status == "closed"
    assert dps.closed_at == dt.datetime(2026, 7, 1, 0, 5, tzinfo=PARIS)
    entry = audit.history("dps", dps.id)[-1]
    assert (entry.action, entry.from_state, entry.to_state, entry.actor_label) == ("close", "open", "closed", "système")
    assert DynamicPurchasingSystem.objects.filter(status="open").count() == 1


def test_draft_dps_is_not_closed_by_the_schedule():
    with at(2026, 3, 10, 10):
        dps = DPSFactory(valid_until=dt.date(2026, 6, 30))
    with at(2026, 8, 1, 10):
        assert dps_close_expired() == 0
    dps.refresh_from_db()
    assert dps.status == "draft"

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from procurement.models import DPSStatus, DynamicPurchasingSystem
from tests.factories import DPSFactory

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.django_db
def test_it_runs_every_scheduled_job_and_closes_an_expired_dps():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=False):
        dps = DPSFactory(published=True, valid_until=dt.date(2026, 6, 30))
    out = StringIO()
    with time_machine.travel(dt.datetime(2026, 7, 1, 0, 5, tzinfo=PARIS), tick=False):
        call_command("run_scheduled_tasks", stdout=out)
    dps.refresh_from_db()
    assert dps.status == DPSStatus.CLOSED
    assert "1 DPS closed" in out.getvalue()
    assert DynamicPurchasingSystem.objects.filter(status=DPSStatus.OPEN).count() == 0


@pytest.mark.django_db
def test_it_closes_a_tender_whose_deadline_has_passed():
    from tenders.models import TenderStatus
    from tests.factories import published_tender

    tender, _ = published_tender(suppliers=1)
    out = StringIO()
    with time_machine.travel(tender.bid_deadline + dt.timedelta(seconds=30), tick=False):
        call_command("run_scheduled_tasks", stdout=out)
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CLOSED
    assert "1 tenders closed at their bid deadline" in out.getvalue()

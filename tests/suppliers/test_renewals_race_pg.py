"""Two buyers asking for renewed declarations at the same moment, on PostgreSQL with two connections.

Each company must get one pending request (one mail, one audit entry), whichever buyer's call wins, and
neither call may fail. The window between "which requests are pending" and "create the missing ones" is
widened on purpose (the due-date computation sleeps) so that, without the DPS row lock, both calls would
see nothing pending and both would create a request.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from procurement import calendar
from procurement.models import AuditEntry, OutboundEmail
from suppliers import services
from suppliers.models import DeclarationRenewal
from tests.factories import CategoryFactory, DPSFactory, StaffFactory, admitted_company

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_buyers_asking_at_once_get_one_set_of_requests(monkeypatch):
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by)
    companies = {admitted_company(first).company_id, admitted_company(second).company_id}
    buyers = [dps.created_by, StaffFactory(roles=["buyer"])]

    slow_add = calendar.add_working_days

    def add_working_days(*args, **kwargs):
        time.sleep(0.3)
        return slow_add(*args, **kwargs)

    monkeypatch.setattr(calendar, "add_working_days", add_working_days)

    barrier = threading.Barrier(2)
    results: list = [None, None]

    def ask(index):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", services.declaration_renewals_request(actor=buyers[index], dps=dps))
        except Exception as exc:  # noqa: BLE001  reported by the assertions below
            results[index] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r[0] for r in results] == ["ok", "ok"], results
    created = sorted(len(r[1]) for r in results)
    assert created == [0, 2], results  # one call made every request, the other found them pending
    assert set(DeclarationRenewal.objects.filter(dps=dps).values_list("company_id", flat=True)) == companies
    assert DeclarationRenewal.objects.filter(dps=dps).count() == 2
    assert AuditEntry.objects.filter(object_type="renewal", action="request").count() == 2
    assert OutboundEmail.objects.filter(key__startswith="renewal-request:").count() == 2

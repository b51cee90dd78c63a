"""Two buyers deciding the same application at the same moment: one wins, the other gets 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from procurement.models import AuditEntry, OutboundEmail
from procurement.services import dps_publish
from suppliers.models import Admission, Application
from tests.factories import CategoryFactory, DPSFactory, StaffFactory, submitted_application

from .conftest import client_for


@pytest.mark.django_db(transaction=True)
def test_two_buyers_decide_at_once_exactly_one_wins(require_postgres):
    first, second = StaffFactory(roles=["buyer"]), StaffFactory(roles=["buyer"])
    dps = DPSFactory(actor=first)
    categories = [CategoryFactory(dps=dps, actor=first, code=code) for code in ("ITE-59", "MEN-59")]
    dps_publish(actor=first, dps=dps)
    for category in categories:
        category.refresh_from_db()
    application = submitted_application(dps=dps, categories=categories)
    body = {"decisions": [{"category": str(c.id), "admitted": True, "reason": ""} for c in categories]}
    url = f"/api/v1/applications/{application.id}/decide/"

    clients = [client_for(first), client_for(second)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def decide(index):
        try:
            barrier.wait(timeout=10)
            response = clients[index].post(url, body, format="json")
            results[index] = (response.status_code, response.json())
        except Exception as exc:  # noqa: BLE001  reported by the assertions below
            results[index] = (None, repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 409], results
    loser = next(r[1] for r in results if r[0] == 409)
    assert loser["state"] == "decided" and loser["allowed_transitions"] == []

    application.refresh_from_db()
    assert application.status == "decided"
    assert AuditEntry.objects.filter(object_type="application", object_id=str(application.id),
                                     action="decide").count() == 1
    assert Admission.objects.filter(application=application).count() == 2
    assert AuditEntry.objects.filter(object_type="admission", action="admit").count() == 2
    assert OutboundEmail.objects.filter(key__startswith=f"application-decided:{application.id}").count() == 1
    assert Application.objects.filter(pk=application.pk, decided_by__in=[first, second]).exists()

"""Bids racing the deadline on PostgreSQL, with the clock controlled.

50 bidders submit at the same moment (POST /api/v1/bids/{id}/submit/, one thread and one database
connection each) while the clock crosses the deadline: each bid is accepted if and
only if its time of receipt (read under the tender's row lock) is before the deadline, and kept as
``late`` otherwise; none is lost and nobody gets a 5xx. And a tender opened while a bid arrives never
ends with a bid still ``submitted`` in an ``opened`` tender.

The clock is replaced at its one seam, ``procurement.clock.now`` (which the services and the models'
transition conditions read): each call takes the next value of a shared counter, so the order in which
the submissions read the time is the order in which they hold the tender's lock, and the moment they
straddle the deadline is known.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone as django_timezone

from procurement import clock
from procurement.models import AuditEntry
from suppliers.models import Admission, Application, ApplicationCategory, Company, Membership
from tenders import services
from tenders.models import Bid, Tender
from tests.factories import UserFactory, draft_bid, draft_tender, open_category

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIDDERS = 50
STEP = dt.timedelta(milliseconds=1)


def admit_directly(category, count: int) -> list[tuple[Company, object]]:
    """``count`` companies admitted to ``category`` (rows written directly, not through the admission
    flow), each with one admin member; returns [(company, user), …]."""
    tag = uuid.uuid4().hex[:8]
    dps = category.dps
    companies, members = [], []
    for n in range(count):
        company = Company.objects.create(name=f"Course {tag} {n:03d}", postal_code="60000", city="Beauvais")
        user = UserFactory(email=f"course-{tag}-{n:03d}@example.test")
        Membership.objects.create(user=user, company=company, role="admin")
        application = Application.objects.create(dps=dps, company=company, status="decided",
                                                  submitted_at=django_timezone.now(),
                                                  decided_at=django_timezone.now())
        ApplicationCategory.objects.create(application=application, category=category, decision="admitted")
        Admission.objects.create(company=company, category=category, application=application, status="admitted")
        companies.append(company)
        members.append(user)
    return list(zip(companies, members, strict=True))


def api_client(user):
    from rest_framework.test import APIClient

    from procurement.accounts.services import api_token_issue

    client = APIClient()
    key, _token = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def run_in_threads(count: int, target) -> None:
    """Start ``count`` threads on ``target(index)`` at once (a barrier); each closes its own DB connection."""
    barrier = threading.Barrier(count)

    def body(index):
        try:
            barrier.wait(timeout=30)
            target(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a submission never returned (deadlock?)"


def test_fifty_submissions_straddling_the_deadline(monkeypatch):
    category = open_category()
    invited = admit_directly(category, BIDDERS)
    tender = services.tender_publish(actor=category.dps.created_by, tender=draft_tender(category))
    assert tender.invitations.count() == BIDDERS
    bids = [draft_bid(tender, user) for _company, user in invited]
    clients = {bid.id: api_client(user) for bid, (_company, user) in zip(bids, invited, strict=True)}

    # Receipt times deadline − 25 ms, − 24 ms, …, + 24 ms, in the order the submissions read the clock.
    deadline = tender.bid_deadline
    counter = itertools.count()
    counter_lock = threading.Lock()

    def now():
        with counter_lock:
            return deadline - 25 * STEP + next(counter) * STEP

    monkeypatch.setattr(clock, "now", now)

    outcomes: dict = {}

    def submit(index):
        bid = bids[index]
        try:
            response = clients[bid.id].post(f"/api/v1/bids/{bid.id}/submit/", format="json")
            outcomes[bid.id] = (response.status_code, response.json())
        except Exception as exc:  # noqa: BLE001  an exception out of the view is a 500: fails below
            outcomes[bid.id] = (500, repr(exc))

    run_in_threads(BIDDERS, submit)

    assert len(outcomes) == BIDDERS
    errors = {k: v for k, v in outcomes.items() if v[0] not in (200, 409)}
    assert not errors, errors
    assert next(counter) == BIDDERS, "each submission reads the clock exactly once"

    stored = {bid.id: bid for bid in Bid.objects.filter(tender=tender)}
    assert set(stored) == {bid.id for bid in bids}, "a bid was lost"
    for bid_id, bid in stored.items():
        assert bid.submitted_at is not None, bid_id
        expected = "submitted" if bid.submitted_at < deadline else "late"
        assert bid.status == expected, (bid_id, bid.submitted_at, deadline, bid.status)
        status, body = outcomes[bid_id]
        assert status == (200 if expected == "submitted" else 409), (status, body)
        assert body["state" if status == 409 else "status"] == expected, body
        if expected == "submitted":
            assert bid.fingerprint and bid.sealed_receipt
    statuses = sorted(bid.status for bid in stored.values())
    assert statuses.count("submitted") == 25 and statuses.count("late") == 25, statuses

    # Every time of receipt is distinct and they follow the lock order, which is the order of the audit
    # chain (each submission appends its entry while still holding the tender's lock).
    times = [bid.submitted_at for bid in stored.values()]
    assert len(set(times)) == BIDDERS
    assert sorted(times) == [deadline - 25 * STEP + k * STEP for k in range(BIDDERS)]
    entries = list(AuditEntry.objects.filter(object_type="bid", object_id__in=[str(b) for b in stored],
                                             action__in=["submit", "mark-late"]).order_by("id"))
    assert len(entries) == BIDDERS
    in_lock_order = [stored[uuid.UUID(entry.object_id)].submitted_at for entry in entries]
    assert in_lock_order == sorted(times)
    assert [entry.action for entry in entries] == ["submit"] * 25 + ["mark-late"] * 25

    tender.refresh_from_db()
    assert tender.status == "published"


def test_opening_racing_a_bid_at_the_deadline_never_leaves_a_submitted_bid(monkeypatch):
    category = open_category()
    (_company, bidder), = admit_directly(category, 1)
    buyer = category.dps.created_by
    rounds = 12
    tenders = [services.tender_publish(actor=buyer, tender=draft_tender(category)) for _ in range(rounds)]
    bids = [draft_bid(tender, bidder) for tender in tenders]

    # The opener reads the deadline itself, the bidder one millisecond before it (the model's transition
    # conditions read the same clock).
    local = threading.local()
    monkeypatch.setattr(clock, "now", lambda: local.at)

    # The first two rounds fix the order (the other party starts 0.3 s later): opening first, then the bid
    # first; the others start both at once and let the row lock decide.
    delays = [(0.0, 0.3), (0.3, 0.0)] + [(0.0, 0.0)] * (rounds - 2)
    seen = []
    for round_no, (tender, bid) in enumerate(zip(tenders, bids, strict=True)):
        deadline = tender.bid_deadline
        outcomes = {}

        def race(index, tender=tender, bid=bid, deadline=deadline, outcomes=outcomes, delay=delays[round_no]):
            time.sleep(delay[index])
            try:
                if index == 0:
                    local.at = deadline
                    services.tender_open(actor=buyer, tender=Tender.objects.get(pk=tender.pk))
                    outcomes["open"] = "ok"
                else:
                    local.at = deadline - STEP
                    services.bid_submit(actor=bidder, bid=Bid.objects.get(pk=bid.pk))
                    outcomes["submit"] = "ok"
            except services.LateBid:
                outcomes["submit"] = "late"
            except Exception as exc:  # noqa: BLE001  reported by the assertions below
                outcomes["error"] = repr(exc)

        run_in_threads(2, race)
        assert "error" not in outcomes, outcomes
        assert outcomes["open"] == "ok"
        tender.refresh_from_db()
        bid.refresh_from_db()
        assert tender.status == "opened"
        assert bid.status != "submitted"
        assert not Bid.objects.filter(tender=tender, status="submitted").exists()
        # Either the bid came first (received before the deadline, then opened with the others), or the
        # opening did (the bid arrived at a tender no longer published: kept as late).
        if outcomes["submit"] == "ok":
            assert bid.status == "opened" and bid.submitted_at == deadline - STEP
        else:
            assert bid.status == "late" and bid.submitted_at == deadline - STEP
        seen.append(bid.status)
    assert seen[:2] == ["late", "opened"], seen
    assert len(seen) == rounds

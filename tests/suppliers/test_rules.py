"""The supplier-side rules, each stated once (a queryset method on the model) and proved where it shows:

- staff do not see draft applications (``ApplicationQuerySet.visible_to``): not on the applications page,
  not on the company page, not in the API; the company's members do;
- "expiring within N days" (``EvidenceDocumentQuerySet.expiring`` / ``expiry_window``): from today to
  today + N days, both included; the day after, a document is expired;
- "overdue" (``ApplicationQuerySet.overdue``, ``DeclarationRenewalQuerySet.overdue``): the due date itself
  is on time, the day after is late; the per-row predicates agree with the querysets.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from procurement import clock
from suppliers import selectors
from suppliers.models import (
    EXPIRY_WARNING_DAYS,
    Application,
    ApplicationCategory,
    DeclarationRenewal,
    EvidenceDocument,
    EvidenceStatus,
    evidence_status,
)
from tests.api.conftest import client_for
from tests.factories import DPSFactory, StaffFactory, evidence_direct, ready_company, submitted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_and_submitted():
    dps = DPSFactory(published=True)
    categories = list(dps.categories.all())
    company, member = ready_company(categories)
    draft = Application.objects.create(dps=dps, company=company, created_by=member)
    ApplicationCategory.objects.create(application=draft, category=categories[0])
    other_company, _other = ready_company(categories)
    submitted = submitted_application(dps=dps, categories=categories, company=other_company)
    return draft, submitted, member


# --- drafts are the supplier's business ------------------------------------------------------------------


def test_staff_do_not_see_draft_applications_on_the_applications_page(client, buyer, draft_and_submitted):
    draft, submitted, _member = draft_and_submitted
    client.force_login(buyer)
    for query in ({}, {"status": "draft"}):
        response = client.get(reverse("console:applications"), query)
        shown = {row["application"].id for row in response.context["rows"]}
        assert draft.id not in shown
    assert submitted.id in {r["application"].id for r in client.get(reverse("console:applications")).context["rows"]}
    assert client.get(reverse("console:application_review", args=[draft.id])).status_code == 404


def test_staff_do_not_see_draft_applications_on_the_company_page(client, buyer, draft_and_submitted):
    draft, _submitted, _member = draft_and_submitted
    client.force_login(buyer)
    response = client.get(reverse("console:company_detail", args=[draft.company_id]))
    assert response.status_code == 200
    assert list(response.context["applications"]) == []
    assert str(draft.id) not in response.content.decode()


def test_staff_do_not_see_draft_applications_in_the_api(buyer, draft_and_submitted):
    draft, submitted, member = draft_and_submitted
    staff = client_for(buyer)
    listed = [a["id"] for a in staff.get("/api/v1/applications/?page_size=200").json()["results"]]
    assert str(draft.id) not in listed and str(submitted.id) in listed
    assert staff.get("/api/v1/applications/?status=draft").json()["count"] == 0
    assert staff.get(f"/api/v1/applications/{draft.id}/").status_code == 404
    own = client_for(member)
    assert own.get(f"/api/v1/applications/{draft.id}/").status_code == 200
    assert str(draft.id) in [a["id"] for a in own.get("/api/v1/applications/").json()["results"]]


def test_the_dashboard_counts_no_draft(buyer, draft_and_submitted):
    counts = selectors.dashboard_counts(buyer)
    assert counts["by_status"]["draft"] == 0
    assert counts["by_status"]["submitted"] == counts["submitted"] == 1
    assert Application.objects.visible_to(buyer).filter(status="draft").count() == 0


# --- expiring within N days ------------------------------------------------------------------------------


def test_expiring_boundary_is_exactly_n_days_both_ends_included():
    company, _user = ready_company(kinds=[])
    today = clock.today()
    issued = today - dt.timedelta(days=200)
    by_offset = {offset: evidence_direct(company=company, kind="kbis", issued_on=issued,
                                         valid_until=today + dt.timedelta(days=offset))
                 for offset in (-1, 0, EXPIRY_WARNING_DAYS, EXPIRY_WARNING_DAYS + 1)}
    expiring = set(EvidenceDocument.objects.filter(company=company).expiring(on=today).values_list("pk", flat=True))
    assert expiring == {by_offset[0].pk, by_offset[EXPIRY_WARNING_DAYS].pk}
    assert [evidence_status(by_offset[o].valid_until, on=today) for o in sorted(by_offset)] == [
        EvidenceStatus.EXPIRED, EvidenceStatus.EXPIRING, EvidenceStatus.EXPIRING, EvidenceStatus.VALID]
    # The instance status agrees with the queryset, and a custom window moves the boundary.
    for offset, document in by_offset.items():
        assert (document.status_on(today) == EvidenceStatus.EXPIRING) == (document.pk in expiring), offset
    within_five = EvidenceDocument.objects.filter(company=company).expiring(on=today, within=5)
    assert list(within_five.values_list("pk", flat=True)) == [by_offset[0].pk]


def test_dashboard_and_directory_use_the_same_expiring_rule(client, buyer):
    company, _user = ready_company(kinds=[])
    today = clock.today()
    issued = today - dt.timedelta(days=200)
    evidence_direct(company=company, kind="kbis", issued_on=issued, valid_until=today + dt.timedelta(days=30))
    evidence_direct(company=company, kind="urssaf_vigilance", issued_on=issued,
                    valid_until=today + dt.timedelta(days=31))
    assert selectors.dashboard_counts(buyer)["expiring_documents"] == 1
    client.force_login(buyer)
    rows = client.get(reverse("console:directory"), {"expiring_within": "30"}).context["rows"]
    assert [r["company"].id for r in rows] == [company.id]
    assert rows[0]["expiry_status"] == EvidenceStatus.EXPIRING
    assert client.get(reverse("console:directory"), {"expiring_within": "29"}).context["rows"] == []


# --- overdue ---------------------------------------------------------------------------------------------


def test_an_application_is_overdue_the_day_after_its_decision_date():
    application = submitted_application()
    due = application.decision_due
    for day, late in ((due - dt.timedelta(days=1), False), (due, False), (due + dt.timedelta(days=1), True)):
        in_queryset = Application.objects.overdue(at=day).filter(pk=application.pk).exists()
        assert in_queryset is late, day
        assert application.is_overdue_on(day) is late, day
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9))),
                             tick=False):
        assert application.is_overdue
        assert selectors.applications_for_user(StaffFactory(roles=["buyer"]), overdue=True).get() == application


def test_a_renewal_is_overdue_the_day_after_its_due_date():
    application = submitted_application()
    renewal = DeclarationRenewal.objects.create(dps=application.dps, company=application.company,
                                                due_on=clock.today())
    for offset, late in ((-1, False), (0, False), (1, True)):
        day = renewal.due_on + dt.timedelta(days=offset)
        assert DeclarationRenewal.objects.overdue(at=day).filter(pk=renewal.pk).exists() is late
        assert renewal.is_overdue_on(day) is late

"""Renewed declarations (R2162-47: 5 working days, else suspension) and evidence expiry reminders."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from procurement import audit
from procurement.errors import NotAllowed, ValidationFailed
from procurement.models import OutboundEmail
from suppliers import tasks
from suppliers.models import Admission, DeclarationRenewal, Membership
from suppliers.services import (
    declaration_renewals_request,
    declaration_renewals_suspend_overdue,
    evidence_expiry_reminders,
)
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DeclarationFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    company_owner,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=PARIS), tick=False)


@pytest.fixture
def admitted():
    """A company admitted to two categories of a DPS (on 20 April 2026)."""
    with at(2026, 4, 20, 10):
        dps = DPSFactory(published=True)
        first = dps.categories.get()
        second = CategoryFactory(dps=dps, actor=dps.created_by)
        admission = admitted_company(first)
        other = admitted_company(second, company=admission.company)
    return dps, admission, other


# --- renewed declarations -----------------------------------------------------------------------------

def test_renewal_is_due_in_5_working_days(admitted, django_capture_on_commit_callbacks, mailoutbox):
    dps, admission, _ = admitted
    # Requested Monday 4 May 2026: Tue 5 (1) Wed 6 (2) Thu 7 (3), Fri 8 May holiday, Sat 9 (4), Mon 11 (5).
    with at(2026, 5, 4, 10), django_capture_on_commit_callbacks(execute=True):
        renewals = declaration_renewals_request(actor=dps.created_by, dps=dps)
    assert len(renewals) == 1
    assert renewals[0].due_on == dt.date(2026, 5, 11)
    assert renewals[0].company == admission.company
    assert [m.to for m in mailoutbox] == [[company_owner(admission.company).email]]

    with at(2026, 5, 5, 10):
        again = declaration_renewals_request(actor=dps.created_by, dps=dps)
    assert again == []  # one pending request per company
    assert DeclarationRenewal.objects.count() == 1


def test_only_buyers_request_renewals_and_only_from_admitted_companies(admitted):
    dps, _, _ = admitted
    with pytest.raises(NotAllowed):
        declaration_renewals_request(actor=StaffFactory(roles=["approver"]), dps=dps)
    with pytest.raises(ValidationFailed):
        declaration_renewals_request(actor=dps.created_by, dps=dps, company_ids=[CompanyFactory().id])


def test_a_new_declaration_answers_the_renewal(admitted):
    dps, admission, other = admitted
    with at(2026, 5, 4, 10):
        renewal = declaration_renewals_request(actor=dps.created_by, dps=dps)[0]
    with at(2026, 5, 7, 15):
        declaration = DeclarationFactory(company=admission.company)
    renewal.refresh_from_db()
    assert renewal.status == "answered"
    assert renewal.declaration == declaration
    assert declaration.version == 2
    with at(2026, 5, 20, 1):
        assert declaration_renewals_suspend_overdue() == 0
    assert set(Admission.objects.values_list("status", flat=True)) == {"admitted"}


def test_unanswered_renewal_suspends_admissions_once(admitted, django_capture_on_commit_callbacks, mailoutbox):
    dps, admission, other = admitted
    colleague = UserFactory()
    Membership.objects.create(user=colleague, company=admission.company)
    with at(2026, 5, 4, 10):
        renewal = declaration_renewals_request(actor=dps.created_by, dps=dps)[0]

    with at(2026, 5, 11, 23, 59), django_capture_on_commit_callbacks(execute=True):
        assert declaration_renewals_suspend_overdue() == 0  # due date itself is still on time
    assert not mailoutbox

    with at(2026, 5, 12, 0, 5):
        with django_capture_on_commit_callbacks(execute=True):
            assert declaration_renewals_suspend_overdue() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert declaration_renewals_suspend_overdue() == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.declaration_renewals_suspend_overdue.delay().get() == 0

    renewal.refresh_from_db()
    assert renewal.status == "lapsed"
    for item in (admission, other):
        item.refresh_from_db()
        assert item.status == "suspended"
        assert "11/05/2026" in item.status_reason
        entry = audit.history("admission", item.id)[-1]
        assert (entry.action, entry.from_state, entry.to_state, entry.actor_label) == (
            "suspend", "admitted", "suspended", "système")
    # two admissions × two members, one mail each
    assert len(mailoutbox) == 4
    assert OutboundEmail.objects.filter(key__startswith="admission-suspend").count() == 4
    assert sorted({m.to[0] for m in mailoutbox}) == sorted([company_owner(admission.company).email, colleague.email])


def test_late_declaration_does_not_reinstate_by_itself(admitted):
    dps, admission, _ = admitted
    with at(2026, 5, 4, 10):
        declaration_renewals_request(actor=dps.created_by, dps=dps)
    with at(2026, 5, 13, 10):
        declaration_renewals_suspend_overdue()
        DeclarationFactory(company=admission.company)
    admission.refresh_from_db()
    assert admission.status == "suspended"


# --- evidence expiry reminders ------------------------------------------------------------------------

@pytest.fixture
def expiring_document():
    """A liability insurance valid until Friday 31 July 2026, uploaded in January."""
    with at(2026, 1, 15, 10):
        document = EvidenceDocumentFactory(kind="liability_insurance", valid_until=dt.date(2026, 7, 31))
    return document


def run_reminders(capture, *args):
    with at(*args), capture(execute=True):
        return evidence_expiry_reminders()


def test_reminders_30_and_7_days_before_once_each(expiring_document, django_capture_on_commit_callbacks,
                                                  mailoutbox):
    capture = django_capture_on_commit_callbacks
    assert run_reminders(capture, 2026, 6, 30, 8) == 0   # 31 days before
    assert run_reminders(capture, 2026, 7, 1, 8) == 1    # 30 days before
    assert run_reminders(capture, 2026, 7, 1, 9) == 0
    assert run_reminders(capture, 2026, 7, 10, 8) == 0
    assert len(mailoutbox) == 1
    assert "30/07/2026" not in mailoutbox[0].body and "31/07/2026" in mailoutbox[0].body
    assert "30 jours" in mailoutbox[0].body
    assert run_reminders(capture, 2026, 7, 23, 8) == 0   # 8 days before
    assert run_reminders(capture, 2026, 7, 24, 8) == 1   # 7 days before
    assert run_reminders(capture, 2026, 7, 25, 8) == 0
    assert run_reminders(capture, 2026, 8, 5, 8) == 0    # expired: nothing more
    assert len(mailoutbox) == 2
    assert "7 jours" in mailoutbox[1].body
    keys = sorted(OutboundEmail.objects.values_list("key", flat=True))
    assert [k.rsplit(":", 2)[1] for k in keys] == ["30", "7"]


def test_no_reminder_when_a_newer_valid_document_of_the_same_kind_exists(
        expiring_document, django_capture_on_commit_callbacks, mailoutbox):
    with at(2026, 6, 20, 10):
        EvidenceDocumentFactory(company=expiring_document.company, kind="liability_insurance",
                                valid_until=dt.date(2027, 7, 31))
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 1, 8) == 0
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 24, 8) == 0
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_newer_document_of_another_kind_does_not_silence_the_reminder(
        expiring_document, django_capture_on_commit_callbacks, mailoutbox):
    with at(2026, 6, 20, 10):
        EvidenceDocumentFactory(company=expiring_document.company, kind="kbis", valid_until=dt.date(2027, 7, 31))
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 1, 8) == 1
    assert len(mailoutbox) == 1


def test_reminder_task_sends_once_per_member(expiring_document, django_capture_on_commit_callbacks, mailoutbox):
    colleague = UserFactory()
    Membership.objects.create(user=colleague, company=expiring_document.company)
    with at(2026, 7, 1, 8):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.evidence_expiry_reminders.delay().get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.evidence_expiry_reminders.delay().get() == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [company_owner(expiring_document.company).email, colleague.email])


def test_replacement_without_expiry_date_silences_the_reminder(
        expiring_document, django_capture_on_commit_callbacks, mailoutbox):
    with at(2026, 6, 20, 10):
        EvidenceDocumentFactory(company=expiring_document.company, kind="liability_insurance", valid_until=None)
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 1, 8) == 0
    assert mailoutbox == []


def test_document_found_inside_the_last_week_gets_one_mail_not_two(django_capture_on_commit_callbacks, mailoutbox):
    with at(2026, 7, 20, 10):
        EvidenceDocumentFactory(kind="liability_insurance", valid_until=dt.date(2026, 7, 25))
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 20, 11) == 1
    assert run_reminders(django_capture_on_commit_callbacks, 2026, 7, 21, 11) == 0
    assert len(mailoutbox) == 1
    assert "5 jours" in mailoutbox[0].body
    assert OutboundEmail.objects.get().key.split(":")[2] == "7"

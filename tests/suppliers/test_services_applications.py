"""Applications: completeness on submission, decision period (R2162-45), extension, information requests."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from procurement import audit
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import AuditEntry, DynamicPurchasingSystem, EvidenceKind, OutboundEmail
from procurement.services import dps_terminate
from suppliers.models import Application, Membership
from suppliers.services import (
    application_create,
    application_extend,
    application_request_info,
    application_set_categories,
    application_submit,
    application_withdraw,
    missing_items,
)
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DeclarationFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    StaffFactory,
    UserFactory,
    company_owner,
    evidence_direct,
    ready_company,
    submitted_application,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=PARIS), tick=False)


def setup_dps(**dps_kwargs):
    dps = DPSFactory(**dps_kwargs)
    category = CategoryFactory(dps=dps)
    from procurement.services import dps_publish

    dps = dps_publish(actor=dps.created_by, dps=dps)
    return dps, category


def receive(dps, category):
    company, user = ready_company([category])
    application = application_create(actor=user, dps=dps, company=company, category_ids=[category.id])
    return application_submit(actor=user, application=application)


# --- the 10 jours ouvrables (R2162-45) ---------------------------------------------------------------

def test_decision_due_skips_sundays_and_may_holidays():
    # Receipt Thursday 30 April 2026. Jours ouvrables (Mon–Sat, minus holidays) after it:
    # Fri 1 May holiday; Sat 2 (1); Sun 3 no; Mon 4 (2) Tue 5 (3) Wed 6 (4) Thu 7 (5); Fri 8 May holiday;
    # Sat 9 (6); Mon 11 (7) Tue 12 (8) Wed 13 (9); Thu 14 Ascension; Fri 15 May (10).
    with at(2026, 4, 10, 9):
        dps, category = setup_dps()
    with at(2026, 4, 30, 16, 30):
        application = receive(dps, category)
    assert application.submitted_at == dt.datetime(2026, 4, 30, 16, 30, tzinfo=PARIS)
    assert application.decision_due == dt.date(2026, 5, 15)


def test_receipt_on_a_saturday():
    # Receipt Saturday 6 June 2026: Mon 8 (1) … Sat 13 (6), Mon 15 (7) Tue 16 (8) Wed 17 (9) Thu 18 (10).
    with at(2026, 6, 1, 9):
        dps, category = setup_dps()
    with at(2026, 6, 6, 11):
        application = receive(dps, category)
    assert application.decision_due == dt.date(2026, 6, 18)


def test_receipt_just_after_midnight_paris_time_belongs_to_the_paris_day():
    # 22:30 UTC on Friday 5 June is 00:30 on Saturday 6 June in Paris: counted from Saturday.
    with at(2026, 6, 1, 9):
        dps, category = setup_dps()
    with time_machine.travel(dt.datetime(2026, 6, 5, 22, 30, tzinfo=dt.UTC), tick=False):
        application = receive(dps, category)
    assert application.decision_due == dt.date(2026, 6, 18)


def test_jours_ouvres_mode_is_a_setting(settings):
    # Mon–Fri only: Mon 4 (1) … Thu 7 (4), Fri 8 holiday, Mon 11 (5) Tue 12 (6) Wed 13 (7), Thu 14 Ascension,
    # Fri 15 (8), Mon 18 (9), Tue 19 May (10).
    settings.WORKING_DAYS_MODE = "ouvres"
    with at(2026, 4, 10, 9):
        dps, category = setup_dps()
    with at(2026, 4, 30, 16):
        application = receive(dps, category)
    assert application.decision_due == dt.date(2026, 5, 19)


def test_extension_to_15_working_days_with_a_reason_only_once():
    with at(2026, 4, 10, 9):
        dps, category = setup_dps()
    with at(2026, 4, 30, 16):
        application = receive(dps, category)
    buyer = dps.created_by
    with at(2026, 5, 5, 10):
        with pytest.raises(ValidationFailed) as exc:
            application_extend(actor=buyer, application=application, reason="   ")
        assert "reason" in exc.value.errors
        application.refresh_from_db()
        assert not application.extended

        application = application_extend(actor=buyer, application=application,
                                          reason="Vérification des références auprès des maîtres d'ouvrage.")
    # 15 jours ouvrables: … Fri 15 May (10), Sat 16 (11), Mon 18 (12), Tue 19 (13), Wed 20 (14), Thu 21 (15).
    assert application.decision_due == dt.date(2026, 5, 21)
    assert application.extended
    assert application.extension_reason.startswith("Vérification")
    entry = audit.history("application", application.id)[-1]
    assert (entry.action, entry.from_state, entry.to_state) == ("extend", "submitted", "submitted")
    assert entry.reason.startswith("Vérification")

    with at(2026, 5, 6, 10), pytest.raises(InvalidTransition):
        application_extend(actor=buyer, application=application, reason="Encore")
    application.refresh_from_db()
    assert application.decision_due == dt.date(2026, 5, 21)


def test_only_a_buyer_may_extend():
    application = submitted_application()
    with pytest.raises(NotAllowed):
        application_extend(actor=StaffFactory(roles=["evaluator"]), application=application, reason="x")


def test_longer_initial_period_applies_before_the_first_invitation_only():
    # 20 jours ouvrables from Thu 30 April: … Thu 21 May (15), Fri 22 (16), Sat 23 (17), Mon 25 Whit Monday,
    # Tue 26 (18), Wed 27 (19), Thu 28 May (20).
    with at(2026, 4, 10, 9):
        dps, category = setup_dps(initial_decision_days=20)
    with at(2026, 4, 30, 16):
        before = receive(dps, category)
    assert before.decision_due == dt.date(2026, 5, 28)

    DynamicPurchasingSystem.objects.filter(pk=dps.pk).update(
        first_invitation_at=dt.datetime(2026, 4, 29, 10, tzinfo=PARIS))
    other = CategoryFactory(dps=dps, actor=dps.created_by)
    with at(2026, 4, 30, 16):
        after = receive(dps, other)
    assert after.decision_due == dt.date(2026, 5, 15)


# --- completeness on submission ----------------------------------------------------------------------

def test_submission_refused_with_one_message_per_missing_item():
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by,
                             required_evidence=[EvidenceKind.KBIS, EvidenceKind.DECENNIAL_INSURANCE])
    company = CompanyFactory()
    user = company_owner(company)
    EvidenceDocumentFactory(company=company, kind=EvidenceKind.KBIS)
    application = application_create(actor=user, dps=dps, company=company, category_ids=[first.id, second.id])

    with pytest.raises(ValidationFailed) as exc:
        application_submit(actor=user, application=application)

    errors = exc.value.errors
    # One entry, with one message, per missing item. The first category requires kbis (present), urssaf,
    # liability insurance and rge; the second a decennial insurance.
    assert set(errors) == {
        "declaration",
        f"category:{first.code}:urssaf_vigilance",
        f"category:{first.code}:liability_insurance",
        f"category:{first.code}:rge_certificate",
        f"category:{second.code}:decennial_insurance",
    }
    assert all(len(messages) == 1 for messages in errors.values())
    assert "manquant" in errors[f"category:{first.code}:rge_certificate"][0]
    assert "URSSAF" in errors[f"category:{first.code}:urssaf_vigilance"][0]
    assert "décennale" in errors[f"category:{second.code}:decennial_insurance"][0]
    application.refresh_from_db()
    assert application.status == "draft"
    assert application.submitted_at is None


def test_expired_document_is_reported_as_expired():
    dps = DPSFactory(published=True)
    category = dps.categories.get()
    company, user = ready_company([category], kinds=["kbis", "liability_insurance", "rge_certificate"])
    today = timezone.localdate()
    evidence_direct(company=company, kind="urssaf_vigilance", issued_on=today - dt.timedelta(days=200),
                    valid_until=today - dt.timedelta(days=17))
    application = application_create(actor=user, dps=dps, company=company, category_ids=[category.id])

    with pytest.raises(ValidationFailed) as exc:
        application_submit(actor=user, application=application)

    assert exc.value.errors == {f"category:{category.code}:urssaf_vigilance": [
        "Attestation de vigilance URSSAF : le document fourni a expiré, déposez-en un à jour."]}


def test_document_expiring_today_still_counts():
    category = DPSFactory(published=True).categories.get()
    company, _ = ready_company([category], kinds=["kbis", "liability_insurance", "rge_certificate"])
    today = timezone.localdate()
    evidence_direct(company=company, kind="urssaf_vigilance", issued_on=today - dt.timedelta(days=100),
                    valid_until=today)
    assert missing_items(company=company, categories=[category]) == {}
    assert missing_items(company=company, categories=[category], on=today + dt.timedelta(days=1))


@pytest.mark.parametrize("equivalent", ["other", "qualibat_certificate"])
def test_rge_or_equivalent(equivalent):
    category = DPSFactory(published=True).categories.get()
    assert "rge_certificate" in category.required_evidence
    company, user = ready_company([category], kinds=["kbis", "urssaf_vigilance", "liability_insurance"])
    assert list(missing_items(company=company, categories=[category]).values()) == [
        ["Certificat RGE : document manquant."]]

    EvidenceDocumentFactory(company=company, kind=equivalent)

    assert missing_items(company=company, categories=[category]) == {}
    application = application_create(actor=user, dps=category.dps, company=company, category_ids=[category.id])
    assert application_submit(actor=user, application=application).status == "submitted"


def test_equivalence_does_not_stretch_to_non_qualification_kinds():
    category = DPSFactory(published=True).categories.get()
    company, _ = ready_company([category], kinds=["kbis", "liability_insurance", "rge_certificate", "other"])
    assert list(missing_items(company=company, categories=[category]).values()) == [
        ["Attestation de vigilance URSSAF : document manquant."]]


# --- lifecycle ---------------------------------------------------------------------------------------

def test_application_only_to_an_open_dps():
    dps = DPSFactory()
    category = CategoryFactory(dps=dps)
    company, user = ready_company([category])
    with pytest.raises(Conflict):
        application_create(actor=user, dps=dps, company=company, category_ids=[category.id])


def test_submit_refused_once_the_dps_is_terminated():
    dps = DPSFactory(published=True)
    category = dps.categories.get()
    company, user = ready_company([category])
    application = application_create(actor=user, dps=dps, company=company, category_ids=[category.id])
    dps_terminate(actor=dps.created_by, dps=dps, reason="Programme abandonné")
    with pytest.raises(Conflict):
        application_submit(actor=user, application=application)


def test_categories_must_belong_to_the_dps_and_one_active_application_per_dps():
    dps = DPSFactory(published=True)
    foreign = DPSFactory(published=True).categories.get()
    category = dps.categories.get()
    company, user = ready_company([category])
    with pytest.raises(ValidationFailed):
        application_create(actor=user, dps=dps, company=company, category_ids=[foreign.id])
    with pytest.raises(ValidationFailed):
        application_create(actor=user, dps=dps, company=company, category_ids=[])
    application_create(actor=user, dps=dps, company=company, category_ids=[category.id])
    with pytest.raises(Conflict):
        application_create(actor=user, dps=dps, company=company, category_ids=[category.id])


def test_only_members_may_apply():
    category = DPSFactory(published=True).categories.get()
    company, _ = ready_company([category])
    with pytest.raises(NotAllowed):
        application_create(actor=UserFactory(), dps=category.dps, company=company, category_ids=[category.id])


def test_information_request_goes_back_to_the_supplier_and_resubmission_restarts_the_period():
    with at(2026, 4, 10, 9):
        dps, category = setup_dps()
    with at(2026, 4, 30, 16):
        application = receive(dps, category)
    buyer = dps.created_by
    with at(2026, 5, 4, 10):
        with pytest.raises(ValidationFailed):
            application_request_info(actor=buyer, application=application, message=" ")
        application = application_request_info(actor=buyer, application=application,
                                               message="Merci de fournir vos références de chantiers ITE.")
    assert application.status == "info_requested"
    assert application.info_request_message.startswith("Merci")
    user = company_owner(application.company)
    other = CategoryFactory(dps=dps, actor=buyer)
    with at(2026, 5, 11, 10):
        application_set_categories(actor=user, application=application, category_ids=[category.id, other.id])
        EvidenceDocumentFactory(company=application.company, kind="urssaf_vigilance")
        application = application_submit(actor=user, application=application)
    # New receipt Mon 11 May: Tue 12 (1) Wed 13 (2), Thu 14 Ascension, Fri 15 (3) Sat 16 (4) Mon 18 (5)
    # Tue 19 (6) Wed 20 (7) Thu 21 (8) Fri 22 (9) Sat 23 (10).
    assert application.decision_due == dt.date(2026, 5, 23)
    assert application.first_submitted_at == dt.datetime(2026, 4, 30, 16, tzinfo=PARIS)
    assert application.lines.count() == 2
    actions = [e.action for e in audit.history("application", application.id)]
    assert actions == ["create", "submit", "request-info", "submit"]


def test_categories_frozen_once_submitted_and_withdraw():
    application = submitted_application()
    user = company_owner(application.company)
    with pytest.raises(Conflict):
        application_set_categories(actor=user, application=application,
                                   category_ids=[application.lines.get().category_id])
    application = application_withdraw(actor=user, application=application, reason="Plan de charge complet")
    assert application.status == "withdrawn"
    with pytest.raises(InvalidTransition):
        application_withdraw(actor=user, application=application)
    with pytest.raises(InvalidTransition):
        application_submit(actor=user, application=application)


def test_status_field_is_protected():
    application = submitted_application()
    with pytest.raises(AttributeError):
        application.status = "decided"


def test_overdue_flag():
    with at(2026, 4, 10, 9):
        dps, category = setup_dps()
    with at(2026, 4, 30, 16):
        application = receive(dps, category)
    with at(2026, 5, 15, 23):
        assert not Application.objects.get(pk=application.pk).is_overdue
    with at(2026, 5, 16, 0, 5):
        assert Application.objects.get(pk=application.pk).is_overdue


def test_receipt_is_mailed_to_every_member_once(django_capture_on_commit_callbacks, mailoutbox):
    category = DPSFactory(published=True).categories.get()
    company, user = ready_company([category])
    colleague = UserFactory()
    Membership.objects.create(user=colleague, company=company)
    application = application_create(actor=user, dps=category.dps, company=company, category_ids=[category.id])
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(actor=user, application=application)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        application_submit(actor=user, application=application)

    assert sorted(m.to[0] for m in mailoutbox) == sorted([user.email, colleague.email])
    assert OutboundEmail.objects.filter(key__startswith=f"application-received:{application.id}").count() == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_declaration_factory_needs_membership():
    company = CompanyFactory()
    with pytest.raises(NotAllowed):
        DeclarationFactory(company=company, actor=UserFactory())
    assert AuditEntry.objects.filter(object_type="application").count() == 0


def test_mails_are_plain_text_without_html_escaping(django_capture_on_commit_callbacks, mailoutbox):
    """An apostrophe or an ampersand in a name reaches the mail as typed, not as an HTML entity."""
    dps = DPSFactory(published=True, title="Rénovation d'Oise & Somme")
    category = CategoryFactory(dps=dps, code="ITE-60", name="Isolation par l'extérieur")
    company, user = ready_company([category])
    company.name = "L'Atelier & Fils"
    company.save(update_fields=["name"])
    application = application_create(actor=user, dps=dps, company=company, category_ids=[category.id])
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(actor=user, application=application)

    body = mailoutbox[0].body
    assert "Isolation par l'extérieur" in body and "L'Atelier & Fils" in body and "d'Oise & Somme" in body
    assert "&#x27;" not in body and "&amp;" not in body

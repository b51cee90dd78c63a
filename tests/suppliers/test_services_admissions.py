"""Decisions on applications and the life of admissions: roles, reasons, audit, mails sent once."""

import pytest

from procurement import audit
from procurement.errors import InvalidTransition, NotAllowed, ValidationFailed
from procurement.models import AuditEntry, OutboundEmail
from suppliers.models import Admission, ApplicationCategory, Membership
from suppliers.services import (
    admission_exclude,
    admission_reinstate,
    admission_suspend,
    application_create,
    application_decide,
)
from tests.factories import (
    CategoryFactory,
    DPSFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    company_owner,
    ready_company,
    submitted_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_category_application():
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by)
    application = submitted_application(dps=dps, categories=[first, second])
    return application, first, second, dps.created_by


def test_decision_admits_some_and_rejects_others_with_reason(two_category_application):
    application, first, second, buyer = two_category_application
    application = application_decide(actor=buyer, application=application, decisions=[
        {"category": first.id, "admitted": True, "reason": ""},
        {"category": str(second.id), "admitted": False, "reason": "Chiffre d'affaires insuffisant."},
    ])

    assert application.status == "decided"
    assert application.decided_by == buyer
    lines = {line.category_id: line for line in ApplicationCategory.objects.filter(application=application)}
    assert lines[first.id].decision == "admitted"
    assert (lines[second.id].decision, lines[second.id].reason) == ("rejected", "Chiffre d'affaires insuffisant.")
    admissions = Admission.objects.filter(company=application.company)
    assert [(a.category_id, a.status) for a in admissions] == [(first.id, "admitted")]


def test_rejection_without_reason_is_refused(two_category_application):
    application, first, second, buyer = two_category_application
    with pytest.raises(ValidationFailed) as exc:
        application_decide(actor=buyer, application=application, decisions=[
            {"category": first.id, "admitted": True},
            {"category": second.id, "admitted": False, "reason": "  "},
        ])
    assert "decisions[1].reason" in exc.value.errors
    application.refresh_from_db()
    assert application.status == "submitted"
    assert not Admission.objects.exists()


def test_every_category_must_be_decided(two_category_application):
    application, first, second, buyer = two_category_application
    with pytest.raises(ValidationFailed) as exc:
        application_decide(actor=buyer, application=application,
                           decisions=[{"category": first.id, "admitted": True}])
    assert second.code in exc.value.errors["decisions"][0]
    assert not Admission.objects.exists()


def test_decision_items_are_checked(two_category_application):
    application, first, second, buyer = two_category_application
    other = CategoryFactory(dps=first.dps, actor=buyer)
    with pytest.raises(ValidationFailed) as exc:
        application_decide(actor=buyer, application=application, decisions=[
            {"category": first.id, "admitted": "oui"},
            {"category": first.id, "admitted": True},
            {"category": other.id, "admitted": True},
            {"category": second.id, "admitted": True},
        ])
    assert set(exc.value.errors) == {"decisions[0].admitted", "decisions[1].category", "decisions[2].category"}


def test_deciding_twice_is_an_invalid_transition(two_category_application):
    application, first, second, buyer = two_category_application
    decisions = [{"category": first.id, "admitted": True}, {"category": second.id, "admitted": True}]
    application_decide(actor=buyer, application=application, decisions=decisions)
    with pytest.raises(InvalidTransition) as exc:
        application_decide(actor=buyer, application=application, decisions=decisions)
    assert exc.value.state == "decided"
    assert Admission.objects.count() == 2


def test_decision_on_a_draft_is_an_invalid_transition():
    category = DPSFactory(published=True).categories.get()
    company, user = ready_company([category])
    application = application_create(actor=user, dps=category.dps, company=company, category_ids=[category.id])
    with pytest.raises(InvalidTransition):
        application_decide(actor=category.dps.created_by, application=application,
                           decisions=[{"category": category.id, "admitted": True}])


@pytest.mark.parametrize("roles", [["evaluator"], ["approver"], ["evaluator", "approver"]])
def test_evaluators_and_approvers_cannot_decide(two_category_application, roles):
    application, first, second, _ = two_category_application
    with pytest.raises(NotAllowed):
        application_decide(actor=StaffFactory(roles=roles), application=application, decisions=[
            {"category": first.id, "admitted": True}, {"category": second.id, "admitted": True}])
    application.refresh_from_db()
    assert application.status == "submitted"


def test_supplier_cannot_decide_its_own_application(two_category_application):
    application, first, second, _ = two_category_application
    with pytest.raises(NotAllowed):
        application_decide(actor=company_owner(application.company), application=application, decisions=[
            {"category": first.id, "admitted": True}, {"category": second.id, "admitted": True}])


def test_already_admitted_company_cannot_apply_again_to_the_category():
    admission = admitted_company(CategoryFactory(dps=DPSFactory(published=True)))
    user = company_owner(admission.company)
    with pytest.raises(ValidationFailed):
        application_create(actor=user, dps=admission.category.dps, company=admission.company,
                           category_ids=[admission.category_id])


@pytest.mark.parametrize("roles", [["evaluator"], ["approver"]])
def test_only_buyers_change_admissions(roles):
    admission = admitted_company(DPSFactory(published=True).categories.get())
    with pytest.raises(NotAllowed):
        admission_suspend(actor=StaffFactory(roles=roles), admission=admission, reason="x")


@pytest.mark.parametrize("change", [admission_suspend, admission_exclude])
def test_suspend_and_exclude_need_a_reason(change):
    admission = admitted_company(DPSFactory(published=True).categories.get())
    with pytest.raises(ValidationFailed) as exc:
        change(actor=admission.category.dps.created_by, admission=admission, reason=" ")
    assert "reason" in exc.value.errors
    admission.refresh_from_db()
    assert admission.status == "admitted"


def test_suspend_reinstate_exclude_are_audited_with_from_and_to():
    admission = admitted_company(DPSFactory(published=True).categories.get())
    buyer = admission.category.dps.created_by

    admission = admission_suspend(actor=buyer, admission=admission, reason="Attestation URSSAF expirée")
    assert admission.status == "suspended"
    with pytest.raises(ValidationFailed):
        admission_reinstate(actor=buyer, admission=admission, reason="")
    admission = admission_reinstate(actor=buyer, admission=admission, reason="Attestation à jour reçue")
    assert admission.status == "admitted"
    admission = admission_exclude(actor=buyer, admission=admission, reason="Faute grave constatée sur chantier")
    assert admission.status == "excluded"
    assert admission.status_reason == "Faute grave constatée sur chantier"

    history = [(e.action, e.from_state, e.to_state, e.reason, e.actor_id)
               for e in audit.history("admission", admission.id)]
    assert history == [
        ("admit", "", "admitted", "", buyer.id),
        ("suspend", "admitted", "suspended", "Attestation URSSAF expirée", buyer.id),
        ("reinstate", "suspended", "admitted", "Attestation à jour reçue", buyer.id),
        ("exclude", "admitted", "excluded", "Faute grave constatée sur chantier", buyer.id),
    ]
    for change in (admission_suspend, admission_reinstate, admission_exclude):
        with pytest.raises(InvalidTransition):
            change(actor=buyer, admission=admission, reason="encore")


def test_reinstating_an_admitted_company_is_an_invalid_transition():
    admission = admitted_company(DPSFactory(published=True).categories.get())
    with pytest.raises(InvalidTransition) as exc:
        admission_reinstate(actor=admission.category.dps.created_by, admission=admission, reason="x")
    assert exc.value.state == "admitted"
    assert set(exc.value.allowed_transitions) == {"exclude", "suspend"}


def test_excluded_company_may_apply_again_later():
    admission = admitted_company(DPSFactory(published=True).categories.get())
    buyer = admission.category.dps.created_by
    admission_exclude(actor=buyer, admission=admission, reason="Fausse déclaration")
    again = admitted_company(admission.category, company=admission.company)
    assert again.status == "admitted"
    assert Admission.objects.filter(company=admission.company).count() == 2


def test_audit_chain_is_valid_after_a_full_flow():
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by)
    buyer = dps.created_by
    application = submitted_application(dps=dps, categories=[first, second])
    application_decide(actor=buyer, application=application, decisions=[
        {"category": first.id, "admitted": True}, {"category": second.id, "admitted": False, "reason": "Hors zone"}])
    admission = Admission.objects.get(application=application)
    admission_suspend(actor=buyer, admission=admission, reason="Contrôle")
    admission_reinstate(actor=buyer, admission=admission, reason="Contrôle levé")

    report = audit.verify()
    assert report.valid and report.first_broken is None
    assert report.entries == AuditEntry.objects.count() >= 8
    actions = [e.action for e in audit.history("application", application.id)]
    assert actions == ["create", "submit", "decide", "admit-category", "reject-category"]


def test_decision_and_admission_mails_are_sent_exactly_once(django_capture_on_commit_callbacks, mailoutbox):
    dps = DPSFactory(published=True)
    category = dps.categories.get()
    buyer = dps.created_by
    application = submitted_application(dps=dps, categories=[category])
    colleague = UserFactory()
    Membership.objects.create(user=colleague, company=application.company)
    decisions = [{"category": category.id, "admitted": True}]

    with django_capture_on_commit_callbacks(execute=True):
        application_decide(actor=buyer, application=application, decisions=decisions)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        application_decide(actor=buyer, application=application, decisions=decisions)
    assert len(mailoutbox) == 2
    assert OutboundEmail.objects.filter(key__startswith=f"application-decided:{application.id}").count() == 2

    admission = Admission.objects.get(application=application)
    with django_capture_on_commit_callbacks(execute=True):
        admission_suspend(actor=buyer, admission=admission, reason="Contrôle")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        admission_suspend(actor=buyer, admission=admission, reason="Contrôle")
    assert len(mailoutbox) == 4
    assert OutboundEmail.objects.filter(key__startswith=f"admission-suspend:{admission.id}").count() == 2
    sent = OutboundEmail.objects.exclude(key__startswith="application-received")
    assert set(sent.values_list("status", flat=True)) == {"sent"}
    assert "Contrôle" in mailoutbox[-1].body


def test_delivering_the_same_mail_twice_sends_it_once(django_capture_on_commit_callbacks, mailoutbox):
    from procurement.notifications import deliver

    admission = admitted_company(DPSFactory(published=True).categories.get())
    with django_capture_on_commit_callbacks(execute=True):
        admission_suspend(actor=admission.category.dps.created_by, admission=admission, reason="Contrôle")
    mail = OutboundEmail.objects.get(key__startswith="admission-suspend")
    assert len(mailoutbox) == 1
    assert deliver(mail.id) is False
    assert len(mailoutbox) == 1

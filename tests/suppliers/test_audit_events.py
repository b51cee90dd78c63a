"""The supplier side's legally significant events are in the audit chain, written with the change itself.

Each event: who (actor), what (action and details), why (reason where there is one); and a failure inside
the service leaves neither the change nor its entry.
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from procurement import audit
from procurement.models import AuditEntry
from suppliers import services
from suppliers.models import ApplicationCategory, Company, CompanyInvitation, EvidenceDocument, Membership
from suppliers.services import (
    application_decide,
    company_correct,
    company_invite,
    company_update,
    evidence_delete,
    evidence_upload,
    invitation_accept,
)
from tests.factories import (
    TINY_PDF,
    CategoryFactory,
    CompanyFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    UserFactory,
    company_owner,
    submitted_application,
)

pytestmark = pytest.mark.django_db


def company_trail(company, action=None):
    entries = audit.history("company", company.id)
    return [e for e in entries if action is None or e.action == action]


class Boom(Exception):
    pass


@pytest.fixture
def break_audit(monkeypatch):
    """Call it to make ``audit.record`` fail from then on: what the service changed before must be rolled
    back with it."""

    def fail(**kwargs):
        raise Boom

    return lambda: monkeypatch.setattr(audit, "record", fail)


# --- companies ----------------------------------------------------------------------------------------


def test_it_records_the_creation_of_a_company_and_its_first_administrator():
    owner = UserFactory()
    company = CompanyFactory(owner=owner, name="Isolation Oise SARL", city="Beauvais", postal_code="60000")

    created, joined = company_trail(company)
    assert (created.action, created.actor, created.object_id) == ("create", owner, str(company.id))
    assert created.details["changes"]["name"] == [None, "Isolation Oise SARL"]
    assert created.details["changes"]["siret"] == [None, company.siret]
    assert created.details["changes"]["turnovers"] == "redacted"
    assert (joined.action, joined.actor) == ("join-company", owner)
    assert joined.details["email"] == owner.email and joined.details["role"] == "admin"


def test_creating_a_company_whose_record_fails_leaves_no_company(break_audit):
    break_audit()
    with pytest.raises(Boom):
        CompanyFactory(name="Fantôme SAS")
    assert not Company.objects.filter(name="Fantôme SAS").exists()
    assert not Membership.objects.exists()


def test_it_records_which_fields_an_edit_changed_old_and_new():
    company = CompanyFactory(city="Lille", postal_code="59000", employees=25)
    owner = company_owner(company)

    company_update(actor=owner, company=company, data={
        "address": {"city": "Roubaix", "postal_code": "59100"}, "employees": 25,
        "turnovers": [{"year": timezone.localdate().year - 1, "amount": "999999.00"}]})

    (entry,) = company_trail(company, "update")
    assert entry.actor == owner
    assert entry.details["changes"] == {"city": ["Lille", "Roubaix"], "postal_code": ["59000", "59100"],
                                        "turnovers": "redacted"}
    assert "999999" not in str(entry.details)


def test_an_edit_that_changes_nothing_records_nothing():
    company = CompanyFactory(city="Lille")
    company_update(actor=company_owner(company), company=company, data={"address": {"city": "Lille"}})
    assert company_trail(company, "update") == []


def test_an_edit_whose_record_fails_is_rolled_back(break_audit):
    company = CompanyFactory(city="Lille")
    break_audit()
    with pytest.raises(Boom):
        company_update(actor=company_owner(company), company=Company.objects.get(pk=company.pk),
                       data={"address": {"city": "Roubaix"}})
    assert Company.objects.get(pk=company.pk).city == "Lille"


def test_a_back_office_correction_is_recorded_with_its_author(admin_user):
    company = CompanyFactory(name="Nord Isolation")
    company.name = "Nord Isolation SAS"
    company_correct(actor=admin_user, company=company)

    (entry,) = company_trail(company, "update")
    assert entry.actor == admin_user and entry.details["changes"] == {"name": ["Nord Isolation", "Nord Isolation SAS"]}
    assert entry.reason


# --- memberships --------------------------------------------------------------------------------------


def test_it_records_an_invitation_and_its_acceptance():
    company = CompanyFactory()
    owner = company_owner(company)
    colleague = UserFactory(email="conducteur@nord-isolation.fr")

    invitation = company_invite(actor=owner, company=company, email=colleague.email, role="member")
    membership = invitation_accept(actor=colleague, invitation_id=invitation.id)

    invited = company_trail(company, "invite-member")[0]
    assert invited.actor == owner
    assert invited.details == {"invitation": str(invitation.id), "email": colleague.email, "role": "member"}
    accepted = company_trail(company, "accept-invitation")[0]
    assert accepted.actor == colleague
    assert accepted.details["membership"] == str(membership.id)
    assert accepted.details["invitation"] == str(invitation.id) and accepted.details["invited_by"] == str(owner.id)


def test_inviting_the_same_address_twice_records_one_invitation():
    company = CompanyFactory()
    owner = company_owner(company)
    company_invite(actor=owner, company=company, email="x@nord-isolation.fr")
    company_invite(actor=owner, company=company, email="x@nord-isolation.fr")
    assert len(company_trail(company, "invite-member")) == 1


def test_an_acceptance_whose_record_fails_grants_no_membership(break_audit):
    company = CompanyFactory()
    colleague = UserFactory()
    invitation = company_invite(actor=company_owner(company), company=company, email=colleague.email)
    break_audit()

    with pytest.raises(Boom):
        invitation_accept(actor=colleague, invitation_id=invitation.id)

    assert not Membership.objects.filter(user=colleague).exists()
    assert CompanyInvitation.objects.get(pk=invitation.pk).accepted_at is None


def test_an_invitation_whose_mail_fails_leaves_no_entry(monkeypatch):
    company = CompanyFactory()

    def broken_notify(**kwargs):
        raise Boom

    monkeypatch.setattr(services, "notify", broken_notify)
    with pytest.raises(Boom):
        company_invite(actor=company_owner(company), company=company, email="x@nord-isolation.fr")
    assert company_trail(company, "invite-member") == []
    assert not CompanyInvitation.objects.exists()


# --- evidence -----------------------------------------------------------------------------------------


def test_it_records_an_evidence_upload_with_its_fingerprint():
    company = CompanyFactory()
    owner = company_owner(company)
    document = EvidenceDocumentFactory(company=company, actor=owner, kind="urssaf_vigilance",
                                       filename="urssaf-2026.pdf")

    (entry,) = company_trail(company, "upload-evidence")
    assert entry.actor == owner
    assert entry.details == {
        "document": str(document.id), "kind": "urssaf_vigilance", "filename": "urssaf-2026.pdf",
        "size": len(TINY_PDF), "sha256": document.sha256, "issued_on": document.issued_on.isoformat(),
        "valid_until": document.valid_until.isoformat()}


def test_an_upload_whose_record_fails_keeps_neither_row_nor_file(break_audit, settings):
    from pathlib import Path

    company = CompanyFactory()
    break_audit()
    with pytest.raises(Boom):
        evidence_upload(actor=company_owner(company), company=company, kind="kbis",
                        uploaded_file=ContentFile(TINY_PDF, name="kbis.pdf"),
                        issued_on=timezone.localdate() - dt.timedelta(days=2))
    assert not EvidenceDocument.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_it_records_an_evidence_deletion_with_its_reason_and_removes_the_file_on_commit(
        django_capture_on_commit_callbacks):
    company = CompanyFactory()
    owner = company_owner(company)
    document = EvidenceDocumentFactory(company=company, actor=owner)
    name = document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=owner, document=document, reason="Mauvais fichier")

    (entry,) = company_trail(company, "delete-evidence")
    assert entry.actor == owner and entry.reason == "Mauvais fichier"
    assert entry.details["document"] == str(document.id) and entry.details["sha256"] == document.sha256
    assert not EvidenceDocument.objects.filter(pk=document.pk).exists()
    assert not default_storage.exists(name)


def test_a_deletion_whose_record_fails_keeps_the_document_and_its_file(break_audit):
    company = CompanyFactory()
    document = EvidenceDocumentFactory(company=company)
    break_audit()

    with pytest.raises(Boom):
        evidence_delete(actor=company_owner(company), document=document)

    assert EvidenceDocument.objects.filter(pk=document.pk).exists()
    assert default_storage.exists(document.file.name)


def test_an_outsider_cannot_delete_evidence():
    from procurement.errors import NotAllowed

    document = EvidenceDocumentFactory()
    with pytest.raises(NotAllowed):
        evidence_delete(actor=UserFactory(), document=document)
    assert EvidenceDocument.objects.filter(pk=document.pk).exists()
    assert company_trail(document.company, "delete-evidence") == []


# --- per-category decisions ---------------------------------------------------------------------------


def test_each_category_decision_and_its_reason_is_in_the_chain():
    dps = DPSFactory(published=True)
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=dps.created_by)
    buyer = dps.created_by
    application = submitted_application(dps=dps, categories=[first, second])

    application_decide(actor=buyer, application=application, decisions=[
        {"category": first.id, "admitted": True, "reason": "Capacités suffisantes"},
        {"category": second.id, "admitted": False, "reason": "Chiffre d'affaires insuffisant"}])

    entries = {e.action: e for e in audit.history("application", application.id)
               if e.action in ("admit-category", "reject-category")}
    assert entries["admit-category"].details == {"category": str(first.id), "code": first.code}
    assert entries["admit-category"].reason == "Capacités suffisantes"
    assert entries["reject-category"].details == {"category": str(second.id), "code": second.code}
    assert entries["reject-category"].reason == "Chiffre d'affaires insuffisant"
    assert {e.actor for e in entries.values()} == {buyer}


def test_a_decision_whose_mails_fail_records_no_category_decision(monkeypatch):
    dps = DPSFactory(published=True)
    category = dps.categories.get()
    application = submitted_application(dps=dps, categories=[category])

    def broken(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(services, "_notify_company", broken)
    with pytest.raises(Boom):
        application_decide(actor=dps.created_by, application=application,
                           decisions=[{"category": category.id, "admitted": False, "reason": "Hors zone"}])

    assert not AuditEntry.objects.filter(object_type="application", action="reject-category").exists()
    assert ApplicationCategory.objects.get(application=application).decision != "rejected"

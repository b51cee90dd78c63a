"""Buyer console pages: review queue, application review and decision, directory, admissions, and the
renewed declarations requested from the DPS page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from procurement.models import AuditEntry, EvidenceKind
from suppliers.models import Admission, Application, ApplicationStatus, CategoryDecision, DeclarationRenewal
from tests.factories import (
    CategoryFactory,
    CompanyFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    submitted_application,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def dps(buyer):
    return DPSFactory(actor=buyer, published=True)


@pytest.fixture
def two_categories(dps, buyer):
    first = dps.categories.get()
    second = CategoryFactory(dps=dps, actor=buyer, code="ITE-60", territories=["60"])
    return first, second


@pytest.fixture
def application(dps, two_categories):
    return submitted_application(dps=dps, categories=list(two_categories))


def review_url(application):
    return reverse("console:application_review", args=[application.id])


def decide_url(application):
    return reverse("console:application_decide", args=[application.id])


def decision_post(application, first, second, *, reason="Références insuffisantes en ITE."):
    return {
        f"decision_{first.id}": "admit", f"reason_{first.id}": "",
        f"decision_{second.id}": "reject", f"reason_{second.id}": reason,
    }


# --- who may enter ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["console:dashboard", "console:applications", "console:directory",
                                  "console:admissions"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_anonymous_review_page_is_sent_to_login(client, application):
    response = client.get(review_url(application))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_supplier_user_gets_403_not_the_console(client, application):
    supplier = application.company.memberships.get().user
    client.force_login(supplier)
    for url in (reverse("console:dashboard"), review_url(application), reverse("console:directory")):
        response = client.get(url)
        assert response.status_code == 403
        assert "Candidatures en attente" not in response.content.decode()
    response = client.post(decide_url(application), {"confirmed": "1"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_unknown_application_is_404(client, buyer):
    client.force_login(buyer)
    response = client.get(reverse("console:application_review", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404


# --- dashboard -----------------------------------------------------------------------------------------

def test_dashboard_lists_the_queue_soonest_due_first(client, evaluator, application, dps):
    client.force_login(evaluator)
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert application.company.name in body
    assert application.company.siret in body
    assert dps.reference in body
    assert "<svg" in body  # applications by status
    assert response.context["counts"]["submitted"] == 1


def test_dashboard_highlights_overdue_applications(client, buyer, application):
    client.force_login(buyer)
    with pytest.MonkeyPatch.context() as mp:
        later = application.decision_due + dt.timedelta(days=3)
        mp.setattr(timezone, "localdate", lambda *a, **k: later)
        response = client.get(reverse("console:dashboard"))
    body = response.content.decode()
    assert 'class="overdue"' in body
    assert response.context["rows"][0]["days_left"] < 0
    assert "console-negative" in body


def test_dashboard_query_count_is_fixed(client, buyer, dps, django_assert_max_num_queries):
    client.force_login(buyer)
    submitted_application(dps=dps, categories=list(dps.categories.all()))
    client.get(reverse("console:dashboard"))  # warm the session and the user's groups
    # 9 for the applications, 4 for the block of mini-tenders (counts by state, to open, questions waiting,
    # debriefing requests waiting for their answer).
    with django_assert_max_num_queries(13) as few:
        client.get(reverse("console:dashboard"))
    for _ in range(5):
        category = CategoryFactory(dps=dps, actor=buyer)
        submitted_application(dps=dps, categories=[category])
    with django_assert_max_num_queries(13) as many:
        response = client.get(reverse("console:dashboard"))
    assert len(response.context["rows"]) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


# --- review and decision ---------------------------------------------------------------------------------

def test_review_page_shows_identity_declaration_documents_and_forms(client, buyer, application, two_categories):
    client.force_login(buyer)
    response = client.get(review_url(application))
    assert response.status_code == 200
    body = response.content.decode()
    company = application.company
    assert company.siret in body
    assert "Jean Dupont" in body  # signatory
    assert "Aucun motif d'exclusion" in body
    assert "doc-viewer" in body
    document = company.documents.first()
    assert str(document.id) in body
    assert 'name="csrfmiddlewaretoken"' in body
    for category in two_categories:
        assert f'name="decision_{category.id}"' in body
    assert reverse("console:application_request_info", args=[application.id]) in body
    assert reverse("console:application_extend", args=[application.id]) in body
    assert "Historique" in body


def test_exclusion_ground_that_applies_is_highlighted(client, buyer, dps, two_categories):
    from suppliers.services import declaration_submit
    from tests.factories import all_grounds_false, company_owner, ready_company

    company, user = ready_company(list(two_categories))
    grounds = all_grounds_false() | {"tax-pay": True}
    declaration_submit(actor=company_owner(company), company=company, exclusion_grounds=grounds,
                       capacities={"staff": 3}, sworn=True, signatory="Paul Martin")
    application = submitted_application(dps=dps, categories=list(two_categories), company=company, user=user)
    client.force_login(buyer)
    body = client.get(review_url(application)).content.decode()
    assert "console-ground--applies" in body
    assert "Manquement au paiement des impôts" in body


def test_evaluator_reads_but_cannot_decide(client, evaluator, application, two_categories):
    client.force_login(evaluator)
    response = client.get(review_url(application))
    assert response.status_code == 200
    body = response.content.decode()
    first, second = two_categories
    assert f'name="decision_{first.id}"' not in body  # no action buttons
    assert "Lecture seule" in body

    response = client.post(decide_url(application), {**decision_post(application, first, second), "confirmed": "1"})
    assert response.status_code == 302
    assert any("réservée au rôle" in m for m in messages_of(response))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not Admission.objects.exists()
    assert not AuditEntry.objects.filter(object_type="application", action="decide").exists()


def test_buyer_admits_one_category_and_rejects_another(client, buyer, application, two_categories):
    first, second = two_categories
    client.force_login(buyer)
    response = client.post(decide_url(application), {**decision_post(application, first, second), "confirmed": "1"})
    assert response.status_code == 302
    assert response.url == review_url(application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECIDED
    lines = {line.category_id: line for line in application.lines.all()}
    assert lines[first.id].decision == CategoryDecision.ADMITTED
    assert lines[second.id].decision == CategoryDecision.REJECTED
    assert lines[second.id].reason == "Références insuffisantes en ITE."
    assert Admission.objects.filter(company=application.company, category=first).exists()
    assert not Admission.objects.filter(company=application.company, category=second).exists()

    page = client.get(review_url(application)).content.decode()
    assert "Références insuffisantes en ITE." in page
    assert f'name="decision_{first.id}"' not in page


def test_rejection_without_reason_shows_error_and_keeps_input(client, buyer, application, two_categories):
    first, second = two_categories
    client.force_login(buyer)
    data = decision_post(application, first, second, reason="  ")
    response = client.post(decide_url(application), {**data, "confirmed": "1"})
    assert response.status_code == 400
    form = response.context["decision_form"]
    assert form.errors[f"reason_{second.id}"] == [f"Le rejet pour la catégorie {second.code} doit être motivé."]
    assert f"reason_{first.id}" not in form.errors
    body = response.content.decode()
    assert "doit être motivé" in body
    assert 'value="admit" checked' in body or 'checked value="admit"' in body or "checked" in body
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_missing_choice_is_an_error_per_category(client, buyer, application, two_categories):
    first, second = two_categories
    client.force_login(buyer)
    response = client.post(decide_url(application), {"confirmed": "1", f"decision_{first.id}": "admit"})
    assert response.status_code == 400
    assert f"decision_{second.id}" in response.context["decision_form"].errors


def test_second_decision_says_already_decided_and_audits_once(client, buyer, application, two_categories):
    first, second = two_categories
    colleague = StaffFactory(roles=["buyer"], first_name="Sophie", last_name="Leroy")
    other = client.__class__()
    other.force_login(colleague)
    client.force_login(buyer)
    data = decision_post(application, first, second)

    assert other.post(decide_url(application), {**data, "confirmed": "1"}).status_code == 302
    response = client.post(decide_url(application), {**data, "confirmed": "1"})
    assert response.status_code == 302
    texts = messages_of(response)
    assert any("Cette candidature a déjà été décidée par Sophie Leroy" in t for t in texts), texts
    assert AuditEntry.objects.filter(object_type="application", object_id=str(application.id),
                                     action="decide").count() == 1
    assert Admission.objects.filter(company=application.company).count() == 1


def test_decision_refused_by_service_lock_shows_who_decided(client, buyer, application, two_categories, monkeypatch):
    """The read said "submitted" but a colleague decided before our lock: the service's 409 becomes the message."""
    from suppliers import services
    from suppliers.views import console

    first, second = two_categories
    colleague = StaffFactory(roles=["buyer"], first_name="Marc", last_name="Petit")
    real = services.application_decide

    def racing(**kwargs):
        real(actor=colleague, application=kwargs["application"], decisions=kwargs["decisions"])
        return real(**kwargs)

    monkeypatch.setattr(console.services, "application_decide", racing)
    client.force_login(buyer)
    response = client.post(decide_url(application), {**decision_post(application, first, second), "confirmed": "1"})
    assert response.status_code == 302
    assert any("déjà été décidée par Marc Petit" in t for t in messages_of(response))


def test_buyer_requests_information(client, buyer, application):
    client.force_login(buyer)
    url = reverse("console:application_request_info", args=[application.id])
    response = client.post(url, {"message": ""})
    assert response.status_code == 400
    assert "message" in response.context["info_form"].errors

    response = client.post(url, {"message": "Merci de fournir l'attestation RGE à jour."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INFO_REQUESTED
    assert application.info_request_message == "Merci de fournir l'attestation RGE à jour."

    response = client.post(url, {"message": "Encore ?"})  # no longer submitted: a message, no 500
    assert response.status_code == 302
    assert any("Compléments demandés" in m for m in messages_of(response))


def test_buyer_extends_once(client, buyer, application):
    client.force_login(buyer)
    url = reverse("console:application_extend", args=[application.id])
    before = application.decision_due
    response = client.post(url, {"reason": "Vérification d'équivalence des qualifications."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.extended
    assert application.decision_due > before

    response = client.post(url, {"reason": "Encore"})
    assert response.status_code == 302
    assert any("déjà été prolongé" in m for m in messages_of(response))


def test_evaluator_cannot_request_info_or_extend(client, evaluator, application):
    client.force_login(evaluator)
    for name, data in (("console:application_request_info", {"message": "x"}),
                       ("console:application_extend", {"reason": "x"})):
        response = client.post(reverse(name, args=[application.id]), data)
        assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and not application.extended


def test_applications_list_filters(client, buyer, application, dps):
    client.force_login(buyer)
    response = client.get(reverse("console:applications"), {"status": "submitted", "dps": str(dps.id)})
    assert response.status_code == 200
    assert application.company.name in response.content.decode()
    response = client.get(reverse("console:applications"), {"status": "decided"})
    assert application.company.name not in response.content.decode()
    response = client.get(reverse("console:applications"), {"overdue": "on"})
    assert application.company.name not in response.content.decode()
    response = client.get(reverse("console:applications"), {"status": "nonsense", "page": "x"})
    assert response.status_code == 200


# --- directory -------------------------------------------------------------------------------------------

def make_companies(count):
    owner = UserFactory()
    for _ in range(count):
        company = CompanyFactory(owner=owner)
        EvidenceDocumentFactory(company=company, actor=owner, kind=EvidenceKind.KBIS,
                                valid_until=timezone.localdate() + dt.timedelta(days=10))


def test_directory_query_count_is_fixed(client, buyer, dps, django_assert_max_num_queries):
    admitted_company(dps.categories.get())
    client.force_login(buyer)
    make_companies(4)
    client.get(reverse("console:directory"))
    with django_assert_max_num_queries(8) as five:
        response = client.get(reverse("console:directory"))
    assert len(response.context["rows"]) == 5
    make_companies(55)
    with django_assert_max_num_queries(8) as sixty:
        response = client.get(reverse("console:directory"))
    assert response.context["page"].paginator.count == 60
    assert len(response.context["rows"]) == 50
    assert len(sixty.captured_queries) == len(five.captured_queries)


def test_directory_filters(client, buyer, dps):
    admission = admitted_company(dps.categories.get())
    make_companies(2)
    client.force_login(buyer)
    url = reverse("console:directory")
    response = client.get(url, {"category": str(admission.category_id)})
    assert [r["company"].id for r in response.context["rows"]] == [admission.company_id]
    response = client.get(url, {"territory": "59", "admission_status": "admitted"})
    assert [r["company"].id for r in response.context["rows"]] == [admission.company_id]
    response = client.get(url, {"territory": "80"})
    assert response.context["rows"] == []
    response = client.get(url, {"q": admission.company.name})
    assert [r["company"].id for r in response.context["rows"]] == [admission.company_id]
    response = client.get(url, {"expiring_within": "30"})
    assert len(response.context["rows"]) == 2
    body = client.get(url).content.decode()
    assert admission.category.code in body
    response = client.get(url, {"expiring_within": "abc", "category": "nope"})
    assert response.status_code == 200


def test_company_page(client, evaluator, dps):
    admission = admitted_company(dps.categories.get())
    client.force_login(evaluator)
    response = client.get(reverse("console:company_detail", args=[admission.company_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert admission.company.name in body
    assert admission.category.code in body
    assert "Jean Dupont" in body
    assert reverse("console:admission_action", args=[admission.id, "suspendre"]) not in body  # read-only


# --- admissions ------------------------------------------------------------------------------------------

def test_buyer_suspends_reinstates_and_excludes(client, buyer, dps):
    admission = admitted_company(dps.categories.get())
    client.force_login(buyer)
    listing = client.get(reverse("console:admissions"), {"status": "admitted"})
    assert admission.company.name in listing.content.decode()
    suspend = reverse("console:admission_action", args=[admission.id, "suspendre"])
    assert suspend in listing.content.decode()

    response = client.post(suspend, {"confirmed": "1", "reason": ""})
    assert response.status_code == 302
    assert any("motif est obligatoire" in m for m in messages_of(response))
    admission.refresh_from_db()
    assert admission.status == "admitted"

    client.post(suspend, {"confirmed": "1", "reason": "Attestation URSSAF expirée."})
    admission.refresh_from_db()
    assert admission.status == "suspended"
    client.post(reverse("console:admission_action", args=[admission.id, "reintegrer"]), {"reason": "Attestation reçue."})
    admission.refresh_from_db()
    assert admission.status == "admitted"
    response = client.post(reverse("console:admission_action", args=[admission.id, "exclure"]),
                           {"confirmed": "1", "reason": "Fausse déclaration.", "next": "https://evil.example/"})
    assert response.url == reverse("console:admissions")
    admission.refresh_from_db()
    assert admission.status == "excluded"

    response = client.post(reverse("console:admission_action", args=[admission.id, "reintegrer"]), {"reason": "x"})
    assert any("État actuel : Exclue" in m for m in messages_of(response))


def test_evaluator_cannot_change_an_admission(client, evaluator, dps):
    admission = admitted_company(dps.categories.get())
    client.force_login(evaluator)
    response = client.post(reverse("console:admission_action", args=[admission.id, "suspendre"]), {"confirmed": "1", "reason": "x"})
    assert response.status_code == 302
    admission.refresh_from_db()
    assert admission.status == "admitted"


def test_unknown_admission_action_is_a_message(client, buyer, dps):
    admission = admitted_company(dps.categories.get())
    client.force_login(buyer)
    response = client.post(reverse("console:admission_action", args=[admission.id, "supprimer"]), {"reason": "x"})
    assert response.status_code == 302
    assert Application.objects.count() == 1


def test_document_preview_is_inline_for_staff_only(client, evaluator, application):
    document = application.company.documents.first()
    url = reverse("console:document_preview", args=[document.id])
    client.force_login(evaluator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(application.company.memberships.get().user)
    assert client.get(url).status_code == 403


def test_dashboard_is_paginated(client, buyer, dps, monkeypatch):
    from suppliers.views import console as supplier_console

    monkeypatch.setattr(supplier_console, "QUEUE_PAGE_SIZE", 1)
    first = submitted_application(dps=dps, categories=list(dps.categories.all()))
    second = submitted_application(dps=dps, categories=[CategoryFactory(dps=dps, actor=buyer)])
    client.force_login(buyer)
    page1 = client.get(reverse("console:dashboard"))
    page2 = client.get(reverse("console:dashboard"), {"page": "2"})
    names = {page1.context["rows"][0]["application"].id, page2.context["rows"][0]["application"].id}
    assert names == {first.id, second.id}
    assert 'href="?page=2"' in page1.content.decode()
    assert client.get(reverse("console:dashboard"), {"page": "abc"}).status_code == 200


@pytest.mark.parametrize("name", ["console:applications", "console:admissions"])
def test_list_query_count_does_not_grow(client, buyer, dps, name, django_assert_max_num_queries):
    client.force_login(buyer)
    admitted_company(dps.categories.get())
    client.get(reverse(name))
    with django_assert_max_num_queries(10) as one:
        client.get(reverse(name))
    for _ in range(3):
        admitted_company(CategoryFactory(dps=dps, actor=buyer))
    with django_assert_max_num_queries(10) as four:
        response = client.get(reverse(name))
    assert len(response.context["page"].object_list) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


# --- renewed declarations (a section of the DPS page) ---------------------------------------------------------

def test_renewal_requests_to_all_or_selected(client, buyer):
    dps = DPSFactory(actor=buyer, published=True)
    first = admitted_company(dps.categories.get())
    second_category = CategoryFactory(dps=dps, actor=buyer)
    second = admitted_company(second_category)
    client.force_login(buyer)
    url = reverse("console:renewals_request", args=[dps.id])

    body = client.get(reverse("console:dps_detail", args=[dps.id])).content.decode()
    assert f'value="{first.company_id}"' in body

    response = client.post(url, {"companies": [str(first.company_id)]})
    assert response.status_code == 302
    assert list(DeclarationRenewal.objects.values_list("company_id", flat=True)) == [first.company_id]

    response = client.post(url, {})  # all admitted companies: only the second is new
    assert DeclarationRenewal.objects.count() == 2
    assert DeclarationRenewal.objects.filter(company_id=second.company_id).exists()

    response = client.post(url, {})
    assert any("Aucune nouvelle demande" in m for m in messages_of(response))

    body = client.get(reverse("console:dps_detail", args=[dps.id])).content.decode()
    assert first.company.name in body and second.company.name in body
    assert "En attente" in body

    response = client.post(url, {"companies": ["00000000-0000-0000-0000-000000000000"]})
    assert any("ne sont pas admises" in m for m in messages_of(response))

    client.force_login(StaffFactory(roles=["evaluator"]))
    client.post(url, {})
    assert DeclarationRenewal.objects.count() == 2

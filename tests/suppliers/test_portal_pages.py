"""Supplier portal pages, through the Django test client: ownership, form errors, the application flow."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from procurement.models import EvidenceKind, OutboundEmail
from procurement.services import dps_publish
from suppliers.models import (
    EXCLUSION_GROUNDS,
    Application,
    ApplicationStatus,
    CompanyInvitation,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    Membership,
    RenewalStatus,
)
from suppliers.services import (
    admission_exclude,
    admission_suspend,
    application_create,
    application_request_info,
    company_invite,
    declaration_renewals_request,
)
from tests.factories import (
    DEFAULT_PASSWORD,
    TINY_PDF,
    CategoryFactory,
    CompanyFactory,
    DeclarationFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    company_owner,
    ready_company,
    submitted_application,
    valid_siret,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _back_to_french():
    """A request in English leaves English active in this thread: give the next tests French back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def owner_client(client):
    """A client logged in as the admin of a company with a declaration and a document."""
    company = CompanyFactory()
    user = company_owner(company)
    DeclarationFactory(company=company, actor=user)
    EvidenceDocumentFactory(company=company, actor=user, kind=EvidenceKind.KBIS)
    client.force_login(user)
    client.company = company
    client.user = user
    return client


@pytest.fixture
def stranger_client():
    stranger = UserFactory()
    CompanyFactory(owner=stranger)
    other = Client()
    other.force_login(stranger)
    return other


def _company_pages(company):
    return [
        reverse("portal:company", args=[company.id]),
        reverse("portal:company_edit", args=[company.id]),
        reverse("portal:declaration", args=[company.id]),
        reverse("portal:documents", args=[company.id]),
    ]


# --- ownership -------------------------------------------------------------------------------------

def test_company_pages_render_for_owner_and_404_for_another_company(owner_client, stranger_client):
    for url in _company_pages(owner_client.company):
        assert owner_client.get(url).status_code == 200, url
        assert stranger_client.get(url).status_code == 404, url


def test_document_download_for_member_only(owner_client, stranger_client):
    document = EvidenceDocument.objects.get(company=owner_client.company)
    url = reverse("portal:document_download", args=[document.id])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF
    assert "attachment" in response["Content-Disposition"]
    assert stranger_client.get(url).status_code == 404


def test_application_page_for_owner_and_404_for_another_company(client, stranger_client):
    application = submitted_application()
    client.force_login(company_owner(application.company))
    url = reverse("portal:application", args=[application.id])
    response = client.get(url)
    assert response.status_code == 200
    assert "décision attendue au plus tard le" in response.content.decode()
    assert "Candidature déposée" in response.content.decode()  # the timeline
    assert stranger_client.get(url).status_code == 404
    assert stranger_client.post(reverse("portal:application_withdraw", args=[application.id]), {"confirmed": "1"}).status_code == 404


def test_apply_page_404_for_another_users_company(owner_client, stranger_client):
    dps = DPSFactory(published=True)
    url = reverse("portal:apply", args=[dps.id]) + f"?company={owner_client.company.id}"
    assert owner_client.get(url).status_code == 200
    assert stranger_client.get(url).status_code == 404


def test_pages_require_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_malformed_ids_are_not_found(owner_client):
    assert owner_client.get("/portail/entreprises/pas-un-uuid/").status_code == 404
    assert owner_client.get("/portail/candidatures/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- dashboard -------------------------------------------------------------------------------------

def test_dashboard_for_a_new_user_calls_to_create_a_company(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert reverse("portal:company_create") in response.content.decode()


def _add_rows(user, company, dps, n):
    for index in range(n):
        EvidenceDocumentFactory(company=company, actor=user, kind=list(EvidenceKind)[index % len(EvidenceKind)])
    DeclarationFactory(company=company, actor=user)


DASHBOARD_QUERIES = 12  # session, user, memberships, 5 prefetches, open DPS + their categories, bids awaiting an answer


def _dashboard_queries(client, buyer, n_companies):
    """Queries of the dashboard of a member of ``n_companies`` companies, each with every kind of row."""
    dps = DPSFactory(actor=buyer, published=True)
    other = DPSFactory(actor=buyer, published=True)
    category = dps.categories.get()
    user = UserFactory()
    for _ in range(n_companies):
        company = CompanyFactory(owner=user)
        ready_company([category], company=company, user=user)
        _add_rows(user, company, dps, 4)
        admission = admitted_company(category, company=company, actor=buyer)
        admission_suspend(actor=buyer, admission=admission, reason="Attestation d'assurance expirée")
        application_create(actor=user, dps=other, company=company, category_ids=[other.categories.get().id])
    declaration_renewals_request(actor=buyer, dps=dps)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Extrait Kbis") >= n_companies
    assert page.count("Attestation d&#x27;assurance expirée") == n_companies
    assert page.count("renouveler votre déclaration sur l") == n_companies
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_rows(client, buyer):
    one = _dashboard_queries(client, buyer, 1)
    four = _dashboard_queries(client, buyer, 4)
    assert one == four == DASHBOARD_QUERIES


def test_documents_query_count_does_not_grow_with_rows(owner_client, django_assert_max_num_queries):
    """Fixed whatever the number of rows: the current documents and their history are one query each."""
    for index in range(8):
        EvidenceDocumentFactory(company=owner_client.company, actor=owner_client.user,
                                kind=list(EvidenceKind)[index % len(EvidenceKind)])
    with django_assert_max_num_queries(6):
        response = owner_client.get(reverse("portal:documents", args=[owner_client.company.id]))
    assert response.status_code == 200
    assert response.content.decode().count("/telecharger/") == 9


# --- company --------------------------------------------------------------------------------------

def _company_post(**extra):
    return {"country": "FR", "name": "Isolation Picarde SAS", "siret": valid_siret(777), "postal_code": "80000",
            "city": "Amiens", "street": "1 rue Jules Verne", "employees": "12", **extra}


def test_create_company_shows_the_siret_error_on_the_field(client):
    client.force_login(UserFactory())
    bad = valid_siret(777)[:-1] + str((int(valid_siret(777)[-1]) + 1) % 10)
    response = client.post(reverse("portal:company_create"), _company_post(siret=bad))
    assert response.status_code == 200
    form = response.context["form"]
    assert "clé de contrôle" in " ".join(form.errors["siret"])
    assert "Isolation Picarde SAS" in response.content.decode()  # the other fields are kept


def test_create_company_then_duplicate_gets_a_clear_message(client):
    user = UserFactory()
    client.force_login(user)
    year = timezone.localdate().year - 1
    response = client.post(reverse("portal:company_create"), _company_post(**{f"turnover_{year}": "800000"}))
    membership = Membership.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:company", args=[membership.company_id])
    assert membership.company.turnovers == [{"year": year, "amount": "800000.00"}]

    client.force_login(UserFactory())
    response = client.post(reverse("portal:company_create"), _company_post())
    assert response.status_code == 200
    assert "déjà inscrite" in response.content.decode()


def test_foreign_company_needs_an_identifier(client):
    client.force_login(UserFactory())
    response = client.post(reverse("portal:company_create"), {"country": "BE", "name": "Isolatie NV"})
    assert response.status_code == 200
    assert response.context["form"].errors["national_id"]
    response = client.post(reverse("portal:company_create"),
                           {"country": "BE", "name": "Isolatie NV", "national_id": "0403.170.701"})
    assert response.status_code == 302


def test_edit_company_and_invite_then_accept(owner_client):
    company = owner_client.company
    response = owner_client.post(reverse("portal:company_edit", args=[company.id]),
                                 {"name": "Nouveau nom SARL", "postal_code": "5900", "city": "Lille"})
    assert response.status_code == 200
    assert response.context["form"].errors["postal_code"]

    response = owner_client.post(reverse("portal:company_invite", args=[company.id]),
                                 {"email": "collegue@example.fr", "role": "member"})
    assert response.status_code == 302
    invitation = CompanyInvitation.objects.get(company=company)
    # Twice: harmless.
    owner_client.post(reverse("portal:company_invite", args=[company.id]), {"email": "collegue@example.fr", "role": "member"})
    assert CompanyInvitation.objects.filter(company=company).count() == 1

    colleague = UserFactory(email="collegue@example.fr")
    other = Client()
    other.force_login(colleague)
    url = reverse("portal:invitation", args=[invitation.id])
    assert company.name in other.get(url).content.decode()
    response = other.post(url)
    assert response.status_code == 302
    assert Membership.objects.filter(user=colleague, company=company).exists()
    response = other.post(url, follow=True)  # accepted already: a message, not an error page
    assert response.status_code == 200
    assert "déjà été utilisée" in response.content.decode()


def test_invitation_for_another_address_does_not_reveal_the_company(owner_client, stranger_client):
    invitation = company_invite(actor=owner_client.user, company=owner_client.company, email="x@example.fr")
    response = stranger_client.get(reverse("portal:invitation", args=[invitation.id]))
    assert response.status_code == 200
    assert owner_client.company.name not in response.content.decode()
    response = stranger_client.post(reverse("portal:invitation", args=[invitation.id]), follow=True)
    assert "autre adresse" in response.content.decode()


# --- declaration ----------------------------------------------------------------------------------

def test_declaration_creates_a_new_version(owner_client):
    company = owner_client.company
    post = {f"ground_{code}": "no" for code in EXCLUSION_GROUNDS}
    post.update({"signatory": "Jeanne Martin, gérante", "sworn": "on", "staff": "14",
                 "ref_0_title": "ITE 24 logements", "ref_0_client": "OPH", "ref_0_year": "2024"})
    response = owner_client.post(reverse("portal:declaration", args=[company.id]), post)
    assert response.status_code == 302
    latest = Declaration.objects.filter(company=company).order_by("-version").first()
    assert latest.version == 2
    assert latest.capacities["staff"] == 14
    assert latest.capacities["references"][0]["title"] == "ITE 24 logements"
    page = owner_client.get(reverse("portal:declaration", args=[company.id])).content.decode()
    assert "Jeanne Martin, gérante" in page


def test_declaration_without_oath_is_refused_with_messages(owner_client):
    company = owner_client.company
    post = {f"ground_{code}": "no" for code in list(EXCLUSION_GROUNDS)[1:]}
    post["signatory"] = "Jeanne Martin"
    response = owner_client.post(reverse("portal:declaration", args=[company.id]), post)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["sworn"]
    assert form.errors[f"ground_{list(EXCLUSION_GROUNDS)[0]}"]
    assert Declaration.objects.filter(company=company).count() == 1


# --- documents ------------------------------------------------------------------------------------

def test_text_file_named_pdf_is_rejected_with_the_message_and_fields_kept(owner_client):
    company = owner_client.company
    issued = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    response = owner_client.post(reverse("portal:documents", args=[company.id]), {
        "kind": "tax_certificate", "issued_on": issued,
        "file": SimpleUploadedFile("attestation.pdf", b"ceci n'est pas un PDF", content_type="application/pdf"),
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "Seuls les fichiers PDF, JPEG et PNG sont acceptés" in page
    assert f'value="{issued}"' in page
    assert '<option value="tax_certificate" selected>' in page
    assert EvidenceDocument.objects.filter(company=company).count() == 1


def test_upload_a_pdf(owner_client):
    company = owner_client.company
    response = owner_client.post(reverse("portal:documents", args=[company.id]), {
        "kind": "urssaf_vigilance", "issued_on": timezone.localdate().isoformat(),
        "file": SimpleUploadedFile("urssaf.pdf", TINY_PDF, content_type="application/pdf"),
    })
    assert response.status_code == 302
    document = EvidenceDocument.objects.get(company=company, kind="urssaf_vigilance")
    assert document.valid_until is not None  # 6 months by default
    page = owner_client.get(reverse("portal:documents", args=[company.id])).content.decode()
    assert document.sha256[:12] in page and f'title="{document.sha256}"' in page


# --- applications ---------------------------------------------------------------------------------

def test_apply_page_lists_missing_items_and_submission_is_refused_per_item(client):
    dps = DPSFactory(published=True)
    category = dps.categories.first()
    company = CompanyFactory()
    user = company_owner(company)
    client.force_login(user)
    url = reverse("portal:apply", args=[dps.id]) + f"?company={company.id}"
    page = client.get(url).content.decode()
    assert "Attestation de vigilance URSSAF : document manquant." in page
    assert "La déclaration sur l&#x27;honneur n&#x27;a pas été faite et signée." in page

    response = client.post(url, {"categories": [str(category.id)]})
    application = Application.objects.get(company=company)
    assert response["Location"] == reverse("portal:application", args=[application.id])
    assert application.status == ApplicationStatus.DRAFT

    response = client.post(reverse("portal:application_submit", args=[application.id]), follow=True)
    page = response.content.decode()
    assert "Extrait Kbis : document manquant." in page
    assert "Attestation de vigilance URSSAF : document manquant." in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submission_works_when_complete_and_double_submission_is_harmless(client):
    dps = DPSFactory(published=True)
    categories = list(dps.categories.all())
    company, user = ready_company(categories)
    client.force_login(user)
    url = reverse("portal:apply", args=[dps.id]) + f"?company={company.id}"
    assert "Dossier complet" in client.get(url).content.decode()
    client.post(url, {"categories": [str(c.id) for c in categories]})
    application = Application.objects.get(company=company)

    submit = reverse("portal:application_submit", args=[application.id])
    response = client.post(submit, follow=True)
    assert "Votre candidature est déposée" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.decision_due is not None

    response = client.post(submit, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("portal:application", args=[application.id])
    # Applying again to the same DPS goes to the application under review.
    assert client.get(url)["Location"] == reverse("portal:application", args=[application.id])


def test_info_request_then_complete_and_resubmit(client):
    application = submitted_application()
    buyer_user = application.dps.created_by
    application_request_info(actor=buyer_user, application=application, message="Merci de joindre l'attestation RC.")
    client.force_login(company_owner(application.company))
    url = reverse("portal:application", args=[application.id])
    page = client.get(url).content.decode()
    assert "Merci de joindre l&#x27;attestation RC." in page
    assert "Redéposer la candidature" in page
    assert "l&#x27;acheteur" in page  # buyer staff are not named in the timeline
    client.post(reverse("portal:application_submit", args=[application.id]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_withdraw(client):
    application = submitted_application()
    client.force_login(company_owner(application.company))
    client.post(reverse("portal:application_withdraw", args=[application.id]), {"confirmed": "1", "reason": "Plan de charge complet"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    response = client.post(reverse("portal:application_withdraw", args=[application.id]), {"confirmed": "1"}, follow=True)
    assert response.status_code == 200  # wrong state: a message, never a 500


def test_apply_to_a_category_of_another_dps_is_a_message(client):
    dps = DPSFactory(published=True)
    foreign_category = CategoryFactory()
    company, user = ready_company(list(dps.categories.all()))
    client.force_login(user)
    url = reverse("portal:apply", args=[dps.id]) + f"?company={company.id}"
    response = client.post(url, {"categories": [str(foreign_category.id)]})
    assert response.status_code == 200
    assert not Application.objects.filter(company=company).exists()


# --- home and language ----------------------------------------------------------------------------

def test_home_anonymous_and_supplier_redirect(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Trois étapes" in response.content.decode()
    client.force_login(UserFactory())
    assert client.get("/")["Location"] == reverse("portal:dashboard")


def test_language_switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in page
    assert "How does it work? Three steps" in page
    assert "Create an account" in page


def test_staff_on_the_portal_dashboard_go_to_the_console(client):
    client.force_login(StaffFactory(roles=["buyer"]))
    assert client.get(reverse("portal:dashboard"))["Location"] == "/console/"


# --- account pages --------------------------------------------------------------------------------

def test_register_pages_render(client, mailoutbox):
    assert client.get(reverse("accounts:register")).status_code == 200
    response = client.post(reverse("accounts:register"), {
        "first_name": "Jeanne", "last_name": "Martin", "email": "jeanne@example.fr", "password": "Toiture-2026-isolee",
        "password_confirm": "Toiture-2026-isolee", "accept_terms": "on"})
    assert response.status_code == 200
    assert "jeanne@example.fr" in response.content.decode()
    assert "Vérifiez votre adresse e-mail" in response.content.decode()
    response = client.post(reverse("accounts:register"), {
        "first_name": "Jeanne", "last_name": "Martin", "email": "jeanne@example.fr", "password": "123",
        "password_confirm": "123", "accept_terms": "on"})
    # A weak password is refused; the address already having an account is not told.
    assert set(response.context["form"].errors) == {"password"}


def test_verify_failed_and_login_pages(client):
    response = client.get(reverse("accounts:verify", args=["pas-un-jeton"]))
    assert response.status_code == 400
    assert "n&#x27;est pas valide" in response.content.decode()
    assert client.get(reverse("accounts:login")).status_code == 200
    UserFactory(email="nonverifie@example.fr", unverified=True)
    response = client.post(reverse("accounts:login"), {"username": "nonverifie@example.fr", "password": DEFAULT_PASSWORD})
    assert "pas encore vérifiée" in response.content.decode()


def test_password_reset_mail_and_pages(client, mailoutbox, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://sad.example.fr"
    UserFactory(email="oubli@example.fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "oubli@example.fr"},
                               HTTP_HOST="testserver")
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert client.get(response["Location"]).status_code == 200
    mail = mailoutbox[-1]
    assert mail.subject == "Réinitialisation de votre mot de passe — SAD Rénovation"
    assert OutboundEmail.objects.filter(to="oubli@example.fr", key__startswith="password-reset:").count() == 1
    # The link is built on SITE_URL, not on the Host header the client sent.
    link = next(line for line in mail.body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith("https://sad.example.fr/accounts/reset/#")
    # The browser asks for the page without the part after "#"; its script posts the whole link.
    assert client.get(link.removeprefix("https://sad.example.fr").split("#")[0]).status_code == 200
    response = client.post(reverse("accounts:password_reset_link"), {"link": link}, follow=True)
    assert response.status_code == 200 and response.context["validlink"]
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "Menuiserie-2026-neuve",
                                                            "new_password2": "Menuiserie-2026-neuve"}, follow=True)
    assert "Votre mot de passe est modifié" in response.content.decode()


# --- admissions and renewed declarations ---------------------------------------------------------------

def _three_admissions(buyer):
    """A company admitted to three categories of one DPS: one admitted, one suspended, one excluded."""
    dps = DPSFactory(actor=buyer)
    for _ in range(3):
        CategoryFactory(dps=dps, actor=buyer)
    dps = dps_publish(actor=buyer, dps=dps)
    first, second, third = dps.categories.order_by("code")
    kept = admitted_company(first, actor=buyer)
    company = kept.company
    suspended = admitted_company(second, company=company, actor=buyer)
    excluded = admitted_company(third, company=company, actor=buyer)
    admission_suspend(actor=buyer, admission=suspended, reason="Attestation URSSAF expirée")
    admission_exclude(actor=buyer, admission=excluded, reason="Condamnation définitive pour fraude")
    return dps, company, (first, second, third)


def test_admissions_with_their_status_and_reason_for_members_only(client, buyer, stranger_client):
    dps, company, categories = _three_admissions(buyer)
    client.force_login(company_owner(company))
    today = timezone.localdate().strftime("%d/%m/%Y")
    for url in (reverse("portal:dashboard"), reverse("portal:company", args=[company.id])):
        page = client.get(url).content.decode()
        assert "Mes admissions" in page
        for category in categories:
            assert category.code in page
        assert dps.reference in page
        assert ">Admise<" in page and ">Suspendue<" in page and ">Exclue<" in page
        assert "motif : Attestation URSSAF expirée" in page
        assert "motif : Condamnation définitive pour fraude" in page
        assert f"Depuis le {today}" in page
    # Another company's user sees neither the admissions nor the company page.
    page = stranger_client.get(reverse("portal:dashboard")).content.decode()
    assert "Mes admissions" in page and "Aucune admission pour le moment" in page
    assert all(category.code not in page for category in categories)
    assert "URSSAF expirée" not in page
    assert stranger_client.get(reverse("portal:company", args=[company.id])).status_code == 404


def test_pending_renewal_banner_until_the_declaration_is_renewed(client, buyer):
    dps = DPSFactory(actor=buyer)
    admission = admitted_company(CategoryFactory(dps=dps, actor=buyer), actor=buyer)
    company = admission.company
    (renewal,) = declaration_renewals_request(actor=buyer, dps=dps, company_ids=[company.id])
    client.force_login(company_owner(company))
    declaration_url = reverse("portal:declaration", args=[company.id])
    due = f"avant le {renewal.due_on.day} "
    banner = "vous demande de renouveler votre déclaration sur l"
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert banner in dashboard and due in dashboard and "vos admissions seront suspendues" in dashboard
    assert f'href="{declaration_url}">Renouveler ma déclaration' in dashboard
    page = client.get(declaration_url).content.decode()
    assert banner in page and due in page
    assert page.index(banner) < page.index("<form method=\"post\" novalidate")

    post = {f"ground_{code}": "no" for code in EXCLUSION_GROUNDS}
    post.update({"signatory": "Jeanne Martin, gérante", "sworn": "on"})
    response = client.post(declaration_url, post, follow=True)
    page = response.content.decode()
    assert "Déclaration sur l&#x27;honneur enregistrée (version 2)" in page
    assert "Elle répond à la demande de renouvellement de l&#x27;acheteur." in page
    assert banner not in page
    renewal.refresh_from_db()
    assert renewal.status == RenewalStatus.ANSWERED
    assert renewal.declaration == Declaration.objects.get(company=company, version=2)
    assert not DeclarationRenewal.objects.filter(company=company, status=RenewalStatus.PENDING).exists()
    assert banner not in client.get(reverse("portal:dashboard")).content.decode()
    # Without a pending request, the usual message only.
    page = client.post(declaration_url, post, follow=True).content.decode()
    assert "(version 3)" in page and "demande de renouvellement" not in page

"""Evidence as a contractor keeps it: a new document of a kind supersedes the older one (kept as history, never
counted again), an already expired one is stored only once confirmed, and a document may be deleted as long as
no decision relied on it."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from procurement.errors import Conflict, NotAllowed
from procurement.models import AuditEntry, EvidenceKind
from suppliers import evidence_checks, evidence_stash, selectors
from suppliers.models import EvidenceDocument
from suppliers.services import (
    ExpiredEvidence,
    evidence_delete,
    evidence_expiry_reminders,
    evidence_upload,
    missing_items,
)
from tests.factories import (
    TINY_PDF,
    CategoryFactory,
    CompanyFactory,
    DPSFactory,
    EvidenceDocumentFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    awarded_tender,
    company_owner,
    pdf_file,
    submitted_application,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def days(n):
    return today() + dt.timedelta(days=n)


def upload(company, kind=EvidenceKind.KBIS, *, valid_until, issued_on=None, name=None, **extra):
    return evidence_upload(
        actor=company_owner(company),
        company=company,
        kind=str(kind),
        uploaded_file=pdf_file(name or f"{kind}.pdf"),
        issued_on=issued_on or days(-400),
        valid_until=valid_until,
        **extra,
    )


def actions(company):
    return list(
        AuditEntry.objects.filter(object_type="company", object_id=str(company.id))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- supersession ---------------------------------------------------------------------------------------


def test_a_new_document_of_a_kind_supersedes_the_older_one_audited():
    company = CompanyFactory()
    old = upload(company, valid_until=days(10), name="kbis-2025.pdf")
    new = upload(company, valid_until=days(300), name="kbis-2026.pdf")

    old.refresh_from_db()
    assert old.superseded_by == new and old.superseded_at == new.uploaded_at
    assert not old.is_current and new.is_current
    assert list(EvidenceDocument.objects.filter(company=company).current()) == [new]
    assert list(selectors.document_history(company)) == [old]
    assert actions(company)[-2:] == ["upload-evidence", "supersede-evidence"]
    entry = AuditEntry.objects.filter(action="supersede-evidence").get()
    assert entry.details["document"] == str(old.id) and entry.details["superseded_by"] == str(new.id)


def test_is_current_and_the_queryset_agree():
    company = CompanyFactory()
    upload(company, valid_until=days(10))
    upload(company, valid_until=days(300))
    upload(company, EvidenceKind.TAX_CERTIFICATE, valid_until=days(90))
    current = set(EvidenceDocument.objects.current().values_list("pk", flat=True))
    assert {d.pk for d in EvidenceDocument.objects.all() if d.is_current} == current
    assert len(current) == 2


def test_references_and_other_proofs_accumulate():
    company = CompanyFactory()
    first = upload(company, EvidenceKind.REFERENCES, valid_until=None)
    second = upload(company, EvidenceKind.REFERENCES, valid_until=None)
    assert set(EvidenceDocument.objects.current()) == {first, second}


def test_the_superseded_document_no_longer_counts_in_the_application_and_winner_checks():
    """The older document is valid, the newer one expired: only the newer one counts."""
    company = CompanyFactory()
    upload(company, EvidenceKind.TAX_CERTIFICATE, valid_until=days(200))
    upload(company, EvidenceKind.TAX_CERTIFICATE, valid_until=days(-1), confirm_expired=True)
    category = CategoryFactory(required_evidence=["tax_certificate"])

    dossier = evidence_checks.dossier_checks(company, [category])
    assert [item.status for item in dossier.categories[0].evidence] == [evidence_checks.EXPIRED]
    assert (
        "a expiré"
        in missing_items(company=company, categories=[category])[f"category:{category.code}:tax_certificate"][
            0
        ]
    )
    checks = {c.kind: c for c in evidence_checks.winner_evidence(company, trade=category.trade)}
    assert checks["tax_certificate"].status == evidence_checks.EXPIRED
    # Given already loaded (as the contract signature does), the superseded one is left out too.
    loaded = list(company.documents.all())
    assert (
        evidence_checks.winner_evidence(company, trade=category.trade, documents=loaded)[2].status
        == "expired"
    )


def test_the_directory_counts_and_dates_only_current_documents(client, buyer):
    company = CompanyFactory()
    upload(company, valid_until=days(10))
    new = upload(company, valid_until=days(300))

    [row] = selectors.with_document_stats([company])
    assert (row.document_count, row.next_expiry) == (1, new.valid_until)
    assert company not in selectors.supplier_directory(expiring_within_days=30)
    client.force_login(buyer)
    assert selectors.dashboard_counts(buyer)["expiring_documents"] == 0
    page = client.get(reverse("console:directory")).content.decode()
    assert new.valid_until.strftime("%d/%m/%Y") in page
    assert days(10).strftime("%d/%m/%Y") not in page


def test_the_portal_badges_show_only_current_documents(client):
    company = CompanyFactory()
    upload(company, valid_until=days(10))  # "expire bientôt", but replaced
    upload(company, valid_until=days(300))
    client.force_login(company_owner(company))
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "Expire bientôt" not in dashboard
    assert dashboard.count("Valide") >= 1


def test_no_reminder_for_a_superseded_document():
    """The older document would be reminded (its successor expires sooner still): only the current one is."""
    company = CompanyFactory()
    old = upload(company, EvidenceKind.LIABILITY_INSURANCE, valid_until=days(20))
    new = upload(company, EvidenceKind.LIABILITY_INSURANCE, valid_until=days(12))

    assert evidence_expiry_reminders() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.reminded_30_at is not None and old.reminded_30_at is None


def test_history_is_shown_in_the_portal_and_the_console(client, buyer):
    company = CompanyFactory()
    upload(company, valid_until=days(10), name="ancien-kbis.pdf")
    upload(company, valid_until=days(300), name="nouveau-kbis.pdf")

    client.force_login(company_owner(company))
    page = client.get(reverse("portal:documents", args=[company.id])).content.decode()
    history = page[page.index('id="historique"') :]
    assert "Historique" in page and "ancien-kbis.pdf" in history and "nouveau-kbis.pdf" in history
    assert "ancien-kbis.pdf" not in page[: page.index('id="historique"')]

    staff = Client()
    staff.force_login(buyer)
    console = staff.get(reverse("console:company_detail", args=[company.id])).content.decode()
    assert "Historique" in console and "ancien-kbis.pdf" in console


def test_the_api_lists_every_document_with_its_state_and_filters_current(client):
    company = CompanyFactory()
    old = upload(company, valid_until=days(10))
    new = upload(company, valid_until=days(300))
    client.force_login(company_owner(company))
    url = f"/api/v1/companies/{company.id}/documents/"
    rows = {row["id"]: row for row in client.get(url).json()["results"]}
    assert rows[str(old.id)]["superseded"] is True and rows[str(old.id)]["superseded_by"] == str(new.id)
    assert rows[str(new.id)]["superseded"] is False and rows[str(new.id)]["superseded_by"] is None
    assert [row["id"] for row in client.get(url + "?current=true").json()["results"]] == [str(new.id)]


# --- an already expired document ---------------------------------------------------------------------------


def test_an_expired_upload_needs_confirmation():
    company = CompanyFactory()
    with pytest.raises(ExpiredEvidence) as exc:
        upload(company, valid_until=days(-1))
    assert "confirm_expired" in exc.value.errors
    assert not EvidenceDocument.objects.exists()

    document = upload(company, valid_until=days(-1), confirm_expired=True)
    assert document.status == "expired"
    entry = AuditEntry.objects.filter(action="upload-evidence").get()
    assert entry.details["expired_confirmed"] is True


def test_a_document_expiring_today_needs_no_confirmation():
    assert upload(CompanyFactory(), valid_until=today()).status == "expiring"


def test_an_urssaf_certificate_past_its_six_months_needs_confirmation():
    """No date printed: six months from issue by law, already over."""
    with pytest.raises(ExpiredEvidence):
        upload(CompanyFactory(), EvidenceKind.URSSAF_VIGILANCE, issued_on=days(-200), valid_until=None)


def test_the_api_stores_an_expired_document_and_says_so(client):
    company = CompanyFactory()
    client.force_login(company_owner(company))
    response = client.post(
        f"/api/v1/companies/{company.id}/documents/",
        {
            "kind": "kbis",
            "file": SimpleUploadedFile("kbis.pdf", TINY_PDF, content_type="application/pdf"),
            "issued_on": days(-400).isoformat(),
            "valid_until": days(-1).isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "expired"


def _expired_post(**extra):
    return {"kind": "kbis", "issued_on": days(-400).isoformat(), "valid_until": days(-1).isoformat(), **extra}


def _stashed(company):
    storage = EvidenceDocument._meta.get_field("file").storage
    try:
        return storage.listdir(f"evidence/pending/{company.pk}/")[1]
    except FileNotFoundError:
        return []


def test_the_page_asks_to_confirm_an_expired_document_without_choosing_the_file_again(client):
    company = CompanyFactory()
    client.force_login(company_owner(company))
    url = reverse("portal:documents", args=[company.id])

    first = client.post(url, _expired_post(file=SimpleUploadedFile("kbis-2024.pdf", TINY_PDF)))
    assert first.status_code == 200
    assert not EvidenceDocument.objects.exists()
    page = first.content.decode()
    assert "Ce document a déjà expiré." in page and "kbis-2024.pdf" in page
    assert 'name="confirm_expired"' in page
    token = first.context["pending"]["token"]
    assert f'value="{token}"' in page
    assert len(_stashed(company)) == 1

    confirmed = client.post(url, _expired_post(stash=token, confirm_expired="1"))
    assert confirmed.status_code == 302
    document = EvidenceDocument.objects.get()
    assert (document.filename, document.sha256) == ("kbis-2024.pdf", hashlib.sha256(TINY_PDF).hexdigest())
    assert document.status == "expired"
    assert _stashed(company) == []


def test_without_confirmation_the_page_asks_again_and_stores_nothing(client):
    company = CompanyFactory()
    client.force_login(company_owner(company))
    url = reverse("portal:documents", args=[company.id])
    token = client.post(url, _expired_post(file=SimpleUploadedFile("k.pdf", TINY_PDF))).context["pending"][
        "token"
    ]

    again = client.post(url, _expired_post(stash=token))
    assert again.status_code == 200 and again.context["pending"]["token"] == token
    corrected = client.post(url, _expired_post(stash=token, valid_until=days(30).isoformat()))
    assert corrected.status_code == 302
    assert EvidenceDocument.objects.get().valid_until == days(30)


def test_a_stash_token_is_only_good_for_its_person_and_company(client):
    company = CompanyFactory()
    owner = company_owner(company)
    client.force_login(owner)
    url = reverse("portal:documents", args=[company.id])
    token = client.post(url, _expired_post(file=SimpleUploadedFile("k.pdf", TINY_PDF))).context["pending"][
        "token"
    ]

    colleague_company = CompanyFactory()
    other = Client()
    other.force_login(company_owner(colleague_company))
    refused = other.post(
        reverse("portal:documents", args=[colleague_company.id]),
        _expired_post(stash=token, confirm_expired="1"),
    )
    assert refused.status_code == 200
    assert "plus disponible" in " ".join(refused.context["form"].errors["file"])
    assert (
        evidence_stash.take(token, company=colleague_company, user=company_owner(colleague_company)) is None
    )
    assert evidence_stash.take("forged", company=company, user=owner) is None
    assert not EvidenceDocument.objects.exists()


# --- deletion -----------------------------------------------------------------------------------------------


def test_a_document_no_decision_relied_on_is_deleted_audited(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    document = upload(company, valid_until=days(300))
    storage, name = document.file.storage, document.file.name
    assert document.can_be_deleted

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=company_owner(company), document=document)
    assert not EvidenceDocument.objects.exists()
    assert not storage.exists(name)
    assert actions(company)[-1] == "delete-evidence"


def test_deleting_the_newer_document_reinstates_the_one_it_replaced():
    company = CompanyFactory()
    old = upload(company, valid_until=days(300))
    new = upload(company, valid_until=days(10))
    evidence_delete(actor=company_owner(company), document=new)
    old.refresh_from_db()
    assert old.is_current and old.superseded_at is None
    assert actions(company)[-2:] == ["delete-evidence", "reinstate-evidence"]


def test_a_document_in_a_dossier_awaiting_decision_stays_but_a_later_one_may_go(dps_with_category):
    application = submitted_application(
        dps=dps_with_category, categories=list(dps_with_category.categories.all())
    )
    company = application.company
    in_dossier = company.documents.first()
    later = EvidenceDocumentFactory(company=company, kind=EvidenceKind.REFERENCES, valid_until=None)
    later.uploaded_at = application.submitted_at + dt.timedelta(seconds=1)
    later.save(update_fields=["uploaded_at"])

    assert in_dossier.is_relied_on and not later.is_relied_on
    with pytest.raises(Conflict) as exc:
        evidence_delete(actor=company_owner(company), document=in_dossier)
    assert "une décision de l'acheteur s'est appuyée" in exc.value.detail
    evidence_delete(actor=company_owner(company), document=later)
    assert EvidenceDocument.objects.filter(pk=in_dossier.pk).exists()


def test_an_admission_decision_marks_the_dossier_relied_on_for_good(dps_with_category):
    admission = admitted_company(dps_with_category.categories.get())
    documents = list(admission.company.documents.all())
    assert documents and all(d.relied_on_at == admission.application.decided_at for d in documents)
    assert set(EvidenceDocument.objects.relied_on()) == set(documents)
    with pytest.raises(Conflict):
        evidence_delete(actor=company_owner(admission.company), document=documents[0])


def test_the_award_approval_marks_the_winners_documents_relied_on():
    ot = awarded_tender()
    winner = ot.bids[0].company
    kinds = set(winner.documents.filter(relied_on_at__isnull=False).values_list("kind", flat=True))
    assert set(evidence_checks.WINNER_KINDS) <= kinds


def test_relied_on_is_the_same_read_from_the_list_and_from_one_row(dps_with_category):
    application = submitted_application(
        dps=dps_with_category, categories=list(dps_with_category.categories.all())
    )
    EvidenceDocumentFactory(company=application.company, kind=EvidenceKind.OTHER, valid_until=None)
    EvidenceDocument.objects.filter(kind=EvidenceKind.OTHER).update(
        uploaded_at=timezone.now() + dt.timedelta(hours=1)
    )
    listed = {d.pk: d.is_relied_on for d in selectors.current_documents(application.company)}
    assert listed == {d.pk: d.is_relied_on for d in EvidenceDocument.objects.all()}
    assert sorted(listed.values()) == [False] + [True] * (len(listed) - 1)


def test_only_its_members_may_delete_a_document():
    company = CompanyFactory()
    document = upload(company, valid_until=days(300))
    with pytest.raises(NotAllowed):
        evidence_delete(actor=UserFactory(), document=document)
    with pytest.raises(NotAllowed):
        evidence_delete(actor=StaffFactory(roles=["buyer"]), document=document)
    assert EvidenceDocument.objects.filter(pk=document.pk).exists()


def test_the_portal_confirms_then_deletes(client):
    company = CompanyFactory()
    document = upload(company, valid_until=days(300), name="a-supprimer.pdf")
    client.force_login(company_owner(company))
    listing = client.get(reverse("portal:documents", args=[company.id])).content.decode()
    url = reverse("portal:document_delete", args=[document.id])
    assert url in listing

    confirm = client.get(url)
    assert confirm.status_code == 200 and "Supprimer ce justificatif ?" in confirm.content.decode()
    assert EvidenceDocument.objects.filter(pk=document.pk).exists()
    done = client.post(url, {"confirmed": "1"})  # what the confirmation page's form sends
    assert done.status_code == 302
    assert not EvidenceDocument.objects.filter(pk=document.pk).exists()
    assert "Document « a-supprimer.pdf » supprimé." in messages_of(done)


def test_the_portal_offers_no_deletion_of_a_document_relied_on_and_refuses_it(client, dps_with_category):
    admission = admitted_company(dps_with_category.categories.get())
    company, document = admission.company, admission.company.documents.first()
    client.force_login(company_owner(company))
    url = reverse("portal:document_delete", args=[document.id])
    listing = client.get(reverse("portal:documents", args=[company.id])).content.decode()
    assert "/supprimer/" not in listing and "Conservé" in listing

    page = client.get(url).content.decode()
    assert "ne peut pas être supprimé" in page and "Supprimer le document" not in page
    refused = client.post(url, {"confirmed": "1"})
    assert refused.status_code == 302
    assert any("ne peut pas être supprimé" in text for text in messages_of(refused))
    assert EvidenceDocument.objects.filter(pk=document.pk).exists()


def test_another_companys_document_is_not_found_and_staff_may_not_delete(client, buyer):
    company = CompanyFactory()
    document = upload(company, valid_until=days(300))
    url = reverse("portal:document_delete", args=[document.id])

    client.force_login(company_owner(CompanyFactory()))
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    staff = Client()
    staff.force_login(buyer)
    assert staff.get(url).status_code == 403
    assert staff.post(url, {"confirmed": "1"}).status_code == 403
    assert EvidenceDocument.objects.filter(pk=document.pk).exists()


@pytest.fixture
def dps_with_category(buyer):
    return DPSFactory(actor=buyer, published=True)

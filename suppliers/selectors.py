"""Every read that a page or the API lists, already filtered by who may see what.

Rule: a supplier only ever sees its own companies' objects; another company's object is "not found".
List selectors return querysets with their relations loaded, so a list costs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from procurement import sorting
from procurement.permissions import is_staff_member
from procurement.web import get_or_404

from .models import (
    EXPIRY_WARNING_DAYS,
    Admission,
    AdmissionStatus,
    Application,
    ApplicationCategory,
    ApplicationStatus,
    Company,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    Membership,
    RenewalStatus,
)

# --- companies ------------------------------------------------------------------------------------

def companies_for_user(user) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    if is_staff_member(user):
        return Company.objects.all()
    return Company.objects.filter(memberships__user=user)


def company_get(*, user, company_id) -> Company:
    return get_or_404(companies_for_user(user), id=company_id)


def memberships_for_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("company").order_by("company__name")


def company_members(company: Company) -> QuerySet[Membership]:
    return company.memberships.select_related("user").order_by("user__email")


def member_emails(company_id) -> list[str]:
    """Where a company's mail goes: every member's address."""
    return list(Membership.objects.filter(company_id=company_id).order_by("user__email")
                .values_list("user__email", flat=True))


def declaration_current(company: Company) -> Declaration | None:
    return company.declarations.order_by("-version").select_related("declared_by").first()


def declaration_versions(company: Company) -> QuerySet[Declaration]:
    return company.declarations.order_by("-version").select_related("declared_by")


def renewals_pending_for_company(company: Company) -> QuerySet[DeclarationRenewal]:
    """The buyer's unanswered requests for a renewed declaration, soonest due first."""
    return company.renewals.filter(status=RenewalStatus.PENDING).select_related("dps").order_by("due_on")


# --- evidence -------------------------------------------------------------------------------------

def documents_for_company(company: Company) -> QuerySet[EvidenceDocument]:
    return company.documents.order_by("kind", "-issued_on", "-uploaded_at")


def document_get(*, user, document_id) -> EvidenceDocument:
    docs = EvidenceDocument.objects.select_related("company")
    if not is_staff_member(user):
        docs = docs.filter(company__memberships__user=user) if user.is_authenticated else docs.none()
    return get_or_404(docs, id=document_id)


# --- applications -----------------------------------------------------------------------------------

def _application_qs() -> QuerySet[Application]:
    return Application.objects.select_related("company", "dps", "decided_by").prefetch_related(
        Prefetch("lines", queryset=ApplicationCategory.objects.select_related("category").order_by("category__code"))
    )


# The sort keys of the lists (``?tri=key`` or ``-key``; see ``procurement.sorting``).
APPLICATION_SORTS = {
    "entreprise": ("company__name",), "siret": ("company__siret",), "sad": ("dps__reference",),
    "recue": ("submitted_at",), "decision": ("decision_due",), "etat": ("status",),
}
DIRECTORY_SORTS = {"entreprise": ("name",), "siret": ("siret",), "commune": ("city",)}
ADMISSION_SORTS = {
    "entreprise": ("company__name",), "categorie": ("category__dps__reference", "category__code"),
    "admise": ("admitted_at",), "etat": ("status",),
}


def applications_for_user(user, *, status: str | None = None, dps_id=None, overdue: bool = False,
                          company_id=None, sort: str | None = None) -> QuerySet[Application]:
    qs = _application_qs()
    if not is_staff_member(user):
        qs = qs.filter(company__memberships__user=user)
    if status:
        qs = qs.filter(status=status)
    if dps_id:
        qs = qs.filter(dps_id=dps_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if overdue:
        qs = qs.filter(status=ApplicationStatus.SUBMITTED, decision_due__lt=timezone.localdate())
    return sorting.apply(qs.order_by("-created_at"), sort, APPLICATION_SORTS)


def application_get(*, user, application_id) -> Application:
    return get_or_404(applications_for_user(user), id=application_id)


def review_queue() -> QuerySet[Application]:
    """Applications awaiting a decision (or information), soonest due first: the buyer's dashboard."""
    return (
        _application_qs()
        .filter(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED])
        .order_by("decision_due", "submitted_at")
    )


def dashboard_counts() -> dict:
    today = timezone.localdate()
    counts = Application.objects.aggregate(
        submitted=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED)),
        info_requested=Count("id", filter=Q(status=ApplicationStatus.INFO_REQUESTED)),
        overdue=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED, decision_due__lt=today)),
        due_soon=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED, decision_due__gte=today,
                                      decision_due__lte=today + dt.timedelta(days=3))),
    )
    counts["admitted_companies"] = (
        Admission.objects.filter(status=AdmissionStatus.ADMITTED).values("company").distinct().count()
    )
    counts["expiring_documents"] = EvidenceDocument.objects.filter(
        valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    ).count()
    return counts


# --- admissions and directory -----------------------------------------------------------------------

def admissions_list(*, category_id=None, company_id=None, status: str | None = None, dps_id=None,
                    sort: str | None = None) -> QuerySet[Admission]:
    lookups = {"category_id": category_id, "company_id": company_id, "status": status, "category__dps_id": dps_id}
    qs = (Admission.objects.select_related("company", "category", "category__dps")
          .filter(**{key: value for key, value in lookups.items() if value})
          .order_by("company__name", "category__code"))
    return sorting.apply(qs, sort, ADMISSION_SORTS)


def admissions_for_company(company: Company) -> QuerySet[Admission]:
    """The company's admissions (any status) with their category and DPS, by category code."""
    return company.admissions.select_related("category", "category__dps").order_by("category__code", "-admitted_at")


def supplier_directory(*, category_id=None, territory: str | None = None, admission_status: str | None = None,
                       expiring_within_days: int | None = None, search: str | None = None,
                       sort: str | None = None) -> QuerySet[Company]:
    """Companies with their admissions and the soonest expiry among their documents.

    Fixed query count whatever the number of rows: one for the page, one for the count, one prefetch,
    and one for ``with_document_stats`` on the displayed page.
    """
    today = timezone.localdate()
    qs = Company.objects.all()
    admissions = Admission.objects.all()
    if category_id:
        admissions = admissions.filter(category_id=category_id)
    if territory:
        admissions = _territory_filter(admissions, territory)
    if admission_status:
        admissions = admissions.filter(status=admission_status)
    if category_id or territory or admission_status:
        qs = qs.filter(Exists(admissions.filter(company=OuterRef("pk"))))
    if expiring_within_days is not None:
        qs = qs.filter(Exists(EvidenceDocument.objects.filter(
            company=OuterRef("pk"), valid_until__lte=today + dt.timedelta(days=expiring_within_days))))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(siret__startswith=search.replace(" ", "")) | Q(city__icontains=search))
    qs = qs.prefetch_related(
        Prefetch("admissions", queryset=Admission.objects.select_related("category").order_by("category__code"))
    ).order_by("name", "id")
    return sorting.apply(qs, sort, DIRECTORY_SORTS)


def with_document_stats(companies: list[Company]) -> list[Company]:
    """Attach ``document_count`` and ``next_expiry`` (soonest expiry date) to a page of companies.

    One grouped query over the page's companies only: computing these figures in the listing query
    itself makes PostgreSQL evaluate them for every row skipped by the OFFSET of deep pages.
    """
    stats = {
        row["company_id"]: row
        for row in EvidenceDocument.objects.filter(company__in=[c.pk for c in companies])
        .values("company_id")
        .annotate(n=Count("pk"), soonest=Min("valid_until"))
        .order_by()
    }
    for company in companies:
        row = stats.get(company.pk, {})
        company.document_count = row.get("n", 0)
        company.next_expiry = row.get("soonest")
    return companies


def _territory_filter(admissions: QuerySet[Admission], territory: str) -> QuerySet[Admission]:
    # JSON containment is native on PostgreSQL; SQLite has no such lookup, so match the quoted code.
    if connection.vendor == "postgresql":
        return admissions.filter(category__territories__contains=[territory])
    return admissions.filter(category__territories__icontains=f'"{territory}"')

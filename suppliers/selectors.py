"""Every read that a page or the API lists, already filtered by who may see what.

Rule: a supplier only ever sees its own companies' objects; another company's object is "not found".
List selectors return querysets with their relations loaded, so a list costs a fixed number of queries.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from procurement import calendar, clock, sorting, text
from procurement.permissions import is_staff_member
from procurement.web import get_or_404

from .models import (
    Admission,
    AdmissionStatus,
    Application,
    ApplicationCategory,
    ApplicationStatus,
    Company,
    CompanyInvitation,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    Membership,
    MembershipRole,
    RenewalStatus,
)

# --- companies ------------------------------------------------------------------------------------

def companies_for_user(user) -> QuerySet[Company]:
    return Company.objects.visible_to(user)


def company_get(*, user, company_id) -> Company:
    return get_or_404(companies_for_user(user), id=company_id)


def memberships_for_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("company").order_by(text.french("company__name"))


def dashboard_memberships(user) -> QuerySet[Membership]:
    """The person's companies with what the portal dashboard shows of each (declarations, documents,
    applications, admissions, pending renewals), in one query per relation whatever the number of companies."""
    return memberships_for_user(user).prefetch_related(
        Prefetch("company__declarations", queryset=Declaration.objects.order_by("-version"), to_attr="versions"),
        Prefetch("company__documents", queryset=EvidenceDocument.objects.current().order_by("kind", "-issued_on"),
                 to_attr="docs"),
        Prefetch("company__applications", queryset=Application.objects.select_related("dps").order_by("-created_at"),
                 to_attr="apps"),
        Prefetch("company__admissions", queryset=Admission.objects.select_related("category", "category__dps")
                 .order_by("category__code", "-admitted_at"), to_attr="admission_rows"),
        Prefetch("company__renewals", queryset=DeclarationRenewal.objects.filter(status=RenewalStatus.PENDING)
                 .order_by("due_on"), to_attr="pending_renewals"),
    )


def is_company_member(user, company: Company) -> bool:
    return company.memberships.filter(user=user).exists()


def is_company_admin(user, company: Company) -> bool:
    return company.memberships.filter(user=user, role=MembershipRole.ADMIN).exists()


def pending_invitations(company: Company) -> QuerySet[CompanyInvitation]:
    return company.invitations.filter(accepted_at=None).order_by("email")


def company_invitation_get(invitation_id) -> CompanyInvitation:
    """An invitation to join a company, found by its unguessable id (the person it was sent to accepts it)."""
    return get_or_404(CompanyInvitation.objects.select_related("company", "invited_by"), id=invitation_id,
                      message=_("Invitation introuvable"))


def live_admission_category_ids(company: Company) -> set:
    """The categories the company is admitted to or suspended from (it cannot apply to them again)."""
    return set(company.admissions.filter(status__in=[AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED])
               .values_list("category_id", flat=True))


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


def renewals_for_dps(user, dps) -> QuerySet[DeclarationRenewal]:
    """The renewal requests of a DPS, latest first (staff: the DPS page; anyone else: none)."""
    if not is_staff_member(user):
        return DeclarationRenewal.objects.none()
    return DeclarationRenewal.objects.filter(dps=dps).select_related("company").order_by("-requested_at")


# --- evidence -------------------------------------------------------------------------------------

def documents_for_company(company: Company) -> QuerySet[EvidenceDocument]:
    """Every document of the company, current and superseded (the API's list: each says which it is)."""
    return company.documents.order_by("kind", "-issued_on", "-uploaded_at")


def current_documents(company: Company) -> QuerySet[EvidenceDocument]:
    """The documents that count, each knowing whether a decision relied on it (may it be deleted)."""
    return documents_for_company(company).current().with_relied_on()


def document_history(company: Company) -> QuerySet[EvidenceDocument]:
    """The superseded documents, most recently replaced first, with what replaced them."""
    return (company.documents.superseded().select_related("superseded_by")
            .with_relied_on().order_by("-superseded_at", "kind"))


def document_get(*, user, document_id) -> EvidenceDocument:
    return get_or_404(EvidenceDocument.objects.visible_to(user).select_related("company"), id=document_id)


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
    qs = _application_qs().visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if dps_id:
        qs = qs.filter(dps_id=dps_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if overdue:
        qs = qs.overdue()
    return sorting.apply(qs.order_by("-created_at"), sort, APPLICATION_SORTS)


def application_in_progress(user, *, dps, company) -> Application | None:
    """The company's application to this DPS that can still be withdrawn (draft, submitted, completing),
    if any: a company applies once at a time."""
    for application in applications_for_user(user, dps_id=dps.id, company_id=company.id):
        if can_proceed(application.withdraw):
            return application
    return None


def application_get(*, user, application_id) -> Application:
    return get_or_404(applications_for_user(user), id=application_id)


def review_queue(user) -> QuerySet[Application]:
    """Applications awaiting a decision (or information), soonest due first: the buyer's dashboard."""
    return (
        _application_qs().visible_to(user)
        .filter(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED])
        .order_by("decision_due", "submitted_at")
    )


DUE_SOON_DAYS = 3  # the dashboard's "due within 3 days"


def dashboard_counts(user) -> dict:
    """The console dashboard's figures, over what ``user`` may see; ``by_status`` (the chart: applications in
    each state) comes from the same conditional aggregate as the cards."""
    today = clock.today()
    applications = Application.objects.visible_to(user)
    per_status = {f"status_{value}": Count("id", filter=Q(status=value)) for value in ApplicationStatus.values}
    counts = applications.aggregate(
        **per_status,
        submitted=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED)),
        info_requested=Count("id", filter=Q(status=ApplicationStatus.INFO_REQUESTED)),
        overdue=Count("id", filter=Q(pk__in=applications.overdue(at=today).values("pk"))),
        due_soon=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED,
                                      decision_due__range=calendar.day_window(today, DUE_SOON_DAYS))),
    )
    counts["by_status"] = {value: counts.pop(f"status_{value}") for value in ApplicationStatus.values}
    counts["admitted_companies"] = (
        Admission.objects.filter(status=AdmissionStatus.ADMITTED).values("company").distinct().count()
    )
    counts["expiring_documents"] = EvidenceDocument.objects.visible_to(user).expiring(on=today).count()
    return counts


# --- admissions and directory -----------------------------------------------------------------------

def admissions_list(*, category_id=None, company_id=None, status: str | None = None, dps_id=None,
                    sort: str | None = None) -> QuerySet[Admission]:
    lookups = {"category_id": category_id, "company_id": company_id, "status": status, "category__dps_id": dps_id}
    qs = (Admission.objects.select_related("company", "category", "category__dps")
          .filter(**{key: value for key, value in lookups.items() if value})
          .order_by(text.french("company__name"), "category__code"))
    return sorting.apply(qs, sort, ADMISSION_SORTS)


def admissions_for_company(company: Company) -> QuerySet[Admission]:
    """The company's admissions (any status) with their category and DPS, by category code."""
    return company.admissions.select_related("category", "category__dps").order_by("category__code", "-admitted_at")


def supplier_directory(*, category_id=None, territory: str | None = None, admission_status: str | None = None,
                       expiring_within_days: int | None = None, search: str | None = None,
                       sort: str | None = None, companies: QuerySet[Company] | None = None) -> QuerySet[Company]:
    """Companies (of ``companies``, all by default) with their admissions and the soonest expiry among their
    documents, in French alphabetical order.

    Fixed query count whatever the number of rows: one for the page, one for the count, one prefetch,
    and one for ``with_document_stats`` on the displayed page.
    """
    qs = Company.objects.all() if companies is None else companies
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
        qs = qs.filter(Exists(EvidenceDocument.objects.expiring(within=expiring_within_days)
                              .filter(company=OuterRef("pk"))))
    if search:
        # Every word in the name or the commune, whatever the case and accents ("bethune" finds "Béthune"),
        # served by the trigram index on PostgreSQL; digits may also be the start of the SIRET (that
        # alternative reads the table: only asked for when it can match).
        condition = text.matches("search_text", search)
        digits = search.replace(" ", "")
        if digits.isdigit():
            condition |= Q(siret__startswith=digits)
        qs = qs.filter(condition)
    qs = qs.prefetch_related(
        Prefetch("admissions", queryset=Admission.objects.select_related("category").order_by("category__code"))
    ).order_by(text.french("name"), "id")
    return sorting.apply(qs, sort, DIRECTORY_SORTS)


def with_document_stats(companies: list[Company]) -> list[Company]:
    """Attach ``document_count`` and ``next_expiry`` (soonest expiry date) to a page of companies, over their
    current documents only (a superseded one is history).

    One grouped query over the page's companies only: computing these figures in the listing query
    itself makes PostgreSQL evaluate them for every row skipped by the OFFSET of deep pages.
    """
    stats = {
        row["company_id"]: row
        for row in EvidenceDocument.objects.current().filter(company__in=[c.pk for c in companies])
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

"""Django admin for the supplier side (superusers only, see procurement.admin).

Workflow states are read-only and change only through the services; memberships, invitations,
declarations, evidence, applications, admissions and renewals are view-only. Memberships above all: a
member reads the company's sealed bids, so nobody joins a company here, superuser or not; people join by
invitation, recorded in the audit chain. A company's descriptive fields may be corrected, and each
correction is recorded there too. Evidence files are never offered for download here: the portal and the
console serve them to the people entitled to see them.
"""

from django.contrib import admin

from procurement.admin import NoCreateNoDeleteAdmin, ViewOnlyAdmin

from . import services
from .models import (
    Admission,
    Application,
    ApplicationCategory,
    Company,
    CompanyInvitation,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    Membership,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(NoCreateNoDeleteAdmin):
    list_display = ("name", "siret", "national_id", "postal_code", "city", "created_at")
    search_fields = ("name", "siret", "siren", "national_id", "vat_number")
    list_filter = ("country",)
    readonly_fields = ("country", "siret", "siren", "national_id", "vat_number", "turnovers", "created_at")
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        services.company_correct(actor=request.user, company=obj)


@admin.register(Membership)
class MembershipAdmin(ViewOnlyAdmin):
    list_display = ("user", "company", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "company__name", "company__siret")
    raw_id_fields = ("user", "company")


@admin.register(CompanyInvitation)
class CompanyInvitationAdmin(ViewOnlyAdmin):
    list_display = ("email", "company", "role", "created_at", "accepted_at")
    search_fields = ("email", "company__name")


@admin.register(Declaration)
class DeclarationAdmin(ViewOnlyAdmin):
    list_display = ("company", "version", "sworn", "signatory", "declared_at")
    search_fields = ("company__name", "company__siret")


@admin.register(EvidenceDocument)
class EvidenceDocumentAdmin(ViewOnlyAdmin):
    list_display = ("company", "kind", "filename", "issued_on", "valid_until", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("company__name", "company__siret", "sha256")
    # ``file`` is left out on purpose: the admin would render it as a download link.
    fields = ("company", "kind", "filename", "content_type", "size", "sha256", "issued_on", "valid_until",
              "uploaded_by", "uploaded_at", "reminded_30_at", "reminded_7_at")


class ApplicationCategoryInline(admin.TabularInline):
    model = ApplicationCategory
    extra = 0
    fields = ("category", "decision", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ViewOnlyAdmin):
    list_display = ("company", "dps", "status", "submitted_at", "decision_due", "decided_at")
    list_filter = ("status", "dps")
    search_fields = ("company__name", "company__siret")
    inlines = [ApplicationCategoryInline]


@admin.register(Admission)
class AdmissionAdmin(ViewOnlyAdmin):
    list_display = ("company", "category", "status", "admitted_at", "status_changed_at")
    list_filter = ("status", "category__dps")
    search_fields = ("company__name", "company__siret", "category__code")


@admin.register(DeclarationRenewal)
class DeclarationRenewalAdmin(ViewOnlyAdmin):
    list_display = ("company", "dps", "status", "requested_at", "due_on", "answered_at")
    list_filter = ("status",)

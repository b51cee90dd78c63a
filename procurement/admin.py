"""Django admin, for superusers only (a last-resort view of the data, not a working tool).

State changes never happen here: every workflow field is read-only and records with a state cannot be
added or deleted (the console and the services do that, with their rules and the audit trail). The
audit log and the mail log are view-only.

Who may do what is view-only too: staff roles (groups) change through ``create_staff`` and
``remove_staff_role``, company memberships through invitations, each recorded in the audit chain. API
tokens are not listed at all (only their hashes are stored, and no model admin is registered for them).
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from procurement.accounts.models import User

from .models import AuditEntry, Category, DynamicPurchasingSystem, OutboundEmail


def _superuser_only(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superuser_only
admin.site.site_header = _("SAD Rénovation — administration technique")
admin.site.site_title = _("Administration SAD")


class ViewOnlyAdmin(admin.ModelAdmin):
    """Nothing can be added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoCreateNoDeleteAdmin(admin.ModelAdmin):
    """Records are created and removed by the services only; plain descriptive fields may be corrected."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "name", "trade", "territories", "max_contract_value", "min_turnover", "required_evidence")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DynamicPurchasingSystem)
class DynamicPurchasingSystemAdmin(NoCreateNoDeleteAdmin):
    list_display = ("reference", "title", "status", "published_at", "valid_until")
    list_filter = ("status",)
    search_fields = ("reference", "title")
    readonly_fields = ("reference", "status", "valid_until", "initial_decision_days", "published_at",
                       "first_window_ends_at", "first_invitation_at", "closed_at", "created_by", "created_at")
    fields = ("reference", "title", "description", "cpv_codes", *readonly_fields[1:])
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(ViewOnlyAdmin):
    list_display = ("code", "name", "dps", "trade", "max_contract_value", "min_turnover")
    list_filter = ("trade", "dps")
    search_fields = ("code", "name")


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    list_display = ("id", "at", "actor_label", "object_type", "object_id", "action", "from_state", "to_state")
    list_filter = ("object_type", "action")
    search_fields = ("object_id", "actor_label", "reason")
    date_hierarchy = "at"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ViewOnlyAdmin):
    """The body of a mail holding a one-time link (verification, password reset) is never shown: before it is
    sent the link still works, after it the link is blanked anyway."""

    list_display = ("id", "to", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject", "key")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.one_time_link:
            fields = [f for f in fields if f != "body"]
        return fields


@admin.register(User)
class UserAdmin(NoCreateNoDeleteAdmin):
    """Accounts are created by registration or ``manage.py create_staff``; here only names and activity
    can be corrected. Roles (groups) are shown, never edited (``create_staff`` / ``remove_staff_role``
    record each change). Passwords are never shown nor set here."""

    list_display = ("email", "first_name", "last_name", "is_active", "email_verified_at", "is_superuser")
    list_filter = ("is_active", "is_superuser", "groups")
    search_fields = ("email", "first_name", "last_name")
    fields = ("email", "first_name", "last_name", "is_active", "groups", "email_verified_at", "last_login",
              "date_joined", "is_staff", "is_superuser")
    readonly_fields = ("email", "groups", "email_verified_at", "last_login", "date_joined", "is_staff",
                       "is_superuser")


# Django registers its own editable Group admin; staff roles are groups, so it is replaced by a view-only one.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(ViewOnlyAdmin):
    list_display = ("name",)
    fields = ("name",)


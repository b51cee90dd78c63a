"""Django admin for tenders (superusers only, see procurement.admin): view-only.

A bid appears here as a line of the deposit register only: company, state, time of receipt and
fingerprint. Its sealed content, its documents and (after opening) its prices are never shown in the
admin; the console shows them to the buyer's staff once the opening is recorded.
"""

from django.contrib import admin

from procurement.admin import ViewOnlyAdmin

from .models import Bid, Invitation, Question, Tender


@admin.register(Tender)
class TenderAdmin(ViewOnlyAdmin):
    list_display = ("reference", "title", "category", "status", "published_at", "bid_deadline", "opened_at")
    list_filter = ("status",)
    search_fields = ("reference", "title", "operation_name", "operation_commune")
    exclude = ("wrapped_key",)


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    list_display = ("tender", "company", "sent_at")
    search_fields = ("tender__reference", "company__name")


@admin.register(Question)
class QuestionAdmin(ViewOnlyAdmin):
    list_display = ("tender", "asked_at", "answered_at")
    search_fields = ("tender__reference",)


@admin.register(Bid)
class BidAdmin(ViewOnlyAdmin):
    list_display = ("tender", "company", "status", "submitted_at", "fingerprint")
    list_filter = ("status",)
    search_fields = ("tender__reference", "company__name")
    fields = ("tender", "company", "status", "created_at", "submitted_at", "withdrawn_at", "fingerprint")

"""Reads of the DPS, already filtered by who may see what: a draft DPS is "not found" for everyone but staff."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Category, DPSStatus, DynamicPurchasingSystem
from .permissions import is_staff_member
from .web import get_or_404


def dps_visible(user) -> QuerySet[DynamicPurchasingSystem]:
    qs = DynamicPurchasingSystem.objects.prefetch_related(
        Prefetch("categories", queryset=Category.objects.order_by("code"))
    )
    if is_staff_member(user):
        return qs
    return qs.exclude(status=DPSStatus.DRAFT)


def dps_get(*, user, dps_id) -> DynamicPurchasingSystem:
    return get_or_404(dps_visible(user), id=dps_id)

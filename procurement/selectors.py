"""Reads of the DPS, already filtered by who may see what: a draft DPS is "not found" for everyone but staff."""

from __future__ import annotations

import uuid

from django.db.models import Count, Prefetch, QuerySet

from .models import Category, DynamicPurchasingSystem
from .web import get_or_404


def dps_visible(user) -> QuerySet[DynamicPurchasingSystem]:
    return DynamicPurchasingSystem.objects.visible_to(user).prefetch_related(
        Prefetch("categories", queryset=Category.objects.order_by("code"))
    )


def dps_list(user) -> QuerySet[DynamicPurchasingSystem]:
    """The console's list of DPS, each with its number of categories."""
    return dps_visible(user).annotate(category_count=Count("categories"))


def dps_get(*, user, dps_id) -> DynamicPurchasingSystem:
    return get_or_404(dps_visible(user), id=dps_id)


def categories_visible(user) -> QuerySet[Category]:
    """The categories of the DPS ``user`` may see, with their DPS, by DPS reference then code."""
    return (Category.objects.filter(dps__in=DynamicPurchasingSystem.objects.visible_to(user))
            .select_related("dps").order_by("dps__reference", "code"))


def category_find(user, category_id) -> Category | None:
    """A category ``user`` may see, from an id typed or sent (None for an unknown or malformed id)."""
    try:
        uuid.UUID(str(category_id))
    except ValueError:
        return None
    return categories_visible(user).filter(pk=category_id).first()

"""Reads about accounts."""

from __future__ import annotations

from django.conf import settings

from .models import TermsAcceptance


def terms_accepted(user) -> bool:
    """Whether ``user`` accepted the terms of use in the version in force (``settings.TERMS_VERSION``)."""
    return TermsAcceptance.objects.filter(user=user, version=settings.TERMS_VERSION).exists()


def last_terms_acceptance(user) -> TermsAcceptance | None:
    """The person's latest acceptance, whatever its version (to say the terms changed since)."""
    return TermsAcceptance.objects.filter(user=user).order_by("-accepted_at").first()

"""The terms gate: a supplier-side person uses the portal only once the terms of use in force are accepted.

Registration through the pages records the acceptance; an account made through the API without
``accept_terms``, or any account when ``settings.TERMS_VERSION`` changes, is asked on its next portal page
(``accounts:terms``, then back to that page). Staff (a staff role) and administrators are not suppliers and
are not asked. The answer is settled when the person logs in (``settle_at_login``) and kept in the session,
so that pages cost no query for it; a session opened before a new version comes into force is checked on its
next portal page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from procurement.permissions import is_staff_member

from .selectors import terms_accepted

SESSION_KEY = "terms_version"
GATED_PREFIX = "/portail/"


def remember_acceptance(request) -> None:
    request.session[SESSION_KEY] = settings.TERMS_VERSION


def _free_to_go(user) -> bool:
    """Staff are not asked; a supplier is once it accepted the version in force."""
    return user.is_staff or is_staff_member(user) or terms_accepted(user)


def settle_at_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: settle the question once for the session (a supplier still to accept is asked on
    its first portal page)."""
    if request is not None and hasattr(request, "session") and _free_to_go(user):
        remember_acceptance(request)


def terms_gate(get_response):
    def middleware(request):
        user = getattr(request, "user", None)
        if (
            request.path.startswith(GATED_PREFIX)
            and user is not None
            and user.is_authenticated
            and request.session.get(SESSION_KEY) != settings.TERMS_VERSION
        ):
            if not _free_to_go(user):
                return redirect(f"{reverse('accounts:terms')}?{urlencode({'next': request.get_full_path()})}")
            remember_acceptance(request)
        return get_response(request)

    return middleware

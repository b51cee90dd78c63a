"""Decisions people must not take by accident: the one confirmation step of every irreversible action.

A page view that takes an irreversible decision (a category admitted or rejected, an exclusion, a
publication, an opening, an approval, a signature, a bid deposited or withdrawn, a document deleted) is
declared here, once, with ``@irreversible``: its POST acts only when it carries ``confirmed=1``. Without
it the view does nothing and answers with a confirmation page that says what the action does, with
"Confirmer" (the same POST again, confirmed) and "Annuler" (back to the page the person came from).

With JavaScript the person never sees that page: the form asks ``{% confirm_attrs url %}`` for the
action's question, ``static/js/forms.js`` opens a native dialog with it and sends the form confirmed.
Without JavaScript the server's page is the dialog. Either way the rule lives in one place: the
decorator, whose register (``REGISTRY``) the tests compare with the list of the platform's decisions.

The REST API is not concerned: a program that calls an endpoint has already decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

CONFIRMED = "confirmed"

# Fields of a post that are not re-sent by the confirmation page (the page has its own token).
_NOT_RESENT = {"csrfmiddlewaretoken", CONFIRMED}

# The sections whose pages are laid out by console/base.html; every other page by portal/base.html.
_CONSOLE_NAMESPACES = {"console", "tenders_console"}


@dataclass(frozen=True)
class Irreversible:
    """What an irreversible action is, in the words of its confirmation.

    ``when(data, kwargs)`` narrows it when one view serves several actions: the posted data (a mapping)
    and the URL's keyword arguments say whether this post is the irreversible one.
    """

    question: str
    consequences: str
    when: Callable[[Mapping, Mapping], bool] | None = None

    def applies(self, data: Mapping, kwargs: Mapping) -> bool:
        return self.when is None or bool(self.when(data, kwargs))


# view (module.qualname) → its irreversible actions (one view may serve several, each with its ``when``).
REGISTRY: dict[str, tuple[Irreversible, ...]] = {}


def view_key(view) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def irreversible(question, consequences, *, when: Callable[[Mapping, Mapping], bool] | None = None):
    """Declare a view's POST irreversible: without ``confirmed=1`` it shows the confirmation page instead.

    Put it under the decorators that decide who may open the page (``login_required``, ``staff_required``),
    so that only those who may act are asked to confirm. A view serving several actions stacks one
    decorator per action, each with its ``when``.
    """
    action = Irreversible(question=question, consequences=consequences, when=when)

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if (
                request.method == "POST"
                and not is_confirmed(request)
                and action.applies(request.POST, kwargs)
            ):
                return confirmation_page(request, action)
            return view(request, *args, **kwargs)

        # ``wraps`` copies this attribute onto the decorators applied above, so the URL resolver's view has it.
        wrapper.irreversible_actions = (*getattr(view, "irreversible_actions", ()), action)
        REGISTRY[view_key(view)] = wrapper.irreversible_actions
        return wrapper

    return decorate


def action_for_url(url: str, data: Mapping | None = None) -> Irreversible | None:
    """The irreversible action a post to ``url`` (with ``data``) would take, if any."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    for action in getattr(match.func, "irreversible_actions", ()):
        if action.applies(data or {}, match.kwargs):
            return action
    return None


def _section_home(request) -> tuple[str, str]:
    """The layout and the home page of the section the request is in (console or portal)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace in _CONSOLE_NAMESPACES:
        return "console/base.html", reverse("console:dashboard")
    return "portal/base.html", reverse("portal:dashboard")


def _cancel_url(request, fallback: str) -> str:
    """Back to the page the form was on (when it is one of ours), else the section's home page."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path != request.path:
            return referer
    return fallback


def confirmation_page(request, action: Irreversible):
    """The page that asks before acting: the action, its consequences, and the post to send again."""
    base_template, home = _section_home(request)
    fields = [
        (name, value) for name, values in request.POST.lists() if name not in _NOT_RESENT for value in values
    ]
    return render(
        request,
        "confirm.html",
        {
            "base_template": base_template,
            "action": action,
            "target": request.get_full_path(),
            "fields": fields,
            "files_dropped": bool(request.FILES),
            "cancel_url": _cancel_url(request, home),
        },
    )

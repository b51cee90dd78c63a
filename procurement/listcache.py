"""Cached list pages and API lists: what many people read and few change, built once per change.

A cached entry is keyed by:

- the **version** of the data: one counter in the cache, incremented after every commit that wrote a model
  of the project (``bump`` is queued with ``transaction.on_commit`` by the signal handlers connected in
  ``procurement.apps``; a rolled-back write bumps nothing). An entry of an older version is never read again
  and expires on its own. ``QuerySet.update()`` and ``bulk_create()`` send no signal: a service whose only
  write to a listed model is one of those calls ``bump_after_commit()`` itself;
- the **caller**: the user (anonymous callers share one scope). A supplier's entry holds only its own
  companies' rows, a staff member's only what that member's roles show; no entry is shared between two
  people, so no cache can hand one company's rows, or content still sealed for a buyer, to anyone else;
- for pages, the CSRF secret of the browser (the forms of a fragment carry a token derived from it);
- the page (its name), the whole query string, the language and today's date (overdue, days left, expiring).

``LIST_CACHE_SECONDS`` bounds the life of an entry (and so how late a figure that moves with the clock alone,
such as a deadline passing, can be shown). It is 0 (no list cache) when the cache is each process's memory
(``locmemcache://``, the embedded default): a write served by one worker could not reach the others' memory.
Production sets ``CACHE_URL=redis://…``, where every worker sees the same version.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.safestring import mark_safe

from . import clock

VERSION_KEY = "lists:version"


def enabled() -> bool:
    return settings.LIST_CACHE_SECONDS > 0


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        # Lost (evicted, or a fresh cache): start from the clock, above any version already used.
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        current = cache.get(VERSION_KEY)
    return current


def bump() -> None:
    """Every cached list becomes stale (its key names the old version)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns() // 1000, timeout=None)


def bump_after_commit() -> None:
    if enabled():
        transaction.on_commit(bump)


def scope(user) -> str:
    """Who the entry is for: nobody's entry is ever read by somebody else."""
    return f"user:{user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"


def key(request, name: str, *extra: str) -> str:
    today = clock.today().isoformat()
    query = request.META.get("QUERY_STRING", "")
    raw = "|".join([scope(request.user), translation.get_language() or "", today, query, *extra])
    return f"lists:{version()}:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"


def fragment(request, name: str, template: str, build) -> str:
    """The HTML of ``template`` rendered with the context ``build()`` returns, from the cache when it holds
    it for this caller, page, query and version. ``build`` runs the selectors only on a miss."""
    from django.template.loader import render_to_string

    if not enabled():
        return mark_safe(render_to_string(template, build(), request=request))  # noqa: S308  our template
    get_token(request)  # the browser's CSRF secret exists and is part of the key
    csrf = hashlib.sha256(request.META["CSRF_COOKIE"].encode()).hexdigest()
    entry_key = key(request, name, csrf)
    html = cache.get(entry_key)
    if html is None:
        html = render_to_string(template, build(), request=request)
        cache.set(entry_key, html, settings.LIST_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308  rendered by our own template


def api_response(request, name: str, build) -> HttpResponse:
    """An API list's JSON body with an ETag, from the cache when it holds it; ``If-None-Match`` with the
    same ETag gets a 304. ``build`` returns the body (bytes) and runs only on a miss."""
    entry_key = key(request, name) if enabled() else None  # the version is read before the data
    entry = cache.get(entry_key) if entry_key else None
    if entry is None:
        body = build()
        entry = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        if entry_key:
            cache.set(entry_key, entry, settings.LIST_CACHE_SECONDS)
    body, etag = entry
    if etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization, Cookie, Accept-Language"
    return response

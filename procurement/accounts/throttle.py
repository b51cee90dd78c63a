"""Limits on what can be tried anonymously: logins (pages and API), registrations, verification mails and
password-reset mails, counted per email address and per network address in the cache (Redis in production,
so that every worker shares the counts).

- Login: after ``LOGIN_FAILURES_PER_ADDRESS`` failures for one email address (or ``LOGIN_FAILURES_PER_IP`` from
  one network address) within ``LOGIN_LOCKOUT_MINUTES``, logging in with it is refused for that long, even with
  the right password. A successful login clears the address's count.
- Mails sent on request (registration, new verification link, password reset): at most ``ACCOUNT_MAILS_PER_ADDRESS``
  per address and ``ACCOUNT_MAILS_PER_IP`` per network address an hour.

Email addresses are keyed by their hash: the cache holds no address.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

from procurement.errors import TooManyAttempts

_MAIL_WINDOW = 3600


def client_ip(request) -> str:
    """The caller's network address: REMOTE_ADDR, or behind ``TRUSTED_PROXIES`` reverse proxies the address
    they saw (the one that many places from the right of X-Forwarded-For)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _address_key(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def _keys(action: str, request, email: str) -> list[tuple[str, int]]:
    """(counter key, limit) for the email address and for the network address."""
    if action == "login":
        per_address, per_ip = settings.LOGIN_FAILURES_PER_ADDRESS, settings.LOGIN_FAILURES_PER_IP
    else:
        per_address, per_ip = settings.ACCOUNT_MAILS_PER_ADDRESS, settings.ACCOUNT_MAILS_PER_IP
    return [(f"throttle:{action}:address:{_address_key(email)}", per_address),
            (f"throttle:{action}:ip:{client_ip(request)}", per_ip)]


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _locked_for(keys) -> int:
    """Seconds left of the longest lock on these keys (0: none)."""
    now = time.time()
    until = max((cache.get(f"{key}:locked-until") or 0) for key, _limit in keys)
    return max(0, math.ceil(until - now))


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _lock(key: str, seconds: int) -> None:
    cache.set(f"{key}:locked-until", time.time() + seconds, timeout=seconds)


# --- logins ------------------------------------------------------------------------------------------------


def login_refusal(seconds: int) -> str:
    minutes = _minutes(seconds)
    return ngettext(
        "Trop de tentatives de connexion infructueuses : la connexion avec cette adresse est bloquée pendant "
        "encore %(minutes)s minute. Réessayez plus tard ou réinitialisez votre mot de passe.",
        "Trop de tentatives de connexion infructueuses : la connexion avec cette adresse est bloquée pendant "
        "encore %(minutes)s minutes. Réessayez plus tard ou réinitialisez votre mot de passe.",
        minutes) % {"minutes": minutes}


def login_check(request, email: str) -> None:
    """Raise TooManyAttempts while this address (or network address) is locked out."""
    seconds = _locked_for(_keys("login", request, email))
    if seconds:
        raise TooManyAttempts(login_refusal(seconds), retry_after=seconds)


def login_failed(request, email: str) -> None:
    """Count a failed login; lock the address (or network address) once its limit is reached."""
    window = settings.LOGIN_LOCKOUT_MINUTES * 60
    for key, limit in _keys("login", request, email):
        if _count(key, window) >= limit:
            _lock(key, window)
            cache.delete(key)


def login_succeeded(request, email: str) -> None:
    cache.delete(_keys("login", request, email)[0][0])


# --- mails sent on request ---------------------------------------------------------------------------------


def mail_request(request, action: str, email: str) -> None:
    """Count one request for a mail (``register``, ``resend``, ``reset``) to ``email``; raise TooManyAttempts
    beyond the hourly limits. Counted whether or not an account exists, so the answer tells nothing."""
    keys = _keys(action, request, email)
    seconds = _locked_for(keys)
    if not seconds:
        for key, limit in keys:
            if _count(key, _MAIL_WINDOW) > limit:
                _lock(key, _MAIL_WINDOW)
                cache.delete(key)
                seconds = _MAIL_WINDOW
    if seconds:
        minutes = _minutes(seconds)
        raise TooManyAttempts(ngettext(
            "Trop de demandes pour cette adresse : réessayez dans %(minutes)s minute.",
            "Trop de demandes pour cette adresse : réessayez dans %(minutes)s minutes.", minutes)
            % {"minutes": minutes}, retry_after=seconds)


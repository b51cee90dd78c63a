"""Input cleaning shared by the tender services: text, amounts, integers, moments, and their display."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
MAX_TEXT = 10_000


def _text(data, field, errors, *, required=True, max_length=255):
    value = (data.get(field) or "").strip() if isinstance(data.get(field, ""), str) else ""
    if not isinstance(data.get(field, ""), str | type(None)):
        errors.setdefault(field, []).append(_("Texte attendu."))
    elif required and not value:
        errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            _("%(max)s caractères au plus.") % {"max": max_length})
    return value


def _decimal(value, field, errors, *, required=True, positive=False, places=CENT):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    try:
        number = Decimal(str(value).replace(" ", "").replace(",", "."))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Nombre décimal attendu (par exemple 1250.50)."))
        return None
    if number < 0 or (positive and number == 0):
        errors.setdefault(field, []).append(
            _("La valeur doit être strictement positive.") if positive else _("La valeur ne peut pas être négative."))
        return None
    if number >= Decimal("1e12"):
        errors.setdefault(field, []).append(_("Valeur trop grande."))
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _integer(value, field, errors, *, required=True, minimum=1, maximum=10_000):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Nombre entier attendu."))
        return None
    if not minimum <= number <= maximum:
        errors.setdefault(field, []).append(
            _("Valeur attendue entre %(min)s et %(max)s.") % {"min": minimum, "max": maximum})
        return None
    return number


def _moment(value, field, errors):
    if value in (None, ""):
        errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        errors.setdefault(field, []).append(_("Date et heure attendues (ISO 8601 avec fuseau horaire)."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # entered in the buyer's time zone (Europe/Paris)
    return value


def money(value) -> str:
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True) + " €"


def when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")

"""Numbers as people write and read them: the one reader and the one writer of amounts, quantities and
counts on the platform (forms, pages, messages, exports). ``static/js/numbers.js`` mirrors both for the
scripts, and ``tests/number_cases.json`` holds the cases the two must agree on.

Reading, one rule whatever the page's language (an English page takes French input too):

- an optional minus sign (``-`` or ``−``), then the digits of the whole part;
- these may be grouped by three with spaces, ordinary, no-break (U+00A0), narrow no-break (U+202F) or
  thin (U+2009): ``450 000``, ``1 450``; groups of another size (``12 34``) are refused;
- one decimal mark at most, a comma (the French way: ``45,50``) or a dot (as programs and spreadsheets
  write it: ``45.50``), then the decimals;
- a trailing ``€`` is allowed (people copy amounts from the pages);
- nothing else: a number with both a comma and a dot (``1.450,00``, ``1,450.00``) is refused as ambiguous
  (is the dot a thousands separator or the decimal mark?), and so are several marks (``1,2,3``),
  exponents (``1e9``), ``NaN`` and words. A refusal comes with a message that says how to write it.

Writing: on French pages ``1 450,50`` (a no-break space between thousands, a comma before the decimals,
``−`` for negatives); on English pages ``1,450.50``. A value put back into a form field is written so that
it reads back the same: grouped the French way in French, not grouped at all in English (``1450.50``:
an English comma grouping would read as a decimal comma).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

NBSP = "\u00a0"
MINUS = "\u2212"
GROUP_SPACES = " \u00a0\u202f\u2009"
_SHAPE = re.compile(
    rf"([-{MINUS}]?)([0-9]+|[0-9]{{1,3}}(?:[{GROUP_SPACES}][0-9]{{3}})+)(?:[.,]([0-9]*))?"
    rf"(?:[{GROUP_SPACES}]*€)?"
)
# language → (decimal mark, thousands separator)
SEPARATORS = {"fr": (",", NBSP), "en": (".", ",")}


def read(value) -> tuple[Decimal | None, str | None]:
    """The finite decimal ``value`` stands for, or why it is refused. Decimals and ints are taken as they
    are, floats as written (0.2, not 0.2000000000000000111); booleans and anything else are refused."""
    if isinstance(value, bool):
        return None, _expected()
    if isinstance(value, float):
        value = Decimal(repr(value))  # 1e-05 too: a float is a number, whatever its repr
    if isinstance(value, Decimal | int):
        return (Decimal(value), None) if Decimal(value).is_finite() else (None, _expected())
    if not isinstance(value, str):
        return None, _expected()
    text = value.strip()
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None, _why(text)
    sign, whole, decimals = match.groups()
    digits = re.sub(f"[{GROUP_SPACES}]", "", whole) + (f".{decimals}" if decimals else "")
    return Decimal(f"-{digits}" if sign else digits), None


def parse(value) -> Decimal | None:
    """The decimal of ``value`` (see :func:`read`), None when it is refused."""
    return read(value)[0]


def _expected() -> str:
    return _("Nombre décimal attendu, écrit par exemple 1 250,50.")


def _why(text: str) -> str:
    if "," in text and "." in text:
        return _(
            "Nombre ambigu : écrivez-le avec une virgule pour les décimales et des espaces pour les "
            "milliers, par exemple 1 250,50."
        )
    if text.count(",") + text.count(".") > 1:
        return _("Un seul séparateur décimal par nombre : par exemple 1 250,50.")
    if re.fullmatch(rf"[-{MINUS}]?[0-9{GROUP_SPACES}]+(?:[.,][0-9]*)?(?:[{GROUP_SPACES}]*€)?", text):
        return _(
            "Les chiffres se groupent par trois, par exemple 1 250 000,50 (ou sans espaces : 1250000,50)."
        )
    return _expected()


def _language(language: str | None) -> str:
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in SEPARATORS else settings.LANGUAGE_CODE


def format(
    value, places: int = 2, *, trim: bool = False, language: str | None = None, field: bool = False
) -> str:  # noqa: A001
    """``value`` written for the page's language (or ``language``): rounded half up to ``places`` decimals
    (``trim``: up to ``places``, trailing zeros dropped: ``2 350,5``), thousands grouped (``field``: as a form
    field shows it, see the module's docstring). ``""`` for a value that does not read as a number."""
    number = parse(value)
    if number is None:
        return ""
    mark, group = SEPARATORS[_language(language)]
    if field and mark == ".":
        group = ""
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # no "−0,00"
    whole, _dot, decimals = f"{abs(number):f}".partition(".")
    if trim:
        decimals = decimals.rstrip("0")
    grouped = whole if not group else re.sub(r"(?<=[0-9])(?=(?:[0-9]{3})+$)", group, whole)
    return (MINUS if number < 0 else "") + grouped + (mark + decimals if decimals else "")

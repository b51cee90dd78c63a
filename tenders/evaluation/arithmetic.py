"""Exact figures and their display.

Scores, totals, means and gaps are rationals (``Fraction``): exact, so equal totals are equal and a bid
exactly at a threshold is exactly at it. They are rounded only when shown, by ``display`` (2 decimals,
half away from zero, the usual French convention). A standard deviation is irrational: ``sqrt_decimal``
gives it to 28 significant digits for display, and decisions that depend on it compare squares instead.
"""

from __future__ import annotations

import math
import uuid
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import TypeAlias

# A bid's primary key as the caller has it (the model uses UUIDs; tests may use short strings).
BidId: TypeAlias = uuid.UUID | str | int

Number: TypeAlias = Fraction | Decimal | int


def to_exact(value: Number) -> Fraction:
    """The exact rational of an amount or a score; refuses floats, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, Fraction | Decimal | int):
        raise TypeError(f"exact figures are built from Decimal, int or Fraction, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    return Fraction(value)


def display(value: Number, places: int = 2) -> Decimal:
    """``value`` rounded to ``places`` decimals, half away from zero: 8.335 → 8.34, −0.125 → −0.13.

    Rounds the exact value once (no double rounding through an intermediate decimal).
    """
    if isinstance(value, Decimal):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    exact = to_exact(value)
    magnitude = math.floor(abs(exact) * 10**places + Fraction(1, 2))
    signed = -magnitude if exact < 0 else magnitude
    return Decimal(signed).scaleb(-places)


def sqrt_decimal(value: Number, digits: int = 28) -> Decimal:
    """The square root of a non-negative figure to ``digits`` significant digits (for display only)."""
    exact = to_exact(value)
    if exact < 0:
        raise ValueError("square root of a negative figure")
    with localcontext() as context:
        context.prec = digits + 6
        root = (Decimal(exact.numerator) / Decimal(exact.denominator)).sqrt()
        context.prec = digits
        return +root

"""The panel's figures: score validation, the spread between evaluators, the fingerprint of a sheet.

- An evaluator scores 0 to 10 in steps of 0.5 (7.5 yes, 7.25 no). A consensus score is 0 to 10 with at
  most 2 decimals (what is recorded is what the ranking shows).
- The spread per bid × criterion lists each evaluator's score, the minimum and the maximum; a spread
  (maximum − minimum) above 3 points is flagged, exactly 3 is not.
- A submitted sheet is fingerprinted: a canonical JSON of the tender, the evaluator and every score with
  its comment (sorted by bid and criterion; ids as text; scores as plain decimal strings, normalised so
  that 7.50 and 7.5 are the same score), and its SHA-256. The digest goes into the audit trail at
  submission; recomputing it later from the stored scores shows whether a locked score was changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from procurement.inputs import parse_decimal

from .arithmetic import BidId

SCORE_MIN = Decimal(0)
SCORE_MAX = Decimal(10)
SCORE_STEP = Decimal("0.5")
CONSENSUS_PLACES = 2
SPREAD_LIMIT = Decimal(3)


# --- score validation ------------------------------------------------------------------------------------


def _clean_in_range(value: object) -> tuple[Decimal | None, list[str]]:
    if value is None or value == "":
        return None, [_("Ce champ est obligatoire.")]
    number = parse_decimal(value)
    if number is None:
        return None, [_("Nombre attendu entre 0 et 10 (par exemple 7.5).")]
    if not SCORE_MIN <= number <= SCORE_MAX:
        return None, [_("La note doit être comprise entre 0 et 10.")]
    return number, []


def clean_evaluator_score(value: object) -> tuple[Decimal | None, list[str]]:
    """An evaluator's score: ``(score, [])`` when it is 0–10 in steps of 0.5, else ``(None, messages)``."""
    number, errors = _clean_in_range(value)
    if number is not None and number % SCORE_STEP != 0:
        return None, [_("La note se donne par demi-point (par exemple 7 ou 7.5).")]
    return number, errors


def clean_consensus_score(value: object) -> tuple[Decimal | None, list[str]]:
    """A consensus score: ``(score, [])`` when it is 0–10 with at most 2 decimals, else ``(None, messages)``."""
    number, errors = _clean_in_range(value)
    if number is not None and number != number.quantize(Decimal(1).scaleb(-CONSENSUS_PLACES)):
        return None, [_("La note de consensus a au plus deux décimales.")]
    return number, errors


# --- the spread ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelScore:
    evaluator_id: object
    bid_id: BidId
    criterion: str
    score: Decimal


@dataclass(frozen=True)
class Spread:
    bid_id: BidId
    criterion: str
    scores: tuple[tuple[object, Decimal], ...]  # (evaluator, score) in the order given
    minimum: Decimal
    maximum: Decimal

    @property
    def spread(self) -> Decimal:
        return self.maximum - self.minimum

    @property
    def flagged(self) -> bool:
        return self.spread > SPREAD_LIMIT


def spreads(scores: Iterable[PanelScore]) -> list[Spread]:
    """One ``Spread`` per bid × criterion, in the order each pair first appears in ``scores``."""
    grouped: dict[tuple[BidId, str], list[tuple[object, Decimal]]] = {}
    for item in scores:
        grouped.setdefault((item.bid_id, item.criterion), []).append((item.evaluator_id, item.score))
    return [Spread(bid_id=bid_id, criterion=criterion, scores=tuple(pairs),
                   minimum=min(score for _evaluator, score in pairs),
                   maximum=max(score for _evaluator, score in pairs))
            for (bid_id, criterion), pairs in grouped.items()]


# --- the sheet's fingerprint -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    bid_id: BidId
    criterion: str
    score: Decimal
    comment: str = ""


def _canonical_decimal(value: Decimal) -> str:
    # 7.50 → "7.5", 10 → "10", 0.0 → "0": one spelling per value, never an exponent.
    return format(value.normalize(), "f")


def sheet_canonical_json(*, tender_id: object, evaluator_id: object, lines: Iterable[SheetLine]) -> str:
    """The sheet as canonical JSON: sorted keys, no spaces, UTF-8 text kept, lines sorted by (bid, criterion).

    A bid × criterion given twice is a mistake (``ValueError``): a sheet holds one score per pair.
    """
    rows = sorted(
        ({"bid": str(line.bid_id), "criterion": line.criterion, "score": _canonical_decimal(line.score),
          "comment": line.comment} for line in lines),
        key=lambda row: (row["bid"], row["criterion"]))
    pairs = [(row["bid"], row["criterion"]) for row in rows]
    if len(set(pairs)) != len(pairs):
        raise ValueError("a sheet holds one score per bid and criterion")
    document = {"tender": str(tender_id), "evaluator": str(evaluator_id), "scores": rows}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sheet_sha256(*, tender_id: object, evaluator_id: object, lines: Iterable[SheetLine]) -> str:
    """SHA-256 (hex) of the UTF-8 canonical JSON of the sheet."""
    canonical = sheet_canonical_json(tender_id=tender_id, evaluator_id=evaluator_id, lines=lines)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""The ranking by weighted total, and the tie-break stated in the tender.

Bids are ordered by weighted total, highest first, compared exactly. Bids with the same total are
separated by the tender's ``tie_break``: a list of rules tried in order, each one of

- a criterion code: the higher score on that criterion wins;
- ``price``: the lower total price wins;
- ``received_at``: the earlier receipt wins.

The default is the heaviest non-price criterion (``delay`` counts as non-price; between criteria of the
same weight, the first in the tender's order), then ``price``, then ``received_at``. Whatever the tender
lists, ``received_at`` is appended when absent: receipt times are taken under the tender's row lock and
are distinct, so every tie is settled and every rank is distinct. Should two receipt times ever be
identical, the bids are ordered by their id (as text) and the decision says ``bid_id``.

Each ranked bid says which other bids had the same total and which rule decided its place; the ranking
also lists every decision between two neighbours (with the two values compared) for the ranking page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from .arithmetic import BidId
from .pricing import PRICE, Criterion

PRICE_RULE = "price"
RECEIPT_RULE = "received_at"
ID_RULE = "bid_id"  # never stated by a tender: the last resort when two receipt times are identical
RESERVED_RULES = (PRICE_RULE, RECEIPT_RULE)


@dataclass(frozen=True)
class Contender:
    """A scored admissible bid: its weighted total, its score per criterion code, its price and receipt."""

    bid_id: BidId
    total: Fraction
    scores: Mapping[str, Fraction]
    total_price: Decimal
    received_at: dt.datetime


@dataclass(frozen=True)
class TieDecision:
    """Two neighbours with the same total: ``ahead`` was placed first by ``rule``, on these values."""

    ahead: BidId
    behind: BidId
    rule: str
    ahead_value: object
    behind_value: object


@dataclass(frozen=True)
class RankedBid:
    bid_id: BidId
    rank: int  # 1 is the best; ranks are distinct
    total: Fraction
    tied_with: tuple[BidId, ...]  # the other bids with exactly the same total, in rank order
    # The rule that placed this bid after the bid just above it with the same total; for the first of
    # such a group, the rule that placed it before the bid just below. None when its total is unique.
    decided_by: str | None


@dataclass(frozen=True)
class Ranking:
    rules: tuple[str, ...]  # the tie-break applied, received_at included
    bids: tuple[RankedBid, ...]
    decisions: tuple[TieDecision, ...]


def default_tie_break(criteria: Sequence[Criterion]) -> tuple[str, ...]:
    """The heaviest non-price criterion (first of equal weights), then the price, then the receipt."""
    others = [c for c in criteria if c.kind != PRICE]
    heaviest = max(others, key=lambda c: c.weight, default=None)  # max keeps the first of equal weights
    return ((heaviest.code,) if heaviest else ()) + (PRICE_RULE, RECEIPT_RULE)


def applied_tie_break(tie_break: Sequence[str] | None, criteria: Sequence[Criterion]) -> tuple[str, ...]:
    """The tender's rule (or the default) with ``received_at`` appended when it is absent."""
    rules = tuple(tie_break) if tie_break else default_tie_break(criteria)
    return rules if RECEIPT_RULE in rules else rules + (RECEIPT_RULE,)


def validate_tie_break(value: object, criteria: Sequence[Criterion], *, field: str = "tie_break"
                       ) -> tuple[tuple[str, ...] | None, dict[str, list[str]]]:
    """Check a tender's ``tie_break``: ``(rules, {})`` when valid (None for the default), else ``(None, errors)``.

    Each item is a criterion code of the tender, ``price`` or ``received_at``, at most once. A non-price
    criterion whose code is ``price`` or ``received_at`` would be ambiguous and is refused here.
    """
    if value is None or value == []:
        return None, {}
    if not isinstance(value, list | tuple):
        return None, {field: [_("Liste attendue : codes de critères, « price » ou « received_at ».")]}
    codes = {c.code: c for c in criteria}
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, item in enumerate(value):
        key = f"{field}[{index}]"
        if not isinstance(item, str) or not item.strip():
            errors.setdefault(key, []).append(_("Code de critère attendu."))
            continue
        item = item.strip()
        if item in seen:
            errors.setdefault(key, []).append(_("« %(value)s » est utilisé deux fois.") % {"value": item})
        elif item in RESERVED_RULES and item in codes and codes[item].kind != PRICE:
            errors.setdefault(key, []).append(
                _("« %(value)s » est ambigu : c'est aussi le code d'un critère qui n'est pas le prix.")
                % {"value": item})
        elif item not in codes and item not in RESERVED_RULES:
            errors.setdefault(key, []).append(
                _("« %(value)s » n'est ni un critère de la consultation, ni « price », ni « received_at ».")
                % {"value": item})
        seen.add(item)
    if errors:
        return None, errors
    return tuple(item.strip() for item in value), {}


def _value(contender: Contender, rule: str) -> object:
    if rule == PRICE_RULE:
        return contender.total_price
    if rule == RECEIPT_RULE:
        return contender.received_at
    if rule == ID_RULE:
        return str(contender.bid_id)
    if rule not in contender.scores:
        raise ValueError(f"bid {contender.bid_id} has no score for the tie-break criterion {rule!r}")
    return contender.scores[rule]


def _sort_key(contender: Contender, rules: Sequence[str]) -> tuple:
    # Higher is better for the total and for criterion scores: negate them; lower is better otherwise.
    parts: list[object] = [-contender.total]
    for rule in rules:
        value = _value(contender, rule)
        parts.append(value if rule in (PRICE_RULE, RECEIPT_RULE, ID_RULE) else -value)
    return tuple(parts)


def rank(contenders: Sequence[Contender], criteria: Sequence[Criterion],
         tie_break: Sequence[str] | None = None) -> Ranking:
    """Rank the admissible bids; ``tie_break`` is the tender's rule (None: the default)."""
    rules = applied_tie_break(tie_break, criteria)
    keyed_rules = rules + (ID_RULE,)
    ordered = sorted(contenders, key=lambda c: _sort_key(c, keyed_rules))

    decisions: list[TieDecision] = []
    decided_by: dict[int, str] = {}  # index in ``ordered`` → rule
    for index in range(len(ordered) - 1):
        ahead, behind = ordered[index], ordered[index + 1]
        if ahead.total != behind.total:
            continue
        rule = next((r for r in keyed_rules if _value(ahead, r) != _value(behind, r)), ID_RULE)
        decisions.append(TieDecision(ahead=ahead.bid_id, behind=behind.bid_id, rule=rule,
                                     ahead_value=_value(ahead, rule), behind_value=_value(behind, rule)))
        decided_by[index + 1] = rule
        decided_by.setdefault(index, rule)

    ranked = []
    for index, contender in enumerate(ordered):
        tied = tuple(other.bid_id for other in ordered
                     if other is not contender and other.total == contender.total)
        ranked.append(RankedBid(bid_id=contender.bid_id, rank=index + 1, total=contender.total, tied_with=tied,
                                decided_by=decided_by.get(index)))
    return Ranking(rules=rules, bids=tuple(ranked), decisions=tuple(decisions))

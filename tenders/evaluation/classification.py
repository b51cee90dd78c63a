"""What the classification page suggests for an opened bid: a hint for the buyer, never a decision.

The decision is the buyer's (DOMAIN.md "Decisions left to people"); this module only points at what a
reader would check first:

- ``unacceptable`` when the total price is above the budget fixed beforehand (L2152-3);
- ``irregular`` when a document the tender expects is missing, when a line of the price schedule is not
  priced, or when the total is not the sum of the lines (L2152-2);
- nothing otherwise.

A bid suspected of being abnormally low is never suggested for rejection: the suspicion is shown apart
and calls for a justification request (L2152-5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from procurement import numbers

UNACCEPTABLE = "unacceptable"
IRREGULAR = "irregular"

# The bid documents a tender expects: the technical memo as soon as a criterion is judged on it.
TECHNICAL_MEMO = "technical_memo"
TECHNICAL = "technical"


@dataclass(frozen=True)
class Suggestion:
    decision: str | None  # unacceptable, irregular, or None (nothing to point at)
    reasons: tuple[str, ...] = field(default_factory=tuple)


def expected_document_kinds(criterion_kinds: Iterable[str]) -> tuple[str, ...]:
    """The document kinds a bid should carry for this tender's criteria."""
    return (TECHNICAL_MEMO,) if TECHNICAL in set(criterion_kinds) else ()


def suggest(*, total_price: Decimal | None, budget_ceiling: Decimal | None, document_kinds: Iterable[str],
            expected_kinds: Iterable[str], kind_labels: dict[str, str], unpriced_refs: Iterable[str],
            schedule_total: Decimal | None) -> Suggestion:
    """The suggestion for one bid, with every reason behind it (above the budget wins over irregular)."""
    if total_price is not None and budget_ceiling is not None and total_price > budget_ceiling:
        return Suggestion(UNACCEPTABLE, (
            _("Prix total au-dessus du budget maximal fixé avant la consultation (%(price)s € > %(ceiling)s €).")
            % {"price": _money(total_price), "ceiling": _money(budget_ceiling)},))
    reasons = []
    present = set(document_kinds)
    for kind in expected_kinds:
        if kind not in present:
            reasons.append(_("Pièce attendue absente : %(kind)s.") % {"kind": kind_labels.get(kind, kind)})
    unpriced = list(unpriced_refs)
    if unpriced:
        reasons.append(_("Lignes du bordereau non chiffrées : %(refs)s.") % {"refs": ", ".join(unpriced)})
    elif schedule_total is not None and total_price is not None and schedule_total != total_price:
        reasons.append(_("Le prix total (%(price)s €) n'est pas la somme des lignes du bordereau (%(sum)s €).")
                       % {"price": _money(total_price), "sum": _money(schedule_total)})
    return Suggestion(IRREGULAR if reasons else None, tuple(reasons))


def _money(value: Decimal) -> str:
    return numbers.format(value, 2)

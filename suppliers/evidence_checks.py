"""Whether a company's evidence proves its situation: the checklist asked of an intended winner.

Before an award is approved, and again before its contract is signed, the winner must hold (DOMAIN.md
"Evidence" and "Award"):

- ``kbis``: issued under 3 months before today (else ``too_old``);
- ``urssaf_vigilance``: issued under 6 months before today (else ``too_old``);
- ``tax_certificate``;
- ``liability_insurance`` and ``decennial_insurance``: their ``activities`` include the trade of the
  category (else ``not_matching``);

and none of them may expire before the expected start of the works (else ``expired``). A kind with no
document at all is ``missing``. When a company holds several documents of a kind, a valid one is enough;
otherwise the most recently issued one says what is wrong.

This is a rule about suppliers: tenders call it with the trade and the works start of their tender.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from procurement import calendar, clock
from procurement.models import EvidenceKind, Trade

from .models import INSURANCE_KINDS, Company, EvidenceDocument

VALID, MISSING, EXPIRED, TOO_OLD, NOT_MATCHING = "valid", "missing", "expired", "too_old", "not_matching"
CHECK_STATUSES = (VALID, MISSING, EXPIRED, TOO_OLD, NOT_MATCHING)

WINNER_KINDS = (EvidenceKind.KBIS, EvidenceKind.URSSAF_VIGILANCE, EvidenceKind.TAX_CERTIFICATE,
                EvidenceKind.LIABILITY_INSURANCE, EvidenceKind.DECENNIAL_INSURANCE)

# The most a document of these kinds may be aged (months since its issue) when a winner is checked.
MAX_AGE_MONTHS = {EvidenceKind.KBIS: 3, EvidenceKind.URSSAF_VIGILANCE: 6}


@dataclass(frozen=True)
class EvidenceCheck:
    kind: str
    status: str
    document: EvidenceDocument | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == VALID

    @property
    def label(self) -> str:
        return str(EvidenceKind(self.kind).label)


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _problem(document: EvidenceDocument, kind: str, *, trade: str, today: dt.date,
             works_start: dt.date) -> tuple[str, str] | None:
    """What is wrong with this document for a winner (None: nothing)."""
    if not document.is_valid_on(today):
        return EXPIRED, _("Expiré depuis le %(date)s.") % {"date": _date(document.valid_until)}
    months = MAX_AGE_MONTHS.get(kind)
    if months is not None and document.issued_on <= calendar.add_months(today, -months):
        return TOO_OLD, _("Délivré le %(date)s : il doit dater de moins de %(months)s mois.") % {
            "date": _date(document.issued_on), "months": months}
    if not document.is_valid_on(works_start):
        return EXPIRED, _("Expire le %(date)s, avant le début prévu des travaux (%(start)s).") % {
            "date": _date(document.valid_until), "start": _date(works_start)}
    if kind in INSURANCE_KINDS and trade not in (document.activities or []):
        covered = ", ".join(document.activity_labels) or _("aucune activité déclarée")
        return NOT_MATCHING, _("Les activités couvertes (%(covered)s) ne comprennent pas « %(trade)s ».") % {
            "covered": covered, "trade": Trade(trade).label if trade in Trade.values else trade}
    return None


def winner_evidence(company: Company, *, trade: str, today: dt.date | None = None,
                    works_start: dt.date | None = None, documents=None) -> list[EvidenceCheck]:
    """One check per kind of ``WINNER_KINDS``, in that order. ``documents`` may be given already loaded."""
    today = today or clock.today()
    works_start = max(works_start or today, today)
    documents = list(company.documents.all() if documents is None else documents)
    checks = []
    for kind in WINNER_KINDS:
        own = sorted((d for d in documents if d.kind == kind), key=lambda d: (d.issued_on, d.uploaded_at),
                     reverse=True)
        if not own:
            checks.append(EvidenceCheck(kind=kind, status=MISSING, document=None,
                                        detail=_("Aucun document de ce type n'a été déposé.")))
            continue
        problems = [(d, _problem(d, kind, trade=trade, today=today, works_start=works_start)) for d in own]
        good = next((d for d, problem in problems if problem is None), None)
        if good is not None:
            detail = _("Délivré le %(date)s.") % {"date": _date(good.issued_on)}
            if good.valid_until:
                detail += " " + _("Valide jusqu'au %(date)s.") % {"date": _date(good.valid_until)}
            checks.append(EvidenceCheck(kind=kind, status=VALID, document=good, detail=detail))
        else:
            document, (status, detail) = problems[0]
            checks.append(EvidenceCheck(kind=kind, status=status, document=document, detail=detail))
    return checks


def evidence_problems(checks) -> dict[str, list[str]]:
    """The failed checks as ``errors``: one entry per missing or invalid kind."""
    return {check.kind: [f"{check.label} : {check.detail}"] for check in checks if not check.ok}

"""Whether a company's evidence proves its situation: the dossier of an application (``dossier_checks``) and
the checklist asked of an intended winner (``winner_evidence``). Only current documents count
(``EvidenceDocumentQuerySet.current``): a superseded one is history.

The dossier of an application, per category (DOMAIN.md "Applications"): a sworn declaration, a valid document
of each required kind (RGE or Qualibat "or equivalent"), and the category's minimum annual turnover. The portal
says "dossier complet" and the console's review shows its checks from this one function, so the two never
disagree. A missing or expired document or declaration blocks the submission (``Dossier.missing_items``); a
turnover below the minimum does not (the buyer judges, and may accept other proof of capacity), but the
dossier is not complete and both sides show it.

The winner's checklist:

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
from decimal import Decimal, InvalidOperation

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


class _KindStatus:
    """What a check of one evidence kind says: ``ok`` when its status is ``VALID``, and the kind's label."""

    kind: str
    status: str

    @property
    def ok(self) -> bool:
        return self.status == VALID

    @property
    def label(self) -> str:
        return str(EvidenceKind(self.kind).label)


@dataclass(frozen=True)
class EvidenceCheck(_KindStatus):
    kind: str
    status: str
    document: EvidenceDocument | None
    detail: str


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
    documents = _current(company, documents)
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


def _current(company: Company, documents) -> list[EvidenceDocument]:
    """The company's current documents (those given, already loaded, or read now)."""
    if documents is None:
        return list(company.documents.current())
    return [document for document in documents if document.is_current]


# --- an application's dossier ---------------------------------------------------------------------------

# Qualifications accepted "or equivalent" (DOMAIN.md): another proof may stand in for them.
QUALIFICATION_KINDS = {EvidenceKind.RGE_CERTIFICATE, EvidenceKind.QUALIBAT_CERTIFICATE}


def declared_turnover(company: Company) -> tuple[int | None, Decimal | None]:
    """The turnover compared with a category's minimum: the most recent year the company declared."""
    latest = None
    for item in company.turnovers or []:
        try:
            year, amount = int(item["year"]), Decimal(str(item["amount"]))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            continue
        if latest is None or year > latest[0]:
            latest = (year, amount)
    return latest or (None, None)


@dataclass(frozen=True)
class TurnoverCheck:
    minimum: Decimal
    year: int | None
    amount: Decimal | None

    @property
    def required(self) -> bool:
        return self.minimum > 0

    @property
    def ok(self) -> bool:
        return not self.required or (self.amount is not None and self.amount >= self.minimum)


@dataclass(frozen=True)
class DossierItem(_KindStatus):
    """One required evidence kind of a category: ``VALID``, ``MISSING`` or ``EXPIRED``."""

    key: str
    kind: str
    status: str
    message: str


@dataclass(frozen=True)
class CategoryDossier:
    category: object
    evidence: list[DossierItem]
    turnover: TurnoverCheck

    @property
    def missing(self) -> list[str]:
        """What blocks the submission for this category."""
        return [item.message for item in self.evidence if not item.ok]

    @property
    def complete(self) -> bool:
        """Everything the category asks is there: "dossier complet"."""
        return not self.missing and self.turnover.ok


@dataclass(frozen=True)
class Dossier:
    declaration_missing: list[str]
    categories: list[CategoryDossier]

    def missing_items(self) -> dict[str, list[str]]:
        """What blocks the submission, one entry per item: ``declaration`` and ``category:<code>:<kind>``."""
        out: dict[str, list[str]] = {}
        if self.declaration_missing:
            out["declaration"] = list(self.declaration_missing)
        for dossier in self.categories:
            for item in dossier.evidence:
                if not item.ok:
                    out[item.key] = [item.message]
        return out

    def by_category_id(self) -> dict:
        return {dossier.category.id: dossier for dossier in self.categories}


def dossier_checks(company: Company, categories, *, at: dt.date | None = None, documents=None,
                   declaration=None) -> Dossier:
    """The company's dossier for these categories on ``at`` (today). ``documents`` and ``declaration`` may be
    given already loaded (the latest declaration, or None when there is none)."""
    at = at or clock.today()
    if declaration is None:
        declaration = company.declarations.order_by("-version").first()
    declaration_missing = [] if declaration is not None and declaration.sworn else [
        _("La déclaration sur l'honneur n'a pas été faite et signée.")]
    current = _current(company, documents)
    valid_kinds = {d.kind for d in current if d.is_valid_on(at)}
    expired_kinds = {d.kind for d in current if not d.is_valid_on(at)} - valid_kinds
    year, amount = declared_turnover(company)
    dossiers = []
    for category in categories:
        items = []
        for kind in category.required_evidence:
            label = EvidenceKind(kind).label
            key = f"category:{category.code}:{kind}"
            if kind in valid_kinds or (
                    # "or equivalent": another qualification or proof; the buyer judges equivalence
                    kind in QUALIFICATION_KINDS and valid_kinds & (QUALIFICATION_KINDS | {EvidenceKind.OTHER})):
                items.append(DossierItem(key=key, kind=kind, status=VALID, message=""))
            elif kind in expired_kinds:
                items.append(DossierItem(key=key, kind=kind, status=EXPIRED, message=_(
                    "%(document)s : le document fourni a expiré, déposez-en un à jour.") % {"document": label}))
            else:
                items.append(DossierItem(key=key, kind=kind, status=MISSING, message=_(
                    "%(document)s : document manquant.") % {"document": label}))
        turnover = TurnoverCheck(minimum=Decimal(category.min_turnover or 0), year=year, amount=amount)
        dossiers.append(CategoryDossier(category=category, evidence=items, turnover=turnover))
    return Dossier(declaration_missing=declaration_missing, categories=dossiers)

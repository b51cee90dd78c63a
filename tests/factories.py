"""Test data, built through the services wherever a state matters (FSM fields are protected).

Usage::

    buyer = StaffFactory(roles=["buyer"])
    dps = DPSFactory(published=True)                 # open DPS, published by a buyer
    category = CategoryFactory(dps=dps)
    company, user = ready_company([category])        # member + declaration + every required document
    application = submitted_application(company=company, user=user, dps=dps, categories=[category])
    admission = admitted_company(category)           # an Admission in state "admitted"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal

import factory
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from procurement.accounts.models import TermsAcceptance, User
from procurement.accounts.services import staff_create_or_update
from procurement.models import Category, DynamicPurchasingSystem, EvidenceKind, Trade
from procurement.services import category_create, dps_create, dps_publish
from suppliers.identifiers import make_siret, vat_for_siren
from suppliers.models import (
    EXCLUSION_GROUNDS,
    Admission,
    Application,
    Company,
    Declaration,
    EvidenceDocument,
    Membership,
    MembershipRole,
)
from suppliers.services import (
    application_create,
    application_decide,
    application_submit,
    company_create,
    declaration_submit,
    evidence_upload,
)

DEFAULT_PASSWORD = "Test-passw0rd-2026"

# The smallest file evidence_files.check_upload accepts as a PDF.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

DEFAULT_REQUIRED_EVIDENCE = [
    EvidenceKind.KBIS,
    EvidenceKind.URSSAF_VIGILANCE,
    EvidenceKind.LIABILITY_INSURANCE,
    EvidenceKind.RGE_CERTIFICATE,
]


# --- identifiers -----------------------------------------------------------------------------------

def valid_siren(n: int) -> str:
    """A Luhn-valid 9-digit SIREN derived from ``n`` (never La Poste's 356000000)."""
    base = f"{(n * 7919 + 12345678) % 10**8:08d}"
    if base.startswith("0"):
        base = "4" + base[1:]
    if base == "35600000":
        base = "35600001"
    return make_siret(base)[:9]


def valid_siret(n: int, establishment: int = 1) -> str:
    """A valid 14-digit SIRET: a valid SIREN, a 4-digit NIC, and the Luhn check digit of the 13 digits."""
    return make_siret(valid_siren(n)[:8], establishment)


def french_vat(siren: str) -> str:
    return vat_for_siren(siren)


_siret_counter = itertools.count(1)


def next_siret() -> str:
    while True:
        siret = valid_siret(next(_siret_counter) + 1000)
        if not Company.objects.filter(siret=siret).exists():
            return siret


# --- people ------------------------------------------------------------------------------------------

class UserFactory(factory.django.DjangoModelFactory):
    """A verified supplier-side account."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def terms(obj, create, extracted, **kwargs):
        """The terms of use in force accepted, as registering through the pages records it; ``terms=False``:
        an account that has not accepted them (made through the API, or before the version changed)."""
        if create and extracted is not False:
            TermsAcceptance.objects.create(user=obj, version=settings.TERMS_VERSION, accepted_at=timezone.now())

    class Params:
        unverified = factory.Trait(email_verified_at=None)


class StaffFactory(factory.Factory):
    """A staff account created through staff_create_or_update: ``StaffFactory(roles=["buyer"])``."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"agent{n}@sad-renovation.fr")
    roles = factory.LazyFunction(lambda: ["buyer"])
    password = DEFAULT_PASSWORD
    first_name = "Claire"
    last_name = factory.Sequence(lambda n: f"Dubois{n}")

    @classmethod
    def _create(cls, model_class, *, email, roles, password, first_name, last_name, **kwargs):
        return staff_create_or_update(email=email, roles=list(roles), password=password,
                                      first_name=first_name, last_name=last_name, **kwargs)

    _build = _create


def buyer() -> User:
    return StaffFactory(roles=["buyer"])


# --- companies ---------------------------------------------------------------------------------------

class CompanyFactory(factory.Factory):
    """A French company created by ``owner`` (a verified user, made if not given) via company_create."""

    class Meta:
        model = Company

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Bâtiment Nord {n} SARL")
    siret = factory.LazyFunction(next_siret)
    street = "12 rue de la République"
    postal_code = "59000"
    city = "Lille"
    turnovers = factory.LazyFunction(lambda: [{"year": timezone.localdate().year - 1, "amount": "2500000.00"}])
    employees = 25

    @classmethod
    def _create(cls, model_class, *, owner, **data):
        return company_create(actor=owner, data=data)

    _build = _create


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = MembershipRole.MEMBER


def company_owner(company: Company) -> User:
    return company.memberships.filter(role=MembershipRole.ADMIN).select_related("user").first().user


# --- DPS and categories ------------------------------------------------------------------------------

class DPSFactory(factory.Factory):
    """A DPS created by a buyer; ``DPSFactory(published=True)`` adds a category and publishes it."""

    class Meta:
        model = DynamicPurchasingSystem

    actor = factory.SubFactory(StaffFactory, roles=["buyer"])
    reference = factory.Sequence(lambda n: f"SAD-2026-{n:03d}")
    title = "SAD Rénovation énergétique"
    description = "Travaux de rénovation énergétique du patrimoine."
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=4 * 365))
    initial_decision_days = None
    published = False

    @classmethod
    def _create(cls, model_class, *, actor, published, **kwargs):
        dps = dps_create(actor=actor, **kwargs)
        if published:
            if not dps.categories.exists():
                CategoryFactory(dps=dps, actor=actor)
            dps = dps_publish(actor=actor, dps=dps)
        return dps

    _build = _create


class CategoryFactory(factory.Factory):
    class Meta:
        model = Category

    dps = factory.SubFactory(DPSFactory)
    actor = factory.SelfAttribute("dps.created_by")
    code = factory.Sequence(lambda n: f"CAT-{n:03d}")
    name = factory.Sequence(lambda n: f"Isolation thermique par l'extérieur — Nord (59) lot {n}")
    trade = Trade.EXTERNAL_WALL_INSULATION
    territories = factory.LazyFunction(lambda: ["59"])
    max_contract_value = Decimal("500000")
    min_turnover = Decimal("500000")
    required_evidence = factory.LazyFunction(lambda: [str(k) for k in DEFAULT_REQUIRED_EVIDENCE])
    min_turnover_justification = ""

    @classmethod
    def _create(cls, model_class, *, actor, **kwargs):
        return category_create(actor=actor, **kwargs)

    _build = _create


# --- declarations and evidence -------------------------------------------------------------------------

def all_grounds_false() -> dict:
    return dict.fromkeys(EXCLUSION_GROUNDS, False)


class DeclarationFactory(factory.Factory):
    """A sworn declaration, no exclusion ground applying, via declaration_submit."""

    class Meta:
        model = Declaration

    company = factory.SubFactory(CompanyFactory)
    actor = factory.LazyAttribute(lambda o: company_owner(o.company))
    exclusion_grounds = factory.LazyFunction(all_grounds_false)
    capacities = factory.LazyFunction(lambda: {
        "turnovers": [{"year": timezone.localdate().year - 1, "amount": "2500000"}],
        "staff": 25,
        "references": [{"title": "ITE de 48 logements", "client": "Bailleur social", "year": 2024}],
    })
    sworn = True
    signatory = "Jean Dupont, gérant"

    @classmethod
    def _create(cls, model_class, *, actor, **kwargs):
        return declaration_submit(actor=actor, **kwargs)

    _build = _create


def pdf_file(name: str = "attestation.pdf", content: bytes = TINY_PDF) -> ContentFile:
    return ContentFile(content, name=name)


class EvidenceDocumentFactory(factory.Factory):
    """A document uploaded through evidence_upload (content sniffed, fingerprinted, stored)."""

    class Meta:
        model = EvidenceDocument

    company = factory.SubFactory(CompanyFactory)
    actor = factory.LazyAttribute(lambda o: company_owner(o.company))
    kind = EvidenceKind.KBIS
    content = TINY_PDF
    filename = factory.LazyAttribute(lambda o: f"{o.kind}.pdf")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    activities = None

    @classmethod
    def _create(cls, model_class, *, actor, company, kind, content, filename, issued_on, valid_until, activities):
        return evidence_upload(actor=actor, company=company, kind=str(kind), uploaded_file=pdf_file(filename, content),
                               issued_on=issued_on, valid_until=valid_until, activities=activities)

    _build = _create


def evidence_direct(*, company: Company, kind: str, issued_on: dt.date, valid_until: dt.date | None,
                    content: bytes = TINY_PDF, uploaded_by=None, activities=()) -> EvidenceDocument:
    """A document created without the service (e.g. one already expired, which issued_on rules allow anyway)."""
    document = EvidenceDocument(
        company=company, kind=kind, filename=f"{kind}.pdf", content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), issued_on=issued_on, valid_until=valid_until,
        uploaded_by=uploaded_by, activities=list(activities),
    )
    document.file.save(f"{kind}.pdf", ContentFile(content), save=False)
    document.save()
    return document


# --- ready-made situations -----------------------------------------------------------------------------

def ready_company(categories=(), *, company: Company | None = None, user: User | None = None,
                  kinds=None) -> tuple[Company, User]:
    """A company with an admin member, a sworn declaration and every document the categories require."""
    if company is None:
        user = user or UserFactory()
        company = CompanyFactory(owner=user)
    user = user or company_owner(company)
    DeclarationFactory(company=company, actor=user)
    wanted = list(dict.fromkeys(kinds if kinds is not None else
                                [k for c in categories for k in c.required_evidence]))
    for kind in wanted:
        EvidenceDocumentFactory(company=company, actor=user, kind=kind)
    return company, user


def submitted_application(*, dps: DynamicPurchasingSystem | None = None, categories=None,
                          company: Company | None = None, user: User | None = None) -> Application:
    """An application received (state ``submitted``) for ``categories`` (one new category if none)."""
    if categories is None:
        dps = dps or DPSFactory(published=True)
        categories = list(dps.categories.all())
    dps = dps or categories[0].dps
    if company is None:
        company, user = ready_company(categories)
    user = user or company_owner(company)
    application = application_create(actor=user, dps=dps, company=company, category_ids=[c.id for c in categories])
    return application_submit(actor=user, application=application)


def admitted_company(category: Category, *, company: Company | None = None, actor: User | None = None) -> Admission:
    """A company admitted to ``category`` through a submitted and decided application."""
    if category.dps.status == "draft":
        dps_publish(actor=actor or category.dps.created_by, dps=category.dps)
        category.refresh_from_db()
    application = submitted_application(dps=category.dps, categories=[category], company=company)
    decider = actor or category.dps.created_by
    application_decide(actor=decider, application=application,
                       decisions=[{"category": category.id, "admitted": True, "reason": ""}])
    return Admission.objects.get(application=application, category=category)


# --- tenders -------------------------------------------------------------------------------------------

def open_category(**category_kwargs) -> Category:
    """A category of an open DPS whose first 30-day window is over (so tenders may be published)."""
    from procurement.models import DynamicPurchasingSystem as DPS

    dps = DPSFactory(published=True)
    category = CategoryFactory(dps=dps, **category_kwargs) if category_kwargs else dps.categories.first()
    DPS.objects.filter(pk=dps.pk).update(
        published_at=timezone.now() - dt.timedelta(days=40), first_window_ends_at=timezone.now() - dt.timedelta(days=10)
    )
    category.dps.refresh_from_db()
    return category


def tender_data(category: Category, **overrides) -> dict:
    """What POST /api/v1/tenders takes: valid, publishable today (deadline 14 days ahead)."""
    now = timezone.now()
    data = {
        "dps": str(category.dps_id),
        "category": str(category.id),
        "title": "Isolation par l'extérieur — Résidence Les Tilleuls",
        "description": "ITE en polystyrène graphité 160 mm, reprise des appuis de fenêtre et des descentes EP.",
        "operation": {
            "name": "Résidence Les Tilleuls", "address": "12 rue des Tilleuls", "commune": "Beauvais",
            "insee_code": "60057", "dwellings": 48, "energy_label_before": "F", "energy_label_target": "C",
        },
        "estimated_value": "250000.00",
        "budget_ceiling": "300000.00",
        "works_duration_weeks": 16,
        "questions_deadline": (now + dt.timedelta(days=7)).isoformat(),
        "bid_deadline": (now + dt.timedelta(days=14)).isoformat(),
        "criteria": [
            {"code": "price", "name": "Prix", "kind": "price", "weight": 50},
            {"code": "tech", "name": "Valeur technique", "kind": "technical", "weight": 30},
            {"code": "env", "name": "Performance environnementale", "kind": "environmental", "weight": 20},
        ],
        "price_method": "proportional",
        "standstill": True,
        "price_schedule": [
            {"ref": "1.1", "label": "Installation de chantier", "unit": "forfait", "quantity": "1"},
            {"ref": "2.1", "label": "Isolant PSE graphité 160 mm", "unit": "m²", "quantity": "1200"},
            {"ref": "2.2", "label": "Enduit de finition", "unit": "m²", "quantity": "1200"},
        ],
    }
    data.update(overrides)
    return data


def draft_tender(category: Category | None = None, *, actor: User | None = None, **overrides):
    from tenders.services import tender_create

    category = category or open_category()
    actor = actor or category.dps.created_by
    data = tender_data(category, **overrides)
    return tender_create(actor=actor, dps=category.dps, category=category, data=data)


def published_tender(*, suppliers: int = 2, category: Category | None = None, **overrides):
    """A published tender with ``suppliers`` invited companies; returns (tender, [(company, user), …])."""
    from tenders.services import tender_publish

    category = category or open_category()
    invited = []
    for _ in range(suppliers):
        admission = admitted_company(category)
        invited.append((admission.company, company_owner(admission.company)))
    tender = draft_tender(category, **overrides)
    tender = tender_publish(actor=category.dps.created_by, tender=tender)
    return tender, invited


# Unit prices that add up, for the schedule of tender_data(): 1 × 5000 + 1200 × 95 + 1200 × 40 = 167000.
PRICED_LINES = [{"ref": "1.1", "unit_price": "5000.00"}, {"ref": "2.1", "unit_price": "95.00"},
                {"ref": "2.2", "unit_price": "40.00"}]
PRICED_TOTAL = "167000.00"


def draft_bid(tender, user: User, *, total_price: str = PRICED_TOTAL, lines=None, **extra):
    from tenders.services import bid_create

    data = {"total_price": total_price, "duration_weeks": 14, "lines": lines if lines is not None else PRICED_LINES,
            "notes": "Équipe de 6 compagnons, échafaudage en propre.", **extra}
    return bid_create(actor=user, tender=tender, data=data)


def submitted_bid(tender, user: User, **kwargs):
    from tenders.services import bid_submit

    return bid_submit(actor=user, bid=draft_bid(tender, user, **kwargs))


# --- evaluation ----------------------------------------------------------------------------------------


def lines_for_total(total: str) -> list[dict]:
    """Unit prices for the schedule of tender_data() that add up to ``total`` (≥ 48 000, in whole cents)."""
    amount = Decimal(total)
    u21, u22 = (Decimal("95.00"), Decimal("40.00")) if amount >= Decimal("170000") else (Decimal("30.00"),
                                                                                       Decimal("10.00"))
    first = amount - 1200 * (u21 + u22)
    assert first >= 0, total
    return [{"ref": "1.1", "unit_price": str(first)}, {"ref": "2.1", "unit_price": str(u21)},
            {"ref": "2.2", "unit_price": str(u22)}]


def close_bidding(tender) -> None:
    """Move the tender's deadlines into the past, as if the bid deadline had just gone by."""
    from tenders.models import Tender

    now = timezone.now()
    Tender.objects.filter(pk=tender.pk).update(questions_deadline=now - dt.timedelta(days=2),
                                               bid_deadline=now - dt.timedelta(seconds=1))
    tender.refresh_from_db()


def opened_tender(prices=("167000.00", "150000.00"), *, late: int = 0, withdrawn: int = 0, **overrides):
    """A tender opened with one opened bid per price (one company each), plus ``late`` late bids and
    ``withdrawn`` withdrawn ones. Returns a namespace: tender, buyer, bids, bidders [(company, user)], late_bids,
    withdrawn_bids, outsiders [(company, user)] (the companies of the late and withdrawn bids)."""
    from types import SimpleNamespace

    from tenders.services import LateBid, bid_withdraw, tender_open

    tender, invited = published_tender(suppliers=len(prices) + late + withdrawn, **overrides)
    buyer = tender.dps.created_by
    bids = [submitted_bid(tender, user, total_price=price, lines=lines_for_total(price))
            for (_company, user), price in zip(invited, prices, strict=False)]
    rest = invited[len(prices):]
    withdrawn_bids = []
    for _company, user in rest[late:]:
        bid = submitted_bid(tender, user)
        withdrawn_bids.append(bid_withdraw(actor=user, bid=bid, reason="Erreur de chiffrage"))
    late_bids = [(user, draft_bid(tender, user)) for _company, user in rest[:late]]
    close_bidding(tender)
    for user, bid in late_bids:
        try:
            from tenders.services import bid_submit

            bid_submit(actor=user, bid=bid)
        except LateBid:
            pass
        bid.refresh_from_db()
    late_bids = [bid for _user, bid in late_bids]
    tender = tender_open(actor=buyer, tender=tender)
    for bid in bids:
        bid.refresh_from_db()
    return SimpleNamespace(tender=tender, buyer=buyer, bids=bids, bidders=invited[:len(prices)],
                           late_bids=late_bids, withdrawn_bids=withdrawn_bids, outsiders=rest)


def seat_evaluators(tender, evaluators, *, declare: bool = True, buyer: User | None = None):
    """Name ``evaluators`` on the tender's panel (with the members already there) and, with ``declare``,
    record each one's declaration of no conflict of interest."""
    from tenders.models import PanelMember
    from tenders.services.evaluation import impartiality_declare, panel_set

    buyer = buyer or tender.dps.created_by
    current = list(PanelMember.objects.filter(tender=tender, removed_at__isnull=True)
                   .values_list("evaluator__email", flat=True))
    panel_set(actor=buyer, tender=tender, evaluators=current + [e.email for e in evaluators if e.email not in current])
    if declare:
        for evaluator in evaluators:
            impartiality_declare(actor=evaluator, tender=tender, no_conflict=True,
                                 statement="Aucun lien avec les soumissionnaires.")


def seat_declared_evaluator(tender, evaluator):
    seat_evaluators(tender, [evaluator])


def classify_all(tender, decision: str = "admissible", *, buyer: User | None = None) -> None:
    from tenders.models import Bid
    from tenders.services.evaluation import bid_classify

    buyer = buyer or tender.dps.created_by
    for bid in Bid.objects.filter(tender=tender, status="opened"):
        bid_classify(actor=buyer, bid=bid, decision=decision, reason="" if decision == "admissible" else "Motif")


def scoring_tender(prices=("167000.00", "150000.00"), *, documents: bool = True, **overrides):
    """An opened tender whose bids each carry a PDF technical memo and a PNG plan (uploaded to the draft,
    sealed, opened), all classified admissible. Returns the namespace of ``opened_tender``."""
    from types import SimpleNamespace

    from tenders.services import bid_document_upload, bid_submit, tender_open

    tender, invited = published_tender(suppliers=len(prices), **overrides)
    buyer = tender.dps.created_by
    bids = []
    for (_company, user), price in zip(invited, prices, strict=True):
        bid = draft_bid(tender, user, total_price=price, lines=lines_for_total(price))
        if documents:
            bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                uploaded_file=pdf_file("memoire-technique.pdf"))
            bid_document_upload(actor=user, bid=bid, kind="other", uploaded_file=ContentFile(TINY_PNG, name="plan.png"))
        bids.append(bid_submit(actor=user, bid=bid))
    close_bidding(tender)
    tender = tender_open(actor=buyer, tender=tender)
    classify_all(tender, buyer=buyer)
    for bid in bids:
        bid.refresh_from_db()
    return SimpleNamespace(tender=tender, buyer=buyer, bids=bids, bidders=invited)


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


TINY_PNG = _tiny_png()


# --- award ---------------------------------------------------------------------------------------------

WINNER_KINDS = [EvidenceKind.KBIS, EvidenceKind.URSSAF_VIGILANCE, EvidenceKind.TAX_CERTIFICATE,
                EvidenceKind.LIABILITY_INSURANCE, EvidenceKind.DECENNIAL_INSURANCE]


def complete_winner_evidence(company: Company, *, trade: str = Trade.EXTERNAL_WALL_INSULATION, skip=()) -> None:
    """Every document the winner's checklist asks for, valid (issued 10 days ago, valid a year), the insurances
    covering ``trade``; the kinds in ``skip`` are left out. Earlier documents of those kinds are removed."""
    EvidenceDocument.objects.filter(company=company, kind__in=WINNER_KINDS).delete()
    for kind in WINNER_KINDS:
        if kind in skip:
            continue
        insurance = kind in (EvidenceKind.LIABILITY_INSURANCE, EvidenceKind.DECENNIAL_INSURANCE)
        EvidenceDocumentFactory(company=company, kind=kind, activities=[trade] if insurance else None)


CONSENSUS_RATIONALES = {"tech": "Méthodologie détaillée, planning réaliste.",
                        "env": "Isolant biosourcé, gestion des déchets tracée."}


def ranked_tender(prices=("150000.00", "160000.00", "200000.00"), *, consensus=None, **overrides):
    """An opened tender whose bids are all admissible, scored by a panel of one evaluator, with a consensus score
    on every criterion (``consensus``: [{"tech": "7", "env": "7"}, …] per bid, 7 everywhere by default).
    With the default prices and scores the ranking follows the order of the prices: 85, 81.88, 72.5.
    Returns the namespace of ``opened_tender`` plus ``evaluator``."""
    from tenders.services.evaluation import consensus_record, score_put, scores_submit

    ot = opened_tender(prices, **overrides)
    classify_all(ot.tender, buyer=ot.buyer)
    evaluator = StaffFactory(roles=["evaluator"])
    seat_evaluators(ot.tender, [evaluator])
    for bid in ot.bids:
        for code in ("tech", "env"):
            score_put(actor=evaluator, bid=bid, criterion=code, score="7")
    scores_submit(actor=evaluator, tender=ot.tender)
    consensus = consensus or [{"tech": "7", "env": "7"} for _ in ot.bids]
    for bid, marks in zip(ot.bids, consensus, strict=True):
        for code, value in marks.items():
            consensus_record(actor=ot.buyer, bid=bid, criterion=code, score=value,
                             rationale=f"{CONSENSUS_RATIONALES[code]} ({bid.company.name})")
    for bid in ot.bids:
        bid.refresh_from_db()
    ot.evaluator = evaluator
    return ot


def proposed_tender(prices=("150000.00", "160000.00", "200000.00"), *, evidence: bool = True, **overrides):
    """A ranked tender whose first-ranked bid is proposed by its buyer; with ``evidence`` the winner's
    checklist is complete. Adds ``approver`` (approver role only) to the namespace."""
    from tenders.services.award import award_propose

    ot = ranked_tender(prices, **overrides)
    if evidence:
        complete_winner_evidence(ot.bids[0].company, trade=ot.tender.category.trade)
    award_propose(actor=ot.buyer, tender=ot.tender, bid=ot.bids[0], reason="Offre économiquement la plus avantageuse")
    ot.tender.refresh_from_db()
    ot.approver = StaffFactory(roles=["approver"])
    return ot


def awarded_tender(prices=("150000.00", "160000.00", "200000.00"), **overrides):
    """A proposed tender approved by another person (approver): adds ``contract``."""
    from tenders.services.award import award_approve

    ot = proposed_tender(prices, **overrides)
    ot.contract = award_approve(actor=ot.approver, tender=ot.tender)
    ot.tender.refresh_from_db()
    for bid in ot.bids:
        bid.refresh_from_db()
    return ot

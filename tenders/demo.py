"""Demonstration tenders for ``manage.py seed_demo``: one in each stage a buyer meets in a week.

- a draft ready to publish;
- a published tender with questions (one answered) and the demo supplier's draft bid;
- a tender whose deadline has just passed, with sealed bids waiting for the opening (and a late one);
- an opened tender whose bids can be compared;
- a tender being scored: bids classified (one waits on the demo supplier's justification), the panel named,
  one evaluator declared with part of its grid, the demo evaluator not yet declared;
- a tender whose ranking is frozen: every sheet submitted, consensus recorded.

Everything goes through the services, at moments in the past (``at``), so the audit trail, receipts and
mails are what real use would have produced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from procurement.accounts.models import User
from procurement.errors import DomainError
from procurement.permissions import EVALUATOR
from suppliers.models import AdmissionStatus, Membership

from . import services
from .models import Bid, BidStatus

SCHEDULE = [
    ("1.1", "Installation et repli de chantier, échafaudages", "forfait", "1"),
    ("2.1", "Dépose des éléments en façade (garde-corps, descentes EP)", "ml", "180"),
    ("2.2", "Isolant polystyrène graphité 160 mm calé-chevillé", "m²", "1450"),
    ("2.3", "Sous-enduit armé et enduit de finition gratté fin", "m²", "1450"),
    ("2.4", "Habillage des tableaux et appuis de fenêtre", "ml", "620"),
    ("3.1", "Traitement des ponts thermiques des balcons", "u", "48"),
]

CRITERIA = [
    {"code": "prix", "name": "Prix des prestations", "kind": "price", "weight": 50},
    {"code": "tech", "name": "Valeur technique (méthodologie en site occupé)", "kind": "technical", "weight": 25},
    {"code": "delai", "name": "Délai d'exécution", "kind": "delay", "weight": 10},
    {"code": "env", "name": "Gestion environnementale du chantier et des déchets", "kind": "environmental",
     "weight": 15},
]

OPERATIONS = [
    # name, address, commune, INSEE, dwellings, before, target, estimate
    ("Résidence Les Tilleuls", "12-24 rue des Tilleuls", "Lille", "59350", 48, "F", "C", "420000"),
    ("Cité du Moulin", "3 allée du Moulin", "Roubaix", "59512", 36, "G", "D", "310000"),
    ("Résidence Pasteur", "45 rue Pasteur", "Tourcoing", "59599", 60, "F", "C", "520000"),
    ("Les Jardins d'Hellemmes", "8 rue Faidherbe", "Lille", "59350", 24, "E", "B", "230000"),
    ("Résidence Jean Jaurès", "2-10 avenue Jean Jaurès", "Lens", "62498", 40, "F", "C", "380000"),
    ("Cité des Aulnes", "15 rue des Aulnes", "Villeneuve-d'Ascq", "59009", 32, "G", "D", "290000"),
]

# The panel's marks in the demonstration, per bidder profile: (technical value, environmental management).
PANEL_SCORES = {"low": ("6", "5.5"), "mid": ("7.5", "7"), "high": ("8.5", "8")}

UNIT_PRICES = {  # (€ HT) per bidder profile: lines 1.1 … 3.1
    "low": ["14500", "18", "62", "38", "41", "520"],
    "mid": ["18000", "22", "71", "42", "46", "610"],
    "high": ["23500", "25", "78", "47", "52", "690"],
}


def _moment(days_ago: float, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=int(days_ago))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _data(category, operation, *, published: dt.datetime, bid_days: int, questions_days: int) -> dict:
    name, address, commune, insee, dwellings, before, target, estimate = operation
    return {
        "title": f"Isolation thermique par l'extérieur — {name}, {commune}",
        "description": (
            f"Isolation thermique par l'extérieur des façades de la résidence {name} ({dwellings} logements "
            f"occupés), reprise des appuis et traitement des ponts thermiques, pour passer de l'étiquette {before} "
            f"à l'étiquette {target}. Travaux en site occupé."
        ),
        "operation": {"name": name, "address": address, "commune": commune, "insee_code": insee,
                      "dwellings": dwellings, "energy_label_before": before, "energy_label_target": target},
        "estimated_value": estimate,
        "budget_ceiling": str(int(Decimal(estimate) * Decimal("1.15"))),
        "works_duration_weeks": 16,
        "questions_deadline": published + dt.timedelta(days=questions_days),
        "bid_deadline": published + dt.timedelta(days=bid_days, hours=2),
        "criteria": CRITERIA,
        "price_method": "proportional",
        "standstill": True,
        "price_schedule": [{"ref": r, "label": label, "unit": u, "quantity": q} for r, label, u, q in SCHEDULE],
    }


def _bid_data(profile: str, *, weeks: int, notes: str) -> dict:
    prices = UNIT_PRICES[profile]
    total = sum((Decimal(q) * Decimal(p)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                for (_, _, _, q), p in zip(SCHEDULE, prices, strict=True))
    return {"total_price": str(total), "duration_weeks": weeks, "notes": notes,
            "lines": [{"ref": ref, "unit_price": p} for (ref, *_), p in zip(SCHEDULE, prices, strict=True)]}


def _widen(category, *, at, buyer, wanted: int) -> None:
    """Companies admitted for the same trade in neighbouring départements also apply to this category, so
    that the demonstration tenders have several bidders."""
    from suppliers import services as supplier_services
    from suppliers.models import Admission

    present = set(category.admissions.values_list("company_id", flat=True))
    missing = wanted - len(present)
    if missing <= 0:
        return
    candidates = (Admission.objects.filter(category__dps=category.dps, category__trade=category.trade,
                                           status=AdmissionStatus.ADMITTED)
                  .exclude(company_id__in=present).select_related("company").order_by("company__name"))
    seen = set()
    for admission in candidates:
        company = admission.company
        if company.id in seen or len(seen) >= missing:
            continue
        owner = Membership.objects.filter(company=company).select_related("user").first().user
        try:
            with at(_moment(22, 9)):
                application = supplier_services.application_create(actor=owner, dps=category.dps, company=company,
                                                                   category_ids=[category.id])
                supplier_services.application_submit(actor=owner, application=application)
            with at(_moment(20, 15)):
                supplier_services.application_decide(
                    actor=buyer, application=application,
                    decisions=[{"category": category.id, "admitted": True, "reason": ""}])
        except DomainError:  # a company whose evidence no longer fits is simply left out
            continue
        seen.add(company.id)


def seed_tenders(*, at, buyer, supplier, categories, make_pdf, stdout) -> None:
    """``at(moment)`` runs a block at that moment; ``categories`` maps codes to categories."""
    category = max(categories.values(),
                   key=lambda c: (c.admissions.filter(status=AdmissionStatus.ADMITTED,
                                                      company__memberships__user=supplier).exists(),
                                  c.admissions.filter(status=AdmissionStatus.ADMITTED).count()))
    category.dps.refresh_from_db()  # the categories were made while the DPS was a draft
    dps = category.dps
    _widen(category, at=at, buyer=buyer, wanted=5)
    bidders = list(Membership.objects.filter(
        company__admissions__category=category, company__admissions__status=AdmissionStatus.ADMITTED,
    ).select_related("user", "company").order_by("company__name"))
    own = [m for m in bidders if m.user_id == supplier.id]
    others = [m for m in bidders if m.user_id != supplier.id]
    made = []

    def create(operation, published, bid_days=13, questions_days=7):
        with at(published - dt.timedelta(days=1)):
            tender = services.tender_create(actor=buyer, dps=dps, category=category,
                                            data=_data(category, operation, published=published, bid_days=bid_days,
                                                       questions_days=questions_days))
            for kind, title in (("rules", "Règlement de la consultation"),
                                ("specification", "CCTP — Isolation thermique par l'extérieur")):
                services.tender_document_upload(
                    actor=buyer, tender=tender, kind=kind, title=title,
                    uploaded_file=ContentFile(make_pdf(title, [tender.title, "Document de démonstration."]),
                                              name=f"{kind}.pdf"))
        made.append(tender)
        return tender

    def publish(tender, moment):
        with at(moment):
            return services.tender_publish(actor=buyer, tender=tender)

    # 1. Opened: published 14 days ago, deadline 3 days ago, opened 2 days ago.
    opened = publish(create(OPERATIONS[1], _moment(14), bid_days=11), _moment(14))
    profiles = ["mid", "low", "high", "mid"]
    for index, member in enumerate((own + others)[:4]):
        with at(_moment(7 - index, 14)):
            bid = services.bid_create(actor=member.user, tender=opened, company=member.company,
                                      data=_bid_data(profiles[index], weeks=14 + index,
                                                     notes="Équipe dédiée, base vie sur place."))
            services.bid_submit(actor=member.user, bid=bid)
    with at(_moment(2, 9)):
        services.tender_open(actor=buyer, tender=opened)

    # 2. Deadline passed yesterday: sealed bids wait for the opening; one arrived late.
    closed = publish(create(OPERATIONS[2], _moment(12), bid_days=11), _moment(12))
    for index, member in enumerate(others[:3]):
        with at(_moment(5 - index, 16)):
            bid = services.bid_create(actor=member.user, tender=closed, company=member.company,
                                      data=_bid_data(profiles[index], weeks=15, notes="Offre de base."))
            services.bid_submit(actor=member.user, bid=bid)
    if own:
        with at(closed.bid_deadline - dt.timedelta(hours=4)):
            late = services.bid_create(actor=own[0].user, tender=closed, company=own[0].company,
                                       data=_bid_data("low", weeks=13, notes="Offre envoyée trop tard."))
        with at(closed.bid_deadline + dt.timedelta(minutes=7)), contextlib.suppress(services.LateBid):
            services.bid_submit(actor=own[0].user, bid=late)  # kept as late, as the law requires
    services.tenders_close_expired()

    # 3. Published three days ago: questions (one answered) and the demo supplier's draft bid.
    current = publish(create(OPERATIONS[0], _moment(3), bid_days=12), _moment(3))
    askers = (own + others)[:2]
    if askers:
        with at(_moment(2, 11)):
            question = services.question_ask(
                actor=askers[0].user, tender=current, company=askers[0].company,
                text="Les garde-corps déposés sont-ils à reposer à l'identique ou à remplacer ?")
        with at(_moment(1, 15)):
            services.question_answer(actor=buyer, question=question,
                                     text="À reposer à l'identique après traitement anticorrosion (CCTP, art. 4.3).")
    if len(askers) > 1:
        with at(_moment(1, 9)):
            services.question_ask(actor=askers[1].user, tender=current, company=askers[1].company,
                                  text="Un accès aux logements est-il prévu pour le relevé des tableaux de fenêtre ?")
    if own:
        with at(_moment(1, 17)):
            data = _bid_data("mid", weeks=15, notes="")
            data["lines"] = data["lines"][:3]  # half-filled: the supplier is still working on it
            data["total_price"] = None
            services.bid_create(actor=own[0].user, tender=current, company=own[0].company, data=data)

    # 4. A draft, ready to publish.
    create(OPERATIONS[3], _moment(-1), bid_days=14)

    evaluators = list(User.objects.filter(groups__name=EVALUATOR).order_by("email"))
    if len(evaluators) >= 2 and len(others) >= 3:
        def bids_of(tender, members, moments, profiles, documents=False):
            for member, moment, profile in zip(members, moments, profiles, strict=False):
                with at(moment):
                    bid = services.bid_create(actor=member.user, tender=tender, company=member.company,
                                              data=_bid_data(profile, weeks=15, notes="Équipe dédiée en site occupé."))
                    if documents:
                        memo = make_pdf(f"Mémoire technique — {member.company.name}",
                                        ["Méthodologie en site occupé : information des locataires, phasage par cage.",
                                         "Gestion des déchets : tri sur chantier, bennes séparées.",
                                         "Document de démonstration."])
                        services.bid_document_upload(actor=member.user, bid=bid, kind="technical_memo",
                                                     uploaded_file=ContentFile(memo, name="memoire-technique.pdf"))
                    services.bid_submit(actor=member.user, bid=bid)

        # 5. Ranking frozen: published 14 days ago, opened 3 days ago, scored, consensus, frozen yesterday.
        frozen_profiles = ["mid", "low", "high"]
        frozen = publish(create(OPERATIONS[5], _moment(14, 15), bid_days=10), _moment(14, 15))
        bids_of(frozen, others[:3], [_moment(7 - i, 11) for i in range(3)], frozen_profiles)
        with at(_moment(3, 9)):
            services.tender_open(actor=buyer, tender=frozen)
        profile_of = {}
        with at(_moment(3, 11)):
            for bid, profile in zip(Bid.objects.filter(tender=frozen).order_by("submitted_at"), frozen_profiles,
                                    strict=False):
                services.bid_classify(actor=buyer, bid=bid, decision=BidStatus.ADMISSIBLE)
                profile_of[bid.id] = profile
            services.panel_set(actor=buyer, tender=frozen, evaluators=[e.email for e in evaluators[:2]])
        for offset, evaluator in enumerate(evaluators[:2]):
            with at(_moment(2, 9 + 3 * offset)):
                services.impartiality_declare(actor=evaluator, tender=frozen, no_conflict=True,
                                              statement="Aucun lien avec les entreprises soumissionnaires.")
                for bid in Bid.objects.filter(tender=frozen, status=BidStatus.ADMISSIBLE):
                    tech, env = PANEL_SCORES[profile_of[bid.id]]
                    bump = Decimal("0.5") * offset
                    services.score_put(actor=evaluator, bid=bid, criterion="tech", score=str(Decimal(tech) + bump),
                                       comment="Méthodologie détaillée, phasage cohérent.")
                    services.score_put(actor=evaluator, bid=bid, criterion="env", score=env,
                                       comment="Tri des déchets prévu, bordereaux de suivi.")
                services.scores_submit(actor=evaluator, tender=frozen)
        with at(_moment(1, 10)):
            for bid in Bid.objects.filter(tender=frozen, status=BidStatus.ADMISSIBLE):
                tech, env = PANEL_SCORES[profile_of[bid.id]]
                services.consensus_record(actor=buyer, bid=bid, criterion="tech",
                                          score=str(Decimal(tech) + Decimal("0.25")),
                                          rationale="Moyenne des deux grilles, écart discuté en séance.")
                services.consensus_record(actor=buyer, bid=bid, criterion="env", score=env,
                                          rationale="Notes identiques des deux évaluateurs.")
        with at(_moment(1, 16)):
            services.ranking_freeze(actor=buyer, tender=frozen)

        # 6. Being scored: published 13 days ago, opened yesterday; one bid waits on a justification (the demo
        # supplier's), Nadia declared and scored part of her grid, Karim (the demo evaluator) has not declared.
        scored_profiles = ["low", "mid", "high", "mid"]
        scoring = publish(create(OPERATIONS[4], _moment(13), bid_days=11), _moment(13))
        bidders_ = (own + others)[:4]
        bids_of(scoring, bidders_, [_moment(6 - i, 16) for i in range(4)], scored_profiles, documents=True)
        with at(_moment(1, 9)):
            services.tender_open(actor=buyer, tender=scoring)
        first = Bid.objects.filter(tender=scoring, company=bidders_[0].company).first()
        with at(_moment(1, 11)):
            for bid in Bid.objects.filter(tender=scoring, status=BidStatus.OPENED).exclude(pk=first.pk):
                services.bid_classify(actor=buyer, bid=bid, decision=BidStatus.ADMISSIBLE)
            services.justification_request(
                actor=buyer, bid=first, due_at=timezone.localdate() + dt.timedelta(days=5),
                message="Votre prix est inférieur de plus de 20 % à la moyenne des offres : justifiez les postes 2.2 "
                        "et 2.3 (isolant et enduit) — devis fournisseurs, procédés, organisation du chantier.")
            services.panel_set(actor=buyer, tender=scoring, evaluators=[e.email for e in evaluators[:2]])
        nadia = evaluators[1]  # by e-mail, the demo login (evaluateur@…) comes first and is left to declare
        with at(_moment(1, 14)):
            services.impartiality_declare(actor=nadia, tender=scoring, no_conflict=True,
                                          statement="Aucun lien avec les entreprises soumissionnaires.")
            for bid in Bid.objects.filter(tender=scoring, status=BidStatus.ADMISSIBLE).order_by("submitted_at")[:2]:
                services.score_put(actor=nadia, bid=bid, criterion="tech", score="7",
                                   comment="Mémoire clair ; phasage par cage d'escalier.")
    stdout.write(f"{len(made)} marchés spécifiques dans la catégorie « {category.name} » "
                 f"({len(bidders)} entreprises admises).")

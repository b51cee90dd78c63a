"""Demonstration tenders for ``manage.py seed_demo``: one in each stage a buyer meets in a week.

- a draft ready to publish;
- a published tender with questions (one answered) and the demo supplier's draft bid;
- a tender whose deadline has just passed, with sealed bids waiting for the opening (and a late one);
- an opened tender whose bids can be compared;
- a tender being scored: bids classified (one waits on the demo supplier's justification), the panel named,
  one evaluator declared with part of its grid, the demo evaluator not yet declared;
- a tender whose ranking is frozen: every sheet submitted, consensus recorded;
- a tender whose award is proposed: the intended winner was asked for the evidence it lacks;
- a tender awarded two days ago: the letters are sent, the standstill runs, a rejected bidder asked for the
  detailed reasons (the demo supplier, also rejected, may still ask);
- a tender whose contract is signed by the holder and the buyer after the standstill, waiting to be notified
  (its invitees agreed to a shorter deadline, R2162-50: the DPS opened too recently for a full calendar).

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
from procurement.permissions import APPROVER, EVALUATOR
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
    ("Résidence Victor Hugo", "5 rue Victor Hugo", "Arras", "62041", 30, "F", "C", "270000"),
    ("Les Terrasses du Canal", "22 quai du Canal", "Douai", "59178", 44, "E", "B", "400000"),
    ("Résidence Voltaire", "9 place Voltaire", "Valenciennes", "59606", 28, "F", "C", "250000"),
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


def _data(category, operation, *, published: dt.datetime, bid_days: float, questions_days: float,
          agreement: str = "") -> dict:
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
        "deadline_agreement": agreement,
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

    def create(operation, published, bid_days=13, questions_days=7, agreement=""):
        with at(published - dt.timedelta(days=1)):
            tender = services.tender_create(actor=buyer, dps=dps, category=category,
                                            data=_data(category, operation, published=published, bid_days=bid_days,
                                                       questions_days=questions_days, agreement=agreement))
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

        def evaluate(tender, members, profiles, *, deposited, opened, classified, scored, agreed):
            """Bids deposited, opened, all admissible; both evaluators declare and submit; consensus recorded."""
            bids_of(tender, members, deposited, profiles)
            with at(opened):
                services.tender_open(actor=buyer, tender=tender)
            profile_of = {}
            with at(classified):
                for bid, profile in zip(Bid.objects.filter(tender=tender).order_by("submitted_at"), profiles,
                                        strict=False):
                    services.bid_classify(actor=buyer, bid=bid, decision=BidStatus.ADMISSIBLE)
                    profile_of[bid.id] = profile
                services.panel_set(actor=buyer, tender=tender, evaluators=[e.email for e in evaluators[:2]])
            for offset, (evaluator, moment) in enumerate(zip(evaluators[:2], scored, strict=True)):
                with at(moment):
                    services.impartiality_declare(actor=evaluator, tender=tender, no_conflict=True,
                                                  statement="Aucun lien avec les entreprises soumissionnaires.")
                    for bid in Bid.objects.filter(tender=tender, status=BidStatus.ADMISSIBLE):
                        tech, env = PANEL_SCORES[profile_of[bid.id]]
                        bump = Decimal("0.5") * offset
                        services.score_put(actor=evaluator, bid=bid, criterion="tech",
                                           score=str(Decimal(tech) + bump),
                                           comment="Méthodologie détaillée, phasage cohérent.")
                        services.score_put(actor=evaluator, bid=bid, criterion="env", score=env,
                                           comment="Tri des déchets prévu, bordereaux de suivi.")
                    services.scores_submit(actor=evaluator, tender=tender)
            with at(agreed):
                for bid in Bid.objects.filter(tender=tender, status=BidStatus.ADMISSIBLE):
                    tech, env = PANEL_SCORES[profile_of[bid.id]]
                    services.consensus_record(actor=buyer, bid=bid, criterion="tech",
                                              score=str(Decimal(tech) + Decimal("0.25")),
                                              rationale="Moyenne des deux grilles, écart discuté en séance.")
                    services.consensus_record(actor=buyer, bid=bid, criterion="env", score=env,
                                              rationale="Notes identiques des deux évaluateurs.")

        # 5. Ranking frozen: published 14 days ago, opened 3 days ago, scored, consensus, frozen yesterday.
        frozen = publish(create(OPERATIONS[5], _moment(14, 15), bid_days=10), _moment(14, 15))
        evaluate(frozen, others[:3], ["mid", "low", "high"], deposited=[_moment(7 - i, 11) for i in range(3)],
                 opened=_moment(3, 9), classified=_moment(3, 11), scored=[_moment(2, 9), _moment(2, 12)],
                 agreed=_moment(1, 10))
        with at(_moment(1, 16)):
            services.ranking_freeze(actor=buyer, tender=frozen)

        _seed_awards(create=create, publish=publish, evaluate=evaluate, at=at, buyer=buyer, own=own, others=others,
                     approver=User.objects.filter(groups__name=APPROVER).order_by("email").first(),
                     make_pdf=make_pdf)

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


def _winner_evidence(tender, *, at, moment, make_pdf) -> None:
    """The proposed winner deposits, at ``moment``, every document its checklist lacks (valid a year, the
    insurances covering the category's trade)."""
    from suppliers import services as supplier_services

    from .services import award as award_services

    proposal = award_services.live_proposal(tender)
    company = proposal.bid.company
    owner = Membership.objects.filter(company=company).select_related("user").order_by("role", "id").first().user
    with at(moment):
        for check in award_services.winner_checklist(tender, company):
            if check.ok:
                continue
            issued = timezone.localdate()
            insurance = check.kind in ("liability_insurance", "decennial_insurance")
            supplier_services.evidence_upload(
                actor=owner, company=company, kind=check.kind,
                uploaded_file=ContentFile(make_pdf(f"{check.label} — {company.name}",
                                                   [f"Date de délivrance : {issued:%d/%m/%Y}",
                                                    "Document de démonstration."]), name=f"{check.kind}.pdf"),
                issued_on=issued, valid_until=issued + dt.timedelta(days=365),
                activities=[tender.category.trade] if insurance else None)


def _seed_awards(*, create, publish, evaluate, at, buyer, own, others, approver, make_pdf) -> None:
    """Three tenders past their ranking, through the award services: one proposed (the winner asked for what
    its evidence lacks), one awarded two days ago (letters sent, standstill running, a debriefing request
    waiting for its answer), one whose contract both parties signed after the standstill."""
    from .services import award as award_services
    from .services import contracts as contract_services

    if approver is None:
        return

    def propose(tender, moment):
        tender.refresh_from_db()  # opened since it was published
        with at(moment):
            bid = award_services.proposable_bid_id(tender)
            award_services.award_propose(actor=buyer, tender=tender, bid=bid,
                                         reason="Offre économiquement la plus avantageuse au vu des trois critères "
                                                "(prix, valeur technique, gestion environnementale).")
        tender.refresh_from_db()

    # 7. Signed: the invitees agreed to a one-day deadline (R2162-50), the award
    # was approved 12 days ago; the standstill ended yesterday, then the holder and the buyer signed.
    signed = publish(create(OPERATIONS[8], _moment(14, 9), bid_days=1, questions_days=0.5,
                            agreement="Délai réduit à un jour, fixé d'un commun accord avec toutes les entreprises "
                                      "admises dans la catégorie (travaux urgents avant l'hiver)."), _moment(14, 9))
    evaluate(signed, others[:3], ["low", "mid", "high"],
             deposited=[_moment(14, 12 + i) for i in range(3)], opened=_moment(13, 12), classified=_moment(13, 13),
             scored=[_moment(13, 15), _moment(13, 16)], agreed=_moment(12, 9))
    propose(signed, _moment(12, 10))
    _winner_evidence(signed, at=at, moment=_moment(12, 11), make_pdf=make_pdf)
    with at(_moment(12, 14)):
        contract = award_services.award_approve(actor=approver, tender=signed)
    _winner_evidence(signed, at=at, moment=_moment(1, 15), make_pdf=make_pdf)  # still valid to sign
    holder = Membership.objects.filter(company=contract.holder, role="admin").select_related("user").first().user
    with at(_moment(1, 16)):
        contract_services.contract_sign(actor=holder, contract=contract)
    with at(_moment(1, 17)):
        contract_services.contract_sign(actor=buyer, contract=contract)

    # 8. Awarded yesterday: letters sent, the standstill runs; a rejected bidder asked for the detailed reasons.
    # The demo supplier bids high and is not retained: its letter and its 15-day right show in the portal.
    awarded = publish(create(OPERATIONS[7], _moment(14, 11), bid_days=10), _moment(14, 11))
    members = others[:2] + own[:1]
    evaluate(awarded, members, ["low", "mid", "high"][:len(members)],
             deposited=[_moment(8 - i, 10) for i in range(len(members))], opened=_moment(3, 9),
             classified=_moment(3, 10), scored=[_moment(3, 14), _moment(3, 16)], agreed=_moment(2, 10))
    propose(awarded, _moment(2, 11))
    _winner_evidence(awarded, at=at, moment=_moment(2, 15), make_pdf=make_pdf)
    with at(_moment(1, 10)):
        award_services.award_approve(actor=approver, tender=awarded)
    rejected = Bid.objects.filter(tender=awarded, status=BidStatus.NOT_RETAINED).exclude(
        company__memberships__user__in=[m.user for m in own]).select_related("company").order_by("submitted_at")
    asker = rejected.first()
    if asker is not None:
        member = Membership.objects.filter(company=asker.company).select_related("user").first().user
        with at(_moment(1, 15)):
            award_services.debrief_request_create(
                actor=member, bid=asker,
                text="Pourriez-vous nous indiquer les caractéristiques et les avantages relatifs de l'offre retenue, "
                     "notamment sur la valeur technique ?")

    # 9. Award proposed yesterday: the winner's evidence is incomplete, it was asked for it, due in a week.
    proposed = publish(create(OPERATIONS[6], _moment(13, 10), bid_days=10), _moment(13, 10))
    evaluate(proposed, others[-3:], ["mid", "low", "high"], deposited=[_moment(6 - i, 9) for i in range(3)],
             opened=_moment(2, 9), classified=_moment(2, 10), scored=[_moment(2, 14), _moment(2, 16)],
             agreed=_moment(1, 9))
    propose(proposed, _moment(1, 10))
    proposal = award_services.live_proposal(proposed)
    if any(not c.ok for c in award_services.winner_checklist(proposed, proposal.bid.company)):
        with at(_moment(1, 11)):
            award_services.winner_evidence_request(actor=buyer, tender=proposed,
                                                   due_at=timezone.localdate() + dt.timedelta(days=7))

"""The evaluation pages in English: a person who chose English (the language cookie) reads the buyer's ranking,
the evaluator's grid and the bidder's request in English, with no French label left over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from tenders.services.evaluation import justification_request
from tests.factories import StaffFactory, scoring_tender, seat_evaluators

from .test_views_evaluation import scored_tender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in English activates English in this thread: French again afterwards."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_ranking_page_in_english(client):
    ot = scored_tender()
    page = english(client, ot.buyer).get(reverse("tenders_console:evaluation_ranking", args=[ot.tender.id]))
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="en"' in html
    for text in ("Final ranking", "Weighted total", "Weighted contribution of each criterion to the total",
                 "Show the whole calculation", "Rule of the tender, in order:",
                 "the best “Valeur technique” score, then the lowest price, then the earliest receipt",
                 "Evaluation steps", "Panel and scores"):
        assert text in html, text
    # (the tie-break labels are marked ``_lazy``: extracted too, see procurement's makemessages command)
    for french in ("Classement final", "Total pondéré", "Voir tout le calcul", ", puis ", "Commission et notes",
                   "le prix le plus bas", "la réception la plus ancienne"):
        assert french not in html, french


def test_the_workspace_and_consensus_pages_in_english(client):
    ot = scored_tender(consensus=False)
    english(client, ot.buyer)
    workspace = client.get(reverse("tenders_console:evaluation", args=[ot.tender.id])).content.decode()
    assert "Where the evaluation stands" in workspace and "Consensus scores" in workspace
    assert "Où en est l'évaluation" not in workspace
    consensus = client.get(reverse("tenders_console:evaluation_consensus", args=[ot.tender.id])).content.decode()
    assert "Consensus score (0 to 10)" in consensus and "spread > 3 points" in consensus
    assert "Note de consensus (0 à 10)" not in consensus


def test_the_evaluators_grid_in_english(client):
    case = scoring_tender()
    evaluator = StaffFactory(roles=["evaluator"])
    seat_evaluators(case.tender, [evaluator], buyer=case.buyer)
    html = english(client, evaluator).get(reverse("tenders_console:panel", args=[case.tender.id])).content.decode()
    for text in ("Your sheet: <strong>0 scores out of 4</strong>", "Blind scoring", "Submit and lock my sheet",
                 "Score from 0 to 10, in half points"):
        assert text in html, text
    assert "Remettre et verrouiller ma grille" not in html


def test_the_bidders_request_in_english(client):
    case = scoring_tender(documents=False)
    bid = case.bids[0]
    justification_request(actor=case.buyer, bid=bid, message="Justifiez le poste 2.1.",
                          due_at=timezone.now() + dt.timedelta(days=5))
    english(client, case.bidders[0][1])
    mine = client.get(reverse("tenders_portal:my_bids")).content.decode()
    assert "A request from the buyer is waiting for your answer." in mine
    html = client.get(reverse("tenders_portal:bid", args=[bid.id])).content.decode()
    for text in ("Requests from the buyer", "Justification of the price: answer expected", "Your answer",
                 "Send my answer"):
        assert text in html, text
    assert "Envoyer ma réponse" not in html

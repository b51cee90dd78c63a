"""Clarification questions: asked by invited suppliers until the questions deadline, answered to all, anonymised."""

import pytest
import time_machine

from procurement.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tenders import selectors, services
from tests.factories import CompanyFactory, StaffFactory, UserFactory, published_tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return published_tender(suppliers=3)


def test_an_invited_supplier_asks_and_the_buyer_is_told(world, django_capture_on_commit_callbacks, mailoutbox):
    tender, [(company, user), *_] = world
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = services.question_ask(actor=user, tender=tender, text="L'échafaudage est-il à notre charge ?")

    assert question.company == company
    assert [m.to for m in mailoutbox] == [[tender.published_by.email]]
    assert "/console/marches/" in mailoutbox[0].body


def test_questions_stop_at_the_questions_deadline(world):
    tender, [(_, user), *_] = world
    with time_machine.travel(tender.questions_deadline, tick=False), pytest.raises(InvalidTransition) as caught:
        services.question_ask(actor=user, tender=tender, text="Encore une question ?")
    assert "jusqu'au" in caught.value.detail


def test_an_outsider_cannot_ask(world):
    tender, _ = world
    outsider = UserFactory()
    CompanyFactory(owner=outsider)
    with pytest.raises(NotFound):  # a domain error: the pages and the API make it a 404
        services.question_ask(actor=outsider, tender=tender, text="?")


def test_an_empty_question_is_refused(world):
    tender, [(_, user), *_] = world
    with pytest.raises(ValidationFailed):
        services.question_ask(actor=user, tender=tender, text="   ")


def test_the_answer_goes_to_every_invited_supplier_without_the_askers_name(world, django_capture_on_commit_callbacks,
                                                                             mailoutbox):
    tender, [(asker_company, asker), (_, second), (_, third)] = world
    question = services.question_ask(actor=asker, tender=tender, text="Les appuis de fenêtre sont-ils à reprendre ?")
    unanswered = services.question_ask(actor=asker, tender=tender, text="Horaires de chantier ?")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.question_answer(actor=tender.dps.created_by, question=question,
                                 text="Oui, voir l'article 3.2 du CCTP.")

    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in (asker, second, third))
    assert all(asker_company.name not in m.body for m in mailoutbox)
    assert all("article 3.2" in m.body for m in mailoutbox)
    seen_by_other = list(selectors.questions_for_user(user=second, tender=tender))
    assert seen_by_other == [question]  # the unanswered one of another company is not shown
    assert set(selectors.questions_for_user(user=asker, tender=tender)) == {question, unanswered}
    assert len(selectors.questions_for_user(user=StaffFactory(roles=["evaluator"]), tender=tender)) == 2


def test_a_question_is_answered_once_by_a_buyer(world):
    tender, [(_, user), *_] = world
    question = services.question_ask(actor=user, tender=tender, text="Question ?")
    with pytest.raises(NotAllowed):
        services.question_answer(actor=StaffFactory(roles=["evaluator"]), question=question, text="Réponse")
    services.question_answer(actor=tender.dps.created_by, question=question, text="Réponse")
    with pytest.raises(Conflict):
        services.question_answer(actor=tender.dps.created_by, question=question, text="Autre réponse")

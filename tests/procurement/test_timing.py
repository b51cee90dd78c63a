"""The one countdown (procurement/templatetags/timing.py): words in French and English, and its partial."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation

from procurement.templatetags.timing import countdown

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def words(language: str, *, since: bool = False, **delta) -> str:
    with translation.override(language):
        return countdown(NOW + dt.timedelta(**delta), NOW, since=since)


@pytest.mark.parametrize(("delta", "french", "english"), [
    ({"days": 14}, "dans 14 jours", "in 14 days"),
    ({"days": 1, "hours": 23}, "dans 1 jour", "in 1 day"),   # whole days, rounded down
    ({"hours": 23, "minutes": 59}, "dans 23 heures", "in 23 hours"),
    ({"hours": 1}, "dans 1 heure", "in 1 hour"),
    ({"minutes": 59, "seconds": 59}, "dans 59 minutes", "in 59 minutes"),  # under an hour
    ({"minutes": 1}, "dans 1 minute", "in 1 minute"),
    ({"seconds": 20}, "dans 1 minute", "in 1 minute"),   # never "dans 0 minute"
])
def test_ahead(delta, french, english):
    assert words("fr", **delta) == french
    assert words("en", **delta) == english


@pytest.mark.parametrize("delta", [{"seconds": 0}, {"seconds": -1}, {"days": -3}])
def test_a_passed_deadline_is_closed(delta):
    assert words("fr", **delta) == "clos"
    assert words("en", **delta) == "closed"


@pytest.mark.parametrize(("delta", "french", "english"), [
    ({"seconds": 0}, "il y a 1 minute", "1 minute ago"),
    ({"minutes": -40}, "il y a 40 minutes", "40 minutes ago"),
    ({"hours": -5, "minutes": -30}, "il y a 5 heures", "5 hours ago"),
    ({"days": -1}, "il y a 1 jour", "1 day ago"),
    ({"days": -2, "hours": -3}, "il y a 2 jours", "2 days ago"),
])
def test_since_says_how_long_ago(delta, french, english):
    assert words("fr", since=True, **delta) == french
    assert words("en", since=True, **delta) == english


def test_since_does_not_change_a_future_deadline():
    assert words("fr", since=True, days=3) == "dans 3 jours"


def test_no_deadline_no_words():
    assert countdown(None, NOW) == ""


def render(source: str, **context) -> str:
    return Template("{% load timing %}" + source).render(Context(context))


@time_machine.travel(NOW, tick=False)
def test_the_tag_writes_the_words_in_a_time_element():
    at = NOW + dt.timedelta(days=3, hours=2)
    html = render("{% countdown at %}", at=at)
    local = timezone.localtime(at)
    assert html == f'<time class="countdown" datetime="{local.isoformat()}">dans 3 jours</time>'
    assert "data-deadline" not in html  # not ticking: the words stay


@time_machine.travel(NOW, tick=False)
def test_the_live_tag_carries_what_the_script_needs():
    at = NOW + dt.timedelta(hours=5)
    with translation.override("en"):
        html = render("{% countdown at live=True %}", at=at)
    local = timezone.localtime(at)
    assert f'data-deadline="{local.isoformat()}"' in html
    assert 'data-passed-label="deadline reached"' in html
    assert f'title="{local:%d/%m/%Y %H:%M}"' in html
    assert ">in 5 hours</time>" in html


@time_machine.travel(NOW, tick=False)
def test_the_tag_marks_a_passed_deadline():
    html = render("{% countdown at since=True %}", at=NOW - dt.timedelta(days=2))
    assert 'class="countdown countdown--passed"' in html and ">il y a 2 jours<" in html
    assert render("{% countdown at %}", at=None) == ""

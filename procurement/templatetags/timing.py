"""How far away a deadline is, in words: the one countdown of the console and the portal.

In a template (``{% load timing %}``)::

    {% countdown tender.bid_deadline %}              <time …>dans 3 jours</time>, "clos" once passed
    {% countdown tender.bid_deadline since=True %}   once passed: "il y a 2 jours" (a list of tenders to close)
    {% countdown tender.bid_deadline live=True %}    ticks every second in the browser (static/js/countdown.js)

The words are whole sentences through gettext, so that each language gets its own plural forms.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy

register = template.Library()

DAY, HOUR, MINUTE = 86400, 3600, 60

# Largest unit first; under a minute still reads "1 minute".
AHEAD = (
    (DAY, ngettext_lazy("dans %(n)s jour", "dans %(n)s jours", "n")),
    (HOUR, ngettext_lazy("dans %(n)s heure", "dans %(n)s heures", "n")),
    (MINUTE, ngettext_lazy("dans %(n)s minute", "dans %(n)s minutes", "n")),
)
AGO = (
    (DAY, ngettext_lazy("il y a %(n)s jour", "il y a %(n)s jours", "n")),
    (HOUR, ngettext_lazy("il y a %(n)s heure", "il y a %(n)s heures", "n")),
    (MINUTE, ngettext_lazy("il y a %(n)s minute", "il y a %(n)s minutes", "n")),
)


def countdown(deadline: dt.datetime | None, now: dt.datetime | None = None, *, since: bool = False) -> str:
    """"dans 3 jours", "dans 5 heures", "dans 12 minutes"; a passed deadline (the moment itself included)
    is "clos", or with ``since`` how long ago it was ("il y a 2 jours"). Whole units, rounded down."""
    if deadline is None:
        return ""
    seconds = (deadline - (now or timezone.now())).total_seconds()
    if seconds <= 0 and not since:
        return gettext("clos")
    amount = abs(seconds)
    units = AHEAD if seconds > 0 else AGO
    size, words = next(((size, words) for size, words in units if amount >= size), units[-1])
    return words % {"n": max(1, int(amount // size))}


@register.inclusion_tag("_countdown.html", name="countdown")
def countdown_tag(deadline: dt.datetime | None, *, since: bool = False, live: bool = False) -> dict:
    """The partial templates/_countdown.html: the words in a <time>, with what the live countdown needs."""
    now = timezone.now()
    return {"at": deadline, "words": countdown(deadline, now, since=since),
            "passed": deadline is not None and deadline <= now, "live": live}


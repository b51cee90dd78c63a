"""The platform's clock: the one seam through which services and models read the time.

``now()`` is ``django.utils.timezone.now()``; ``today()`` is the calendar day in Paris. Tests move the time
with time-machine (which moves both), or, when each thread needs its own instant (the PostgreSQL races),
replace ``procurement.clock.now`` at this one point: every service and model reads it through the module,
never a copy.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    """The calendar day in Paris at ``now()``."""
    return timezone.localdate(now())

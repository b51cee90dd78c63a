"""celery beat keeps running the deadline jobs whatever happens to the clock."""

import datetime as dt

import time_machine
from celery.beat import Service
from django.conf import settings
from django.utils import timezone

from procurement.celery import app


def _scheduler(filename):
    """The scheduler `celery -A procurement beat --schedule FILE` builds (the class comes from the settings)."""
    return Service(app=app, schedule_filename=filename, scheduler_cls=app.conf.beat_scheduler).get_scheduler()


def test_deadline_jobs_run_within_a_minute_after_the_clock_is_moved_back(tmp_path):
    """Beat restarted after running with the clock ahead (libfaketime, a corrected system clock): a schedule
    remembered from the future would hold every job back until that future came again."""
    filename = str(tmp_path / "beat-schedule")
    with time_machine.travel(timezone.now() + dt.timedelta(days=6), tick=False):
        scheduler = _scheduler(filename)
        for name, entry in list(scheduler.schedule.items()):
            scheduler.schedule[name] = entry._next_instance()  # as if each job had just run, six days ahead
        scheduler.sync()
        scheduler.close()

    scheduler = _scheduler(filename)
    for name in ("declaration-renewals-suspend-overdue", "evidence-expiry-reminders", "dps-close-expired",
                 "tenders-close-expired"):
        _, next_in = scheduler.schedule[name].is_due()
        assert next_in <= settings.SCHEDULE_SECONDS, name
    scheduler.close()


def test_a_running_beat_keeps_going_when_the_clock_moves_back(monkeypatch):
    """The clock was six days ahead, then set right while beat kept running: the jobs go on every minute."""
    now = timezone.now()
    with time_machine.travel(now + dt.timedelta(days=6), tick=False):
        scheduler = _scheduler(None)
        scheduler.__dict__["producer"] = None  # no broker: the jobs sent are recorded below
        sent = []
        monkeypatch.setattr(scheduler, "apply_entry", lambda entry, producer=None: sent.append(entry.name))
        for name, entry in list(scheduler.schedule.items()):
            scheduler.schedule[name] = entry._next_instance()  # each job has just run, six days ahead
        scheduler.tick()
    assert sent == []

    with time_machine.travel(now, tick=False):
        scheduler.tick()  # notices the clock went back
    with time_machine.travel(now + dt.timedelta(seconds=settings.SCHEDULE_SECONDS + 1), tick=False):
        for _ in range(10):
            scheduler.tick()
    assert {"declaration-renewals-suspend-overdue", "evidence-expiry-reminders", "dps-close-expired"} <= set(sent)

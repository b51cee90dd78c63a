"""The celery beat scheduler of the deadline jobs, safe against a clock that moves back.

The schedule lives in memory (every job is a short interval, nothing is worth persisting), and a job whose
last run lies in the future (the clock was ahead: libfaketime, a corrected system clock) counts as having
run now, so it runs again one interval later instead of waiting for that future to come back.
"""

from __future__ import annotations

from celery.beat import Scheduler


class ClockSafeScheduler(Scheduler):
    def tick(self, *args, **kwargs):
        now = self.app.now()
        ahead = [entry for entry in self.schedule.values() if entry.last_run_at and entry.last_run_at > now]
        if ahead:
            for entry in ahead:
                entry.last_run_at = now
            self._heap = None  # the heap holds wall-clock times from the future: rebuild it
        return super().tick(*args, **kwargs)

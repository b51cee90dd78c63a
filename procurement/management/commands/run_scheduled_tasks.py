"""Run every scheduled job once, now, in this process (what `celery beat` triggers periodically).

Useful after a clock change, for a cron-driven deployment without beat, or to check a deadline by hand.
"""

from django.core.management.base import BaseCommand

from procurement.notifications import retry_unsent
from procurement.services import dps_close_expired
from suppliers.services import declaration_renewals_suspend_overdue, evidence_expiry_reminders
from tenders.services import invitation_mails_sweep, tenders_close_expired
from tenders.services.evaluation import regularisations_expire


class Command(BaseCommand):
    help = ("Run the scheduled jobs once: DPS closing, evidence reminders, overdue renewals, tenders closing at "
            "their deadline, invitation mails left unqueued, regularisations unanswered in time, unsent mails.")

    def handle(self, *args, **options):
        jobs = [
            ("DPS closed at the end of their validity", dps_close_expired),
            ("evidence expiry reminders sent", evidence_expiry_reminders),
            ("renewal requests lapsed (admissions suspended)", declaration_renewals_suspend_overdue),
            ("tenders closed at their bid deadline", tenders_close_expired),
            ("tenders whose invitation mails were queued again", invitation_mails_sweep),
            ("regularisations unanswered at their due date (bids left irregular)", regularisations_expire),
            ("unsent mails queued again", retry_unsent),
        ]
        for label, job in jobs:
            self.stdout.write(f"{job()} {label}")

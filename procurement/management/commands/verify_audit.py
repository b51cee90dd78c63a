from django.core.management.base import BaseCommand, CommandError

from procurement import audit


class Command(BaseCommand):
    help = "Walk the audit log's hash chain; exit 1 and name the first broken entry if it was tampered with."

    def handle(self, *args, **options):
        report = audit.verify()
        if not report.valid:
            raise CommandError(
                f"Audit chain broken at entry id {report.first_broken} ({report.entries} entries)", returncode=1
            )
        self.stdout.write(f"Audit chain valid: {report.entries} entries")

from django.core.management.base import BaseCommand, CommandError

from procurement import audit


class Command(BaseCommand):
    help = "Walk the audit log's hash chain; exit 1 and name the first broken entry if it was tampered with."

    def add_arguments(self, parser):
        parser.add_argument("--anchor", help="A head hash printed earlier (and kept elsewhere): check that the "
                                             "entry it names is still in the chain, i.e. nothing was cut off.")

    def handle(self, *args, **options):
        report = audit.verify(anchor=options.get("anchor"))
        if report.first_broken is not None:
            raise CommandError(
                f"Audit chain broken at entry id {report.first_broken} ({report.entries} entries)", returncode=1
            )
        if report.anchor_found is False:
            raise CommandError(
                f"Audit chain does not contain the anchor {options['anchor']}: entries were removed "
                f"({report.entries} entries left)", returncode=1
            )
        self.stdout.write(f"Audit chain valid: {report.entries} entries")
        self.stdout.write(f"Head: {report.head}")

"""``python manage.py verify_document FILE [--json]``: signed, intact, signer, signing time, PDF/A claim, and
whether the platform issued it. The exit status is 0 only for an intact document the platform issued."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from procurement.documents import services, verification


class Command(BaseCommand):
    help = "Check a PDF: signature, integrity since signing, PDF/A claim, issued by the platform."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print the answer of POST documents/verify.")

    def handle(self, *args, file: Path, json: bool = False, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}")
        try:
            answer = services.verify(data)
        except verification.NotAPdf:
            raise CommandError(f"{file} is not a PDF.")
        if json:
            self.stdout.write(_dumps(answer))
        else:
            yes = {True: "oui", False: "non"}
            self.stdout.write(f"Fichier              {file}")
            self.stdout.write(f"SHA-256              {answer['sha256']}")
            self.stdout.write(f"Signé                {yes[answer['signed']]}")
            self.stdout.write(f"Intact               {yes[answer['intact']]}")
            self.stdout.write(f"Signataire           {answer['signer'] or '—'}")
            self.stdout.write(f"Signé le             {answer['signed_at'] or '—'}")
            self.stdout.write(f"PDF/A (déclaré)      {answer['pdfa'] or '—'}")
            self.stdout.write(f"Émis par la plateforme {yes[answer['issued_by_platform']]}"
                              + (f" ({answer['document']['kind']}, {answer['document']['reference']})"
                                 if answer.get("document") else ""))
            self.stdout.write(answer["detail"])
        if not (answer["intact"] and answer["issued_by_platform"]):
            raise SystemExit(1)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)

"""Demonstration data: staff accounts, a published DPS for Hauts-de-France and 40 supplier companies.

Everything that carries a state goes through the services (the same rules, audit entries and mails as
real use); past events (publication 45 days ago, receipts, decisions) are made under a moved clock.
Mails generated while seeding are recorded (OutboundEmail) but delivered to an in-memory backend:
nothing leaves the machine.

    python manage.py seed_demo             # adds the data set unless the demo DPS already exists
    python manage.py seed_demo --if-empty  # does nothing at all when any DPS exists
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from procurement import calendar
from procurement import demo_data as data
from procurement.accounts.models import User
from procurement.accounts.services import staff_create_or_update, terms_accept
from procurement.models import DynamicPurchasingSystem
from procurement.services import category_create, decision_due_for, dps_create, dps_publish
from suppliers.identifiers import make_siret, vat_for_siren

try:  # a development dependency, installed by `make run`
    import time_machine
except ImportError:  # pragma: no cover
    time_machine = None


# --- helpers -----------------------------------------------------------------------------------------------

def demo_siret(n: int) -> str:
    """A valid SIRET (Luhn-valid SIREN + NIC + Luhn check digit), deterministic in ``n``."""
    base = f"{(n * 104729 + 31415926) % 10**8:08d}"
    base = ("7" + base[1:]) if base[0] in "03" else base
    return make_siret(base, (n % 90) + 10)


def _pdf_text(value: str) -> bytes:
    raw = value.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica, WinAnsi) showing ``title`` and ``lines``."""
    stream = [b"BT /F1 16 Tf 56 780 Td (" + _pdf_text(title) + b") Tj ET", b"BT /F1 11 Tf 56 748 Td 16 TL"]
    for line in lines:
        stream.append(b"(" + _pdf_text(line) + b") Tj T*")
    stream.append(b"ET")
    content = b"\n".join(stream)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class _Clock:
    """Run a block at a moment in the past (time_machine), or now when the moment is None."""

    def __init__(self, moment):
        self.moment = moment
        self.traveller = None

    def __enter__(self):
        if self.moment is not None:
            self.traveller = time_machine.travel(self.moment, tick=True)
            self.traveller.start()
        return self

    def __exit__(self, *exc):
        if self.traveller is not None:
            self.traveller.stop()


def at(moment):
    return _Clock(moment)


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# Scenario of each company (index in demo_data.COMPANIES).
ADMITTED = set(range(0, 19)) | {20, 21, 22}
MIXED = {3, 7, 12}           # admitted in one category, rejected in another
ALL_REJECTED = {19}
SUSPENDED = {20, 21}
EXCLUDED = {22}
SUBMITTED_OVERDUE, SUBMITTED_DUE_SOON, SUBMITTED_FRESH, SUBMITTED_EXTENDED = 23, 24, 25, 26
INFO_REQUESTED = {27, 28}
DRAFT = {29, 30, 31}
DRAFT_INCOMPLETE = 31
WITHDRAWN = {32, 33}
EXPIRED_URSSAF = {8, 16, 36}
EXPIRING_SOON = {0: 12, 5: 9, 9: 21, 14: 27}     # liability insurance (URSSAF for company 0) expires in N days
NO_DECLARATION = {37, 38}


class Command(BaseCommand):
    help = "Load demonstration data (staff, a published DPS, 40 companies in every state); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any DPS already exists (used by `make run`).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")

    def handle(self, *args, **options):
        if options["if_empty"] and DynamicPurchasingSystem.objects.exists():
            self.stdout.write("Un SAD existe déjà : données de démonstration non chargées (--if-empty).")
            return
        if time_machine is None:
            raise CommandError("seed_demo needs the development dependencies (time-machine): run `make install`.")
        started = time.monotonic()
        self.random = random.Random(options["seed"])
        task_log = logging.getLogger("celery.app.trace")
        previous_level = task_log.level
        task_log.setLevel(logging.WARNING)
        try:
            # Celery reads its configuration from Django's settings as they are at the time: overriding the
            # settings (never writing to celery_app.conf, which would stick for the rest of the process)
            # runs the mails in-process into memory while seeding, whatever broker is configured.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                                   CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True):
                self.staff = self._staff()
                self.supplier = self._supplier_account()
                if DynamicPurchasingSystem.objects.filter(reference=data.DPS_REFERENCE).exists():
                    self.stdout.write(f"Le SAD {data.DPS_REFERENCE} existe déjà : comptes mis à jour, rien d'autre.")
                else:
                    with transaction.atomic():
                        self._seed()
        finally:
            task_log.setLevel(previous_level)
        self.stdout.write(f"Terminé en {time.monotonic() - started:.1f} s.")
        self._print_credentials()

    # --- accounts ------------------------------------------------------------------------------------

    def _staff(self) -> dict[str, User]:
        accounts = {}
        for email, password, roles, first, last, admin in data.STAFF:
            user = staff_create_or_update(email=email, roles=roles, password=password, first_name=first,
                                          last_name=last, admin=admin)
            accounts[roles[0] if roles else "admin"] = user
        return accounts

    def _supplier_account(self) -> User:
        user = User.objects.filter(email=data.SUPPLIER_EMAIL).first()
        if user is None:
            # Created directly: the demo password is deliberately close to the address (easy to remember),
            # which the registration form's validators would refuse.
            user = User.objects.create_user(email=data.SUPPLIER_EMAIL, password=data.SUPPLIER_PASSWORD,
                                            first_name="Julien", last_name="Lemaire",
                                            email_verified_at=timezone.now())
        else:
            user.set_password(data.SUPPLIER_PASSWORD)
            user.save(update_fields=["password"])
        terms_accept(user=user)  # as its registration would have (a second run records nothing new)
        return user

    def _contact(self, index: int, name: str) -> User:
        first = data.FIRST_NAMES[index % len(data.FIRST_NAMES)]
        last = data.LAST_NAMES[(index * 7) % len(data.LAST_NAMES)]
        email = f"{slugify(first)}.{slugify(last)}@{slugify(name)[:40]}.demo.fr"
        user = User.objects.filter(email=email).first()
        if user is None:  # no password: these demo contacts do not log in
            user = User.objects.create_user(email=email, password=None, first_name=first, last_name=last,
                                            email_verified_at=timezone.now())
        return user

    # --- the data set -------------------------------------------------------------------------------

    def _seed(self):
        from suppliers import services as s

        self.s = s
        self.today = timezone.localdate()
        buyer = self.staff["buyer"]
        published_on = self.today - dt.timedelta(days=data.DPS_PUBLISHED_DAYS_AGO)
        with at(_moment(published_on - dt.timedelta(days=2), 9)):
            dps = dps_create(actor=buyer, reference=data.DPS_REFERENCE, title=data.DPS_TITLE,
                             description=data.DPS_DESCRIPTION, cpv_codes=data.DPS_CPV_CODES,
                             valid_until=self.today.replace(year=self.today.year + data.DPS_VALIDITY_YEARS),
                             initial_decision_days=data.DPS_INITIAL_DECISION_DAYS)
            self.categories = {}
            for trade, prefix, label, max_value, min_turnover, extra in data.TRADES:
                for dep, dep_name in data.DEPARTEMENTS.items():
                    code = f"{prefix}-{dep}"
                    self.categories[code] = category_create(
                        actor=buyer, dps=dps, code=code, name=f"{label} — {dep_name} ({dep})", trade=trade,
                        territories=[dep], max_contract_value=max_value, min_turnover=min_turnover,
                        required_evidence=data.BASE_EVIDENCE + extra,
                    )
        with at(_moment(published_on, 10)):
            self.dps = dps_publish(actor=buyer, dps=dps)
        counts = {"companies": 0, "documents": 0}
        for index, row in enumerate(data.COMPANIES):
            self._company(index, row, counts)
        self.stdout.write(
            f"SAD « {self.dps.title} » publié le {published_on:%d/%m/%Y}, {len(self.categories)} catégories, "
            f"{counts['companies']} entreprises, {counts['documents']} justificatifs."
        )
        from tenders.demo import seed_tenders

        seed_tenders(at=at, buyer=buyer, supplier=self.supplier, categories=self.categories, make_pdf=make_pdf,
                     stdout=self.stdout)

    def _company_categories(self, index, trades, dep):
        codes = [f"{prefix}-{dep}" for prefix in trades]
        if index in MIXED | ALL_REJECTED:  # also applies to a neighbouring département
            other = next(d for d in ("80", "60", "02", "62", "59") if d != dep)
            codes.append(f"{trades[0]}-{other}")
        return [self.categories[c] for c in codes]

    def _company(self, index, row, counts):
        s = self.s
        name, legal_form, naf, trades, employees, turnover = row
        commune, postal_code = data.COMMUNES[(index * 5) % len(data.COMMUNES)]
        dep = postal_code[:2]
        categories = self._company_categories(index, trades, dep)
        # When this company's story happened: admitted ones between 44 and 8 days ago.
        start = self.today - dt.timedelta(days=40 - index if index in ADMITTED | ALL_REJECTED else 30)
        owner = self.supplier if index == 0 else self._contact(index, name)
        year = self.today.year
        turnovers = [{"year": year - k, "amount": str(int(turnover * (1 - 0.06 * k)))} for k in (1, 2, 3)]
        with at(_moment(start - dt.timedelta(days=3), 9, 15)):
            siret = demo_siret(index + 1)
            company = s.company_create(actor=owner, data={
                "name": name, "siret": siret, "vat_number": vat_for_siren(siret[:9]), "legal_form": legal_form,
                "naf_code": naf, "employees": employees, "turnovers": turnovers, "postal_code": postal_code,
                "street": f"{self.random.randint(1, 180)} {self.random.choice(data.STREETS)}", "city": commune,
            })
            counts["companies"] += 1
            if index not in NO_DECLARATION:
                s.declaration_submit(
                    actor=owner, company=company, exclusion_grounds=dict.fromkeys(s.EXCLUSION_GROUNDS, False),
                    capacities={"turnovers": turnovers, "staff": employees, "references": [
                        {"title": f"Réhabilitation thermique de {self.random.randint(12, 96)} logements",
                         "client": "Bailleur social", "year": year - 1},
                    ]},
                    sworn=True, signatory=f"{owner.get_full_name()}, gérant",
                )
            kinds = list(dict.fromkeys(k for c in categories for k in c.required_evidence))
            if index == DRAFT_INCOMPLETE:
                kinds = [k for k in kinds if k not in ("urssaf_vigilance", "decennial_insurance")]
            if index >= 34:
                kinds = kinds[:4]
            for kind in kinds:
                self._document(company, owner, kind, index, start)
                counts["documents"] += 1
        self._story(index, company, owner, categories, start)

    def _document(self, company, owner, kind, index, start):
        issued = start - dt.timedelta(days=self.random.randint(8, 60))
        valid_until = None
        days = data.EVIDENCE_VALIDITY_DAYS[kind]
        if days:
            valid_until = issued + dt.timedelta(days=days)
        if kind == "urssaf_vigilance" and index in EXPIRED_URSSAF:
            issued = self.today - dt.timedelta(days=200)  # 6 months: expired a few days ago
        if index in EXPIRING_SOON and kind == ("urssaf_vigilance" if index == 0 else "liability_insurance"):
            valid_until = self.today + dt.timedelta(days=EXPIRING_SOON[index])
            issued = min(issued, valid_until - dt.timedelta(days=180))
        title = data.EVIDENCE_TEXT[kind]
        lines = [
            f"{title} — {company.name} — délivrée le {issued:%d/%m/%Y}",
            f"Raison sociale : {company.name} ({company.legal_form})",
            f"SIRET : {company.siret} — {company.street}, {company.postal_code} {company.city}",
            f"Date de délivrance : {issued:%d/%m/%Y}",
        ]
        shown_until = valid_until or (calendar.add_months(issued, 6) if kind == "urssaf_vigilance" else None)
        if shown_until:
            lines.append(f"Valable jusqu'au : {shown_until:%d/%m/%Y}")
        lines.append("Document de démonstration — sans valeur juridique.")
        content = ContentFile(make_pdf(title, lines), name=f"{kind}-{slugify(company.name)[:40]}.pdf")
        return self.s.evidence_upload(actor=owner, company=company, kind=kind, uploaded_file=content,
                                      issued_on=issued, valid_until=valid_until, confirm_expired=True)

    def _story(self, index, company, owner, categories, start):
        s = self.s
        buyer = self.staff["buyer"]
        ids = [c.id for c in categories]
        if index in ADMITTED | ALL_REJECTED:
            with at(_moment(start, 10, 30)):
                application = s.application_create(actor=owner, dps=self.dps, company=company, category_ids=ids)
                s.application_submit(actor=owner, application=application)
            with at(_moment(start + dt.timedelta(days=4), 15)):
                decisions = []
                for position, category in enumerate(categories):
                    admitted = index not in ALL_REJECTED and not (index in MIXED and position == len(categories) - 1)
                    decisions.append({"category": category.id, "admitted": admitted,
                                      "reason": "" if admitted else self.random.choice(data.REJECTION_REASONS)})
                s.application_decide(actor=buyer, application=application, decisions=decisions)
            admissions = list(company.admissions.all())
            if index in SUSPENDED:
                s.admission_suspend(actor=buyer, admission=admissions[0],
                                    reason="Attestation d'assurance décennale non produite après relance.")
            if index in EXCLUDED:
                s.admission_exclude(actor=buyer, admission=admissions[0],
                                    reason="Fausse déclaration constatée : sous-traitance non déclarée.")
            if index == 0:
                s.declaration_renewals_request(actor=buyer, dps=self.dps, company_ids=[company.id])
        elif index in (SUBMITTED_OVERDUE, SUBMITTED_DUE_SOON, SUBMITTED_FRESH, SUBMITTED_EXTENDED):
            received = _moment(self._receipt_day(index), 11, 20)
            with at(received):
                application = s.application_create(actor=owner, dps=self.dps, company=company, category_ids=ids)
                s.application_submit(actor=owner, application=application)
            if index == SUBMITTED_EXTENDED:
                s.application_extend(actor=buyer, application=application,
                                     reason="Vérification des références auprès des maîtres d'ouvrage cités.")
        elif index in INFO_REQUESTED:
            with at(_moment(self.today - dt.timedelta(days=8), 14)):
                application = s.application_create(actor=owner, dps=self.dps, company=company, category_ids=ids)
                s.application_submit(actor=owner, application=application)
            with at(_moment(self.today - dt.timedelta(days=5), 10)):
                s.application_request_info(actor=buyer, application=application,
                                           message=data.INFO_REQUEST_MESSAGES[index % 2])
        elif index in DRAFT:
            with at(_moment(self.today - dt.timedelta(days=2), 17)):
                s.application_create(actor=owner, dps=self.dps, company=company, category_ids=ids)
        elif index in WITHDRAWN:
            with at(_moment(self.today - dt.timedelta(days=15), 9)):
                application = s.application_create(actor=owner, dps=self.dps, company=company, category_ids=ids)
                s.application_submit(actor=owner, application=application)
            with at(_moment(self.today - dt.timedelta(days=12), 16)):
                s.application_withdraw(actor=owner, application=application,
                                       reason="Plan de charge complet pour l'année.")

    def _receipt_day(self, index) -> dt.date:
        if index == SUBMITTED_OVERDUE:
            return self.today - dt.timedelta(days=28)
        if index in (SUBMITTED_FRESH, SUBMITTED_EXTENDED):
            return self.today - dt.timedelta(days=1 if index == SUBMITTED_FRESH else 4)
        # due soon: the latest receipt whose decision falls within the next two days
        day = self.today
        while day > self.today - dt.timedelta(days=40):
            day -= dt.timedelta(days=1)
            due = decision_due_for(self.dps, _moment(day, 11))
            if due <= self.today + dt.timedelta(days=2):
                return day
        return day

    # --- output ---------------------------------------------------------------------------------------

    def _print_credentials(self):
        rows = [(roles[0] if roles else "admin Django", email, password)
                for email, password, roles, _f, _l, _a in data.STAFF]
        rows.append(("fournisseur", data.SUPPLIER_EMAIL, data.SUPPLIER_PASSWORD))
        labels = {"buyer": "acheteur", "evaluator": "évaluateur", "approver": "approbateur"}
        lines = [f"{labels.get(role, role):<13} {email:<32} {password}" for role, email, password in rows]
        width = max(len(line) for line in lines + ["Comptes de démonstration"]) + 2
        self.stdout.write("┌" + "─" * width + "┐")
        self.stdout.write("│ " + "Comptes de démonstration".ljust(width - 1) + "│")
        self.stdout.write("├" + "─" * width + "┤")
        for line in lines:
            self.stdout.write("│ " + line.ljust(width - 1) + "│")
        self.stdout.write("└" + "─" * width + "┘")

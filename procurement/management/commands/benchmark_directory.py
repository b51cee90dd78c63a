"""Load test of the buyer console's supplier directory and dashboard on a large data set.

    python manage.py benchmark_directory [--companies 10000 --documents 50000 --requests 200] [--keep]

The data set is bulk-inserted (``bulk_create``) for speed, NOT through the services: no audit entries,
no mails, states written directly. It exists only to be measured, is marked (company names start with
``BENCH·``, accounts end with ``@bench.invalid``, DPS reference ``BENCH-…``) and is deleted at the end
unless ``--keep`` is given; leftovers of an earlier run are deleted before a new one.

Then, logged in as a buyer through ``django.test.Client``, each page below is requested ``--requests``
times: the directory (``console:directory``) unfiltered, on a deep page, with filters, and the dashboard
(``console:dashboard``). For each: p50, p95 and max response time in ms, and the SQL queries per request
(which must not depend on the page or on the number of rows), with the median time spent in SQL (the
rest is Python and template rendering). Target: p95 < 150 ms, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from procurement import demo_data as data
from procurement.accounts.models import User
from procurement.accounts.services import staff_create_or_update
from procurement.benchmarking import percentile
from procurement.models import Category, DynamicPurchasingSystem, Trade
from suppliers.identifiers import make_siret

PREFIX = "BENCH·"
EMAIL_DOMAIN = "bench.invalid"
DPS_PREFIX = "BENCH-"
TARGET_P95_MS = 150
SHARED_FILE = "benchmark/shared-dummy.pdf"
BATCH = 2000


def _siret(n: int) -> str:
    return make_siret(f"9{n:07d}")


class Command(BaseCommand):
    help = "Bulk-load a large marked data set, time the supplier directory and the dashboard, then clean up."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=10000)
        parser.add_argument("--documents", type=int, default=50000)
        parser.add_argument("--requests", type=int, default=200, help="Requests per measured page (default 200).")
        parser.add_argument("--keep", action="store_true", help="Keep the data set afterwards.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        for name in ("companies", "documents", "requests"):
            if options[name] < (1 if name != "documents" else 0):
                raise CommandError(f"--{name} must be positive.")
        try:
            reverse("console:directory")
            reverse("console:dashboard")
        except NoReverseMatch as exc:
            raise CommandError(f"The console pages are not available: {exc}")
        if connection.vendor != "postgresql":
            self.stdout.write(self.style.WARNING(
                f"Attention : base {connection.vendor}. Ce banc d'essai vise PostgreSQL "
                "(DATABASE_URL=postgres://…) ; les chiffres ci-dessous ne sont pas représentatifs."))
        self.random = random.Random(options["seed"])
        self.cleanup(quiet=True)
        try:
            started = time.monotonic()
            categories = self.load(options["companies"], options["documents"])
            self.stdout.write(f"Données chargées en {time.monotonic() - started:.1f} s.")
            self.measure(categories, options["requests"])
        finally:
            if options["keep"]:
                self.stdout.write(f"Données conservées (--keep) : entreprises « {PREFIX}… », comptes @{EMAIL_DOMAIN}.")
            else:
                self.cleanup()

    # --- data ----------------------------------------------------------------------------------------

    def create_dps(self, now, today) -> list[Category]:
        """The measured DPS (open) and its categories: every trade in every département of the demo."""
        dps = DynamicPurchasingSystem(
            reference=f"{DPS_PREFIX}{uuid.uuid4().hex[:8]}", title=f"{PREFIX} SAD de mesure",
            valid_until=today + dt.timedelta(days=3 * 365), status="open",
            published_at=now - dt.timedelta(days=60), first_window_ends_at=now - dt.timedelta(days=30),
            created_by=self.buyer,
        )
        dps.save()
        categories = Category.objects.bulk_create([
            Category(dps=dps, code=f"{prefix}-{dep}", name=f"{PREFIX} {label} ({dep})", trade=trade,
                     territories=[dep], max_contract_value=max_value, min_turnover=min_turnover,
                     required_evidence=data.BASE_EVIDENCE)
            for trade, prefix, label, max_value, min_turnover, _extra in data.TRADES
            for dep in data.DEPARTEMENTS
        ])
        assert all(c.trade in Trade.values for c in categories)
        return categories

    def load(self, n_companies: int, n_documents: int, *, into: list[Category] | None = None,
             first: int = 0) -> list[Category]:
        """Bulk-load the data set; ``into`` (the categories of an earlier call) and ``first`` (the number of
        companies it loaded) grow that data set instead of starting a new DPS."""
        from suppliers.models import (
            Admission,
            Application,
            ApplicationCategory,
            Company,
            EvidenceDocument,
            Membership,
        )

        rnd = self.random
        now = timezone.now()
        today = timezone.localdate()
        with transaction.atomic():
            self.buyer = staff_create_or_update(email=f"acheteur@{EMAIL_DOMAIN}", roles=["buyer"],
                                                first_name="Banc", last_name="Essai")
            categories = into or self.create_dps(now, today)
            dps = categories[0].dps

            existing = set(Company.objects.exclude(siret=None).values_list("siret", flat=True))
            companies, n = [], first
            while len(companies) < n_companies:
                n += 1
                siret = _siret(n)
                if siret in existing:
                    continue
                name, *_rest = data.COMPANIES[n % len(data.COMPANIES)]
                commune, postal_code = data.COMMUNES[n % len(data.COMMUNES)]
                companies.append(Company(name=f"{PREFIX} {name} {n:05d}", siret=siret, siren=siret[:9],
                                         postal_code=postal_code, city=commune, street="1 rue de la Mesure",
                                         turnovers=[{"year": today.year - 1, "amount": "1500000.00"}]))
            Company.objects.bulk_create(companies, batch_size=BATCH)

            users = [User(email=f"contact{i:06d}@{EMAIL_DOMAIN}", password="!", email_verified_at=now)
                     for i in range(first, first + n_companies)]
            User.objects.bulk_create(users, batch_size=BATCH)
            Membership.objects.bulk_create(
                [Membership(user=u, company=c, role="admin") for u, c in zip(users, companies, strict=True)],
                batch_size=BATCH)

            kinds = ["kbis", "urssaf_vigilance", "tax_certificate", "liability_insurance", "rge_certificate"]
            documents = []
            for i in range(n_documents):
                company = companies[i % n_companies]
                issued = today - dt.timedelta(days=rnd.randint(10, 400))
                valid_until = None if i % 7 == 0 else today + dt.timedelta(days=rnd.randint(-60, 400))
                documents.append(EvidenceDocument(
                    company=company, kind=kinds[i % len(kinds)], file=SHARED_FILE, filename="attestation.pdf",
                    content_type="application/pdf", size=1024, sha256="0" * 64, issued_on=issued,
                    valid_until=valid_until, uploaded_at=now))
            EvidenceDocument.objects.bulk_create(documents, batch_size=BATCH)

            # 70 % decided with an admission (10 % of them suspended, 3 % excluded), 15 % awaiting a decision.
            applications, lines, admissions = [], [], []
            for i, company in enumerate(companies):
                category = categories[i % len(categories)]
                roll = rnd.random()
                if roll < 0.70:
                    application = Application(dps=dps, company=company, status="decided", created_at=now,
                                              submitted_at=now - dt.timedelta(days=30),
                                              decided_at=now - dt.timedelta(days=20), decided_by=self.buyer)
                    status = "suspended" if roll < 0.07 else ("excluded" if roll < 0.091 else "admitted")
                    admissions.append(Admission(company=company, category=category, application=application,
                                                status=status, admitted_at=now - dt.timedelta(days=20)))
                    decision = "admitted"
                elif roll < 0.85:
                    submitted = now - dt.timedelta(days=rnd.randint(0, 25))
                    application = Application(dps=dps, company=company, status="submitted", created_at=submitted,
                                              submitted_at=submitted, first_submitted_at=submitted,
                                              decision_due=timezone.localdate(submitted) + dt.timedelta(days=14))
                    decision = "pending"
                else:
                    continue
                applications.append(application)
                lines.append(ApplicationCategory(application=application, category=category, decision=decision))
            Application.objects.bulk_create(applications, batch_size=BATCH)
            ApplicationCategory.objects.bulk_create(lines, batch_size=BATCH)
            Admission.objects.bulk_create(admissions, batch_size=BATCH)
        if connection.vendor == "postgresql":
            # Fresh statistics and no dead rows left by earlier runs, as autovacuum would have it in
            # production: with the stale estimates of a just bulk-loaded table the planner overestimates
            # costs and pays for JIT compilation, and dead rows make every scan read several times the pages.
            with connection.cursor() as cursor:
                for model in (Company, EvidenceDocument, Membership, User, Application, ApplicationCategory,
                              Admission, Category):
                    cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
        self.stdout.write(
            f"{len(companies)} entreprises, {len(users)} comptes, {len(documents)} justificatifs, "
            f"{len(applications)} candidatures, {len(admissions)} admissions, {len(categories)} catégories.")
        return categories

    def cleanup(self, quiet: bool = False):
        from suppliers.models import (
            Admission,
            Application,
            ApplicationCategory,
            Company,
            EvidenceDocument,
            Membership,
        )

        started = time.monotonic()
        marked = Company.objects.filter(name__startswith=PREFIX)
        bench_dps = DynamicPurchasingSystem.objects.filter(reference__startswith=DPS_PREFIX)
        if not (marked.exists() or bench_dps.exists() or User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists()):
            return
        with transaction.atomic():
            Admission.objects.filter(category__dps__in=bench_dps).delete()
            Admission.objects.filter(company__in=marked).delete()
            ApplicationCategory.objects.filter(application__dps__in=bench_dps).delete()
            Application.objects.filter(dps__in=bench_dps).delete()
            EvidenceDocument.objects.filter(company__in=marked).delete()
            Membership.objects.filter(company__in=marked).delete()
            marked.delete()
            Category.objects.filter(dps__in=bench_dps).delete()
            bench_dps.delete()
            User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
        if not quiet:
            self.stdout.write(f"Données de mesure supprimées en {time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write("Restes d'une mesure précédente supprimés.")

    # --- measures ------------------------------------------------------------------------------------

    def measure(self, categories: list[Category], n_requests: int):
        directory = reverse("console:directory")
        dashboard = reverse("console:dashboard")
        category = categories[7]
        scenarios = [
            ("annuaire, page 1", directory, {}),
            ("annuaire, page 40", directory, {"page": 40}),
            ("annuaire, département 59", directory, {"territory": "59"}),
            ("annuaire, catégorie + admises", directory, {"category": str(category.id), "admission_status": "admitted"}),
            ("annuaire, expirant sous 30 j", directory, {"expiring_within": 30}),
            ("annuaire, recherche « isolation »", directory, {"q": "isolation"}),
            ("annuaire, suspendues, page 3", directory, {"admission_status": "suspended", "page": 3}),
            ("tableau de bord", dashboard, {}),
            ("tableau de bord, page 5", dashboard, {"page": 5}),
        ]
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        results = []
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(self.buyer)
            for label, url, params in scenarios:
                for _ in range(3):  # warm-up
                    response = client.get(url, params)
                if response.status_code != 200:
                    self.stdout.write(self.style.ERROR(f"{label} : réponse {response.status_code}, page ignorée."))
                    continue
                timings, counts, sql_times = [], [], []
                for _ in range(n_requests):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(url, params)
                        elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise CommandError(f"{label}: HTTP {response.status_code}")
                    timings.append(elapsed)
                    counts.append(len(queries))
                    sql_times.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
                results.append((label, url, timings, counts, sql_times))
        self.report(results, n_requests)

    def report(self, results, n_requests: int):
        self.stdout.write("")
        self.stdout.write(f"{n_requests} requêtes par page, base {connection.vendor} — objectif : p95 < {TARGET_P95_MS} ms")
        header = f"{'page':<38} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'SQL p50 ms':>11} {'requêtes SQL':>13}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        all_ok = True
        per_url: dict[str, set[int]] = {}
        for label, url, timings, counts, sql_times in results:
            p50, p95 = statistics.median(timings), percentile(timings, 95)
            distinct = sorted(set(counts))
            per_url.setdefault(url, set()).update(distinct)
            shown = str(distinct[0]) if len(distinct) == 1 else f"{distinct[0]}–{distinct[-1]} (variable)"
            ok = p95 < TARGET_P95_MS
            all_ok &= ok
            sql = statistics.median(sql_times)
            line = f"{label:<38} {p50:>8.1f} {p95:>8.1f} {max(timings):>8.1f} {sql:>11.1f} {shown:>13}"
            self.stdout.write(line if ok else self.style.WARNING(line + "  > objectif"))
        self.stdout.write("")
        for url, counts in per_url.items():
            constant = len(counts) == 1
            text = (f"{url} : {sorted(counts)[0]} requêtes SQL quelle que soit la page ou le filtre" if constant
                    else f"{url} : nombre de requêtes variable selon la page ou le filtre : {sorted(counts)}")
            self.stdout.write(self.style.SUCCESS(text) if constant else self.style.WARNING(text))
        verdict = "atteint" if all_ok else "NON atteint"
        self.stdout.write((self.style.SUCCESS if all_ok else self.style.ERROR)(
            f"Objectif p95 < {TARGET_P95_MS} ms : {verdict}."))

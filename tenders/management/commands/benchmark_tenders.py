"""Load test of bid submission and of the invitation fan-out, on PostgreSQL with real processes.

    DATABASE_URL=postgres://…/sadbench CELERY_BROKER_URL=redis://…/14 \\
        python manage.py benchmark_tenders [--bids 400] [--suppliers 1000] [--threads 16] [--workers 2]
                                           [--skip-submissions] [--skip-fanout] [--profile] [--force]

Run it on a database of its own (``createdb sadbench``, then ``migrate`` with DATABASE_URL pointing at it),
and drop that database afterwards (``dropdb sadbench``). The data it creates goes through the services
where it matters (tender creation and publication, draft bids, submission), so it appends to the audit
chain, which is append-only: the companies, accounts and audit entries it leaves behind cannot be
deleted without breaking the chain. For that reason the command refuses a database that holds any DPS
other than its own (references ``BENCHT-…``) unless ``--force`` is given. Everything it creates is
marked: DPS ``BENCHT-<run>``, companies ``BENCH-T·…``, accounts ``…@bench-tenders.invalid``.

1. Submissions (``--bids``, default 400; ``--skip-submissions`` to leave out). A published tender with
   that many invited suppliers, each with an API token and a draft bid (suppliers written directly,
   admitted before publication; tender and bids through the services). Then ``gunicorn procurement.wsgi
   -w 2`` is started on a free loopback port with production settings (DEBUG=false, the same SECRET_KEY
   and SEALING_MASTER_KEYS as this command), and ``--threads`` client threads (default 16, one
   keep-alive connection each) send ``POST /api/v1/bids/{id}/submit/`` for every bid. Printed:
   submissions per second, p50/p95 latency, responses 200/409/other. Target: at least 200 per second.
   Also printed (Linux, local PostgreSQL): the CPU time one submission costs in the workers and in their
   database backends, and the rate this machine's processors could sustain at that cost, since the
   figure itself depends on whatever else the machine is running. ``--profile`` adds a cProfile of the
   workers; ``--workers`` changes their number for comparison.
   With a broker, the receipt mails queued by the requests wait in a queue of this run's own and are
   sent by the worker of part 2 before its measure starts; without one they are sent in-process.

2. Fan-out (``--suppliers``, default 1000; ``--skip-fanout`` to leave out; needs CELERY_BROKER_URL).
   An SMTP server (in this process) and a Celery worker (``celery -A procurement worker``, prefork, one
   process per CPU, on a queue of this run's own) are started; a tender of a category with that many
   admitted suppliers (one member each) is published through ``tenders.services.tender_publish``, and
   the time from the call to the last invitation mail received by the SMTP server, then to the last
   OutboundEmail row marked sent, is printed. Target: at most 10 seconds.

Every process started (gunicorn, worker, SMTP server) is stopped at the end, and this run's queue is
deleted from the broker.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import queue as queue_module
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from procurement import benchmarking
from procurement.benchmarking import SmtpSink

PREFIX = "BENCH-T·"
EMAIL_DOMAIN = "bench-tenders.invalid"
DPS_PREFIX = "BENCHT-"
TARGET_SUBMISSIONS_PER_S = 200
TARGET_FANOUT_S = 10.0
BATCH = 2000
SUBMIT_PATH = "/api/v1/bids/{id}/submit/"

# As for the Celery worker (``benchmarking.worker_command``), the tasks queued by the gunicorn workers go to
# this run's queue (a gunicorn configuration file: a hook run in each worker after fork).
# With --profile, each worker also records a cProfile of its requests, written when it stops.
GUNICORN_CONFIG = '''
import os


def post_fork(server, worker):
    queue = os.environ.get("BENCHMARK_CELERY_QUEUE")
    if queue:
        from procurement.celery import app

        app.conf.task_default_queue = queue
    if os.environ.get("BENCHMARK_PROFILE_DIR"):
        import cProfile

        worker.benchmark_profile = cProfile.Profile()
        worker.benchmark_profile.enable()


def worker_exit(server, worker):
    profile = getattr(worker, "benchmark_profile", None)
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.path.join(os.environ["BENCHMARK_PROFILE_DIR"], f"worker-{worker.pid}.prof"))
'''

SCHEDULE = [
    {"ref": "1.1", "label": "Installation de chantier", "unit": "forfait", "quantity": "1"},
    {"ref": "2.1", "label": "Isolant PSE graphité 160 mm", "unit": "m²", "quantity": "1200"},
    {"ref": "2.2", "label": "Enduit de finition", "unit": "m²", "quantity": "1200"},
]
PRICES = [{"ref": "1.1", "unit_price": "5000.00"}, {"ref": "2.1", "unit_price": "95.00"},
          {"ref": "2.2", "unit_price": "40.00"}]
TOTAL = "167000.00"


# --- the command -------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = ("Benchmark on PostgreSQL: bid submissions per second through the API (gunicorn, 2 workers) and "
            "the invitation fan-out to many suppliers (real Celery worker, real SMTP). Run it on a database "
            "of its own (createdb sadbench; migrate), then drop it: the data it writes is kept (audit chain). "
            "See the module docstring for details.")

    def add_arguments(self, parser):
        parser.add_argument("--bids", type=int, default=400,
                            help="Invited suppliers (each with a draft bid) submitting through the API (default 400).")
        parser.add_argument("--suppliers", type=int, default=1000,
                            help="Admitted suppliers invited by the fan-out measure (default 1000).")
        parser.add_argument("--threads", type=int, default=16, help="Client threads sending submissions (default 16).")
        parser.add_argument("--workers", type=int, default=2,
                            help="gunicorn workers serving the submissions (default 2, the measure's setting).")
        parser.add_argument("--skip-submissions", action="store_true", help="Leave out the submission measure.")
        parser.add_argument("--skip-fanout", action="store_true", help="Leave out the fan-out measure.")
        parser.add_argument("--timeout", type=float, default=120.0,
                            help="Seconds to wait for the fan-out mails before giving up (default 120).")
        parser.add_argument("--profile", action="store_true",
                            help="Profile the gunicorn workers (cProfile) and print where their time goes.")
        parser.add_argument("--force", action="store_true",
                            help="Run even if the database holds data other than this benchmark's.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"benchmark_tenders needs PostgreSQL (DATABASE_URL=postgres://…/sadbench), and the database is "
                f"{connection.vendor}: the figures would mean nothing and gunicorn workers could not share it.")
        for name in ("bids", "suppliers", "threads", "workers"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be positive.")
        if options["skip_submissions"] and options["skip_fanout"]:
            raise CommandError("Nothing to measure: --skip-submissions and --skip-fanout together.")
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if not options["skip_fanout"] and not broker:
            raise CommandError("The fan-out measure needs a real broker: set CELERY_BROKER_URL (e.g. "
                               "redis://127.0.0.1:6379/14), or pass --skip-fanout.")
        self.check_database(options["force"])

        self.broker = broker
        self.tag = uuid.uuid4().hex[:8]
        self.queue = f"bench-tenders-{self.tag}"
        self.workdir = Path(tempfile.mkdtemp(prefix="benchmark-tenders-"))
        self.processes = benchmarking.Processes(self.workdir, self.stdout)
        self.sink = SmtpSink()
        self.first_mail_id = self.last_mail_id()
        self.earlier_tenders: list = []
        self.extra_env: dict[str, str] = {}
        from procurement.celery import app

        previous_queue = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue
        mail = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": self.sink.port, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "",
                "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False}
        results = []
        try:
            with override_settings(**mail):
                self.buyer, self.dps = self.setup_dps()
                if not options["skip_submissions"]:
                    results.append(self.submissions(options["bids"], options["threads"], options["workers"],
                                                    profile=options["profile"]))
                if not options["skip_fanout"]:
                    results.append(self.fanout(options["suppliers"], options["timeout"]))
        finally:
            app.conf.task_default_queue = previous_queue
            self.stop_processes()
            self.sink.stop()
            self.delete_queue()
            if not options["profile"]:  # logs and configuration; the profiles are kept for reading
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Résultats (base {connection.settings_dict['NAME']}, "
                                                     f"{os.cpu_count()} processeurs)"))
        for ok, line in results:
            self.stdout.write((self.style.SUCCESS if ok else self.style.ERROR)(line))
        self.stdout.write(f"Données conservées (DPS {DPS_PREFIX}{self.tag}) : supprimez la base de mesure après usage.")

    # --- set-up ------------------------------------------------------------------------------------------

    def check_database(self, force: bool):
        from procurement.models import DynamicPurchasingSystem

        others = DynamicPurchasingSystem.objects.exclude(reference__startswith=DPS_PREFIX).count()
        if others and not force:
            raise CommandError(
                f"This database holds {others} DPS that are not benchmark data. The benchmark writes to the "
                "audit chain and keeps its data: run it on a database of its own (createdb sadbench, then "
                "migrate with DATABASE_URL=postgres://…/sadbench), or pass --force.")

    def setup_dps(self):
        from procurement.accounts.services import staff_create_or_update
        from procurement.models import DynamicPurchasingSystem

        now = timezone.now()
        buyer = staff_create_or_update(email=f"acheteur-{self.tag}@{EMAIL_DOMAIN}", roles=["buyer"],
                                       first_name="Banc", last_name="Essai")
        dps = DynamicPurchasingSystem.objects.create(
            reference=f"{DPS_PREFIX}{self.tag}", title=f"{PREFIX} SAD de mesure",
            valid_until=timezone.localdate() + dt.timedelta(days=3 * 365), status="open",
            published_at=now - dt.timedelta(days=60), first_window_ends_at=now - dt.timedelta(days=30),
            created_by=buyer)
        return buyer, dps

    def category(self, code: str):
        from procurement.models import Category

        return Category.objects.create(
            dps=self.dps, code=code, name=f"{PREFIX} Isolation thermique par l'extérieur ({code})",
            trade="external_wall_insulation", territories=["60"], max_contract_value=Decimal("800000"),
            min_turnover=Decimal("0"), required_evidence=["kbis"])

    def suppliers(self, category, count: int, label: str):
        """``count`` companies admitted to ``category``, one admin member each, written in bulk (no audit,
        no mails): the admission flow is not what is measured. Returns [(company, user), …]."""
        from procurement.accounts.models import User
        from suppliers.models import Admission, Application, ApplicationCategory, Company, Membership

        now = timezone.now()
        with transaction.atomic():
            companies = Company.objects.bulk_create(
                [Company(name=f"{PREFIX} {label} {self.tag} {n:05d}", postal_code="60000", city="Beauvais",
                         street="1 rue de la Mesure") for n in range(count)], batch_size=BATCH)
            users = User.objects.bulk_create(
                [User(email=f"{label}-{self.tag}-{n:05d}@{EMAIL_DOMAIN}", password="!", email_verified_at=now)
                 for n in range(count)], batch_size=BATCH)
            Membership.objects.bulk_create(
                [Membership(user=u, company=c, role="admin") for u, c in zip(users, companies, strict=True)],
                batch_size=BATCH)
            applications = Application.objects.bulk_create(
                [Application(dps=self.dps, company=c, status="decided", created_at=now, submitted_at=now,
                             first_submitted_at=now, decided_at=now, decided_by=self.buyer) for c in companies],
                batch_size=BATCH)
            ApplicationCategory.objects.bulk_create(
                [ApplicationCategory(application=a, category=category, decision="admitted") for a in applications],
                batch_size=BATCH)
            Admission.objects.bulk_create(
                [Admission(company=c, category=category, application=a, status="admitted", admitted_at=now)
                 for c, a in zip(companies, applications, strict=True)], batch_size=BATCH)
        return list(zip(companies, users, strict=True))

    def tender(self, category):
        from tenders.services import tender_create

        now = timezone.now()
        data = {
            "dps": str(self.dps.id), "category": str(category.id),
            "title": f"{PREFIX} Isolation par l'extérieur — Résidence de mesure",
            "description": "ITE en polystyrène graphité 160 mm (marché de mesure).",
            "operation": {"name": "Résidence de mesure", "address": "1 rue de la Mesure", "commune": "Beauvais",
                          "insee_code": "60057", "dwellings": 48, "energy_label_before": "F",
                          "energy_label_target": "C"},
            "estimated_value": "250000.00", "budget_ceiling": "300000.00", "works_duration_weeks": 16,
            "questions_deadline": (now + dt.timedelta(days=7)).isoformat(),
            "bid_deadline": (now + dt.timedelta(days=14)).isoformat(),
            "criteria": [{"code": "price", "name": "Prix", "kind": "price", "weight": 50},
                         {"code": "tech", "name": "Valeur technique", "kind": "technical", "weight": 30},
                         {"code": "env", "name": "Performance environnementale", "kind": "environmental",
                          "weight": 20}],
            "price_method": "proportional", "standstill": True, "price_schedule": SCHEDULE,
        }
        return tender_create(actor=self.buyer, dps=self.dps, category=category, data=data)

    def environment(self) -> dict:
        env = benchmarking.environment(database=connection.settings_dict, queue=self.queue,
                                       mail_port=self.sink.port, broker=self.broker)
        return {**env, **self.extra_env}

    def start(self, name: str, command: list[str], log_name: str) -> tuple[subprocess.Popen, Path]:
        return self.processes.start(name, command, log_name, self.environment())

    def stop_processes(self):
        self.processes.stop()

    def delete_queue(self):
        if not self.broker:
            return
        problem = benchmarking.delete_queue(self.queue)
        if problem:
            self.stdout.write(self.style.WARNING(f"File {self.queue} non supprimée du broker : {problem}"))

    def last_mail_id(self) -> int:
        from procurement.models import OutboundEmail

        return OutboundEmail.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # --- 1. submissions ------------------------------------------------------------------------------

    def submissions(self, count: int, n_threads: int, workers: int, *, profile: bool = False) -> tuple[bool, str]:
        from procurement.accounts.services import api_token_issue
        from tenders.models import Bid
        from tenders.services import bid_create, tender_publish

        try:
            resolve(SUBMIT_PATH.format(id=uuid.uuid4()))
        except Resolver404:
            return False, (f"Dépôts : la route POST {SUBMIT_PATH} n'existe pas (encore) dans l'API : mesure "
                           "impossible.")
        started = time.monotonic()
        category = self.category("DEP")
        invited = self.suppliers(category, count, "depot")
        tender = tender_publish(actor=self.buyer, tender=self.tender(category))
        self.earlier_tenders.append(tender.id)
        bids = [bid_create(actor=user, tender=tender, company=company,
                           data={"total_price": TOTAL, "duration_weeks": 14, "lines": PRICES,
                                 "notes": "Offre de mesure."}).id
                for company, user in invited]
        keys = [api_token_issue(user=user)[0] for _c, user in invited]
        work = list(zip(bids, keys, strict=True))
        self.stdout.write(f"Dépôts : marché publié, {count} entreprises invitées, {count} brouillons d'offre "
                          f"en {time.monotonic() - started:.1f} s.")

        port = benchmarking.free_port()
        config = self.workdir / "gunicorn_benchmark.py"
        config.write_text(GUNICORN_CONFIG)
        profile_dir = self.workdir / "profiles"
        if profile:
            profile_dir.mkdir()
            self.extra_env["BENCHMARK_PROFILE_DIR"] = str(profile_dir)
        process, log_path = self.start("gunicorn", [
            sys.executable, "-m", "gunicorn", "procurement.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
            "-c", str(config), "--log-level", "warning"], "gunicorn.log")
        self.wait_http(port, process, log_path)
        self.stdout.write(f"gunicorn procurement.wsgi -w {workers} prêt sur 127.0.0.1:{port}.")
        self.warm_up(port, work[0][1], workers * 10)
        # CPU used by the application workers and by their PostgreSQL backends (when the server is local).
        app_pids = benchmarking.children(process.pid)
        db_before = {pid: benchmarking.cpu_seconds([pid]) for pid in self.backend_pids()}
        app_before = benchmarking.cpu_seconds(app_pids)

        jobs: queue_module.Queue = queue_module.Queue()
        for item in work:
            jobs.put(item)
        latencies: list[float] = []
        statuses: list[int] = []
        problems: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(n_threads + 1)

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            barrier.wait()
            while True:
                try:
                    bid_id, key = jobs.get_nowait()
                except queue_module.Empty:
                    break
                headers = {"Authorization": f"Token {key}", "Content-Type": "application/json",
                           "Accept": "application/json", "Connection": "keep-alive"}
                begin = time.perf_counter()
                try:
                    conn.request("POST", SUBMIT_PATH.format(id=bid_id), body=b"{}", headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, body = 0, repr(exc).encode()
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses.append(status)
                    if status not in (200, 409) and len(problems) < 5:
                        problems.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(n_threads)]
        for thread in threads:
            thread.start()
        barrier.wait()
        begin, client_cpu = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.join()
        wall, client_cpu = time.perf_counter() - begin, time.process_time() - client_cpu
        app_after = benchmarking.cpu_seconds(app_pids)
        # Backends opened during the run (a worker's first request) count whole.
        db_used = [(benchmarking.cpu_seconds([pid]), db_before.get(pid, 0.0)) for pid in self.backend_pids()]
        self.stop_processes()
        self.extra_env.pop("BENCHMARK_PROFILE_DIR", None)
        if profile:
            self.print_profile(profile_dir)

        ok, conflicts = statuses.count(200), statuses.count(409)
        other = len(statuses) - ok - conflicts
        for problem in problems:
            self.stdout.write(self.style.WARNING(f"Réponse inattendue {problem}"))
        submitted = Bid.objects.filter(tender=tender, status="submitted").count()
        if submitted != ok:
            self.stdout.write(self.style.ERROR(f"{ok} réponses 200 mais {submitted} offres déposées en base."))
        rate = len(statuses) / wall if wall else 0.0
        good = rate >= TARGET_SUBMISSIONS_PER_S and other == 0 and submitted == ok
        line = (f"Dépôts d'offres via l'API (gunicorn -w {workers}, {n_threads} clients) : {rate:.0f} dépôts/s "
                f"(objectif ≥ {TARGET_SUBMISSIONS_PER_S}/s) — {len(statuses)} requêtes en {wall:.2f} s, "
                f"p50 {statistics.median(latencies):.1f} ms, p95 {benchmarking.percentile(latencies, 95):.1f} ms ; "
                f"200 : {ok}, 409 : {conflicts}, autres : {other}")
        self.stdout.write(line)
        app_cpu = ((app_after - app_before) * 1000 / len(statuses)
                   if app_pids and None not in (app_before, app_after) else None)
        db_cpu = (sum(after - before for after, before in db_used) * 1000 / len(statuses)
                  if db_used and all(None not in pair for pair in db_used) else None)
        if app_cpu is not None:
            per_request = app_cpu + (db_cpu or 0.0)
            machine = os.cpu_count() or 1
            self.stdout.write(
                f"Temps processeur par dépôt : application {app_cpu:.1f} ms"
                + (f", PostgreSQL {db_cpu:.1f} ms" if db_cpu is not None else "")
                + f" (et client de mesure {client_cpu * 1000 / len(statuses):.1f} ms) ; soit au plus {machine * 1000 / per_request:.0f} dépôts/s si les {machine} processeurs de "
                  f"cette machine servaient à cela seul (charge moyenne pendant la mesure : "
                  f"{os.getloadavg()[0]:.1f}).")
        return good, line

    def backend_pids(self) -> list[int]:
        """The PostgreSQL backends serving this database, other than this command's own connection."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            return [row[0] for row in cursor.fetchall()]

    def print_profile(self, profile_dir: Path):
        import io
        import pstats

        files = sorted(str(path) for path in profile_dir.glob("*.prof"))
        if not files:
            self.stdout.write(self.style.WARNING("Aucun profil écrit par les workers gunicorn."))
            return
        out = io.StringIO()
        stats = pstats.Stats(*files, stream=out)
        stats.sort_stats("cumulative").print_stats(r"procurement/|tenders/|suppliers/|rest_framework/views", 30)
        stats.sort_stats("tottime").print_stats(15)
        self.stdout.write(out.getvalue())
        self.stdout.write(f"Profils des workers : {profile_dir}")

    def warm_up(self, port: int, token: str, count: int):
        """A few authenticated requests, so that each worker has loaded its code and opened its connections."""
        for _ in range(count):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/me/", headers={"Authorization": f"Token {token}",
                                                        "Accept": "application/json"})
            conn.getresponse().read()
            conn.close()

    def wait_http(self, port: int, process: subprocess.Popen, log_path: Path, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/me/", headers={"Accept": "application/json"})
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")

    # --- 2. fan-out ------------------------------------------------------------------------------------

    def fanout(self, count: int, timeout: float) -> tuple[bool, str]:
        from procurement.models import EmailStatus, OutboundEmail
        from tenders.models import Tender
        from tenders.services import tender_publish

        started = time.monotonic()
        category = self.category("INV")
        invited = self.suppliers(category, count, "invite")
        tender = self.tender(category)
        expected = {user.email.lower() for _company, user in invited}
        self.stdout.write(f"Diffusion : {count} entreprises admises et un marché prêt en "
                          f"{time.monotonic() - started:.1f} s.")

        process, log_path = self.start("worker Celery", benchmarking.worker_command(self.queue), "celery.log")
        self.wait_until(lambda: " ready." in log_path.read_text(errors="replace"), process, log_path, 60,
                        "the Celery worker to start")
        concurrency = next((line.split(":", 1)[1].strip() for line in log_path.read_text().splitlines()
                            if "concurrency:" in line), "?")
        self.stdout.write(f"Worker Celery prêt ({concurrency}), serveur SMTP sur 127.0.0.1:{self.sink.port}.")
        # The mails of part 1 (invitations, receipts) go first: the measure starts with an idle worker.
        unmailed = Tender.objects.filter(id__in=self.earlier_tenders, invitations_mailed_at__isnull=True)
        waiting = OutboundEmail.objects.filter(id__gt=self.first_mail_id,
                                               status__in=[EmailStatus.QUEUED, EmailStatus.SENDING])
        if unmailed.exists() or waiting.exists():
            self.stdout.write("Envoi préalable des courriels de la mesure des dépôts…")
            self.wait_until(lambda: not unmailed.exists() and not waiting.exists(), process, log_path, timeout,
                            "the earlier mails")
            self.stdout.write(f"… {self.sink.messages} courriels reçus par le serveur SMTP.")

        key_prefix = f"tender-invitation:{tender.id}:"
        begin = time.monotonic()
        tender_publish(actor=self.buyer, tender=tender)
        published = time.monotonic() - begin
        self.wait_until(lambda: OutboundEmail.objects.filter(key__startswith=key_prefix).count() >= count,
                        process, log_path, timeout, "the invitation mails to be stored")
        stored = time.monotonic() - begin
        self.wait_until(lambda: self.sink.count(expected) >= count, process, log_path, timeout,
                        f"{count} mails at the SMTP server")
        received = time.monotonic() - begin
        sent_rows = OutboundEmail.objects.filter(key__startswith=key_prefix, status=EmailStatus.SENT)
        self.wait_until(lambda: sent_rows.count() >= count, process, log_path, timeout,
                        "the mails to be marked sent")
        marked = time.monotonic() - begin
        self.stop_processes()

        good = marked <= TARGET_FANOUT_S
        self.stdout.write(f"Diffusion : publication (transaction) {published:.2f} s ; {count} courriels enregistrés "
                          f"à {stored:.2f} s ; reçus par le serveur SMTP à {received:.2f} s ; tous marqués "
                          f"envoyés à {marked:.2f} s.")
        line = (f"Diffusion de l'invitation à {count} entreprises (worker Celery réel, SMTP réel) : {marked:.2f} s "
                f"de la publication au dernier courriel reçu et marqué envoyé (objectif ≤ {TARGET_FANOUT_S:.0f} s)")
        return good, line

    def wait_until(self, predicate, process: subprocess.Popen, log_path: Path, timeout: float, what: str):
        self.processes.wait_until(predicate, process, log_path, timeout, what)

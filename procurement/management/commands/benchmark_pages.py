"""Throughput of the API lists and console pages under load, against a one-SELECT floor, on PostgreSQL.

    DATABASE_URL=postgres://…/sadpages CACHE_URL=redis://127.0.0.1:6379/1 \\
        python manage.py benchmark_pages [--companies 10000 --documents 50000] [--duration 5 --rounds 3]
                                         [--connections 16 --workers 2] [--single 40] [--force]

Run it on a database of its own (``createdb sadpages``, then ``migrate`` with DATABASE_URL pointing at it),
and drop that database afterwards: the tenders it publishes go through the services and append to the
audit chain, which cannot be cut, so the command refuses a database holding any DPS but its own (``BENCH…``
references) unless ``--force`` is given, and keeps its data.

1. The data set of ``benchmark_directory`` (bulk-inserted, marked ``BENCH·``) is loaded at ``--small``
   companies (default 1,000), plus a category with a few admitted suppliers and ``--tenders`` published
   tenders (through the services). The SQL queries of every measured page are counted (in this process,
   on a cache miss); then the data set grows to ``--companies`` and they are counted again: a count that
   changes with the number of rows is flagged.
2. Two servers start side by side, each ``gunicorn -w --workers`` with production settings (DEBUG=false,
   persistent connections, the CACHE_URL of this command's environment): the platform, and the floor, a bare
   Django view that reads one company by primary key with one ``SELECT``, behind the same middleware.
3. Each page is driven by ``--connections`` concurrent keep-alive clients (``wrk`` when installed, else
   threads of this process) for ``--duration`` seconds, in ``--rounds`` rounds alternating with a round on
   the floor, so that both see the same machine. Printed per page: requests per second, p99 latency, CPU per
   request of the application workers and of their PostgreSQL backends (Linux, local server), and the ratio
   to the floor of the adjacent rounds (median over the rounds).
4. Each filter of the supplier directory, text search included, is requested ``--single`` times by one
   client, each time with a query string of its own, so that the page is built every time (a cache miss):
   p95 (target under 150 ms).

The last three lines sum it up: ``ratio api <lowest %>``, ``ratio pages <lowest %>``, ``ratio dashboard <%>``
(targets on a two-core machine: 40 %, 25 % and 20 %).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from procurement.benchmarking import (
    children,
    cpu_seconds,
    environment,
    free_port,
    percentile,
    stop_process,
)
from procurement.management.commands.benchmark_directory import Command as DirectoryBenchmark

TARGETS = {"api": 40, "pages": 25, "dashboard": 20}
TARGET_SINGLE_P95_MS = 150

# The floor: Django with the project's settings and middleware, one view reading one row by primary key.
FLOOR_WSGI = '''
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")

import django

django.setup()

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.urls import path

from suppliers.models import Company


def floor(request, pk):
    name = Company.objects.filter(pk=pk).values_list("name", flat=True).first()
    return HttpResponse(name or "", content_type="text/plain; charset=utf-8")


urlpatterns = [path("floor/<uuid:pk>/", floor)]
settings.ROOT_URLCONF = __name__
application = WSGIHandler()
'''


@dataclass
class Page:
    label: str
    kind: str  # "api", "pages" or "dashboard"
    path: str
    headers: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)  # companies -> query count
    rounds: list = field(default_factory=list)  # [(page Run, floor Run)]


@dataclass
class Run:
    requests: int
    seconds: float
    p99_ms: float
    errors: int
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0


def parse_wrk(output: str) -> tuple[int, float, float, int]:
    """(requests, seconds, p99 ms, non-2xx responses and socket errors) from ``wrk --latency`` output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not done:
        raise CommandError(f"wrk output not understood:\n{output}")
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return (int(done.group(1)), _wrk_ms(done.group(2) + done.group(3)) / 1000,
            _wrk_ms(p99.group(1)) if p99 else 0.0, errors)


class Command(BaseCommand):
    help = ("Requests per second of the API lists, console lists and dashboard under gunicorn, against a "
            "one-SELECT floor (A/B rounds), with p99, CPU per request and query counts. PostgreSQL, on a "
            "database of its own. See the module docstring.")

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=10000)
        parser.add_argument("--documents", type=int, default=50000)
        parser.add_argument("--small", type=int, default=1000,
                            help="Companies of the first query count (default 1000).")
        parser.add_argument("--tenders", type=int, default=20, help="Tenders the supplier is invited to.")
        parser.add_argument("--duration", type=int, default=5, help="Seconds per round (default 5).")
        parser.add_argument("--rounds", type=int, default=3, help="A/B rounds per page (default 3).")
        parser.add_argument("--connections", type=int, default=16, help="Concurrent clients (default 16).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2).")
        parser.add_argument("--single", type=int, default=40,
                            help="Single-client requests per directory filter (default 40).")
        parser.add_argument("--python-client", action="store_true", help="Threads of this process, not wrk.")
        parser.add_argument("--force", action="store_true",
                            help="Run even if the database holds data other than this benchmark's.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"benchmark_pages needs PostgreSQL (DATABASE_URL=postgres://…/sadpages); the "
                               f"database is {connection.vendor}.")
        for name in ("companies", "small", "duration", "rounds", "connections", "workers", "single", "tenders"):
            if options[name] <= 0:
                raise CommandError(f"--{name} must be positive.")
        if options["small"] >= options["companies"]:
            raise CommandError("--small must be below --companies.")
        self.check_database(options["force"])
        self.options = options
        self.wrk = None if options["python_client"] else shutil.which("wrk")
        self.workdir = Path(tempfile.mkdtemp(prefix="benchmark-pages-"))
        self.processes: list[subprocess.Popen] = []
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                pages, floor_path, directory_paths = self.prepare(options)
            self.platform_port, self.floor_port = self.start_servers(options["workers"])
            self.measure(pages, floor_path, options)
            singles = self.single_client(directory_paths, pages[-1].headers, options["single"])
        finally:
            self.stop_servers()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.report(pages, singles, options)

    # --- set-up ------------------------------------------------------------------------------------------

    def check_database(self, force: bool):
        from procurement.models import DynamicPurchasingSystem

        others = DynamicPurchasingSystem.objects.exclude(reference__startswith="BENCH").count()
        if others and not force:
            raise CommandError(
                f"This database holds {others} DPS that are not benchmark data. Run benchmark_pages on a "
                "database of its own (createdb sadpages, then migrate with DATABASE_URL=postgres://…/sadpages), "
                "or pass --force.")
        from suppliers.models import Company

        if Company.objects.filter(name__startswith="BENCH").exists():
            raise CommandError("This database already holds benchmark data (kept by an earlier run, whose "
                               "tenders are in the audit chain): drop it and create it again.")

    def prepare(self, options):
        from procurement.accounts.services import api_token_issue
        from tenders.management.commands.benchmark_tenders import Command as TendersBenchmark
        from tenders.services import tender_publish

        small, companies = options["small"], options["companies"]
        documents = options["documents"]
        small_documents = documents * small // companies
        directory = DirectoryBenchmark(stdout=self.stdout, stderr=self.stderr)
        directory.random = random.Random(options["seed"])
        started = time.monotonic()
        categories = directory.load(small, small_documents)
        buyer = directory.buyer

        tenders = TendersBenchmark(stdout=self.stdout, stderr=self.stderr)
        tenders.tag, tenders.buyer, tenders.dps = uuid.uuid4().hex[:8], buyer, categories[0].dps
        category = tenders.category("PAGES")
        _company, supplier = tenders.suppliers(category, 5, "pages")[0]
        for _ in range(options["tenders"]):
            tender_publish(actor=buyer, tender=tenders.tender(category))
        self.stdout.write(f"{options['tenders']} marchés publiés ({time.monotonic() - started:.1f} s).")

        buyer_token, supplier_token = api_token_issue(user=buyer)[0], api_token_issue(user=supplier)[0]
        client = Client()
        client.force_login(buyer)
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], SECURE_SSL_REDIRECT=False):
            client.get(reverse("console:dashboard"))  # a browser's CSRF cookie, kept as browsers keep it
        cookie = "; ".join(f"{name}={client.cookies[name].value}"
                           for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME))
        buyer_api = {"Authorization": f"Token {buyer_token}", "Accept": "application/json"}
        supplier_api = {"Authorization": f"Token {supplier_token}", "Accept": "application/json"}
        console = {"Cookie": cookie, "Accept-Language": "fr"}
        pages = [
            Page("API SAD (anonyme)", "api", "/api/v1/dps/", {"Accept": "application/json"}),
            Page("API admissions (acheteur)", "api", "/api/v1/admissions/?page_size=50", buyer_api),
            Page("API candidatures (acheteur)", "api", "/api/v1/applications/?page_size=50", buyer_api),
            Page("API marchés (fournisseur)", "api", "/api/v1/tenders/", supplier_api),
            Page("annuaire des fournisseurs", "pages", reverse("console:directory"), console),
            Page("candidatures", "pages", reverse("console:applications"), console),
            Page("admissions", "pages", reverse("console:admissions"), console),
            Page("marchés (console)", "pages", reverse("tenders_console:list"), console),
            Page("tableau de bord", "dashboard", reverse("console:dashboard"), console),
        ]
        self.count_queries(pages, small)

        directory.load(companies - small, documents - small_documents, into=categories, first=small)
        self.count_queries(pages, companies)

        from suppliers.models import Company

        floor_path = f"/floor/{Company.objects.order_by('name').values_list('pk', flat=True).first()}/"
        directory_url = reverse("console:directory")
        category_id = categories[7].id
        directory_paths = [
            ("annuaire, page 1", directory_url),
            ("annuaire, page 40", f"{directory_url}?page=40"),
            ("annuaire, département 59", f"{directory_url}?territory=59"),
            ("annuaire, catégorie + admises", f"{directory_url}?category={category_id}&admission_status=admitted"),
            ("annuaire, expirant sous 30 j", f"{directory_url}?expiring_within=30"),
            ("annuaire, recherche « isolation »", f"{directory_url}?q=isolation"),
            ("annuaire, recherche « lille »", f"{directory_url}?q=lille"),
            ("annuaire, suspendues, page 3", f"{directory_url}?admission_status=suspended&page=3"),
        ]
        return pages, floor_path, directory_paths

    def count_queries(self, pages: list[Page], companies: int):
        """SQL queries per page, in this process, each page built from the database (no cached list)."""
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False, LIST_CACHE_SECONDS=0):
            client = Client()
            for page in pages:
                extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in page.headers.items()}
                client.cookies.clear()
                if "Cookie" in page.headers:
                    for pair in page.headers["Cookie"].split("; "):
                        name, _, value = pair.partition("=")
                        client.cookies[name] = value
                    extra.pop("HTTP_COOKIE")
                client.get(page.path, **extra)
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(page.path, **extra)
                if response.status_code != 200:
                    raise CommandError(f"{page.label}: HTTP {response.status_code} in this process")
                page.queries[companies] = len(queries)

    # --- servers -----------------------------------------------------------------------------------------

    def environment(self) -> dict:
        """Production settings on this run's database, mails kept in memory, no broker (tasks run in-process),
        and the floor application importable from the run's folder."""
        env = environment(database=connection.settings_dict, mail_url="memorymail://")
        env["PYTHONPATH"] = os.pathsep.join([str(self.workdir), str(settings.BASE_DIR)])
        return env

    def start_servers(self, workers: int) -> tuple[int, int]:
        (self.workdir / "benchmark_floor.py").write_text(FLOOR_WSGI)
        ports = []
        for name, module in (("platform", "procurement.wsgi"), ("floor", "benchmark_floor:application")):
            port = free_port()
            log = (self.workdir / f"{name}.log").open("wb")
            process = subprocess.Popen(  # noqa: S603  our own interpreter and fixed arguments
                [sys.executable, "-m", "gunicorn", module, "-w", str(workers), "-b", f"127.0.0.1:{port}",
                 "--log-level", "warning"],
                cwd=settings.BASE_DIR, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
            self.processes.append(process)
            ports.append(port)
        for port, process, name in zip(ports, self.processes, ("platform", "floor"), strict=True):
            self.wait_http(port, process, self.workdir / f"{name}.log")
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        self.stdout.write(f"gunicorn -w {workers} : plateforme sur :{ports[0]}, plancher sur :{ports[1]} "
                          f"(cache {os.environ.get('CACHE_URL', 'locmemcache://')}, {cache}).")
        return ports[0], ports[1]

    def wait_http(self, port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")

    def stop_servers(self):
        for process in self.processes:
            if process.poll() is None:
                stop_process(process)
        self.processes = []

    # --- load --------------------------------------------------------------------------------------------

    def backend_pids(self) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            return [row[0] for row in cursor.fetchall()]

    def run(self, port: int, path: str, headers: dict, duration: float, connections: int) -> Run:
        process = self.processes[0 if port == self.platform_port else 1]
        app_pids = children(process.pid)
        backends = self.backend_pids()
        db_before = {pid: cpu_seconds([pid]) for pid in backends}
        app_before = cpu_seconds(app_pids)
        if self.wrk:
            command = [self.wrk, f"-t{min(connections, os.cpu_count() or 1)}", f"-c{connections}",
                       f"-d{duration}s", "--latency", "--timeout", "10s"]
            for name, value in headers.items():
                command += ["-H", f"{name}: {value}"]
            output = subprocess.run(  # noqa: S603  wrk from PATH, fixed arguments
                [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=False)
            requests, seconds, p99, errors = parse_wrk(output.stdout)
        else:
            requests, seconds, p99, errors = self.python_client(port, path, headers, duration, connections)
        app_after = cpu_seconds(app_pids)
        db_used = [(cpu_seconds([pid]), db_before.get(pid, 0.0)) for pid in self.backend_pids()]
        run = Run(requests, seconds, p99, errors)
        if requests and None not in (app_before, app_after):
            run.app_cpu_ms = (app_after - app_before) * 1000 / requests
        if requests and db_used and all(None not in pair for pair in db_used):
            run.db_cpu_ms = sum(after - before for after, before in db_used) * 1000 / requests
        return run

    def python_client(self, port, path, headers, duration, connections) -> tuple[int, float, float, int]:
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        barrier = threading.Barrier(connections + 1)
        stop = [0.0]

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine, failed = [], 0
            barrier.wait()
            while time.perf_counter() < stop[0]:
                begin = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    failed += response.status >= 400
                except (OSError, http.client.HTTPException):
                    conn.close()
                    failed += 1
                mine.append((time.perf_counter() - begin) * 1000)
            conn.close()
            with lock:
                latencies.extend(mine)
                errors[0] += failed

        threads = [threading.Thread(target=client) for _ in range(connections)]
        for thread in threads:
            thread.start()
        begin = time.perf_counter()
        stop[0] = begin + duration
        barrier.wait()
        for thread in threads:
            thread.join()
        return len(latencies), time.perf_counter() - begin, percentile(latencies, 99), errors[0]

    def measure(self, pages: list[Page], floor_path: str, options):
        duration, connections = options["duration"], options["connections"]
        warm = 1
        self.run(self.floor_port, floor_path, {}, warm, connections)
        for page in pages:
            self.run(self.platform_port, page.path, page.headers, warm, connections)
            for number in range(options["rounds"]):
                order = ("floor", "page") if number % 2 == 0 else ("page", "floor")
                runs = {}
                for which in order:
                    if which == "floor":
                        runs[which] = self.run(self.floor_port, floor_path, {}, duration, connections)
                    else:
                        runs[which] = self.run(self.platform_port, page.path, page.headers, duration, connections)
                page.rounds.append((runs["page"], runs["floor"]))
            run, floor = page.rounds[-1]
            self.stdout.write(f"  {page.label:<30} {run.rate:>7.0f} req/s (plancher {floor.rate:.0f} req/s)")

    def single_client(self, paths, headers: dict, count: int) -> list[tuple[str, float, float]]:
        out = []
        conn = http.client.HTTPConnection("127.0.0.1", self.platform_port, timeout=30)
        for label, path in paths:
            timings = []
            for number in range(count + 3):
                begin = time.perf_counter()
                # A parameter of its own per request (ignored by the page): each one is built, never a cache hit.
                conn.request("GET", f"{path}{'&' if '?' in path else '?'}mesure={number}", headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise CommandError(f"{label}: HTTP {response.status}")
                if number >= 3:  # the first ones warm the worker up
                    timings.append((time.perf_counter() - begin) * 1000)
            out.append((label, statistics.median(timings), percentile(timings, 95)))
        conn.close()
        return out

    # --- report ------------------------------------------------------------------------------------------

    def report(self, pages: list[Page], singles, options):
        w = self.stdout.write
        w("")
        w(f"Base {connection.settings_dict['NAME']}, {os.cpu_count()} processeurs, gunicorn -w {options['workers']}, "
          f"{options['connections']} clients ({'wrk' if self.wrk else 'client Python'}), {options['rounds']} "
          f"manches A/B de {options['duration']:g} s par page ; charge {os.getloadavg()[0]:.1f}.")
        header = (f"{'page':<30} {'req/s':>7} {'p99 ms':>8} {'CPU app ms':>11} {'CPU PG ms':>10} "
                  f"{'plancher':>9} {'ratio':>7}   requêtes SQL ({options['small']} / {options['companies']})")
        w(header)
        w("-" * len(header))
        lowest: dict[str, float] = {}
        for page in pages:
            runs = [run for run, _floor in page.rounds]
            ratios = [run.rate / floor.rate for run, floor in page.rounds if floor.rate]
            ratio = 100 * statistics.median(ratios) if ratios else 0.0
            lowest[page.kind] = min(lowest.get(page.kind, ratio), ratio)

            def median(values):
                values = [v for v in values if v is not None]
                return statistics.median(values) if values else None

            app, db = median([r.app_cpu_ms for r in runs]), median([r.db_cpu_ms for r in runs])
            counts = [page.queries.get(n) for n in (options["small"], options["companies"])]
            fixed = "" if len(set(counts)) == 1 else "  VARIABLE"
            errors = sum(r.errors for r in runs)
            line = (f"{page.label:<30} {median([r.rate for r in runs]):>7.0f} {median([r.p99_ms for r in runs]):>8.1f} "
                    f"{(f'{app:.1f}' if app is not None else '?'):>11} {(f'{db:.1f}' if db is not None else '?'):>10} "
                    f"{median([f.rate for _r, f in page.rounds]):>9.0f} {ratio:>6.0f} %   {counts[0]} / {counts[1]}"
                    f"{fixed}" + (f"  ({errors} erreurs)" if errors else ""))
            ok = ratio >= TARGETS[page.kind] and not fixed and not errors
            w(line if ok else self.style.WARNING(line))
        w("")
        w(f"Un client, annuaire (objectif p95 < {TARGET_SINGLE_P95_MS} ms) :")
        for label, p50, p95 in singles:
            line = f"  {label:<36} p50 {p50:>7.1f} ms   p95 {p95:>7.1f} ms"
            w(line if p95 < TARGET_SINGLE_P95_MS else self.style.WARNING(line + "  > objectif"))
        w("")
        w("Objectifs : " + ", ".join(f"{kind} ≥ {target} %" for kind, target in TARGETS.items())
          + " du plancher (le plus bas de chaque sorte de page).")
        for kind in ("api", "pages", "dashboard"):
            good = lowest.get(kind, 0.0) >= TARGETS[kind]
            w((self.style.SUCCESS if good else self.style.ERROR)(f"ratio {kind} {lowest.get(kind, 0.0):.0f} %"))

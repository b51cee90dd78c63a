"""Measure the document pipeline: ``python manage.py benchmark_documents [--letters N] [--section …]``.

Each section is a function printing its own lines, so that a new measure is one more section
(``--section`` runs only those named; by default all of them):

- ``render``: a three-page letter through the platform (template, data, PDF/A-3b with data.json, signature)
  against bare WeasyPrint on the same HTML, in the same run; the target is ≤ 1.5 × bare + signing;
- ``memory``: the process's peak resident memory after N letters rendered and sealed in it;
- ``workers``: N rejection letters of one tender, end to end on two Celery workers (``celery -A procurement
  worker --concurrency=1``, two processes; needs PostgreSQL and CELERY_BROKER_URL). An awarded tender with N
  losing bidders and one winner is written directly (the award flow is not what is measured; its frozen
  ranking is computed by ``tenders.selectors`` as at the proposal); its letters are queued as the award's
  approval queues them (``tenders.award_documents.award_letter_requests``, the ``generate_document`` task), and the
  time from the first request to the last letter ready is printed against the target (≤ 30 s for 100 on two
  cores), then when the last of their mails reached an SMTP server of this run's own, and each worker's
  resident memory (/proc VmRSS, and its peak VmHWM) after the letters. Everything it made (workers, this
  run's queue, the tender with its companies and accounts, the letters' files and mails) is removed at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from procurement import benchmarking
from procurement.documents import rendering, signing
from procurement.documents.samples import SAMPLE_TEMPLATE, sample_letter_data

DOCUMENT = {
    "id": "benchmark",
    "kind": "award_letter",
    "title": "Lettre (banc d'essai)",
    "reference": "DOC-BENCHMARK-V1",
    "version": 1,
}
SECTIONS = ("render", "memory", "workers")
TARGET_WORKERS_S = 30.0  # 100 rejection letters on two workers, two cores
TARGET_WORKERS_LETTERS = 100
WORKERS = 2
PREFIX = "BENCH-D·"
DPS_PREFIX = "BENCHD-"
EMAIL_DOMAIN = "bench-documents.invalid"


def _timed(function, repeat: int) -> tuple[float, object]:
    durations, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_unavailable() -> str | None:
    """Why the workers section cannot run here, or None."""
    if connection.vendor != "postgresql":
        return (
            f"needs PostgreSQL (DATABASE_URL=postgres://…), and the database is {connection.vendor}: "
            "worker processes cannot share it"
        )
    if not os.environ.get("CELERY_BROKER_URL"):
        return "needs a real broker: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/14)"
    return None


class AwardedTender:
    """An awarded tender with ``losers`` bids not retained and one winner, each company with one member, written
    directly in one transaction and removed by ``delete`` (everything is named after ``tag``)."""

    def __init__(self, losers: int):
        self.losers = losers
        self.tag = uuid.uuid4().hex[:8]
        self.tender = None

    def emails(self) -> list[str]:
        return [f"lettre-{self.tag}-{n:04d}@{EMAIL_DOMAIN}" for n in range(self.losers + 1)]

    def create(self):
        from procurement.accounts.models import User
        from procurement.models import Category, DynamicPurchasingSystem
        from suppliers.models import Company, Membership
        from tenders import letters as letter_rules
        from tenders import sealing, selectors
        from tenders.models import Bid, BidStatus, Consensus, Criterion, RankingSnapshot, Tender, TenderStatus

        now = timezone.now()
        count = self.losers + 1
        with transaction.atomic():
            dps = DynamicPurchasingSystem.objects.create(
                reference=f"{DPS_PREFIX}{self.tag}",
                title=f"{PREFIX} SAD de mesure des documents",
                valid_until=timezone.localdate() + dt.timedelta(days=3 * 365),
                status="open",
                published_at=now - dt.timedelta(days=90),
                first_window_ends_at=now - dt.timedelta(days=60),
            )
            category = Category.objects.create(
                dps=dps,
                code="DOC",
                name=f"{PREFIX} Isolation thermique par l'extérieur",
                trade="external_wall_insulation",
                territories=["60"],
                max_contract_value=Decimal("800000"),
                min_turnover=Decimal("0"),
                required_evidence=["kbis"],
            )
            companies = Company.objects.bulk_create(
                [
                    Company(
                        name=f"{PREFIX} Façades {self.tag} {n:04d}",
                        national_id=f"BENCHD{self.tag}{n:04d}",
                        legal_form="SAS",
                        street=f"{n + 1} rue de la Mesure",
                        postal_code="60000",
                        city="Beauvais",
                    )
                    for n in range(count)
                ]
            )
            users = User.objects.bulk_create(
                [
                    User(
                        email=email,
                        password="!",
                        email_verified_at=now,
                        first_name="Banc",
                        last_name=f"{n:04d}",
                    )
                    for n, email in enumerate(self.emails())
                ]
            )
            Membership.objects.bulk_create(
                [Membership(user=u, company=c, role="admin") for u, c in zip(users, companies, strict=True)]
            )
            tender_id = uuid.uuid4()
            deposited = now - dt.timedelta(days=12)
            self.tender = tender = Tender.objects.create(
                id=tender_id,
                reference=f"{DPS_PREFIX}{self.tag}-001",
                dps=dps,
                category=category,
                title=f"{PREFIX} Isolation par l'extérieur — Résidence de mesure ({count} offres)",
                description="Isolation thermique par l'extérieur des façades, polystyrène graphité 160 mm.",
                operation_name="Résidence de mesure",
                operation_address="1 rue de la Mesure",
                operation_commune="Beauvais",
                operation_insee_code="60057",
                dwellings=48,
                energy_label_before="F",
                energy_label_target="C",
                estimated_value=Decimal("250000"),
                works_duration_weeks=16,
                questions_deadline=deposited - dt.timedelta(days=7),
                bid_deadline=deposited + dt.timedelta(days=1),
                status=TenderStatus.OPENED,
                published_at=deposited - dt.timedelta(days=14),
                closed_at=deposited + dt.timedelta(days=1),
                opened_at=deposited + dt.timedelta(days=2),
                wrapped_key=sealing.new_wrapped_key(tender_id=tender_id),
            )
            Criterion.objects.bulk_create(
                [
                    Criterion(
                        tender=tender,
                        code="prix",
                        name="Prix des prestations",
                        kind="price",
                        weight=50,
                        position=0,
                    ),
                    Criterion(
                        tender=tender,
                        code="tech",
                        name="Valeur technique (méthodologie en site occupé)",
                        kind="technical",
                        weight=30,
                        position=1,
                    ),
                    Criterion(
                        tender=tender,
                        code="env",
                        name="Gestion environnementale du chantier",
                        kind="environmental",
                        weight=20,
                        position=2,
                    ),
                ]
            )
            bids = Bid.objects.bulk_create(
                [
                    Bid(
                        tender=tender,
                        company=company,
                        status=BidStatus.ADMISSIBLE,
                        sealed_content=b"",
                        submitted_at=deposited + dt.timedelta(minutes=n),
                        fingerprint=f"{n:064x}",
                        total_price=Decimal(190000 - 300 * (n % 60) + 10 * n),
                        duration_weeks=14 + n % 4,
                        lines=[],
                        classified_at=deposited + dt.timedelta(days=3),
                        classification_reason="Offre conforme au règlement de la consultation.",
                    )
                    for n, company in enumerate(companies)
                ]
            )
            criteria = {c.code: c for c in Criterion.objects.filter(tender=tender)}
            Consensus.objects.bulk_create(
                [
                    Consensus(
                        bid=bid,
                        criterion=criteria[code],
                        score=Decimal(5 + (n * 7 + shift) % 5),
                        rationale=f"Note de consensus sur « {criteria[code].name} » après discussion de la "
                        f"commission ({bid.company.name}).",
                    )
                    for n, bid in enumerate(bids)
                    for code, shift in (("tech", 0), ("env", 2))
                ]
            )
            # The frozen ranking, as the proposal freezes it (tenders.services.evaluation.ranking_freeze).
            inputs = selectors.ranking_inputs(tender)
            rows = selectors.ranking_from_inputs(inputs, price_method=tender.price_method)
            RankingSnapshot.objects.create(
                tender=tender, frozen_at=now, price_method=tender.price_method, rows=rows, inputs=inputs
            )
            winner = next(row["bid"] for row in rows if row.get("rank") == 1)
            Bid.objects.filter(pk=winner).update(status=BidStatus.AWARDED)
            Bid.objects.filter(tender=tender).exclude(pk=winner).update(status=BidStatus.NOT_RETAINED)
            Tender.objects.filter(pk=tender.pk).update(
                status=TenderStatus.AWARDED,
                awarded_at=now,
                letters_sent_at=now,
                standstill_ends_at=letter_rules.standstill_end(now),
            )
        tender.refresh_from_db()
        return tender

    def delete(self) -> None:
        """Remove what ``create`` wrote and what the letters made (their files and mails), by this run's tag."""
        from django.core.files.storage import default_storage

        from procurement.accounts.models import User
        from procurement.models import Category, DynamicPurchasingSystem, GeneratedDocument, OutboundEmail
        from suppliers.models import Company
        from tenders.models import Bid, Tender

        tenders = Tender.objects.filter(dps__reference=f"{DPS_PREFIX}{self.tag}")
        documents = GeneratedDocument.objects.filter(object_type="tender", object_id__in=tenders.values("id"))
        for name in documents.exclude(file="").values_list("file", flat=True):
            default_storage.delete(name)
        with transaction.atomic():
            OutboundEmail.objects.filter(to__in=self.emails()).delete()
            documents.delete()
            Bid.objects.filter(tender__in=tenders).delete()
            tenders.delete()
            Category.objects.filter(dps__reference=f"{DPS_PREFIX}{self.tag}").delete()
            DynamicPurchasingSystem.objects.filter(reference=f"{DPS_PREFIX}{self.tag}").delete()
            Company.objects.filter(national_id__startswith=f"BENCHD{self.tag}").delete()
            User.objects.filter(email__in=self.emails()).delete()


class Command(BaseCommand):
    help = (
        "Time the generation of a 3-page letter against bare WeasyPrint, the memory after N letters, and N "
        "rejection letters end to end on two Celery workers (PostgreSQL and CELERY_BROKER_URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5, help="Runs per measure (median shown).")
        parser.add_argument(
            "--letters",
            type=int,
            default=TARGET_WORKERS_LETTERS,
            help=f"Letters of the memory and workers measures (default {TARGET_WORKERS_LETTERS}).",
        )
        parser.add_argument(
            "--section",
            action="append",
            choices=SECTIONS,
            help="Run only this section (repeatable); by default all, the workers section "
            "only where it can run (PostgreSQL and a broker).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=300.0,
            help="Seconds to wait for the workers' letters before giving up (default 300).",
        )

    def handle(self, *args, repeat, letters, section, timeout, **options):
        if repeat < 1 or letters < 1:
            raise CommandError("--repeat and --letters must be positive.")
        sections = section or list(SECTIONS)
        if "workers" in sections:
            problem = workers_unavailable()
            if problem and section:
                raise CommandError(f"The workers section {problem}.")
            if problem:
                sections.remove("workers")
                self.line(f"== Rejection letters on {WORKERS} Celery workers: skipped, the section {problem}")
        if "render" in sections:
            self.section_render(repeat)
        if "memory" in sections:
            self.section_memory(letters)
        if "workers" in sections:
            self.section_workers(letters, timeout)

    def line(self, text: str) -> None:
        self.stdout.write(text)

    def section_render(self, repeat: int) -> None:
        from weasyprint import HTML

        data = sample_letter_data(pages=3)
        seal = {"signer": signing.signer_name(), "at": "2026-01-05T10:00:00+01:00", "verify_url": "…"}
        html = rendering.render_html(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal)
        # Bare WeasyPrint gets the same HTML and stylesheet, read and parsed on each run as a page's own
        # stylesheet would be; the platform parses it once per worker (rendering.toolkit).
        stylesheet = str(rendering.STYLESHEET)
        # Warm up: fonts, the signer, imports.
        rendered = rendering.render(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal)
        signing.sign_pdf(rendered.pdf, page=rendered.signature_page, box=rendered.signature_box)
        HTML(string=html, base_url=".").write_pdf(stylesheets=[stylesheet])

        bare, _ = _timed(lambda: HTML(string=html, base_url=".").write_pdf(stylesheets=[stylesheet]), repeat)
        platform_render, rendered = _timed(
            lambda: rendering.render(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal), repeat
        )
        sign, _ = _timed(
            lambda: signing.sign_pdf(rendered.pdf, page=rendered.signature_page, box=rendered.signature_box),
            repeat,
        )
        total = platform_render + sign
        target = 1.5 * bare + sign
        self.line(f"== Render a 3-page letter (median of {repeat} runs)")
        self.line(f"pages                                   {rendered.pages}")
        self.line(f"bare WeasyPrint (same HTML)             {bare * 1000:8.0f} ms")
        self.line(f"platform render (template, PDF/A, JSON) {platform_render * 1000:8.0f} ms")
        self.line(f"signature (PAdES)                       {sign * 1000:8.0f} ms")
        self.line(f"platform total                          {total * 1000:8.0f} ms")
        self.line(
            f"target 1.5 × bare + signing             {target * 1000:8.0f} ms  "
            f"{'OK' if total <= target else 'OVER'}"
        )

    def section_memory(self, letters: int) -> None:
        data = sample_letter_data(pages=3)
        seal = {"signer": signing.signer_name(), "at": "2026-01-05T10:00:00+01:00", "verify_url": "…"}
        before = _rss_mib()
        start = time.perf_counter()
        for _ in range(letters):
            rendered = rendering.render(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal)
            signing.sign_pdf(rendered.pdf, page=rendered.signature_page, box=rendered.signature_box)
        elapsed = time.perf_counter() - start
        self.line(f"== Memory after {letters} letters (one process, sequential)")
        self.line(f"peak RSS before                         {before:8.1f} MiB")
        self.line(f"peak RSS after                          {_rss_mib():8.1f} MiB")
        self.line(
            f"time                                    {elapsed:8.1f} s ({elapsed / max(letters, 1) * 1000:.0f} ms "
            "per letter)"
        )

    def section_workers(self, letters: int, timeout: float) -> None:
        from procurement.celery import app
        from procurement.models import (
            DocumentKind,
            DocumentStatus,
            EmailStatus,
            GeneratedDocument,
            OutboundEmail,
        )
        from suppliers.models import Membership
        from tenders import award_documents
        from tenders.models import Bid, BidStatus

        tag = uuid.uuid4().hex[:8]
        queue = f"bench-documents-{tag}"
        workdir = Path(tempfile.mkdtemp(prefix="benchmark-documents-"))
        processes = benchmarking.Processes(workdir)
        sink = benchmarking.SmtpSink()
        setup = AwardedTender(losers=letters)
        previous_queue = app.conf.task_default_queue
        app.conf.task_default_queue = queue
        self.line(
            f"== {letters} rejection letters end to end on {WORKERS} Celery workers (--concurrency=1 each)"
        )
        try:
            started = time.monotonic()
            tender = setup.create()
            self.line(
                f"awarded tender {tender.reference}: {letters} bids not retained, 1 awarded "
                f"(written in {time.monotonic() - started:.1f} s)"
            )
            env = benchmarking.environment(
                database=connection.settings_dict,
                queue=queue,
                mail_port=sink.port,
                broker=os.environ["CELERY_BROKER_URL"],
            )
            env["CONN_MAX_AGE"] = "0"
            workers = [
                processes.start_worker(
                    f"worker {n}", queue, env, "--concurrency=1", log_name=f"worker{n}.log"
                )
                for n in range(1, WORKERS + 1)
            ]
            self.line(f"workers ready (pids {', '.join(str(p.pid) for p, _log in workers)}), queue {queue}")

            losing = list(
                Bid.objects.filter(tender=tender, status=BidStatus.NOT_RETAINED)
                .select_related("company")
                .order_by("submitted_at", "id")
            )
            documents = GeneratedDocument.objects.filter(
                object_type="tender", object_id=tender.id, kind=DocumentKind.REJECTION_LETTER
            )
            done = documents.filter(status__in=[DocumentStatus.READY, DocumentStatus.FAILED])
            recipients = Membership.objects.filter(company__bids__in=losing).values("user__email")
            mails = OutboundEmail.objects.filter(
                to__in=recipients, key__startswith="document:", status=EmailStatus.SENT
            )
            first_process, first_log = workers[0]
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                warm_up = self.warm_up(tender, workers, processes, timeout)
                self.line(
                    f"warm-up: the winner's award letter, {warm_up[0]} versions, ready in {warm_up[1]:.1f} s "
                    "(each worker's first letter loads WeasyPrint, the fonts and the seal)"
                )
                before = [self.letters_done(log_path) for _process, log_path in workers]
                pids = [
                    pid
                    for process, _log in workers
                    for pid in [process.pid, *benchmarking.children(process.pid)]
                ]
                cpu_before = benchmarking.cpu_seconds(pids)
                begin = time.monotonic()
                # As tenders.award_documents.after_award asks for them after the commit (the winner's award
                # letter was made by the warm-up: its request here finds it and makes nothing).
                award_documents.award_letter_requests(tender, stage="award")
                queued = time.monotonic() - begin
                processes.wait_until(
                    lambda: done.count() >= letters,
                    first_process,
                    first_log,
                    timeout,
                    f"{letters} rejection letters",
                    interval=0.05,
                )
                elapsed = time.monotonic() - begin
                cpu_after, load = benchmarking.cpu_seconds(pids), os.getloadavg()[0]
                processes.wait_until(
                    lambda: mails.count() >= letters,
                    first_process,
                    first_log,
                    timeout,
                    f"the {letters} letters' mails",
                    interval=0.05,
                )
                mailed = time.monotonic() - begin
            ready = documents.filter(status=DocumentStatus.READY).count()
            failed = list(documents.filter(status=DocumentStatus.FAILED).values_list("error", flat=True)[:3])
            readings = [
                (self.letters_done(log_path) - earlier, *self.worker_memory(process))
                for (process, log_path), earlier in zip(workers, before, strict=True)
            ]
        finally:
            app.conf.task_default_queue = previous_queue
            processes.stop()
            sink.stop()
            problem = benchmarking.delete_queue(queue)
            shutil.rmtree(workdir, ignore_errors=True)
            setup.delete()
        if problem:
            self.line(f"queue {queue} not deleted from the broker: {problem}")

        # The target is for 100 letters on two cores; another count is compared pro rata.
        target = TARGET_WORKERS_S * letters / TARGET_WORKERS_LETTERS
        self.line(
            f"letters ready                           {ready} / {letters}"
            + (f" ({len(failed)} or more failed: {failed[0]})" if failed else "")
        )
        self.line(f"requests queued                         {queued:8.2f} s")
        self.line(
            f"last letter ready                       {elapsed:8.2f} s  ({elapsed / letters * 1000:.0f} ms "
            f"per letter; {os.cpu_count()} processors)"
        )
        verdict = "OK" if ready == letters and elapsed <= target else "OVER"
        self.line(
            f"{f'target ≤ {target:.1f} s ({TARGET_WORKERS_S:.0f} s for {TARGET_WORKERS_LETTERS})':40}"
            f"{target:8.2f} s  {verdict}"
        )
        if None not in (cpu_before, cpu_after):
            # What the figure would be on this machine's processors alone: the machine may be shared.
            per_letter = (cpu_after - cpu_before) / letters
            alone = per_letter * letters / min(WORKERS, os.cpu_count() or 1)
            self.line(
                f"workers' CPU per letter                 {per_letter * 1000:8.0f} ms  (so {alone:.1f} s for "
                f"{letters} on {min(WORKERS, os.cpu_count() or 1)} free processors; load average "
                f"{load:.1f} during the measure)"
            )
        self.line(f"last mail received by SMTP              {mailed:8.2f} s  ({sink.messages} mails)")
        for n, (tasks, pool, main) in enumerate(readings, start=1):
            self.line(
                f"worker {n}: {tasks:3d} letters, pool process RSS {pool.rss:6.1f} MiB "
                f"(peak {pool.peak:.1f}), main process RSS {main.rss:6.1f} MiB"
            )
        self.line(
            f"cleaned up: {WORKERS} workers stopped, queue deleted, tender, companies, accounts, letters "
            f"and their files removed"
        )

    def warm_up(self, tender, workers, processes, timeout: float) -> tuple[int, float]:
        """Versions of the winner's award letter until each worker made one (a running platform's workers
        are warm): (versions made, seconds)."""
        from procurement.documents.services import document_request
        from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument
        from tenders.models import Bid, BidStatus

        winner = Bid.objects.get(tender=tender, status=BidStatus.AWARDED)
        # The winner's own award letter, at the award's stage: the award's requests then find it made.
        key = f"{DocumentKind.AWARD_LETTER}:{winner.id}"
        documents = GeneratedDocument.objects.filter(
            key=key, status__in=[DocumentStatus.READY, DocumentStatus.FAILED]
        )
        begin, made = time.monotonic(), 0
        for _round in range(3):
            for _ in workers:
                document_request(
                    kind=DocumentKind.AWARD_LETTER,
                    object_type="tender",
                    object_id=tender.id,
                    company_id=winner.company_id,
                    key=key,
                    params={"bid": str(winner.id), "stage": "award"},
                    regenerate=True,
                )
                made += 1
            process, log_path = workers[0]
            # Ready in the database, and logged by their worker (which it does just after).
            processes.wait_until(
                lambda wanted=made: (
                    documents.count() >= wanted
                    and sum(self.letters_done(path) for _process, path in workers) >= wanted
                ),
                process,
                log_path,
                timeout,
                "the warm-up letters",
                interval=0.05,
            )
            if all(self.letters_done(path) for _process, path in workers):
                break
        return made, time.monotonic() - begin

    @staticmethod
    def letters_done(log_path: Path) -> int:
        """The documents a worker generated so far, from its log."""
        return len(
            re.findall(
                r"procurement\.tasks\.generate_document\[[^\]]+\] succeeded",
                log_path.read_text(errors="replace"),
            )
        )

    @staticmethod
    def worker_memory(process) -> tuple[benchmarking.Memory, benchmarking.Memory]:
        """(its pool process's memory, its main process's memory), read before stopping it."""
        unread = benchmarking.Memory(rss=0.0, peak=0.0)
        readings = [benchmarking.memory(pid) for pid in benchmarking.children(process.pid)]
        pool = max((m for m in readings if m), key=lambda m: m.rss, default=unread)
        return pool, benchmarking.memory(process.pid) or unread

"""benchmark_documents: its workers section runs end to end on a few letters (PostgreSQL, Redis, two real Celery
workers), prints every figure, and leaves nothing behind; without the services it says why it cannot run.
No timing is asserted, only that each letter was made and each line is there."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from procurement.accounts.models import User
from procurement.celery import app
from procurement.management.commands import benchmark_documents
from procurement.models import AuditEntry, DocumentKind, DocumentStatus, GeneratedDocument, OutboundEmail
from suppliers.models import Company
from tenders.models import Bid, Tender

LETTERS = 4


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@pytest.mark.postgres
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_workers_section_makes_every_letter_on_two_workers_and_cleans_up(require_redis, monkeypatch):
    seen = {}
    original_delete = benchmark_documents.AwardedTender.delete

    def delete_and_record(setup):
        """What the run made, just before the command removes it."""
        documents = GeneratedDocument.objects.filter(object_type="tender", object_id=setup.tender.id)
        seen["documents"] = [
            (d.kind, d.status, d.file.name, d.file.name and default_storage.exists(d.file.name), d.error)
            for d in documents
        ]
        seen["tender"] = setup.tender.id
        seen["bids"] = list(Bid.objects.filter(tender=setup.tender).values_list("status", flat=True))
        seen["emails"] = setup.emails()
        seen["mails"] = OutboundEmail.objects.filter(
            to__in=setup.emails(), key__startswith="document:"
        ).count()
        original_delete(setup)

    monkeypatch.setattr(benchmark_documents.AwardedTender, "delete", delete_and_record)
    audit_entries, users, companies = (
        AuditEntry.objects.count(),
        User.objects.count(),
        Company.objects.count(),
    )
    out = io.StringIO()

    call_command(
        "benchmark_documents",
        "--section",
        "workers",
        "--letters",
        str(LETTERS),
        "--timeout",
        "240",
        stdout=out,
    )

    text = out.getvalue()
    assert text.startswith(
        f"== {LETTERS} rejection letters end to end on 2 Celery workers (--concurrency=1 each)"
    )
    assert re.search(rf"^awarded tender BENCHD-\w+-001: {LETTERS} bids not retained, 1 awarded", text, re.M)
    assert re.search(rf"^letters ready +{LETTERS} / {LETTERS}$", text, re.M), text
    assert re.search(r"^last letter ready +[\d.]+ s  \(\d+ ms per letter; \d+ processors\)$", text, re.M)
    assert re.search(r"^target ≤ 1\.2 s \(30 s for 100\) +1\.20 s  (OK|OVER)$", text, re.M)
    assert re.search(
        rf"^workers' CPU per letter +\d+ ms  \(so [\d.]+ s for {LETTERS} on \d free processors; "
        r"load average [\d.]+ during the measure\)$",
        text,
        re.M,
    ), text
    assert re.search(r"^last mail received by SMTP +[\d.]+ s  \(\d+ mails\)$", text, re.M)
    workers = re.findall(
        r"^worker (\d): +(\d+) letters, pool process RSS +([\d.]+) MiB \(peak ([\d.]+)\), "
        r"main process RSS +([\d.]+) MiB$",
        text,
        re.M,
    )
    assert [w[0] for w in workers] == ["1", "2"], text
    assert sum(int(w[1]) for w in workers) == LETTERS  # the measured letters, shared by the two workers
    assert all(float(w[2]) > 50 and float(w[3]) >= float(w[2]) and float(w[4]) > 20 for w in workers)
    assert text.rstrip().endswith("letters and their files removed")

    # Every rejection letter was made (signed, stored), and the warm-up made the winner's award letter.
    letters = [d for d in seen["documents"] if d[0] == DocumentKind.REJECTION_LETTER]
    assert len(letters) == LETTERS
    assert all(
        status == DocumentStatus.READY and stored and not error for _k, status, _n, stored, error in letters
    )
    assert {d[0] for d in seen["documents"]} == {DocumentKind.REJECTION_LETTER, DocumentKind.AWARD_LETTER}
    assert sorted(seen["bids"]) == ["awarded"] + ["not_retained"] * LETTERS
    assert seen["mails"] >= LETTERS  # each letter went to its company's member

    # Nothing left: rows, files, the workers, the queue; nothing written to the audit chain.
    assert not Tender.objects.filter(id=seen["tender"]).exists()
    assert not GeneratedDocument.objects.filter(object_id=seen["tender"]).exists()
    assert not OutboundEmail.objects.filter(to__in=seen["emails"]).exists()
    assert not any(default_storage.exists(name) for _k, _s, name, _e, _r in seen["documents"] if name)
    assert (AuditEntry.objects.count(), User.objects.count(), Company.objects.count()) == (
        audit_entries,
        users,
        companies,
    )
    pids = [int(pid) for pid in re.search(r"^workers ready \(pids (\d+), (\d+)\)", text, re.M).groups()]
    assert not any(_running(pid) for pid in pids)
    queue = re.search(r"queue (bench-documents-\w+)$", text, re.M).group(1)
    with app.connection_for_write() as conn:
        assert conn.default_channel.client.keys(f"*{queue}*") == []


def test_without_postgresql_the_workers_section_says_why(monkeypatch):
    if connection.vendor != "sqlite":  # the suite may run on PostgreSQL: the command sees SQLite all the same
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="The workers section needs PostgreSQL"):
        call_command("benchmark_documents", "--section", "workers", "--letters", "2")

    out = io.StringIO()
    call_command("benchmark_documents", "--section", "memory", "--letters", "1", stdout=out)
    assert "workers" not in out.getvalue() and "== Memory after 1 letters" in out.getvalue()


def test_without_a_broker_the_workers_section_is_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "postgresql")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert benchmark_documents.workers_unavailable() == (
        "needs a real broker: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/14)"
    )
    with pytest.raises(CommandError, match="needs a real broker"):
        call_command("benchmark_documents", "--section", "workers")


def test_by_default_the_workers_section_is_left_out_where_it_cannot_run(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    ran = []
    monkeypatch.setattr(
        benchmark_documents.Command, "section_render", lambda self, repeat: ran.append("render")
    )
    monkeypatch.setattr(
        benchmark_documents.Command, "section_memory", lambda self, letters: ran.append("memory")
    )
    out = io.StringIO()
    call_command("benchmark_documents", stdout=out)
    assert ran == ["render", "memory"]
    assert out.getvalue().startswith(
        "== Rejection letters on 2 Celery workers: skipped, the section needs PostgreSQL"
    )

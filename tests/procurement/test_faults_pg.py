"""Faults, on real servers the tests start and break themselves (tests/servers.py): a worker killed in the
middle of a batch of mails, PostgreSQL restarted under load, Redis stopped while buyers publish and suppliers
deposit. Each needs PostgreSQL for the test database (a worker reads it), and skips without the binaries."""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection
from kombu import pools

from procurement.benchmarking import database_url
from procurement.celery import app
from procurement.models import EmailStatus, OutboundEmail
from procurement.notifications import retry_unsent
from tenders.models import BidStatus, TenderStatus
from tenders.services import bid_submit, invitation_mails_sweep
from tests.factories import company_owner, draft_bid, published_tender
from tests.servers import (
    free_port,
    private_postgres,
    private_redis,
    sent_recipients,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Small periods for the worker: a send lasts at most 2 s, one "sending" for 3 s was interrupted, the broker
# hands an unacknowledged task out again after 4 s (settings: MAIL_INTERRUPTED_AFTER, CELERY_VISIBILITY_TIMEOUT).
FAST_PERIODS = {"EMAIL_TIMEOUT": "2", "MAIL_INTERRUPTED_AFTER": "3", "CELERY_VISIBILITY_TIMEOUT": "4",
                "MAIL_SWEEP_SECONDS": "4"}


@pytest.fixture
def broker(tmp_path, settings, monkeypatch):
    """A private Redis, and this process's tasks sent to it on a queue of the test's own."""
    server = private_redis(tmp_path)
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)  # Celery reads it before its configuration
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = server.url, queue, False
    _forget_connections()
    try:
        yield server, queue
    finally:
        app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = previous
        _forget_connections()
        server.stop()


def _forget_connections():
    """The app's broker connections and producers are made again, for the broker now configured."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def _workers(request, tmp_path, server, queue, **env):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir(exist_ok=True)
    started = []

    def start(name):
        worker = start_worker(broker_url=server.url, queue=queue, database_url=database_url(connection.settings_dict),
                              mail_dir=mail_dir, log_path=tmp_path / f"{name}.log", **env)
        started.append(worker)
        return worker

    request.addfinalizer(lambda: [w.stop() for w in started])
    return start, mail_dir


def test_a_worker_killed_mid_batch_leaves_every_mail_sent_exactly_once(request, tmp_path, broker):
    from procurement.tasks import send_email_batch

    server, queue = broker
    start, mail_dir = _workers(request, tmp_path, server, queue, **FAST_PERIODS,
                               TEST_EMAIL_BACKEND="tests.slow_mail.SlowFileBackend", SLOW_MAIL_SECONDS="0.6")
    mails = [OutboundEmail.objects.create(key=f"kill-{i}", to=f"entreprise{i}@example.fr", subject="Invitation",
                                          body="Bonjour") for i in range(6)]
    first = start("first")
    send_email_batch.delay([m.id for m in mails])

    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() >= 2, 30, "two mails sent")
    first.kill()  # in the pause before the third mail: claimed ("sending"), the task unacknowledged
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() < len(mails)

    killed_at = time.monotonic()
    start("second")  # the broker hands the batch out again after its visibility timeout
    wait_until(lambda: OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == len(mails), 40,
               "every mail sent again")
    assert time.monotonic() - killed_at < 4 + 30  # the visibility timeout, and the time to send the rest
    assert sorted(sent_recipients(mail_dir)) == sorted(m.to for m in mails)  # each exactly once


def test_with_redis_stopped_publication_and_deposits_succeed_and_mails_go_out_once_it_is_back(
        request, tmp_path, broker):
    server, queue = broker
    tender, invited = published_tender(suppliers=2)  # its invitation mails go out with the first worker
    supplier = invited[0][1]
    bid = draft_bid(tender, supplier)
    server.stop()

    started = time.monotonic()
    second, second_invited = published_tender(suppliers=1)
    receipt = bid_submit(actor=supplier, bid=bid)
    assert time.monotonic() - started < 30  # the broker's retries are bounded: no request hangs on it
    assert second.status == TenderStatus.PUBLISHED and second.invitations.count() == 1
    assert receipt.status == BidStatus.SUBMITTED

    server.start()
    start, mail_dir = _workers(request, tmp_path, server, queue, **FAST_PERIODS)
    start("worker")
    invitation_mails_sweep(older_than=dt.timedelta(0))  # what beat runs: the invitations never queued
    retry_unsent(older_than=dt.timedelta(0))            # and the mails stored but never queued
    expected = {company_owner(c).email for c, _user in invited + second_invited} | {supplier.email}

    def all_out():
        waiting = OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists()
        return not waiting and expected <= set(sent_recipients(mail_dir))

    wait_until(all_out, 40, "every mail sent once Redis is back")
    recipients = sent_recipients(mail_dir)
    assert len(recipients) == OutboundEmail.objects.count()  # none twice


def test_postgresql_restarted_under_load_requests_after_it_succeed_and_none_hangs(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import BASE_DIR

    database = private_postgres(tmp_path)
    try:
        env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database.port}/postgres",
               "CONN_MAX_AGE": "600", "DB_CONNECT_TIMEOUT": "3"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True,
                       timeout=120)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "procurement.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
             "-k", "gthread", "--threads", "4", "--timeout", "30"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("wb"),
            start_new_session=True)
        try:
            _load_across_a_restart(database, f"http://127.0.0.1:{port}/api/v1/dps/")
        finally:
            server.terminate()
            server.wait(timeout=15)
    finally:
        database.stop("immediate")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - a loopback test server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _load_across_a_restart(database, url: str) -> None:
    wait_until(lambda: _get(url) == 200, 30, "the server did not answer")
    results, stop = [], threading.Event()

    def client():
        while not stop.is_set():
            began = time.monotonic()
            status = _get(url)
            results.append((began, time.monotonic(), status))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(1.5)
    database.restart()  # immediate shutdown: every open connection of the server is broken
    restarted = time.monotonic()
    time.sleep(3)
    stop.set()
    for thread in clients:
        thread.join(timeout=20)
        assert not thread.is_alive(), "a request hangs"

    assert max(end - began for began, end, _status in results) < 10, "a request took too long"
    before = [status for began, _end, status in results if began < restarted - 1]
    after = [status for began, _end, status in results if began > restarted]
    assert before and set(before) == {200}
    assert after and set(after) == {200}, sorted(set(after))

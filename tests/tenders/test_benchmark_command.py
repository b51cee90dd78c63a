"""benchmark_tenders: it refuses a database that is not PostgreSQL, and its SMTP server receives real mails.

The measures themselves start gunicorn and a Celery worker: they are run by hand, not here.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from tenders.management.commands.benchmark_tenders import SmtpSink


def test_refuses_sqlite_with_a_clear_message(monkeypatch):
    if connection.vendor != "sqlite":  # the suite runs on PostgreSQL: the command sees SQLite all the same
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError) as excinfo:
        call_command("benchmark_tenders", "--skip-fanout")
    message = str(excinfo.value)
    assert "needs PostgreSQL" in message
    assert "the database is sqlite" in message
    assert "DATABASE_URL=postgres://" in message


def test_smtp_sink_receives_mails_over_smtp():
    sink = SmtpSink()
    try:
        backend = mail.get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1",
                                      port=sink.port, username="", password="", use_tls=False, timeout=5)
        messages = [mail.EmailMessage(f"Invitation {n}", "Corps du message — accentué.", "noreply@example.test",
                                      [f"contact{n}@example.test"]) for n in range(3)]
        assert backend.send_messages(messages) == 3
        assert sink.messages == 3
        expected = {f"contact{n}@example.test" for n in range(3)}
        assert sink.count(expected) == 3
        assert sink.count({"nobody@example.test"}) == 0
    finally:
        sink.stop()

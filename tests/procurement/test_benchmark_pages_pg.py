"""benchmark_pages runs end to end on a small data set (PostgreSQL, two gunicorn servers) and prints every
figure: no timing is asserted, only that each page was measured and each line is there."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from procurement.management.commands.benchmark_pages import parse_wrk

PAGES = ["API SAD (anonyme)", "API admissions (acheteur)", "API candidatures (acheteur)",
         "API marchés (fournisseur)", "annuaire des fournisseurs", "candidatures", "admissions",
         "marchés (console)", "tableau de bord"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_runs_on_a_small_data_set_and_prints_every_figure():
    out = io.StringIO()
    call_command("benchmark_pages", "--companies", "60", "--small", "30", "--documents", "120", "--tenders", "2",
                 "--duration", "1", "--rounds", "1", "--connections", "2", "--single", "2", "--python-client",
                 stdout=out)
    text = out.getvalue()
    table = text[text.index("requêtes SQL (30 / 60)"):]
    for label in PAGES:
        row = re.search(rf"^{re.escape(label)}\s+(\d+)\s+([\d.]+)\s+([\d.?]+)\s+([\d.?]+)\s+(\d+)\s+(\d+) %\s+(\d+) / (\d+)",
                        table, re.MULTILINE)
        assert row, f"no figures for {label}:\n{text}"
        assert int(row.group(1)) > 0 and int(row.group(5)) > 0  # requests per second, and the floor's
        assert row.group(7) == row.group(8), f"{label}: query count changes with the rows"
        assert "erreurs" not in table.splitlines()[[i for i, line in enumerate(table.splitlines())
                                                     if line.startswith(label)][0]]
    assert len(re.findall(r"^  annuaire, .+ p50 +[\d.]+ ms +p95 +[\d.]+ ms", text, re.MULTILINE)) == 8
    assert re.search(r"^ratio api \d+ %$", text, re.MULTILINE)
    assert re.search(r"^ratio pages \d+ %$", text, re.MULTILINE)
    assert re.search(r"^ratio dashboard \d+ %$", text, re.MULTILINE)
    assert text.rstrip().splitlines()[-1].startswith("ratio dashboard")


def test_it_needs_postgresql(monkeypatch):
    if connection.vendor != "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("benchmark_pages")


def test_wrk_output_is_read():
    output = """Running 5s test @ http://127.0.0.1:4000/api/v1/dps/
  2 threads and 16 connections
  Latency Distribution
     50%   20.50ms
     75%   30.00ms
     90%   41.00ms
     99%    1.20s
  4321 requests in 5.01s, 12.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    862.47
"""
    assert parse_wrk(output) == (4321, 5.01, 1200.0, 3)

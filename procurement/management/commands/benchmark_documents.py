"""Measure the document pipeline: ``python manage.py benchmark_documents [--letters N]``.

Each section is a function printing its own lines, so that new measures (e.g. the rejection letters of a
tender on two Celery workers, once the letters exist) are one more section.

- render: a three-page letter through the platform (template, data, PDF/A-3b with data.json, signature)
  against bare WeasyPrint on the same HTML, in the same run; the target is ≤ 1.5 × bare + signing;
- memory: the process's peak resident memory after N letters.
"""

from __future__ import annotations

import resource
import statistics
import time

from django.core.management.base import BaseCommand

from procurement.documents import rendering, signing
from procurement.documents.samples import SAMPLE_TEMPLATE, sample_letter_data

DOCUMENT = {"id": "benchmark", "kind": "award_letter", "title": "Lettre (banc d'essai)",
            "reference": "DOC-BENCHMARK-V1", "version": 1}


def _timed(function, repeat: int) -> tuple[float, object]:
    durations, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time the generation of a 3-page letter against bare WeasyPrint, and the memory after N letters."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5, help="Runs per measure (median shown).")
        parser.add_argument("--letters", type=int, default=50, help="Letters generated for the memory measure.")

    def handle(self, *args, repeat, letters, **options):
        self.section_render(repeat)
        self.section_memory(letters)

    def line(self, text: str) -> None:
        self.stdout.write(text)

    def section_render(self, repeat: int) -> None:
        from weasyprint import HTML

        data = sample_letter_data(pages=3)
        seal = {"signer": signing.signer_name(), "at": "2026-01-05T10:00:00+01:00", "verify_url": "…"}
        html = rendering.render_html(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal)
        # Warm up: fonts, the signer, imports.
        rendered = rendering.render(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal)
        signing.sign_pdf(rendered.pdf, page=rendered.signature_page, box=rendered.signature_box)
        HTML(string=html, base_url=".").write_pdf()

        bare, _ = _timed(lambda: HTML(string=html, base_url=".").write_pdf(), repeat)
        platform_render, rendered = _timed(
            lambda: rendering.render(SAMPLE_TEMPLATE, data=data, document=DOCUMENT, seal=seal), repeat)
        sign, _ = _timed(lambda: signing.sign_pdf(rendered.pdf, page=rendered.signature_page,
                                                  box=rendered.signature_box), repeat)
        total = platform_render + sign
        target = 1.5 * bare + sign
        self.line(f"== Render a 3-page letter (median of {repeat} runs)")
        self.line(f"pages                                   {rendered.pages}")
        self.line(f"bare WeasyPrint (same HTML)             {bare * 1000:8.0f} ms")
        self.line(f"platform render (template, PDF/A, JSON) {platform_render * 1000:8.0f} ms")
        self.line(f"signature (PAdES)                       {sign * 1000:8.0f} ms")
        self.line(f"platform total                          {total * 1000:8.0f} ms")
        self.line(f"target 1.5 × bare + signing             {target * 1000:8.0f} ms  "
                  f"{'OK' if total <= target else 'OVER'}")

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
        self.line(f"time                                    {elapsed:8.1f} s ({elapsed / max(letters, 1) * 1000:.0f} ms "
                  "per letter)")

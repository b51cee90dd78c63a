"""HTML → PDF/A-3b with WeasyPrint, the document's data embedded as the associated file ``data.json``.

Rendering only fetches local files (fonts, the logo): a template never makes the worker fetch a URL.

The stylesheet (``static/documents/document.css``) and its fonts are loaded once per thread and reused by
every document that thread renders (``toolkit``): a worker that makes a batch of letters does not parse
the CSS and load three fonts for each.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

PDF_VARIANT = "pdf/a-3b"
SIGNATURE_ANCHOR = "signature-space"
# The size of the signature space in templates/documents/base.html (.signature-space), in points.
SIGNATURE_BOX_PT = (85 / 25.4 * 72, 30 / 25.4 * 72)
PX_TO_PT = 0.75
STYLESHEET = Path(settings.BASE_DIR) / "static" / "documents" / "document.css"


def canonical_json(data) -> bytes:
    """The bytes of ``data.json``: stable key order, UTF-8, so that its SHA-256 identifies the data."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2, default=str).encode()


def data_sha256(data) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    # Where the visible signature goes: (page index, (x1, y1, x2, y2)) in PDF points from the bottom left.
    signature_page: int
    signature_box: tuple[int, int, int, int]
    # Every signature space of the page, by anchor (a document signed twice has two: see ``place``).
    places: dict | None = None

    def place(self, anchor: str = SIGNATURE_ANCHOR) -> tuple[int, tuple[int, int, int, int]]:
        """(page index, box) of the signature space ``anchor``; the default space's place otherwise."""
        if self.places and anchor in self.places:
            return self.places[anchor]
        return self.signature_page, self.signature_box


def _local_only_fetcher():
    from weasyprint.urls import URLFetcher, URLFetchingError

    allowed = [Path(settings.BASE_DIR).resolve(), Path(settings.LANDLORD_LOGO).resolve().parent]

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("file://"):
                raise URLFetchingError(f"Only local files may be used in a generated document: {url}")
            path = Path(url[len("file://"):]).resolve()
            if not any(path.is_relative_to(root) for root in allowed):
                raise URLFetchingError(f"Outside the allowed folders: {url}")
            return super().fetch(url, headers)

    return LocalFetcher()


def render_html(template: str, *, data: dict, document: dict, seal: dict | None = None) -> str:
    """The HTML of a document: ``document`` carries kind, title, reference; ``data`` is the builder's;
    ``seal`` what the visible signature block says (signer, at, verify_url)."""
    logo = Path(settings.LANDLORD_LOGO)
    context = {
        "data": data,
        "document": document,
        "data_sha256": data_sha256(data),
        "landlord": {"name": settings.LANDLORD_NAME, "address": settings.LANDLORD_ADDRESS},
        "logo_url": logo.resolve().as_uri() if logo.is_file() else "",
        "generated_at": timezone.localtime(),
        "seal": seal or {},
    }
    with translation.override("fr"):
        return render_to_string(template, context)


@dataclass(frozen=True)
class Toolkit:
    """What every rendering in a thread shares: the fonts (a WeasyPrint ``FontConfiguration``, which is not
    safe to share between threads), the parsed stylesheet whose ``@font-face`` rules loaded them, and the
    fetcher that keeps rendering to local files."""

    fonts: object
    stylesheet: object
    fetcher: object


_local = threading.local()


def toolkit() -> Toolkit:
    kit = getattr(_local, "toolkit", None)
    if kit is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts, fetcher = FontConfiguration(), _local_only_fetcher()
        stylesheet = CSS(filename=str(STYLESHEET), font_config=fonts, url_fetcher=fetcher)
        kit = _local.toolkit = Toolkit(fonts=fonts, stylesheet=stylesheet, fetcher=fetcher)
    return kit


@atexit.register
def _forget_toolkit() -> None:
    """Drop this thread's fonts before the interpreter tears its modules down (WeasyPrint removes their
    temporary folder when they are collected, which fails once ``shutil`` is gone)."""
    _local.__dict__.pop("toolkit", None)


def html_to_pdf(html: str, *, data: dict | None = None, pdf_variant: str | None = PDF_VARIANT) -> Rendered:
    """Lay out and write the PDF with the documents' stylesheet; with ``data``, embed it as ``data.json``
    (PDF/A-3 associated file)."""
    from weasyprint import HTML, Attachment

    kit = toolkit()
    laid_out = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=kit.fetcher).render(
        font_config=kit.fonts, stylesheets=[kit.stylesheet], pdf_variant=pdf_variant)
    attachments = []
    if data is not None:
        attachments.append(Attachment(string=canonical_json(data), name="data.json", relationship="Data",
                                      description="Données structurées du document (JSON)",
                                      url_fetcher=kit.fetcher))
    pdf = laid_out.write_pdf(pdf_variant=pdf_variant, attachments=attachments)
    return Rendered(pdf=pdf, pages=len(laid_out.pages), places=_signature_places(laid_out),
                    **_signature_place(laid_out))


def _box(page, anchor: str) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (value * PX_TO_PT for value in page.anchors[anchor])
    page_height = page.height * PX_TO_PT
    return round(x1), round(page_height - y2), round(x2), round(page_height - y1)


def _signature_places(laid_out) -> dict:
    """Every anchor named ``signature-…`` (a block a signature's widget lies over): anchor → (page, box)."""
    places = {}
    for index, page in enumerate(laid_out.pages):
        for anchor in page.anchors:
            if anchor.startswith("signature-"):
                places[anchor] = (index, _box(page, anchor))
    return places


def _signature_place(laid_out) -> dict:
    """Find the signature space on the last page (it is the last thing in the body)."""
    for index in range(len(laid_out.pages) - 1, -1, -1):
        page = laid_out.pages[index]
        if SIGNATURE_ANCHOR in page.anchors:
            return {"signature_page": index, "signature_box": _box(page, SIGNATURE_ANCHOR)}
    # A template without the space: bottom right of the last page, above the footer.
    page = laid_out.pages[-1]
    right = page.width * PX_TO_PT - 51
    return {"signature_page": len(laid_out.pages) - 1,
            "signature_box": (round(right - SIGNATURE_BOX_PT[0]), 80, round(right), round(80 + SIGNATURE_BOX_PT[1]))}


def render(template: str, *, data: dict, document: dict, seal: dict | None = None) -> Rendered:
    return html_to_pdf(render_html(template, data=data, document=document, seal=seal), data=data)

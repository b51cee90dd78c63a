"""The documents a tender issued (receipts, opening report, letters, contract), console and portal side.

Who sees what is ``tenders.documents.documents_visible_to`` (staff: every document of the tender; a bidder:
what is addressed to its companies, 404 otherwise), used by every view here as by the API. The console lists
every version with its state; a failed one shows its error and, for a buyer, a retry button; while documents
are being generated the page shows a progress bar that refreshes itself (``static/js/documents.js`` polls
``tender_documents_progress``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from procurement.documents import services as document_services
from procurement.web import OK, attachment_response, call_service, get_or_404, staff_required

from .. import selectors
from ..documents import document_progress, documents_visible_to


def _document(user, document_id):
    return get_or_404(documents_visible_to(user), id=document_id, message=_("Document introuvable"))


@require_GET
@staff_required
def tender_documents(request, tender_id):
    tender = selectors.tender_get(user=request.user, tender_id=tender_id)
    documents = list(documents_visible_to(request.user, tender).order_by("kind", "company_id", "key", "-version"))
    return render(request, "console/tender_documents.html", {
        "tender": tender, "documents": documents, "progress": document_progress(documents)})


@require_GET
@staff_required
def tender_documents_progress(request, tender_id):
    tender = selectors.tender_get(user=request.user, tender_id=tender_id)
    return JsonResponse(document_progress(documents_visible_to(request.user, tender).only("status")))


@require_POST
@staff_required
def document_retry(request, document_id):
    document = _document(request.user, document_id)
    outcome, _result = call_service(request, document_services.document_retry, document=document)
    if outcome == OK:
        messages.success(request, _("La génération du document est relancée."))
    return redirect("tenders_console:documents", tender_id=document.object_id)


@require_GET
@login_required
def document_download(request, document_id):
    """The signed PDF, for staff (console) and for the members of the company it is addressed to (portal)."""
    document = _document(request.user, document_id)
    try:
        data = document_services.document_content(document)
    except (FileNotFoundError, OSError):
        raise Http404(_("Le document n'est pas encore disponible."))
    return attachment_response(data, filename=f"{document.kind}-{document.reference}.pdf",
                               content_type="application/pdf")

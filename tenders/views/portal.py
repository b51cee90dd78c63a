"""The supplier's side of a mini-tender: invitations, the tender page, the bid form, the receipt, my bids.

Each view parses input, calls one service or selector, renders. Service refusals become messages on the
page; a tender the person was not invited to, and a bid of another company, are "not found".
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from procurement import clock, inputs, spreadsheets
from procurement.confirmation import irreversible
from procurement.errors import DomainError, ValidationFailed
from procurement.spreadsheets import SpreadsheetError
from procurement.web import (
    add_service_errors,
    attachment_response,
    file_response,
    get_or_404,
    refused,
)
from suppliers.evidence_files import human_size
from suppliers.models import Company

from .. import dpgf, selectors, services
from ..documents import generated_for_bid
from ..forms.portal import (
    BidDocumentForm,
    BidForm,
    BidRespondForm,
    BidWithdrawForm,
    PriceScheduleUploadForm,
    QuestionForm,
)
from ..models import Bid, BidDocument, BidStatus, TenderStatus
from ..services import award as award_services
from .portal_award import bid_award_context, debrief_form

# A bid's state after the opening, in words, for its bidder (deposit, late and withdrawn have their own notices).
BID_STATE_TEXT = {
    BidStatus.OPENED: _lazy("Les plis sont ouverts : l'acheteur examine votre offre."),
    BidStatus.ADMISSIBLE: _lazy("Votre offre est recevable : elle est évaluée par la commission d'évaluation."),
    BidStatus.IRREGULAR: _lazy("L'acheteur a jugé votre offre irrégulière (incomplète ou non conforme aux documents "
                               "de la consultation). Il peut demander à toutes les entreprises concernées de "
                               "régulariser leur offre."),
    BidStatus.UNACCEPTABLE: _lazy("L'acheteur a jugé votre offre inacceptable : son prix dépasse les crédits "
                                  "budgétaires alloués au marché."),
    BidStatus.INAPPROPRIATE: _lazy("L'acheteur a jugé votre offre inappropriée : elle ne répond pas au besoin du "
                                   "marché."),
    BidStatus.ABNORMALLY_LOW: _lazy("L'acheteur a écarté votre offre comme anormalement basse, après examen de "
                                    "la justification demandée."),
    BidStatus.REGULARISATION_REQUESTED: _lazy("L'acheteur vous demande de régulariser votre offre : répondez avant "
                                              "l'échéance, sans modifier vos prix."),
    BidStatus.JUSTIFICATION_REQUESTED: _lazy("L'acheteur vous demande de justifier le prix de votre offre : "
                                             "répondez avant l'échéance."),
    BidStatus.AWARDED: _lazy("Votre offre est retenue."),
    BidStatus.NOT_RETAINED: _lazy("Votre offre n'est pas retenue."),
}


def _own_bid(user, bid_id) -> Bid:
    """A bid of one of the person's companies (staff reading opened bids use the console, not this page)."""
    bid = selectors.bid_get(user=user, bid_id=bid_id)
    if bid.company_id not in selectors.own_company_ids(user) or not selectors.content_readable(user, bid):
        raise Http404(_("Offre introuvable"))
    return bid


# --- inbox -----------------------------------------------------------------------------------------------

@login_required
def inbox(request):
    now = clock.now()
    invitations = list(selectors.invitations_for_user(request.user))
    for invitation in invitations:
        invitation.is_open = invitation.tender.accepts_bids(now)
    return render(request, "portal/tender_inbox.html", {"invitations": invitations})


# --- the tender ------------------------------------------------------------------------------------------

def _tender_context(request, tender, *, question_form=None) -> dict:
    now = clock.now()
    own = selectors.own_company_ids(request.user)
    questions = list(selectors.questions_for_user(user=request.user, tender=tender))
    for question in questions:
        question.mine = question.company_id in own
    bids = list(selectors.own_bids(request.user, tender))
    invited = list(selectors.own_invitations(request.user, tender))
    companies = []
    for invitation in invited:
        company_bids = [b for b in bids if b.company_id == invitation.company_id]
        companies.append({
            "company": invitation.company,
            "draft": next((b for b in reversed(company_bids) if b.status == BidStatus.DRAFT), None),
            "submitted": next((b for b in company_bids if b.status == BidStatus.SUBMITTED), None),
            "withdrawn": any(b.status == BidStatus.WITHDRAWN for b in company_bids),
        })
    return {
        "tender": tender,
        "criteria": list(tender.criteria.all()),
        "documents": list(tender.documents.all()),
        "answered": [q for q in questions if q.is_answered],
        "waiting": [q for q in questions if not q.is_answered and q.mine],
        "question_form": question_form or QuestionForm(),
        "questions_open": tender.questions_open(now) and bool(invited),
        "accepts_bids": tender.accepts_bids(now),
        "bids": bids,
        "companies": companies,
        "several_companies": len(companies) > 1,
        "status_published": TenderStatus.PUBLISHED,
    }


@login_required
def tender_page(request, tender_id):
    tender = selectors.tender_detail(selectors.tender_get(user=request.user, tender_id=tender_id))
    return render(request, "portal/tender_detail.html", _tender_context(request, tender))


def _chosen_company(request, tender) -> Company | None:
    """The company named in the form, if it is one of the person's invited companies."""
    company_id = request.POST.get("company")
    if not company_id:
        return None
    return get_or_404(Company.objects.all(), pk=company_id, memberships__user=request.user,
                      tender_invitations__tender=tender, message=_("Entreprise introuvable"))


@login_required
@require_POST
def question_ask(request, tender_id):
    tender = selectors.tender_get(user=request.user, tender_id=tender_id)
    form = QuestionForm(request.POST)
    target = reverse("tenders_portal:tender", args=[tender.id]) + "#questions"
    if not form.is_valid():  # shown again at the form (the form posts to #questions), with what was typed
        return render(request, "portal/tender_detail.html",
                      _tender_context(request, selectors.tender_detail(tender), question_form=form), status=400)
    try:
        services.question_ask(actor=request.user, tender=tender, text=form.cleaned_data["text"],
                              company=_chosen_company(request, tender))
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Votre question est transmise à l'acheteur. Sa réponse sera publiée sur cette "
                                    "page pour toutes les entreprises invitées."))
    return redirect(target)


@login_required
@require_POST
def bid_start(request, tender_id):
    """Prepare a draft: an empty one, or a copy of the submitted bid (to deposit a new version)."""
    tender = selectors.tender_get(user=request.user, tender_id=tender_id)
    company = _chosen_company(request, tender)
    copy_from = None
    if request.POST.get("copy_from"):
        copy_from = selectors.bid_get(user=request.user, bid_id=request.POST["copy_from"])
        if copy_from.company_id not in selectors.own_company_ids(request.user):
            raise Http404(_("Offre introuvable"))
        company = company or copy_from.company
    try:
        bid = services.bid_create(actor=request.user, tender=tender, company=company, copy_from=copy_from)
    except DomainError as exc:
        refused(request, exc)
        return redirect("tenders_portal:tender", tender_id=tender.id)
    messages.success(request, _("Brouillon d'offre créé : il est chiffré dès son enregistrement et ne sera lisible "
                                "par l'acheteur qu'à l'ouverture des plis."))
    return redirect("tenders_portal:bid", bid_id=bid.id)


@login_required
def dpgf_download(request, tender_id):
    """The tender's blank price schedule as XLSX, to fill in and upload back into the bid form."""
    tender = selectors.tender_detail(selectors.tender_get(user=request.user, tender_id=tender_id))
    if tender.status == TenderStatus.DRAFT and not request.user.is_procurement_staff:
        raise Http404
    return spreadsheets.response(dpgf.schedule_sheet(tender.price_lines.all()), fmt="xlsx",
                                 filename=f"DPGF-{tender.reference}")


@login_required
def tender_document(request, doc_id):
    # Staff, or a supplier invited (so the tender is published): 404 otherwise.
    return file_response(selectors.tender_document_get(user=request.user, document_id=doc_id))


# --- the bid ---------------------------------------------------------------------------------------------

def _bid_documents(bid: Bid) -> list[dict]:
    return [{"document": d, "name": services.document_name(d)} for d in bid.documents.all()]


def _bid_context(request, bid: Bid, content: dict) -> dict:
    tender = bid.tender
    rows, total = services.priced_schedule(tender, content)
    now = clock.now()
    total_price = content.get("total_price")
    return {
        "bid": bid, "tender": tender, "content": content, "rows": rows, "sum": total,
        "total_matches": total_price not in (None, "") and Decimal(total_price) == total,
        "documents": _bid_documents(bid),
        "accepts_bids": tender.accepts_bids(now),
        "can_withdraw": bid.status == BidStatus.SUBMITTED and tender.accepts_bids(now),
        "has_receipt": bool(bid.fingerprint),
        "generated": list(generated_for_bid(request.user, bid)),
        "max_size": human_size(settings.TENDER_MAX_UPLOAD_BYTES),
    }


def _deposited_context(request, bid: Bid, content: dict, *, respond_form=None, debrief_form=None) -> dict:
    """A deposited bid: its content, its state in words, the requests of the buyer about it, and what the award
    says to its company (the winner's checklist, its letter, the debriefing request, its contract)."""
    requests = list(selectors.requests_of_bid(bid))
    pending = selectors.pending_request(bid, requests)
    return {
        **_bid_context(request, bid, content), **bid_award_context(request, bid, form=debrief_form),
        "withdraw_form": BidWithdrawForm(),
        "state_text": BID_STATE_TEXT.get(bid.status, ""),
        "pending": pending, "past": [r for r in requests if r is not pending],
        "respond_form": respond_form or BidRespondForm(),
        "max_answer_size": human_size(settings.EVIDENCE_MAX_UPLOAD_BYTES),
    }


def _initial(bid_form_lines, content: dict) -> dict:
    """The saved figures, as numbers: the form shows them the page's way (``45,50``, not ``45.50``)."""
    prices = {line["ref"]: inputs.parse_decimal(line.get("unit_price")) for line in content.get("lines") or []}
    initial = {"total_price": inputs.parse_decimal(content.get("total_price")),
               "duration_weeks": content.get("duration_weeks"), "notes": content.get("notes") or ""}
    for index, line in enumerate(bid_form_lines):
        initial[BidForm.line_field(index)] = prices.get(line.ref)
    return initial


def _document_form(*args, **kwargs) -> BidDocumentForm:
    """The "attach a document" fields: shown below the documents, sent with the bid form (``form=`` on each
    control), so that attaching a document first saves the prices typed above it."""
    form = BidDocumentForm(*args, prefix="document", **kwargs)
    for field in form.fields.values():
        field.widget.attrs["form"] = "bid-form"
    return form


@login_required
@require_http_methods(["GET", "POST"])
@irreversible(_lazy("Déposer cette offre ?"),
              _lazy("Une offre déposée ne se modifie plus : vous recevez un accusé de réception. "
                    "Avant la date limite, vous pourrez encore la retirer, ou déposer une nouvelle "
                    "version qui la remplacera."),
              when=lambda data, kwargs: data.get("action") == "submit")
def bid_page(request, bid_id):
    bid = _own_bid(request.user, bid_id)
    tender = selectors.tender_detail(bid.tender)
    bid.tender = tender
    content = services.bid_content(bid)
    if bid.status != BidStatus.DRAFT:
        if request.method == "POST":
            messages.error(request, _("Une offre déposée ne se modifie plus : préparez une nouvelle version."))
            return redirect("tenders_portal:bid", bid_id=bid.id)
        return render(request, "portal/bid_detail.html", _deposited_context(request, bid, content))
    price_lines = list(tender.price_lines.all())
    upload_form = PriceScheduleUploadForm(prefix="dpgf")
    posted = request.POST
    if request.method == "POST" and posted.get("action") == "import":
        # The prices of an uploaded DPGF replace the typed unit prices; every other field stays as typed.
        upload_form = PriceScheduleUploadForm(posted, request.FILES, prefix="dpgf")
        try:
            prices, problems = dpgf.read_prices(request.FILES.get("dpgf-file"), price_lines)
        except SpreadsheetError as exc:
            prices, problems = {}, [exc.message]
        if problems:
            for problem in problems:
                upload_form.add_error("file", problem)
            messages.error(request, _("Les prix du fichier n'ont pas été repris : corrigez le fichier et "
                                      "importez-le de nouveau. Rien n'a été enregistré."))
            form = BidForm(posted, price_lines=price_lines, initial=_initial(price_lines, content))
            form.is_valid()
            return _bid_form_page(request, bid, content, form, upload_form, status=400)
        posted = posted.copy()
        for index, line in enumerate(price_lines):
            posted[BidForm.line_field(index)] = prices[line.ref]
    form = BidForm(posted or None, price_lines=price_lines, initial=_initial(price_lines, content))
    document_form = None
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        imported = request.POST.get("action") == "import"
        attach = request.POST.get("action") == "attach"
        if attach:
            # Without the saved draft, the file must be chosen again: only its type is kept.
            document_form = _document_form(initial={"kind": request.POST.get("document-kind")})
        if submit and not tender.accepts_bids():
            # Past the deadline the draft can no longer be changed; depositing it records it as late.
            return _submit(request, bid)
        if form.is_valid():
            try:
                services.bid_update(actor=request.user, bid=bid, data=form.service_data())
            except ValidationFailed as exc:
                add_service_errors(form, exc, aliases=form.aliases())
                messages.error(request, _("L'offre n'a pas été enregistrée : corrigez les points signalés."))
            except DomainError as exc:
                refused(request, exc)
                return redirect("tenders_portal:bid", bid_id=bid.id)
            else:
                if imported:
                    messages.success(request, ngettext(
                        "Prix importés du fichier (%(n)s ligne) et brouillon enregistré (chiffré). Il n'est pas "
                        "encore déposé.", "Prix importés du fichier (%(n)s lignes) et brouillon enregistré "
                        "(chiffré). Il n'est pas encore déposé.", len(price_lines)) % {"n": len(price_lines)})
                    return redirect("tenders_portal:bid", bid_id=bid.id)
                if attach:
                    document_form = _document_form(request.POST, request.FILES)
                    if _attach(request, bid, document_form):
                        return redirect(reverse("tenders_portal:bid", args=[bid.id]) + "#documents")
                    return _bid_form_page(request, bid, content, form, upload_form, document_form, status=400)
                if not submit:
                    messages.success(request, _("Brouillon enregistré (chiffré). Il n'est pas encore déposé."))
                    return redirect("tenders_portal:bid", bid_id=bid.id)
                return _submit(request, bid)
        else:
            messages.error(request, _("L'offre n'a pas été enregistrée : corrigez les points signalés."))
        if attach:
            messages.error(request, _("Le document n'a pas été joint : choisissez-le de nouveau une fois l'offre "
                                      "corrigée."))
    return _bid_form_page(request, bid, content, form, upload_form, document_form)


def _attach(request, bid: Bid, document_form: BidDocumentForm) -> bool:
    """Attach the posted document to the draft whose figures were just saved; False (and why on the form)
    when it is refused. The typed figures are saved either way."""
    if document_form.is_valid():
        try:
            services.bid_document_upload(actor=request.user, bid=bid, kind=document_form.cleaned_data["kind"],
                                         uploaded_file=document_form.cleaned_data["file"])
        except ValidationFailed as exc:
            add_service_errors(document_form, exc)
        except DomainError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Brouillon enregistré et document « %(name)s » ajouté à l'offre (chiffré).")
                             % {"name": document_form.cleaned_data["file"].name})
            return True
    messages.error(request, _("Brouillon enregistré (chiffré), mais le document n'a pas été ajouté : corrigez les "
                              "points signalés."))
    return False


def _bid_form_page(request, bid, content, form, upload_form, document_form=None, *, status=200):
    """The draft's form; a refused form shows what was typed, with the amounts computed from it."""
    if form.is_bound and hasattr(form, "cleaned_data"):
        content = {**content, **{k: v for k, v in _typed(form).items()}}
    context = _bid_context(request, bid, content)
    rows = context["rows"]
    for row, field in zip(rows, form.line_fields(), strict=False):
        row["field"] = field
    return render(request, "portal/bid_form.html", {
        **context, "form": form, "document_form": document_form or _document_form(), "upload_form": upload_form,
        "dpgf_max_size": human_size(settings.DPGF_MAX_UPLOAD_BYTES),
    }, status=status)


def _typed(form: BidForm) -> dict:
    """The figures typed in a refused form, kept only where they read as numbers (for the computed amounts)."""
    def number(value):
        number = inputs.parse_decimal(value)
        return str(number) if number is not None and number >= 0 else None

    data = {key: form.data.get(key, "") for key in form.fields}
    return {
        "total_price": number(data["total_price"]) if data["total_price"] else None,
        "lines": [{"ref": line.ref, "unit_price": number(data[form.line_field(i)]) if data[form.line_field(i)]
                   else None} for i, line in enumerate(form.price_lines)],
    }


def _submit(request, bid: Bid):
    try:
        bid = services.bid_submit(actor=request.user, bid=bid)
    except services.LateBid as exc:
        messages.error(request, exc.detail)
        return redirect("tenders_portal:bid", bid_id=bid.id)
    except ValidationFailed as exc:
        messages.error(request, _("L'offre n'a pas été déposée :"))
        refused(request, exc)
        return redirect("tenders_portal:bid", bid_id=bid.id)
    except DomainError as exc:
        refused(request, exc)
        return redirect("tenders_portal:bid", bid_id=bid.id)
    messages.success(request, _("Votre offre est déposée. Voici votre accusé de réception électronique ; il vous est "
                                "aussi envoyé par e-mail."))
    return redirect("tenders_portal:receipt", bid_id=bid.id)


def _own_document(user, bid, doc_id) -> BidDocument:
    return get_or_404(bid.documents.all(), pk=doc_id, message=_("Document introuvable"))


@login_required
@require_POST
@irreversible(_lazy("Retirer ce document de l'offre ?"),
              _lazy("Le document est supprimé du brouillon ; pour le joindre de nouveau, il faudra "
                    "le déposer une nouvelle fois."))
def bid_document_delete(request, bid_id, doc_id):
    bid = _own_bid(request.user, bid_id)
    document = _own_document(request.user, bid, doc_id)
    document.bid = bid
    name = services.document_name(document)
    try:
        services.bid_document_delete(actor=request.user, document=document)
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Document « %(name)s » retiré de l'offre.") % {"name": name})
    return redirect(reverse("tenders_portal:bid", args=[bid.id]) + "#documents")


@login_required
def bid_document_download(request, bid_id, doc_id):
    bid = _own_bid(request.user, bid_id)
    document = _own_document(request.user, bid, doc_id)
    document.bid = bid
    try:
        data = services.document_content(document)
    except (FileNotFoundError, OSError):
        raise Http404(_("Fichier introuvable"))
    return attachment_response(data, filename=services.document_name(document), content_type=document.content_type)


@login_required
@require_POST
@irreversible(_lazy("Retirer cette offre ?"),
              _lazy("Elle ne sera pas examinée, sauf si vous déposez une nouvelle offre avant la "
                    "date limite."))
def bid_withdraw(request, bid_id):
    bid = _own_bid(request.user, bid_id)
    form = BidWithdrawForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        services.bid_withdraw(actor=request.user, bid=bid, reason=reason)
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Votre offre est retirée. Vous pouvez en déposer une nouvelle avant la date "
                                    "limite."))
    return redirect("tenders_portal:bid", bid_id=bid.id)


@login_required
@require_POST
def bid_respond(request, bid_id):
    """The bidder answers the request its bid waits on: a text and documents (``bid_respond``). Any price in
    the post is refused by the service."""
    bid = _own_bid(request.user, bid_id)
    form = BidRespondForm(request.POST, request.FILES)
    target = reverse("tenders_portal:bid", args=[bid.id]) + "#demandes"
    if form.is_valid():
        files = form.cleaned_data["file"]
        posted = {key: True for key in request.POST if key != "csrfmiddlewaretoken"}
        try:
            services.bid_respond(actor=request.user, bid=bid, text=form.cleaned_data["text"], files=files,
                                 data=posted)
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases={f"file[{index}]": "file" for index in range(len(files))})
        except DomainError as exc:
            refused(request, exc)
            return redirect(target)
        else:
            messages.success(request, _("Votre réponse est transmise à l'acheteur, qui va examiner de nouveau votre "
                                        "offre."))
            return redirect(target)
    messages.error(request, _("Votre réponse n'a pas été envoyée : corrigez les points signalés."))
    bid.tender = selectors.tender_detail(bid.tender)
    return render(request, "portal/bid_detail.html",
                  _deposited_context(request, bid, services.bid_content(bid), respond_form=form), status=400)


@login_required
@require_POST
@irreversible(_lazy("Envoyer cette demande à l'acheteur ?"),
              _lazy("Une seule demande est possible ; l'acheteur doit vous répondre dans les 15 "
                    "jours."))
def bid_debrief(request, bid_id):
    """A rejected bidder asks for the characteristics and relative advantages of the retained bid (R2181-4);
    the service refuses it after 15 days, twice, or to the winner."""
    bid = _own_bid(request.user, bid_id)
    form = debrief_form(request.POST)
    target = reverse("tenders_portal:bid", args=[bid.id]) + "#resultat"
    if form.is_valid():
        try:
            award_services.debrief_request_create(actor=request.user, bid=bid, text=form.cleaned_data["text"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            refused(request, exc)
            return redirect(target)
        else:
            messages.success(request, _("Votre demande est transmise à l'acheteur, qui doit vous répondre dans les "
                                        "15 jours."))
            return redirect(target)
    bid = _own_bid(request.user, bid_id)
    bid.tender = selectors.tender_detail(bid.tender)
    return render(request, "portal/bid_detail.html",
                  _deposited_context(request, bid, services.bid_content(bid), debrief_form=form), status=400)


@login_required
def request_document_download(request, bid_id, doc_id):
    """A document the company sent with one of its answers."""
    bid = _own_bid(request.user, bid_id)
    return file_response(selectors.bid_request_document_get(user=request.user, document_id=doc_id, bid_id=bid.id))


# --- the receipt and my bids -----------------------------------------------------------------------------

@login_required
def receipt(request, bid_id):
    bid = _own_bid(request.user, bid_id)
    if not bid.fingerprint:
        messages.info(request, _("Cette offre n'a pas d'accusé de réception : elle n'a pas été déposée dans le "
                                 "délai."))
        return redirect("tenders_portal:bid", bid_id=bid.id)
    return render(request, "portal/bid_receipt.html", {"bid": bid, "receipt": services.receipt(bid)})


@login_required
def my_bids(request):
    bids = list(selectors.my_bids(request.user))
    return render(request, "portal/bid_list.html", {"bids": bids, "waiting": sum(1 for b in bids if b.request_due_at)})

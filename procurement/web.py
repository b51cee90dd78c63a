"""What the HTML pages of every app share, written once.

- who may open the console (``staff_required``) and act in it (``can_act``, ``buyer_or_message``);
- calling one service from a page and showing its refusal (``call_service``, ``add_service_errors``,
  ``refused``, ``form_errors_as_messages``), with the current state named in French (``state_label``);
- lists (``paginate``), lookups that are "not found" otherwise (``get_or_404``), file downloads
  (``file_response``, ``attachment_response``);
- how console pages show people, deadlines and an object's audit history (``actor_name``, ``days_left``,
  ``timeline``).

Nothing here knows a supplier or a tender: each app passes the labels of its own states.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import audit, calendar, clock
from .errors import Conflict, DomainError, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from .permissions import BUYER, ROLE_LABELS, has_role, is_staff_member

log = logging.getLogger(__name__)

# --- lookups ----------------------------------------------------------------------------------------------


def get_or_404(qs: QuerySet, *, message: str | None = None, **lookup):
    """``qs.get(**lookup)``, or a 404 when there is no such object (malformed UUIDs included)."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(message or f"{qs.model._meta.verbose_name} introuvable")


# --- who may open the console and act in it ---------------------------------------------------------------


def staff_required(view):
    """Anonymous → login page; a logged-in person without a staff role → 403 page (the console stays hidden)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def can_act(user) -> bool:
    return has_role(user, BUYER)


def buyer_or_message(request) -> bool:
    """True for a buyer; otherwise leave a message (the caller redirects, nothing changes)."""
    if can_act(request.user):
        return True
    messages.error(request, _("Cette action est réservée au rôle « %(role)s ».") % {"role": ROLE_LABELS[BUYER]})
    return False


# --- calling a service from a page --------------------------------------------------------------------------


def state_label(state, states: Mapping | None = None) -> str:
    """A state as pages name it: its label in ``states`` (value → label), else the value itself."""
    return str((states or {}).get(state, state or ""))


def add_service_errors(form: forms.Form, exc: ValidationFailed, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's field errors on the form; errors of unknown fields go to the top of the form."""
    aliases = aliases or {}
    for key, field_messages in exc.errors.items():
        field = aliases.get(key, key)
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def form_errors_as_messages(request, form: forms.Form) -> None:
    """A form posted from a page that redirects back: each of its errors becomes a message."""
    for field_errors in form.errors.values():
        for text in field_errors:
            messages.error(request, text)


def refused(request, exc: DomainError) -> None:
    """One message per problem reported by a service (a ``NotFound`` is the "not found" page)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.detail)
    if isinstance(exc, ValidationFailed) and exc.errors:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, exc.detail or str(exc.title))


OK, INVALID, REFUSED = "ok", "invalid", "refused"


def call_service(request, func, *, form=None, aliases=None, states: Mapping | None = None, **kwargs):
    """Run one service as the current user. Returns ``(outcome, result_or_error)``.

    ``ValidationFailed`` puts the errors on ``form`` (or in messages when there is none) → INVALID;
    a wrong state, a conflict or a refusal becomes a message with the current state (named with
    ``states``, value → label) → REFUSED.
    """
    try:
        return OK, func(actor=request.user, **kwargs)
    except ValidationFailed as exc:
        if form is not None:
            add_service_errors(form, exc, aliases=aliases)
        else:
            for message in exc.messages:
                messages.error(request, message)
        return INVALID, exc
    except (InvalidTransition, Conflict) as exc:
        text = exc.detail
        if getattr(exc, "state", None):
            text = f"{text} " + _("État actuel : %(state)s.") % {"state": state_label(exc.state, states)}
        messages.error(request, text)
        return REFUSED, exc
    except NotAllowed as exc:
        messages.error(request, exc.detail)
        return REFUSED, exc
    except NotFound as exc:
        raise Http404(exc.detail)


class NotFoundMiddleware:
    """A service's ``NotFound`` that no view caught is the site's 404 page, as ``Http404`` is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(exception.detail)
        return None


# --- lists and files ------------------------------------------------------------------------------------------


def paginate(request, queryset, per_page: int):
    """The requested page, and the query string of the other parameters (for the page links).

    A page number that is not one (``abc``, ``0``) or past the end shows the first or the last page, and
    ``page.requested_error`` says so (``console/_pagination.html`` shows it): never a silent substitute."""
    raw = (request.GET.get("page") or "").strip()
    page = Paginator(queryset, per_page).get_page(raw)
    page.requested_error = _page_error(raw, page)
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _page_error(raw: str, page) -> str:
    if not raw:
        return ""
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        return _("La page « %(page)s » n'existe pas : voici la première page.") % {"page": raw}
    if number > page.paginator.num_pages:
        return _("La page %(page)s n'existe pas : voici la dernière, la page %(last)s.") % {
            "page": number, "last": page.paginator.num_pages}
    return ""


def table_rows(template_name: str, rows, *, columns: int, link=None) -> list[str]:
    """Each row of a list rendered on its own with ``template_name`` (context: ``row``): a row that cannot be
    rendered (a date stored beyond what Paris time can show…) is logged and replaced by a row saying so, with
    ``link(row)`` (its address and label) when given, so that a list never fails because of one row."""
    template = get_template(template_name)
    rendered = []
    for row in rows:
        try:
            rendered.append(template.render({"row": row}))
        except Exception:  # any fault of one row: the rest of the list is still shown
            log.exception("Row of %s not rendered", template_name)
            rendered.append(get_template("_unreadable_row.html").render(
                {"columns": columns, "link": link(row) if link else None}))
    return rendered


def file_response(stored, *, inline: bool = False):
    """Stream a stored file (``file``, ``filename``, ``content_type``); the caller has checked who may see it.

    ``inline`` shows it in the page's viewer; anything else downloads under its original name.
    A file missing from storage is a 404, not a 500.
    """
    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("Fichier introuvable"))
    response = FileResponse(handle, as_attachment=not inline, filename=stored.filename,
                            content_type=stored.content_type)
    if inline:
        response["X-Frame-Options"] = "SAMEORIGIN"  # shown in the review page's viewer only
    return response


def attachment_response(data: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """Bytes held in memory (a decrypted bid document) downloaded under ``filename``.

    ``inline`` shows a PDF in the page's viewer (same origin only); any other type still downloads, so that
    a document never runs as a page of the platform."""
    inline = inline and content_type == "application/pdf"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- people, deadlines and history on console pages -----------------------------------------------------------


def actor_name(user) -> str:
    """A person as staff pages show them: full name, or the e-mail address when no name is known."""
    return user.get_full_name() or user.email


def days_left(due: dt.date | None, today: dt.date | None = None) -> int | None:
    """Working days (jours ouvrables) until ``due``; negative once it is past."""
    if due is None:
        return None
    today = today or clock.today()
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


ACTION_LABELS = {
    "create": _lazy("Création"),
    "submit": _lazy("Dépôt"),
    "request-info": _lazy("Demande de compléments"),
    "extend": _lazy("Prolongation du délai"),
    "decide": _lazy("Décision"),
    "withdraw": _lazy("Retrait"),
    "publish": _lazy("Publication"),
    "close": _lazy("Clôture"),
    "terminate": _lazy("Résiliation"),
    "add-category": _lazy("Ajout d'une catégorie"),
    "admit": _lazy("Admission"),
    "suspend": _lazy("Suspension"),
    "reinstate": _lazy("Rétablissement"),
    "exclude": _lazy("Exclusion"),
    "request": _lazy("Demande"),
    "answer": _lazy("Réponse"),
    "lapse": _lazy("Délai dépassé"),
    "admit-category": _lazy("Catégorie admise"),
    "reject-category": _lazy("Catégorie rejetée"),
    "update": _lazy("Modification"),
    "join-company": _lazy("Rattachement à l'entreprise"),
    "invite-member": _lazy("Invitation d'un membre"),
    "accept-invitation": _lazy("Invitation acceptée"),
    "upload-evidence": _lazy("Dépôt d'un justificatif"),
    "delete-evidence": _lazy("Suppression d'un justificatif"),
    "grant-role": _lazy("Attribution d'un rôle"),
    "revoke-role": _lazy("Retrait d'un rôle"),
    "upload-document": _lazy("Ajout d'un document"),
    "publish-addendum": _lazy("Document modificatif"),
    "answer-question": _lazy("Réponse à une question"),
    "add-document": _lazy("Ajout d'un document à l'offre"),
    "delete-document": _lazy("Retrait d'un document de l'offre"),
    "propose-award": _lazy("Proposition d'attribution"),
    "request-winner-evidence": _lazy("Justificatifs demandés au candidat pressenti"),
    "approve-award": _lazy("Attribution approuvée"),
    "withdraw-proposal": _lazy("Retrait de la proposition d'attribution"),
    "eliminate": _lazy("Offre écartée (R2144-7)"),
    "award": _lazy("Offre retenue"),
    "not-retain": _lazy("Offre non retenue"),
    "debrief-request": _lazy("Demande des motifs détaillés"),
    "debrief-answer": _lazy("Réponse sur les motifs détaillés"),
    "sign": _lazy("Signature"),
    "notify": _lazy("Notification"),
    "request-vigilance": _lazy("Attestation de vigilance redemandée"),
    "accept-terms": _lazy("Acceptation des conditions d'utilisation"),
    "change-password": _lazy("Changement du mot de passe"),
}


def timeline(object_type: str, object_id, *, states: Mapping | None = None) -> list:
    """The audit history of one object, with French labels for actions and states and the agent's name."""
    entries = audit.history(object_type, object_id)
    for entry in entries:
        entry.who = actor_name(entry.actor) if entry.actor_id else _("système")
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
        if entry.details.get("code"):  # a category decided: which one
            entry.action_label = f"{entry.action_label} {entry.details['code']}"
        entry.from_label = state_label(entry.from_state, states)
        entry.to_label = state_label(entry.to_state, states)
    return entries

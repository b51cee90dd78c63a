"""Buyer console: the DPS and its categories. Every page reads through selectors, every action calls one service.

Reading needs any staff role; actions need the buyer role. A domain error becomes a message (or field
errors on a re-rendered form), never a server error; a successful action redirects (post/redirect/get).

The DPS page also shows what other apps add to it (the supplier app: the declaration renewals of the
companies admitted). They reach these views as ``sections``: callables ``(request, dps) -> context``, handed
over by the project wiring (``procurement/site/urls.py``), so that this module imports no app above it.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import can_proceed

from .. import clock, selectors, services
from ..confirmation import irreversible
from ..forms.console import CategoryForm, DPSForm, ReasonForm
from ..models import DPSStatus, EvidenceKind
from ..web import INVALID, OK, buyer_or_message, call_service, can_act, staff_required, timeline

STATE_LABELS = dict(DPSStatus.choices)


@require_GET
@staff_required
def dps_list(request):
    systems = selectors.dps_list(request.user)
    return render(request, "console/dps_list.html", {"systems": systems, "can_act": can_act(request.user)})


@require_http_methods(["GET", "POST"])
@staff_required
def dps_create(request):
    form = DPSForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not buyer_or_message(request):
            return redirect("console:dps_list")
        if form.is_valid():
            outcome, result = call_service(request, services.dps_create, form=form, states=STATE_LABELS,
                                           **form.cleaned_data)
            if outcome == OK:
                messages.success(request, _("Le SAD %(ref)s est créé (brouillon).") % {"ref": result.reference})
                return redirect("console:dps_detail", dps_id=result.id)
            status = 400 if outcome == INVALID else 409  # the form is shown again with what was typed
        else:
            status = 400
    return render(request, "console/dps_form.html", {"form": form, "can_act": can_act(request.user)}, status=status)


def _dps_context(request, dps, sections=(), *, category_form=None, terminate_form=None):
    categories = list(dps.categories.all())
    kinds = dict(EvidenceKind.choices)
    for category in categories:
        category.evidence_labels = [str(kinds.get(k, k)) for k in category.required_evidence]
    context = {
        "dps": dps,
        "categories": categories,
        "category_form": category_form or CategoryForm(),
        "terminate_form": terminate_form or ReasonForm(),
        "history": timeline("dps", dps.id, states=STATE_LABELS),
        "can_act": can_act(request.user),
        "can_publish": can_proceed(dps.publish),
        "can_terminate": can_proceed(dps.terminate),
        "can_add_category": dps.accepts_categories(),
        "today": clock.today(),
    }
    for section in sections:
        context.update(section(request, dps))
    return context


@require_GET
@staff_required
def dps_detail(request, dps_id, sections=()):
    dps = selectors.dps_get(user=request.user, dps_id=dps_id)
    return render(request, "console/dps_detail.html", _dps_context(request, dps, sections))


@require_POST
@staff_required
@irreversible(_lazy("Publier ce SAD ?"),
              _lazy("Les candidatures seront ouvertes à toutes les entreprises et la première "
                    "période de 30 jours commencera ; la publication ne peut pas être retirée."))
def dps_publish(request, dps_id):
    dps = selectors.dps_get(user=request.user, dps_id=dps_id)
    if buyer_or_message(request):
        outcome, result = call_service(request, services.dps_publish, states=STATE_LABELS, dps=dps)
        if outcome == OK:
            messages.success(request, _("Le SAD est publié : les candidatures sont ouvertes."))
    return redirect("console:dps_detail", dps_id=dps.id)


@require_POST
@staff_required
@irreversible(_lazy("Résilier définitivement ce SAD ?"),
              _lazy("Plus aucune candidature ne sera reçue et aucun nouveau marché spécifique ne "
                    "pourra y être lancé."))
def dps_terminate(request, dps_id, sections=()):
    dps = selectors.dps_get(user=request.user, dps_id=dps_id)
    if not buyer_or_message(request):
        return redirect("console:dps_detail", dps_id=dps.id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        outcome, _result = call_service(request, services.dps_terminate, form=form, states=STATE_LABELS, dps=dps,
                                        reason=form.cleaned_data["reason"])
        if outcome == OK:
            messages.success(request, _("Le SAD est résilié."))
        if outcome != INVALID:
            return redirect("console:dps_detail", dps_id=dps.id)
    return render(request, "console/dps_detail.html", _dps_context(request, dps, sections, terminate_form=form),
                  status=400)


@require_POST
@staff_required
def category_add(request, dps_id, sections=()):
    dps = selectors.dps_get(user=request.user, dps_id=dps_id)
    if not buyer_or_message(request):
        return redirect("console:dps_detail", dps_id=dps.id)
    form = CategoryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        outcome, result = call_service(
            request, services.category_create, form=form, aliases=CategoryForm.service_aliases,
            states=STATE_LABELS, dps=dps,
            code=data["code"], name=data["name"], trade=data["trade"], territories=form.territories(),
            max_contract_value=data.get("max_contract_value"), min_turnover=data.get("min_turnover"),
            required_evidence=data.get("required_evidence") or [],
            min_turnover_justification=data.get("min_turnover_justification") or "",
        )
        if outcome == OK:
            messages.success(request, _("La catégorie %(code)s est ajoutée.") % {"code": result.code})
            return redirect("console:dps_detail", dps_id=dps.id)
        status = 400 if outcome == INVALID else 409  # shown again with what was typed
    else:
        status = 400
    return render(request, "console/dps_detail.html", _dps_context(request, dps, sections, category_form=form),
                  status=status)

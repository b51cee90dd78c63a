"""The platform's public pages: the front page (what the SAD is, in three steps) and each published SAD."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from ..models import DPSStatus, EvidenceKind
from ..selectors import dps_get, dps_visible


def home(request):
    user = request.user
    if user.is_authenticated and not user.is_procurement_staff:
        return redirect("portal:dashboard")
    open_dps = dps_visible(user).filter(status=DPSStatus.OPEN).order_by("-published_at")[:5]
    return render(request, "home.html", {"open_dps": open_dps})


@require_GET
def dps_public(request, dps_id):
    """One SAD as anyone may read it: scope, validity, categories, and how to apply.

    Drafts are not found for anyone but staff (``dps_get``). The call to action leads a supplier to the
    portal's application page, a visitor to registration or login (then to that same page).
    """
    user = request.user
    dps = dps_get(user=user, dps_id=dps_id)
    categories = list(dps.categories.all())
    kinds = dict(EvidenceKind.choices)
    for category in categories:
        category.evidence_labels = [str(kinds.get(kind, kind)) for kind in category.required_evidence]
    apply_url = reverse("portal:apply", args=[dps.id])
    return render(request, "dps_public.html", {
        "dps": dps,
        "categories": categories,
        "is_open": dps.status == DPSStatus.OPEN,
        "apply_url": apply_url,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': apply_url})}",
        "is_supplier": user.is_authenticated and not user.is_procurement_staff,
    })

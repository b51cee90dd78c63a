"""The platform's front page: what the SAD is, in three steps, and where to go next."""

from django.shortcuts import redirect, render

from procurement.models import DPSStatus
from suppliers.selectors import dps_visible


def home(request):
    user = request.user
    if user.is_authenticated and not user.is_procurement_staff:
        return redirect("portal:dashboard")
    open_dps = dps_visible(user).filter(status=DPSStatus.OPEN).order_by("-published_at")[:5]
    return render(request, "home.html", {"open_dps": open_dps})

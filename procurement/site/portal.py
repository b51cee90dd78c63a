"""The portal dashboard: the person's companies and the open DPS (supplier app), with the number of
invitations to tender still open for each company (tenders app), counted in the companies' own query, and
the bids a request of the buyer waits on (tenders app)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef
from django.shortcuts import redirect, render

from suppliers.views import portal as supplier_portal
from tenders import selectors as tender_selectors


@login_required
def dashboard(request):
    if request.user.is_procurement_staff:
        return redirect("/console/")
    memberships = list(supplier_portal.dashboard_memberships(request.user).annotate(
        open_invitations=tender_selectors.open_invitation_count(OuterRef("company_id"))))
    return render(request, "portal/dashboard.html", {
        **supplier_portal.dashboard_context(request, memberships),
        "open_invitations": sum(m.open_invitations for m in memberships),
        "waiting_bids": tender_selectors.bids_waiting_on_user(request.user) if memberships else [],
    })

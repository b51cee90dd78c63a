"""The console dashboard: the review queue, counts and chart of the supplier app, then the tenders block."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from procurement import listcache
from procurement.web import staff_required
from suppliers.views import console as supplier_console
from tenders.views import console as tender_console


@require_GET
@staff_required
def dashboard(request):
    def build():
        return {**supplier_console.dashboard_context(request), "tenders": tender_console.dashboard_context(request.user)}

    return render(request, "console/dashboard.html", {
        "content": listcache.fragment(request, "dashboard", "console/_dashboard_content.html", build)})

"""The "console" and "portal" URL namespaces, composed from the routes of each app.

- /console/ ("console"): the dashboard (``site.console``), the supplier pages (``suppliers.urls_console``)
  and the DPS pages (``procurement.urls_console``), which receive the supplier's renewals section;
- /portail/ ("portal"): the dashboard (``site.portal``) and the supplier portal (``suppliers.urls_portal``).

The tenders app mounts its own namespaces ("tenders_console", "tenders_portal") from the root URLs.
"""

from django.urls import path

from procurement import urls_console as dps_urls
from suppliers import urls_console as supplier_console_urls
from suppliers import urls_portal as supplier_portal_urls
from suppliers.views import console as supplier_console

from . import console, portal

console_urls = ([
    path("", console.dashboard, name="dashboard"),
    *supplier_console_urls.urlpatterns,
    *dps_urls.patterns(dps_sections=[supplier_console.dps_renewals]),
], "console")

portal_urls = ([
    path("", portal.dashboard, name="dashboard"),
    *supplier_portal_urls.urlpatterns,
], "portal")

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from procurement.site import legal
from procurement.site.urls import console_urls, portal_urls
from procurement.views.public import dps_public, home

urlpatterns = [
    path("", home, name="home"),
    path("sad/<uuid:dps_id>/", dps_public, name="dps_public"),
    path("", include((legal.urlpatterns, "legal"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("procurement.accounts.urls")),
    path("portail/marches/", include("tenders.urls_portal")),
    path("portail/", include(portal_urls)),
    path("console/marches/", include("tenders.urls_console")),
    path("console/", include(console_urls)),
    path("api/v1/", include("procurement.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's page script is served as a file (split view); its own stylesheet block needs inline styles.
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(
        url_name="api-schema")), name="api-docs"),
]

handler400 = "procurement.api_support.bad_request"
handler404 = "procurement.api_support.page_not_found"
handler500 = "procurement.api_support.server_error"

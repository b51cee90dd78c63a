"""The DPS pages of the buyer console, under /console/ (namespace "console").

``procurement/site/urls.py`` mounts them next to the dashboard and the supplier pages, and hands the DPS
page the sections that other apps add to it (see ``procurement.views.console``).
"""

from django.urls import path

from .views import console as views


def patterns(*, dps_sections=()) -> list:
    """The routes; the pages that show the DPS receive ``dps_sections`` as their ``sections`` option."""
    page = {"sections": tuple(dps_sections)}
    return [
        path("sad/", views.dps_list, name="dps_list"),
        path("sad/nouveau/", views.dps_create, name="dps_create"),
        path("sad/<uuid:dps_id>/", views.dps_detail, page, name="dps_detail"),
        path("sad/<uuid:dps_id>/publier/", views.dps_publish, name="dps_publish"),
        path("sad/<uuid:dps_id>/resilier/", views.dps_terminate, page, name="dps_terminate"),
        path("sad/<uuid:dps_id>/categories/", views.category_add, page, name="category_add"),
    ]

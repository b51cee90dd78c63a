"""The supplier pages of the buyer console, under /console/ (namespace "console", mounted by
``procurement/site/urls.py`` next to the dashboard and the DPS pages)."""

from django.urls import path, re_path

from .views import console as views

urlpatterns = [
    path("candidatures/", views.applications, name="applications"),
    re_path(r"^candidatures/export\.(?P<fmt>csv|xlsx)$", views.applications_export, name="applications_export"),
    path("candidatures/<uuid:application_id>/", views.application_review, name="application_review"),
    path("candidatures/<uuid:application_id>/decision/", views.application_decide, name="application_decide"),
    path("candidatures/<uuid:application_id>/complements/", views.application_request_info,
         name="application_request_info"),
    path("candidatures/<uuid:application_id>/prolongation/", views.application_extend, name="application_extend"),
    path("fournisseurs/", views.directory, name="directory"),
    re_path(r"^fournisseurs/export\.(?P<fmt>csv|xlsx)$", views.directory_export, name="directory_export"),
    path("fournisseurs/<uuid:company_id>/", views.company_detail, name="company_detail"),
    path("justificatifs/<uuid:document_id>/apercu/", views.document_preview, name="document_preview"),
    path("admissions/", views.admissions, name="admissions"),
    re_path(r"^admissions/export\.(?P<fmt>csv|xlsx)$", views.admissions_export, name="admissions_export"),
    path("admissions/<uuid:admission_id>/<slug:action>/", views.admission_action, name="admission_action"),
    path("sad/<uuid:dps_id>/renouvellements/", views.renewals_request, name="renewals_request"),
]

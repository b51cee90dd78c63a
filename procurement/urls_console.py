"""The buyer console (staff side), under /console/."""

from django.urls import path

from suppliers.views import console as supplier_views

from . import views_console as views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("candidatures/", supplier_views.applications, name="applications"),
    path("candidatures/<uuid:application_id>/", supplier_views.application_review, name="application_review"),
    path("candidatures/<uuid:application_id>/decision/", supplier_views.application_decide, name="application_decide"),
    path("candidatures/<uuid:application_id>/complements/", supplier_views.application_request_info,
         name="application_request_info"),
    path("candidatures/<uuid:application_id>/prolongation/", supplier_views.application_extend,
         name="application_extend"),
    path("fournisseurs/", supplier_views.directory, name="directory"),
    path("fournisseurs/<uuid:company_id>/", supplier_views.company_detail, name="company_detail"),
    path("justificatifs/<uuid:document_id>/apercu/", supplier_views.document_preview, name="document_preview"),
    path("admissions/", supplier_views.admissions, name="admissions"),
    path("admissions/<uuid:admission_id>/<slug:action>/", supplier_views.admission_action, name="admission_action"),
    path("sad/", views.dps_list, name="dps_list"),
    path("sad/nouveau/", views.dps_create, name="dps_create"),
    path("sad/<uuid:dps_id>/", views.dps_detail, name="dps_detail"),
    path("sad/<uuid:dps_id>/publier/", views.dps_publish, name="dps_publish"),
    path("sad/<uuid:dps_id>/resilier/", views.dps_terminate, name="dps_terminate"),
    path("sad/<uuid:dps_id>/categories/", views.category_add, name="category_add"),
    path("sad/<uuid:dps_id>/renouvellements/", views.renewals_request, name="renewals_request"),
]

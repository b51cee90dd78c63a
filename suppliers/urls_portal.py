"""The supplier portal, under /portail/ (namespace "portal", mounted by ``procurement/site/urls.py`` next to
the dashboard, which also shows the invitations to tender)."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("entreprises/nouvelle/", portal.company_create, name="company_create"),
    path("entreprises/<uuid:company_id>/", portal.company_detail, name="company"),
    path("entreprises/<uuid:company_id>/modifier/", portal.company_edit, name="company_edit"),
    path("entreprises/<uuid:company_id>/inviter/", portal.company_invite, name="company_invite"),
    path("entreprises/<uuid:company_id>/declaration/", portal.declaration, name="declaration"),
    path("entreprises/<uuid:company_id>/documents/", portal.documents, name="documents"),
    path("documents/<uuid:document_id>/telecharger/", portal.document_download, name="document_download"),
    path("documents/<uuid:document_id>/supprimer/", portal.document_delete, name="document_delete"),
    path("invitations/<uuid:invitation_id>/", portal.invitation_accept, name="invitation"),
    path("sad/<uuid:dps_id>/candidater/", portal.apply, name="apply"),
    path("candidatures/<uuid:application_id>/", portal.application_detail, name="application"),
    path("candidatures/<uuid:application_id>/deposer/", portal.application_submit, name="application_submit"),
    path("candidatures/<uuid:application_id>/retirer/", portal.application_withdraw, name="application_withdraw"),
]

"""REST API v1 routes (mounted at /api/v1/). Ids are matched as plain strings: a malformed one is a 404."""

from django.urls import path

from suppliers import api as suppliers_api

from . import api

app_name = "api"

urlpatterns = [
    # people
    path("auth/register/", api.RegisterView.as_view(), name="auth-register"),
    path("auth/verify-email/", api.VerifyEmailView.as_view(), name="auth-verify-email"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("me/", api.MeView.as_view(), name="me"),
    # companies, declarations, evidence
    path("companies/", suppliers_api.CompanyListView.as_view(), name="company-list"),
    path("companies/<str:id>/", suppliers_api.CompanyDetailView.as_view(), name="company-detail"),
    path("companies/<str:id>/declaration/", suppliers_api.DeclarationView.as_view(), name="company-declaration"),
    path("companies/<str:id>/documents/", suppliers_api.CompanyDocumentsView.as_view(), name="company-documents"),
    path("companies/<str:id>/invitations/", suppliers_api.CompanyInvitationsView.as_view(),
         name="company-invitations"),
    path("invitations/<str:id>/accept/", suppliers_api.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("documents/<str:id>/download/", suppliers_api.DocumentDownloadView.as_view(), name="document-download"),
    # the DPS
    path("dps/", api.DPSListView.as_view(), name="dps-list"),
    path("dps/<str:id>/", api.DPSDetailView.as_view(), name="dps-detail"),
    path("dps/<str:id>/categories/", api.DPSCategoriesView.as_view(), name="dps-categories"),
    path("dps/<str:id>/publish/", api.DPSPublishView.as_view(), name="dps-publish"),
    path("dps/<str:id>/declaration-renewals/", suppliers_api.DeclarationRenewalsView.as_view(),
         name="dps-declaration-renewals"),
    # applications and admissions
    path("applications/", suppliers_api.ApplicationListView.as_view(), name="application-list"),
    path("applications/<str:id>/", suppliers_api.ApplicationDetailView.as_view(), name="application-detail"),
    path("applications/<str:id>/submit/", suppliers_api.ApplicationSubmitView.as_view(), name="application-submit"),
    path("applications/<str:id>/withdraw/", suppliers_api.ApplicationWithdrawView.as_view(),
         name="application-withdraw"),
    path("applications/<str:id>/request-info/", suppliers_api.ApplicationRequestInfoView.as_view(),
         name="application-request-info"),
    path("applications/<str:id>/extend/", suppliers_api.ApplicationExtendView.as_view(), name="application-extend"),
    path("applications/<str:id>/decide/", suppliers_api.ApplicationDecideView.as_view(), name="application-decide"),
    path("admissions/", suppliers_api.AdmissionListView.as_view(), name="admission-list"),
    path("admissions/<str:id>/suspend/", suppliers_api.AdmissionSuspendView.as_view(), name="admission-suspend"),
    path("admissions/<str:id>/reinstate/", suppliers_api.AdmissionReinstateView.as_view(),
         name="admission-reinstate"),
    path("admissions/<str:id>/exclude/", suppliers_api.AdmissionExcludeView.as_view(), name="admission-exclude"),
    # audit
    path("audit/", api.AuditListView.as_view(), name="audit-list"),
    path("audit/verify/", api.AuditVerifyView.as_view(), name="audit-verify"),
]

"""REST API v1 routes (mounted at /api/v1/). Ids are matched as plain strings: a malformed one is a 404."""

from django.urls import path

from suppliers import api as suppliers_api
from tenders import api as tenders_api
from tenders import api_award, api_evaluation

from . import api

app_name = "api"

urlpatterns = [
    # people
    path("auth/register/", api.RegisterView.as_view(), name="auth-register"),
    path("auth/verify-email/", api.VerifyEmailView.as_view(), name="auth-verify-email"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("me/", suppliers_api.MeView.as_view(), name="me"),
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
    # tenders
    path("tenders/", tenders_api.TenderListView.as_view(), name="tender-list"),
    path("tenders/<str:id>/", tenders_api.TenderDetailView.as_view(), name="tender-detail"),
    path("tenders/<str:id>/documents/", tenders_api.TenderDocumentsView.as_view(), name="tender-documents"),
    path("tender-documents/<str:id>/download/", tenders_api.TenderDocumentDownloadView.as_view(),
         name="tender-document-download"),
    path("tenders/<str:id>/publish/", tenders_api.TenderPublishView.as_view(), name="tender-publish"),
    path("tenders/<str:id>/invitations/", tenders_api.TenderInvitationsView.as_view(), name="tender-invitations"),
    path("tenders/<str:id>/questions/", tenders_api.TenderQuestionsView.as_view(), name="tender-questions"),
    path("questions/<str:id>/answer/", tenders_api.QuestionAnswerView.as_view(), name="question-answer"),
    path("tenders/<str:id>/bids/", tenders_api.TenderBidsView.as_view(), name="tender-bids"),
    path("tenders/<str:id>/open/", tenders_api.TenderOpenView.as_view(), name="tender-open"),
    path("tenders/<str:id>/cancel/", tenders_api.TenderCancelView.as_view(), name="tender-cancel"),
    path("tenders/<str:id>/declare-unsuccessful/", tenders_api.TenderDeclareUnsuccessfulView.as_view(),
         name="tender-declare-unsuccessful"),
    path("bids/", tenders_api.BidListView.as_view(), name="bid-list"),
    path("bids/<str:id>/", tenders_api.BidDetailView.as_view(), name="bid-detail"),
    path("bids/<str:id>/documents/", tenders_api.BidDocumentsView.as_view(), name="bid-documents"),
    path("bids/<str:id>/submit/", tenders_api.BidSubmitView.as_view(), name="bid-submit"),
    path("bids/<str:id>/withdraw/", tenders_api.BidWithdrawView.as_view(), name="bid-withdraw"),
    path("bid-documents/<str:id>/", tenders_api.BidDocumentView.as_view(), name="bid-document"),
    path("bid-documents/<str:id>/download/", tenders_api.BidDocumentDownloadView.as_view(),
         name="bid-document-download"),
    # evaluation (after the opening)
    path("tenders/<str:id>/anomalies/", api_evaluation.AnomaliesView.as_view(), name="tender-anomalies"),
    path("bids/<str:id>/classify/", api_evaluation.BidClassifyView.as_view(), name="bid-classify"),
    path("tenders/<str:id>/request-regularisation/", api_evaluation.TenderRequestRegularisationView.as_view(),
         name="tender-request-regularisation"),
    path("bids/<str:id>/request-justification/", api_evaluation.BidRequestJustificationView.as_view(),
         name="bid-request-justification"),
    path("bids/<str:id>/respond/", api_evaluation.BidRespondView.as_view(), name="bid-respond"),
    path("bids/<str:id>/requests/", api_evaluation.BidRequestsView.as_view(), name="bid-requests"),
    path("bid-request-documents/<str:id>/download/", api_evaluation.BidRequestDocumentDownloadView.as_view(),
         name="bid-request-document-download"),
    path("tenders/<str:id>/panel/", api_evaluation.TenderPanelView.as_view(), name="tender-panel"),
    path("tenders/<str:id>/declare-impartiality/", api_evaluation.TenderDeclareImpartialityView.as_view(),
         name="tender-declare-impartiality"),
    path("bids/<str:id>/scores/", api_evaluation.BidScoresView.as_view(), name="bid-scores"),
    path("tenders/<str:id>/scores/submit/", api_evaluation.TenderScoresSubmitView.as_view(),
         name="tender-scores-submit"),
    path("tenders/<str:id>/scores/", api_evaluation.TenderScoresView.as_view(), name="tender-scores"),
    path("bids/<str:id>/consensus/", api_evaluation.BidConsensusView.as_view(), name="bid-consensus"),
    path("tenders/<str:id>/ranking/", api_evaluation.RankingView.as_view(), name="tender-ranking"),
    # award and contract
    path("tenders/<str:id>/award/", api_award.TenderAwardView.as_view(), name="tender-award"),
    path("tenders/<str:id>/propose-award/", api_award.ProposeAwardView.as_view(), name="tender-propose-award"),
    path("tenders/<str:id>/winner-evidence/", api_award.WinnerEvidenceView.as_view(), name="tender-winner-evidence"),
    path("tenders/<str:id>/request-winner-evidence/", api_award.RequestWinnerEvidenceView.as_view(),
         name="tender-request-winner-evidence"),
    path("tenders/<str:id>/approve-award/", api_award.ApproveAwardView.as_view(), name="tender-approve-award"),
    path("tenders/<str:id>/withdraw-proposal/", api_award.WithdrawProposalView.as_view(),
         name="tender-withdraw-proposal"),
    path("contracts/", api_award.ContractListView.as_view(), name="contract-list"),
    path("contracts/<str:id>/", api_award.ContractDetailView.as_view(), name="contract-detail"),
    path("contracts/<str:id>/sign/", api_award.ContractSignView.as_view(), name="contract-sign"),
    path("contracts/<str:id>/notify/", api_award.ContractNotifyView.as_view(), name="contract-notify"),
    path("bids/<str:id>/letter/", api_award.BidLetterView.as_view(), name="bid-letter"),
    path("bids/<str:id>/debrief-request/", api_award.BidDebriefRequestView.as_view(), name="bid-debrief-request"),
    path("debrief-requests/<str:id>/answer/", api_award.DebriefAnswerView.as_view(), name="debrief-request-answer"),
    # audit
    path("audit/", api.AuditListView.as_view(), name="audit-list"),
    path("audit/verify/", api.AuditVerifyView.as_view(), name="audit-verify"),
]

# generated documents
from procurement.documents import api as documents_api  # noqa: E402
from tenders import api_documents as tenders_documents_api  # noqa: E402

urlpatterns += [
    path("tenders/<str:id>/generated-documents/", tenders_documents_api.TenderGeneratedDocumentsView.as_view(),
         name="tender-generated-documents"),
    path("generated-documents/<str:id>/download/", tenders_documents_api.GeneratedDocumentDownloadView.as_view(),
         name="generated-document-download"),
    path("generated-documents/<str:id>/retry/", tenders_documents_api.GeneratedDocumentRetryView.as_view(),
         name="generated-document-retry"),
    path("documents/verify/", documents_api.DocumentVerifyView.as_view(), name="document-verify"),
]

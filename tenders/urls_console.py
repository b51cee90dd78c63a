"""The buyer's tender console, under /console/marches/."""

from django.urls import path, re_path

from .views import console as views
from .views import documents, evaluation, panel

app_name = "tenders_console"

urlpatterns = [
    path("", views.tender_list, name="list"),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", views.tender_list_export, name="list_export"),
    path("nouveau/", views.tender_create, name="create"),
    path("invites/", views.invitee_count, name="invitee_count"),
    path("<uuid:tender_id>/", views.tender_detail, name="detail"),
    path("<uuid:tender_id>/modifier/", views.tender_edit, name="edit"),
    path("<uuid:tender_id>/publier/", views.tender_publish, name="publish"),
    path("<uuid:tender_id>/ouvrir/", views.tender_open, name="open"),
    path("<uuid:tender_id>/sans-suite/", views.tender_cancel, name="cancel"),
    path("<uuid:tender_id>/infructueux/", views.tender_unsuccessful, name="unsuccessful"),
    path("<uuid:tender_id>/documents/", views.tender_document_upload, name="document_upload"),
    path("<uuid:tender_id>/invitations/", views.invitations, name="invitations"),
    re_path(r"^(?P<tender_id>[0-9a-f-]{36})/invitations\.(?P<fmt>csv|xlsx)$", views.invitations_export,
            name="invitations_export"),
    path("<uuid:tender_id>/questions/", views.questions, name="questions"),
    path("<uuid:tender_id>/offres/", views.bids, name="bids"),
    re_path(r"^(?P<tender_id>[0-9a-f-]{36})/registre\.(?P<fmt>csv|xlsx)$", views.register_export,
            name="register_export"),
    re_path(r"^(?P<tender_id>[0-9a-f-]{36})/offres\.(?P<fmt>csv|xlsx)$", views.opened_bids_export,
            name="opened_bids_export"),
    path("<uuid:tender_id>/documents-emis/", documents.tender_documents, name="documents"),
    path("<uuid:tender_id>/documents-emis/progression/", documents.tender_documents_progress,
         name="documents_progress"),
    path("documents-emis/<uuid:document_id>/", documents.document_download, name="generated_document"),
    path("documents-emis/<uuid:document_id>/relancer/", documents.document_retry, name="generated_document_retry"),
    path("documents/<uuid:document_id>/", views.tender_document, name="document"),
    path("questions/<uuid:question_id>/repondre/", views.question_answer, name="answer"),
    path("offres/<uuid:bid_id>/", views.bid_detail, name="bid"),
    path("offres/documents/<uuid:document_id>/", views.bid_document, name="bid_document"),
    # The evaluation of an opened tender (buyer's workspace).
    path("<uuid:tender_id>/evaluation/", evaluation.workspace, name="evaluation"),
    path("<uuid:tender_id>/evaluation/offres/", evaluation.classification, name="evaluation_bids"),
    path("<uuid:tender_id>/evaluation/regularisation/", evaluation.request_regularisation,
         name="evaluation_regularisation"),
    path("<uuid:tender_id>/evaluation/anomalies/", evaluation.anomalies, name="evaluation_anomalies"),
    path("<uuid:tender_id>/evaluation/commission/", evaluation.panel, name="evaluation_panel"),
    path("<uuid:tender_id>/evaluation/consensus/", evaluation.consensus, name="evaluation_consensus"),
    path("<uuid:tender_id>/evaluation/classement/", evaluation.ranking, name="evaluation_ranking"),
    path("<uuid:tender_id>/evaluation/classement.csv", evaluation.ranking_csv, name="evaluation_ranking_csv"),
    path("<uuid:tender_id>/evaluation/classement.xlsx", evaluation.ranking_xlsx, name="evaluation_ranking_xlsx"),
    path("offres/<uuid:bid_id>/classer/", evaluation.bid_classify, name="evaluation_classify"),
    path("offres/<uuid:bid_id>/justification/", evaluation.bid_request_justification,
         name="evaluation_justification"),
    path("offres/<uuid:bid_id>/consensus/", evaluation.bid_consensus, name="evaluation_consensus_record"),
    path("offres/reponses/documents/<uuid:document_id>/", evaluation.request_document,
         name="evaluation_request_document"),
    # The evaluator's panels.
    path("commissions/", panel.panel_list, name="panels"),
    path("<uuid:tender_id>/commission/", panel.panel_page, name="panel"),
    path("<uuid:tender_id>/commission/declaration/", panel.panel_declare, name="panel_declare"),
    path("<uuid:tender_id>/commission/notes/", panel.panel_scores, name="panel_scores"),
    path("<uuid:tender_id>/commission/remise/", panel.panel_submit, name="panel_submit"),
    path("offres/documents/<uuid:document_id>/apercu/", panel.bid_document_view, name="bid_document_view"),
]

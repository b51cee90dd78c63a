"""The supplier's side of a tender, under /portail/marches/."""

from django.urls import path

from tenders.views import documents, portal, portal_award

app_name = "tenders_portal"

urlpatterns = [
    path("", portal.inbox, name="inbox"),
    path("mes-offres/", portal.my_bids, name="my_bids"),
    path("documents/<uuid:doc_id>/", portal.tender_document, name="tender_document"),
    path("documents-emis/<uuid:document_id>/", documents.document_download, name="generated_document"),
    path("offres/<uuid:bid_id>/", portal.bid_page, name="bid"),
    path("offres/<uuid:bid_id>/recu/", portal.receipt, name="receipt"),
    path("offres/<uuid:bid_id>/retirer/", portal.bid_withdraw, name="bid_withdraw"),
    path("offres/<uuid:bid_id>/documents/<uuid:doc_id>/", portal.bid_document_download,
         name="bid_document"),
    path("offres/<uuid:bid_id>/documents/<uuid:doc_id>/supprimer/", portal.bid_document_delete,
         name="bid_document_delete"),
    path("offres/<uuid:bid_id>/repondre/", portal.bid_respond, name="bid_respond"),
    path("offres/<uuid:bid_id>/motifs/", portal.bid_debrief, name="bid_debrief"),
    path("contrats/<uuid:contract_id>/", portal_award.contract_page, name="contract"),
    path("contrats/<uuid:contract_id>/signer/", portal_award.contract_sign, name="contract_sign"),
    path("offres/<uuid:bid_id>/reponses/<uuid:doc_id>/", portal.request_document_download, name="request_document"),
    path("<uuid:tender_id>/", portal.tender_page, name="tender"),
    path("<uuid:tender_id>/dpgf.xlsx", portal.dpgf_download, name="dpgf"),
    path("<uuid:tender_id>/questions/", portal.question_ask, name="question_ask"),
    path("<uuid:tender_id>/offre/", portal.bid_start, name="bid_start"),
]

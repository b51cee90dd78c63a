"""REST API v1: companies, declarations, evidence, applications, admissions and declaration renewals.

Views only translate HTTP to service and selector calls. Objects the caller may not know are looked
up through the selectors, which answer 404; the services check roles and states (403, 409).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import inputs
from procurement import selectors as dps_selectors
from procurement.api_parsers import FormParser, MultiPartParser
from procurement.api_support import (
    ID_PARAM,
    CachedListMixin,
    query_flag,
    referenced,
    responses,
    state_or_none,
    uploaded_file_download,
    uuid_or_none,
    validated,
)
from procurement.errors import ValidationFailed
from procurement.permissions import require_staff
from procurement.serializers import MeSerializer
from procurement.web import file_response, get_or_404

from . import selectors, services
from . import serializers as s
from .models import AdmissionStatus, ApplicationStatus

# --- the current user and its companies ------------------------------------------------------------


class MeView(APIView):
    @extend_schema(responses=responses({200: MeSerializer}, 401), tags=["accounts"],
                   summary="The current user, its staff roles and its companies")
    def get(self, request):
        user = request.user
        data = {
            "id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "roles": user.roles, "is_verified": user.is_verified,
            "companies": list(selectors.memberships_for_user(user)),
        }
        return Response(MeSerializer(data).data)


# --- companies ----------------------------------------------------------------------------------------


class CompanyListView(CachedListMixin, generics.ListAPIView):
    cache_name = "api-companies"
    serializer_class = s.CompanySerializer

    def get_queryset(self):
        """The directory's filters, each checked: a value that names nothing is a 400 on that parameter."""
        params, errors = self.request.query_params, {}
        category = None
        try:
            category = uuid_or_none(params, "category")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if category is not None and dps_selectors.category_find(self.request.user, category) is None:
            errors["category"] = [_("La catégorie « %(value)s » n'existe pas.") % {"value": params["category"]}]
        territory = inputs.departement(params.get("territory"), "territory", errors, required=False)
        try:
            admission_status = state_or_none(params, AdmissionStatus, "admission_status")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        return selectors.supplier_directory(
            companies=selectors.companies_for_user(self.request.user), category_id=category, territory=territory,
            admission_status=admission_status, search=(params.get("q") or "").strip() or None,
        ).prefetch_related(None)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in the name or the commune, whatever the "
                             "case and accents, or the start of the SIRET"),
            OpenApiParameter("category", OpenApiTypes.UUID, description="Admitted, suspended or excluded in this "
                             "category"),
            OpenApiParameter("territory", OpenApiTypes.STR, description="With an admission in a category covering "
                             "this département, e.g. 60, 2A, 974"),
            OpenApiParameter("admission_status", OpenApiTypes.STR, enum=AdmissionStatus.values,
                             description="With an admission in this state"),
        ],
        tags=["companies"], summary="Companies: a supplier's own, or all of them for staff, in French alphabetical "
                                    "order")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.CompanyWriteSerializer, responses=responses({201: s.CompanySerializer}, 400, 401, 403, 409),
                   tags=["companies"], summary="Register a company; the caller becomes its administrator")
    def post(self, request):
        data = validated(s.CompanyWriteSerializer, request).service_data()
        company = services.company_create(actor=request.user, data=data)
        return Response(s.CompanySerializer(company).data, status=status.HTTP_201_CREATED)


class CompanyDetailView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.CompanySerializer}, 401, 404),
                   tags=["companies"], summary="A company (its members and staff)")
    def get(self, request, id):
        return Response(s.CompanySerializer(selectors.company_get(user=request.user, company_id=id)).data)

    @extend_schema(parameters=[ID_PARAM], request=s.CompanyWriteSerializer,
                   responses=responses({200: s.CompanySerializer}, 400, 401, 403, 404),
                   tags=["companies"], summary="Update a company (its administrators); identifiers cannot change")
    def patch(self, request, id):
        company = selectors.company_get(user=request.user, company_id=id)
        data = validated(s.CompanyWriteSerializer, request, partial=True).service_data()
        company = services.company_update(actor=request.user, company=company, data=data)
        return Response(s.CompanySerializer(company).data)


class CompanyInvitationsView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.InvitationCreateSerializer,
                   responses=responses({201: s.InvitationSerializer}, 400, 401, 403, 404, 409),
                   tags=["companies"], summary="Invite a colleague by email (company administrators)")
    def post(self, request, id):
        company = selectors.company_get(user=request.user, company_id=id)
        data = validated(s.InvitationCreateSerializer, request).validated_data
        invitation = services.company_invite(actor=request.user, company=company, **data)
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationAcceptView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=None,
                   responses=responses({200: s.MembershipSerializer}, 400, 401, 403),
                   tags=["companies"], summary="Accept an invitation sent to the caller's email address")
    def post(self, request, id):
        membership = services.invitation_accept(actor=request.user, invitation_id=id)
        return Response(s.MembershipSerializer(membership).data)


# --- declaration ----------------------------------------------------------------------------------------


class DeclarationView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.DeclarationSerializer}, 401, 404),
                   tags=["companies"], summary="The current declaration on honour (404 if none yet)")
    def get(self, request, id):
        company = selectors.company_get(user=request.user, company_id=id)
        declaration = selectors.declaration_current(company)
        if declaration is None:
            raise Http404(_("Aucune déclaration sur l'honneur n'a encore été faite."))
        return Response(s.DeclarationSerializer(declaration).data)

    @extend_schema(parameters=[ID_PARAM], request=s.DeclarationWriteSerializer,
                   responses=responses({200: s.DeclarationSerializer}, 400, 401, 403, 404),
                   tags=["companies"], summary="Swear a new version of the declaration on honour (members)")
    def put(self, request, id):
        company = selectors.company_get(user=request.user, company_id=id)
        data = validated(s.DeclarationWriteSerializer, request).validated_data
        declaration = services.declaration_submit(actor=request.user, company=company, **data)
        return Response(s.DeclarationSerializer(declaration).data)


# --- evidence --------------------------------------------------------------------------------------------


class CompanyDocumentsView(generics.ListAPIView):
    serializer_class = s.DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        company = selectors.company_get(user=self.request.user, company_id=self.kwargs["id"])
        documents = selectors.documents_for_company(company)
        return documents.current() if query_flag(self.request, "current") else documents

    @extend_schema(parameters=[ID_PARAM, OpenApiParameter(
                       "current", OpenApiTypes.BOOL,
                       description="Only the documents that count (not superseded by a newer one of their kind)")],
                   tags=["companies"], summary="The company's evidence documents, current and superseded")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(parameters=[ID_PARAM], request={"multipart/form-data": s.DocumentUploadSerializer},
                   responses=responses({201: s.DocumentSerializer}, 400, 401, 403, 404),
                   tags=["companies"], summary="Upload an evidence document (PDF, JPEG or PNG; members)")
    def post(self, request, id):
        company = selectors.company_get(user=request.user, company_id=id)
        data = validated(s.DocumentUploadSerializer, request).validated_data
        document = services.evidence_upload(
            actor=request.user, company=company, kind=data["kind"], uploaded_file=data.get("file"),
            issued_on=data.get("issued_on"), valid_until=data.get("valid_until"), activities=data.get("activities"),
            # A script has nobody to ask: the 201 says ``status: expired``, which is the warning.
            confirm_expired=True,
        )
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDownloadView(APIView):
    @extend_schema(parameters=[ID_PARAM],
                   responses=responses(uploaded_file_download("The file, with its original name and type"), 401, 404),
                   tags=["companies"], summary="Download an evidence document (members and staff)")
    def get(self, request, id):
        document = selectors.document_get(user=request.user, document_id=id)
        return file_response(document)


# --- applications -----------------------------------------------------------------------------------------


class ApplicationListView(CachedListMixin, generics.ListAPIView):
    cache_name = "api-applications"
    serializer_class = s.ApplicationSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.applications_for_user(
            self.request.user, status=state_or_none(params, ApplicationStatus), dps_id=uuid_or_none(params, "dps"),
            overdue=query_flag(self.request, "overdue"), company_id=uuid_or_none(params, "company"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=ApplicationStatus.values),
            OpenApiParameter("dps", OpenApiTypes.UUID),
            OpenApiParameter("company", OpenApiTypes.UUID),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Submitted and past the decision date"),
        ],
        tags=["applications"], summary="Applications: staff see all, suppliers their companies' own",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.ApplicationCreateSerializer,
                   responses=responses({201: s.ApplicationSerializer}, 400, 401, 403, 409),
                   tags=["applications"], summary="Start an application (draft) for some categories of a DPS")
    def post(self, request):
        data = validated(s.ApplicationCreateSerializer, request).validated_data
        dps = referenced(lambda: dps_selectors.dps_get(user=request.user, dps_id=data["dps"]), "dps", _("SAD inconnu."))
        company = referenced(lambda: selectors.company_get(user=request.user, company_id=data["company"]),
                              "company", _("Entreprise inconnue."))
        application = services.application_create(actor=request.user, dps=dps, company=company,
                                                  category_ids=data["categories"])
        return Response(_application(request, application.id), status=status.HTTP_201_CREATED)


def _application(request, application_id) -> dict:
    return s.ApplicationSerializer(selectors.application_get(user=request.user, application_id=application_id)).data


class ApplicationDetailView(APIView):
    @extend_schema(parameters=[ID_PARAM], responses=responses({200: s.ApplicationSerializer}, 401, 404),
                   tags=["applications"], summary="One application")
    def get(self, request, id):
        return Response(_application(request, id))


class _ApplicationAction(APIView, metaclass=ABCMeta):
    """POST applications/{id}/<action>: find the application (404 if unknown to the caller), run the service.

    Each action view names its request ``body`` serializer and calls its one service in ``act``.
    """

    body = None

    @abstractmethod
    def act(self, request, application, data):
        """Call the action's service with the validated ``data``."""

    def post(self, request, id):
        application = selectors.application_get(user=request.user, application_id=id)
        data = validated(self.body, request).validated_data if self.body else {}
        self.act(request, application, data)
        return Response(_application(request, id))


def _action_schema(summary: str, body=None, codes=(400, 401, 403, 404, 409)):
    return extend_schema(parameters=[ID_PARAM], request=body,
                         responses=responses({200: s.ApplicationSerializer}, *codes),
                         tags=["applications"], summary=summary)


class ApplicationSubmitView(_ApplicationAction):
    @_action_schema("Submit (→ submitted); 400 lists each missing item (supplier members)")
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, application, data):
        services.application_submit(actor=request.user, application=application)


class ApplicationWithdrawView(_ApplicationAction):
    body = s.OptionalReasonSerializer

    @_action_schema("Withdraw the application (→ withdrawn; supplier members)", s.OptionalReasonSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, application, data):
        services.application_withdraw(actor=request.user, application=application, reason=data.get("reason", ""))


class ApplicationRequestInfoView(_ApplicationAction):
    body = s.MessageSerializer

    @_action_schema("Ask the supplier for more information (→ info_requested; buyer)", s.MessageSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, application, data):
        services.application_request_info(actor=request.user, application=application, message=data["message"])


class ApplicationExtendView(_ApplicationAction):
    body = s.ReasonSerializer

    @_action_schema("Extend the decision period to 15 working days after receipt (buyer)", s.ReasonSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, application, data):
        services.application_extend(actor=request.user, application=application, reason=data["reason"])


class ApplicationDecideView(_ApplicationAction):
    body = s.DecideSerializer

    @_action_schema("Admit or reject each category (→ decided); a rejection needs a reason (buyer)",
                    s.DecideSerializer)
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, application, data):
        services.application_decide(actor=request.user, application=application,
                                    decisions=[dict(item) for item in data["decisions"]])


# --- admissions -------------------------------------------------------------------------------------------


class AdmissionListView(CachedListMixin, generics.ListAPIView):
    cache_name = "api-admissions"
    serializer_class = s.AdmissionSerializer

    def get_queryset(self):
        require_staff(self.request.user)
        params = self.request.query_params
        return selectors.admissions_list(
            category_id=uuid_or_none(params, "category"), company_id=uuid_or_none(params, "company"),
            status=state_or_none(params, AdmissionStatus), dps_id=uuid_or_none(params, "dps"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("category", OpenApiTypes.UUID),
            OpenApiParameter("company", OpenApiTypes.UUID),
            OpenApiParameter("dps", OpenApiTypes.UUID),
            OpenApiParameter("status", OpenApiTypes.STR, enum=AdmissionStatus.values),
        ],
        tags=["admissions"], summary="Admissions (staff)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _admission(request, admission_id):
    require_staff(request.user)
    return get_or_404(selectors.admissions_list(), id=admission_id)


class _AdmissionAction(APIView):
    service = None

    def post(self, request, id):
        admission = _admission(request, id)
        data = validated(s.ReasonSerializer, request).validated_data
        type(self).service(actor=request.user, admission=admission, reason=data["reason"])
        return Response(s.AdmissionSerializer(_admission(request, id)).data)


def _admission_schema(summary: str):
    return extend_schema(parameters=[ID_PARAM], request=s.ReasonSerializer,
                         responses=responses({200: s.AdmissionSerializer}, 400, 401, 403, 404, 409),
                         tags=["admissions"], summary=summary)


class AdmissionSuspendView(_AdmissionAction):
    service = services.admission_suspend

    @_admission_schema("Suspend an admission (buyer; reason required)")
    def post(self, request, id):
        return super().post(request, id)


class AdmissionReinstateView(_AdmissionAction):
    service = services.admission_reinstate

    @_admission_schema("Reinstate a suspended admission (buyer; reason required)")
    def post(self, request, id):
        return super().post(request, id)


class AdmissionExcludeView(_AdmissionAction):
    service = services.admission_exclude

    @_admission_schema("Exclude a company from a category (buyer; reason required)")
    def post(self, request, id):
        return super().post(request, id)


# --- declaration renewals ------------------------------------------------------------------------------------


class DeclarationRenewalsView(APIView):
    @extend_schema(parameters=[ID_PARAM], request=s.RenewalRequestSerializer,
                   responses=responses({201: s.RenewalSerializer(many=True)}, 400, 401, 403, 404),
                   tags=["dps"], summary="Ask admitted companies for a renewed declaration within 5 working days (buyer)")
    def post(self, request, id):
        dps = dps_selectors.dps_get(user=request.user, dps_id=id)
        data = validated(s.RenewalRequestSerializer, request).validated_data
        renewals = services.declaration_renewals_request(actor=request.user, dps=dps,
                                                         company_ids=data["companies"] or None)
        return Response(s.RenewalSerializer(renewals, many=True).data, status=status.HTTP_201_CREATED)

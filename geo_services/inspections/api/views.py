"""The inspections REST API for supervisors (dispatchers) and inspectors: jobs, templates, the overview.

Thin: parse once (api.parsing), call inspections.services / selectors, answer. Errors are domain
errors, turned into the project's error shape by core.api.errors. Each view names who may use it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core import selectors as core_selectors
from geo_services.core.api.parsers import JSONBodyParser
from geo_services.core.api.parsing import parse_bool, parse_int, parse_list
from geo_services.core.api.permissions import IsDispatcherOrAdmin, IsStaff
from geo_services.core.api.schema import LIST_OF_OBJECTS
from geo_services.core.api.views import JSONOnly
from geo_services.core.errors import InvalidInput, NotFound
from geo_services.core.models import Jurisdiction
from geo_services.core.roles import Role, has_role
from geo_services.inspections import selectors, services
from geo_services.inspections.api import parsing
from geo_services.inspections.checklists import item_spec
from geo_services.inspections.models import JobStatus, TemplateVersion
from geo_services.inspections.services import local_today

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000


class InspectionsAPIView(APIView):
    """JSON in and out, whatever the Accept header says."""

    content_negotiation_class = JSONOnly
    parser_classes = [JSONBodyParser]


def _geojson(document: bytes, *, status: int = 200) -> HttpResponse:
    return HttpResponse(document, status=status, content_type="application/geo+json")


def _job_response(request: Request, job_id: int, *, status: int = 200) -> Response:
    feature = selectors.job_feature(selectors.scope_of(request.user), job_id)
    if feature is None:
        raise NotFound(
            _("There is no inspection job %(id)s that you may see.") % {"id": job_id}, code="unknown_job"
        )
    return Response(feature, status=status)


_JOB_FILTERS = [
    OpenApiParameter("date", OpenApiTypes.DATE, description="Jobs due on this local date (YYYY-MM-DD)."),
    OpenApiParameter("status", OpenApiTypes.STR, description="Comma-separated: assigned, done, cancelled."),
    OpenApiParameter("inspector", OpenApiTypes.INT, description="The inspector's user id."),
    OpenApiParameter("district", OpenApiTypes.STR, description="Comma-separated district codes."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("service_request", OpenApiTypes.INT),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_LIMIT}; default {DEFAULT_LIMIT}."),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


class JobsView(InspectionsAPIView):
    """GET: the jobs a person may see as a GeoJSON FeatureCollection (dispatchers: their districts;
    inspectors: their own; administrators: all). POST: create a job (dispatchers and administrators)."""

    def get_permissions(self) -> list[BasePermission]:
        return [IsDispatcherOrAdmin()] if self.request.method == "POST" else [IsStaff()]

    @extend_schema(
        operation_id="inspection_jobs",
        parameters=_JOB_FILTERS,
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        inspector = params.get("inspector")
        service_request = params.get("service_request")
        filters = selectors.JobFilters(
            due_date=parsing.parse_date(params["date"], name="date") if params.get("date") else None,
            statuses=parse_list(params.get("status"), name="status", allowed=set(JobStatus.values)),
            inspector_id=parsing.identifier(inspector, name="inspector") if inspector else None,
            district_codes=parse_list(params.get("district"), name="district"),
            overdue=parse_bool(params.get("overdue"), name="overdue"),
            service_request_id=parsing.identifier(service_request, name="service_request")
            if service_request
            else None,
        )
        limit = parse_int(
            params.get("limit"), name="limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
        )
        offset = parse_int(params.get("offset"), name="offset", default=0, minimum=0, maximum=10_000_000)
        scope = selectors.scope_of(request.user)
        return _geojson(selectors.jobs_feature_collection(scope, filters, limit=limit, offset=offset))

    @extend_schema(
        operation_id="inspection_job_create",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        audit = parsing.audit_of(request)
        body = parsing.body_object(request.data)
        template = body.get("template")
        if not isinstance(template, str) or not template.strip():
            raise InvalidInput(
                _("template is required: the code of a checklist template."), code="missing_parameter"
            )
        job = services.create_job(
            audit=audit,
            template_code=template.strip(),
            inspector_id=parsing.identifier(body.get("inspector"), name="inspector"),
            due_date=parsing.parse_date(body.get("due_date"), name="due_date"),
            target=parsing.parse_target(body),
        )
        return _job_response(request, job.pk, status=201)


class JobDetailView(InspectionsAPIView):
    """One job as a GeoJSON Feature, for whoever may see it (staff in scope, its inspector)."""

    permission_classes = [IsStaff]

    @extend_schema(operation_id="inspection_job_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, job_id: int) -> Response:
        return _job_response(request, job_id)


class CancelJobView(InspectionsAPIView):
    """Cancel an open job, with an optional reason. Dispatchers (their districts) and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="inspection_job_cancel",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, job_id: int) -> Response:
        audit = parsing.audit_of(request)
        body = parsing.body_object(request.data)
        services.cancel_job(audit=audit, job_id=job_id, reason=parsing.text(body, "reason", max_length=500))
        return _job_response(request, job_id)


class ReassignJobView(InspectionsAPIView):
    """Give an open job to another inspector and/or another due date. Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="inspection_job_reassign",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, job_id: int) -> Response:
        audit = parsing.audit_of(request)
        body = parsing.body_object(request.data)
        due_date = body.get("due_date")
        services.reassign_job(
            audit=audit,
            job_id=job_id,
            inspector_id=parsing.identifier(body.get("inspector"), name="inspector"),
            due_date=parsing.parse_date(due_date, name="due_date") if due_date is not None else None,
        )
        return _job_response(request, job_id)


def _version_document(version: TemplateVersion) -> dict[str, Any]:
    template = version.template
    return {
        "code": template.code,
        "kind": template.kind,
        "name_ar": template.name_ar,
        "name_en": template.name_en,
        "version": version.number,
        "min_gps_accuracy_m": version.min_gps_accuracy_m,
        "max_distance_m": version.max_distance_m,
        "pass_score": float(version.pass_score),
        "items": [item_spec(item).as_document() for item in version.items.all()],
    }


class TemplatesView(InspectionsAPIView):
    """The latest version of each active checklist template of the person's jurisdiction. Staff."""

    permission_classes = [IsStaff]

    @extend_schema(operation_id="inspection_templates", responses={200: LIST_OF_OBJECTS})
    def get(self, request: Request) -> Response:
        versions = selectors.latest_versions(request.user)
        prefetch_related_objects(versions, "items")
        return Response([_version_document(v) for v in versions])


def _overview_jurisdiction(request: Request) -> Jurisdiction:
    code = request.query_params.get("jurisdiction")
    member = None if has_role(request.user, Role.ADMIN) else selectors.staff_member(request.user)
    if member is not None:
        if code and code != member.jurisdiction.code:
            raise NotFound(_("You supervise %(code)s only.") % {"code": member.jurisdiction.code})
        return member.jurisdiction
    return core_selectors.jurisdiction_by_code(code or settings.AMANAH_DEFAULT_JURISDICTION)


class OverviewView(InspectionsAPIView):
    """The supervisor's day in their districts. Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="inspection_overview",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Local date; today by default."),
            OpenApiParameter(
                "jurisdiction", OpenApiTypes.STR, description="Administrators: which jurisdiction."
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        jurisdiction = _overview_jurisdiction(request)
        raw = request.query_params.get("date")
        day = parsing.parse_date(raw, name="date") if raw else local_today(jurisdiction.time_zone)
        scope = selectors.scope_of(request.user, staff_only=True)
        document = selectors.overview(scope, jurisdiction=jurisdiction, day=day)
        document["today"] = local_today(jurisdiction.time_zone).isoformat()
        return Response(document)

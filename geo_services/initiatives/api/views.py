"""The initiatives REST API: the public map and detail, planning and changing, progress updates.

Thin: parse the input once (api.parsing), call initiatives.selectors / initiatives.services, render.
Who may do what:
- anyone, signed in or not: the map (GeoJSON), an initiative, its progress and photos — public data
  only (no budget, no authors);
- planners (their jurisdiction) and administrators: plan and change any initiative;
- dispatchers: plan and change the initiatives of their own department (and districts);
- inspectors: report progress in their jurisdiction (and districts); so may all of the above.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core import selectors as core_selectors
from geo_services.core.api.parsers import JSONBodyParser
from geo_services.core.api.parsing import parse_int, parse_list
from geo_services.core.api.permissions import HasRole
from geo_services.core.errors import NotFound
from geo_services.core.models import Jurisdiction
from geo_services.core.roles import Role
from geo_services.initiatives import selectors, services
from geo_services.initiatives.api import parsing
from geo_services.initiatives.api.representation import initiative_feature
from geo_services.initiatives.models import FeatureType, InitiativeKind, Status

DEFAULT_LIMIT = 500
MAX_LIMIT = 5_000
# Progress photos are public and never change once stored.
PHOTO_CACHE_SECONDS = 3600


class CanPlan(HasRole):
    roles = (Role.PLANNER, Role.ADMIN, Role.DISPATCHER)


class CanReportProgress(HasRole):
    roles = (Role.PLANNER, Role.ADMIN, Role.DISPATCHER, Role.INSPECTOR)


class JSONAnswers(DefaultContentNegotiation):
    """The body is parsed by its content type (JSON or multipart); the answer is always JSON."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


class InitiativeAPIView(APIView):
    content_negotiation_class = JSONAnswers
    parser_classes = [JSONBodyParser]
    # Reads are public; each write names its roles.
    write_permissions: list[type[BasePermission]] = []

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [permission() for permission in self.write_permissions]


def _jurisdiction_of_actor(request: Request, code: object) -> Jurisdiction:
    """The jurisdiction named, else the actor's own (their staff record), else the default one."""
    if isinstance(code, str) and code:
        return core_selectors.jurisdiction_by_code(code)
    member = selectors.staff_member(request.user)
    if member is not None:
        return core_selectors.jurisdiction_by_code(member.jurisdiction.code)
    return core_selectors.jurisdiction_by_code(settings.AMANAH_DEFAULT_JURISDICTION)


def _detail_document(request: Request, initiative_id: int) -> dict[str, Any]:
    initiative = selectors.initiative_for_display(initiative_id)
    if initiative is None:
        raise NotFound(_("There is no initiative %(id)s.") % {"id": initiative_id}, code="unknown_initiative")
    staff = selectors.sees_budget(request.user, initiative)
    return initiative_feature(initiative, progress=selectors.progress_history(initiative_id), staff=staff)


def _detail_response(request: Request, initiative_id: int, *, status: int = 200) -> Response:
    return Response(_detail_document(request, initiative_id), status=status)


def _progress_document(request: Request, initiative_id: int) -> dict[str, Any]:
    properties = _detail_document(request, initiative_id)["properties"]
    keys = ("progress_percent", "status", "actual_start", "actual_end", "progress")
    return {key: properties[key] for key in keys}


_LIST_PARAMETERS = [
    OpenApiParameter(
        "jurisdiction", OpenApiTypes.STR, description="Jurisdiction code; default the configured one."
    ),
    OpenApiParameter(
        "kind", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(InitiativeKind.values)
    ),
    OpenApiParameter(
        "feature_type", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(FeatureType.values)
    ),
    OpenApiParameter("status", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(Status.values)),
    OpenApiParameter(
        "district",
        OpenApiTypes.STR,
        description="Comma-separated district codes (any share in the district).",
    ),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_LIMIT}; default {DEFAULT_LIMIT}."),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


class InitiativeListView(InitiativeAPIView):
    """GET: the public map of initiatives (anyone). POST: plan one (planners, administrators, dispatchers)."""

    write_permissions = [CanPlan]

    @extend_schema(
        operation_id="initiative_list",
        parameters=_LIST_PARAMETERS,
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        jurisdiction = core_selectors.jurisdiction_by_code(
            params.get("jurisdiction") or settings.AMANAH_DEFAULT_JURISDICTION
        )
        filters = selectors.MapFilters(
            jurisdiction_id=jurisdiction.pk,
            kinds=parse_list(params.get("kind"), name="kind", allowed=set(InitiativeKind.values)),
            feature_types=parse_list(
                params.get("feature_type"), name="feature_type", allowed=set(FeatureType.values)
            ),
            statuses=parse_list(params.get("status"), name="status", allowed=set(Status.values)),
            district_codes=parse_list(params.get("district"), name="district"),
        )
        limit = parse_int(
            params.get("limit"), name="limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
        )
        offset = parse_int(params.get("offset"), name="offset", default=0, minimum=0, maximum=10_000_000)
        document = selectors.initiatives_feature_collection(filters, limit=limit, offset=offset)
        return HttpResponse(document, content_type="application/geo+json")

    @extend_schema(
        operation_id="initiative_plan",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON Feature")},
        description="Body: kind, feature_type, name_ar, name_en, planned_start, planned_end, department (code), "
        "geometry (GeoJSON, WGS84); optional jurisdiction, code, description_ar/en, budget, partners (ids), "
        "and for sidewalks width_m, surface, ramps_count.",
    )
    def post(self, request: Request) -> Response:
        body = parsing.body_object(request.data)
        plan = parsing.parse_plan({k: v for k, v in body.items() if k != "jurisdiction"})
        jurisdiction = _jurisdiction_of_actor(request, body.get("jurisdiction"))
        initiative = services.plan_initiative(actor=request.user, jurisdiction=jurisdiction, plan=plan)
        return _detail_response(request, initiative.pk, status=201)


class InitiativeDetailView(InitiativeAPIView):
    """GET: one initiative with its district shares and progress (anyone; budget and authors for staff).
    PATCH: change it (planners, administrators, dispatchers of its department)."""

    write_permissions = [CanPlan]

    @extend_schema(operation_id="initiative_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, initiative_id: int) -> Response:
        return _detail_response(request, initiative_id)

    @extend_schema(
        operation_id="initiative_change", request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}
    )
    def patch(self, request: Request, initiative_id: int) -> Response:
        changes = parsing.parse_changes(request.data)
        services.update_initiative(actor=request.user, initiative_id=initiative_id, changes=changes)
        return _detail_response(request, initiative_id)


class ProgressView(InitiativeAPIView):
    """GET: the progress history (anyone; authors for staff). POST: report progress, as JSON or as
    multipart form data with a `photo` (planners, administrators, dispatchers, inspectors)."""

    write_permissions = [CanReportProgress]
    parser_classes = [JSONBodyParser, MultiPartParser]

    @extend_schema(operation_id="initiative_progress", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, initiative_id: int) -> Response:
        return Response(_progress_document(request, initiative_id))

    @extend_schema(
        operation_id="initiative_report_progress",
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={201: OpenApiTypes.OBJECT},
        description="percent (0-100, not below the current progress), note, inspection (UUID), photo (multipart).",
    )
    def post(self, request: Request, initiative_id: int) -> Response:
        report = parsing.parse_progress(request.data, request.FILES)
        update = services.report_progress(actor=request.user, initiative_id=initiative_id, report=report)
        return Response({"id": update.pk, **_progress_document(request, initiative_id)}, status=201)


def _serve(stored: FieldFile | None) -> FileResponse:
    if not stored or not stored.name:
        raise NotFound(_("This progress update has no photo."), code="no_photo")
    try:
        handle = default_storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise NotFound(_("This progress update has no photo."), code="no_photo") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = f"public, max-age={PHOTO_CACHE_SECONDS}"
    return response


class ProgressPhotoView(InitiativeAPIView):
    """The cleaned photo (EXIF removed) of a progress update, or its thumbnail. Anyone."""

    thumbnail = False

    @extend_schema(
        operation_id="initiative_progress_photo", responses={(200, "image/jpeg"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, initiative_id: int, update_id: int) -> Any:
        update = selectors.progress_update(initiative_id, update_id)
        if update is None:
            raise NotFound(_("There is no such progress update."), code="unknown_update")
        return _serve(update.photo_thumbnail if self.thumbnail else update.photo)


class ProgressThumbnailView(ProgressPhotoView):
    thumbnail = True

    @extend_schema(
        operation_id="initiative_progress_thumbnail", responses={(200, "image/jpeg"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, initiative_id: int, update_id: int) -> Any:
        return super().get(request, initiative_id, update_id)

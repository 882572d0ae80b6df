"""The field app's sync API (docs/field-sync.md): the inspector's day, and idempotent sending of
inspections and their photos. Works with the app's session (same origin, CSRF) and with tokens.

Thin: parse once (inspections.api.parsing), call inspections.services / selectors, answer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core.api.parsers import JSONBodyParser
from geo_services.core.api.permissions import HasRole, IsStaff
from geo_services.core.api.views import JSONOnly
from geo_services.core.errors import InvalidInput, NotFound
from geo_services.core.parsing import parse_lon_lat
from geo_services.core.photos import PhotoTooLarge
from geo_services.core.roles import Role
from geo_services.inspections import selectors, services
from geo_services.inspections.api import parsing
from geo_services.inspections.api.representation import inspection_document

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class IsInspector(HasRole):
    roles = (Role.INSPECTOR,)


class FieldAPIView(APIView):
    content_negotiation_class = JSONOnly
    parser_classes = [JSONBodyParser]


def _photo_limit_error() -> PhotoTooLarge:
    limit = settings.AMANAH_MAX_PHOTO_BYTES
    return PhotoTooLarge(_("The photo is larger than the limit of %(limit)s bytes.") % {"limit": limit})


class PhotoParser(BaseParser):
    """The body is the image itself; read at most one byte past the limit, whatever Content-Length says."""

    media_type = "image/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        limit = settings.AMANAH_MAX_PHOTO_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise _photo_limit_error()
        return bytes(data)


class TodayView(FieldAPIView):
    """The inspector's open jobs due today or overdue, in visiting order from lat/lon, with the
    checklist versions they use. Inspectors (their own jobs)."""

    permission_classes = [IsInspector]

    @extend_schema(
        operation_id="field_today",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, description="Where the inspector is (WGS84)."),
            OpenApiParameter("lon", OpenApiTypes.DOUBLE),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        raw_lat, raw_lon = request.query_params.get("lat"), request.query_params.get("lon")
        start = None
        if raw_lat or raw_lon:
            position = parse_lon_lat(raw_lat, raw_lon)
            start = (position.x, position.y)
        day = selectors.inspector_day(request.user, start=start)
        return Response(
            {
                "date": day.date.isoformat(),
                "time_zone": day.time_zone,
                "start": {"lon": start[0], "lat": start[1]} if start else None,
                "total_distance_m": day.total_distance_m,
                "jobs": day.jobs,
                "templates": day.templates,
                "job_limit": selectors.MAX_DAY_JOBS,
                "more_jobs": day.more_jobs,
            }
        )


class InspectionView(FieldAPIView):
    """PUT: send an inspection, idempotently, keyed by the tablet's UUID (the job's inspector).
    GET: the stored inspection with `missing_photos` and `complete` (its inspector; staff in scope)."""

    def get_permissions(self) -> list[BasePermission]:
        return [IsInspector()] if self.request.method == "PUT" else [IsStaff()]

    @extend_schema(operation_id="field_inspection", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, inspection_uuid: str) -> Response:
        key = parsing.parse_uuid(inspection_uuid, name="inspection UUID")
        inspection = selectors.inspection_visible_to(request.user, key)
        if inspection is None:
            raise NotFound(
                _("There is no inspection %(uuid)s that you may see.") % {"uuid": key},
                code="unknown_inspection",
            )
        return Response(inspection_document(inspection))

    @extend_schema(
        operation_id="field_inspection_put",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
    )
    def put(self, request: Request, inspection_uuid: str) -> Response:
        key = parsing.parse_uuid(inspection_uuid, name="inspection UUID")
        audit = parsing.audit_of(request)
        received = services.receive_inspection(
            audit=audit, submission=parsing.parse_submission(key, request.data)
        )
        return Response(inspection_document(received.inspection), status=201 if received.created else 200)


class InspectionPhotoView(FieldAPIView):
    """PUT: the bytes of a photo the inspection declared (image/jpeg, image/png or image/webp), checked
    against the declared SHA-256 and cleaned (the job's inspector). GET: the cleaned JPEG (`?size=thumbnail`
    for the small one), for whoever may see the inspection."""

    parser_classes = [PhotoParser]

    def get_permissions(self) -> list[BasePermission]:
        return [IsInspector()] if self.request.method == "PUT" else [IsStaff()]

    @extend_schema(
        operation_id="field_inspection_photo", responses={(200, "image/jpeg"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, inspection_uuid: str, photo_uuid: str) -> FileResponse:
        key = parsing.parse_uuid(inspection_uuid, name="inspection UUID")
        photo_key = parsing.parse_uuid(photo_uuid, name="photo UUID")
        photo = selectors.photo_visible_to(request.user, key, photo_key)
        if photo is None:
            raise NotFound(
                _("There is no received photo %(uuid)s that you may see.") % {"uuid": photo_key},
                code="unknown_photo",
            )
        image = photo.thumbnail if request.query_params.get("size") == "thumbnail" else photo.image
        return FileResponse(image.open("rb"), content_type="image/jpeg")

    @extend_schema(
        operation_id="field_inspection_photo_put",
        request={"image/jpeg": OpenApiTypes.BINARY},
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
    )
    def put(self, request: Request, inspection_uuid: str, photo_uuid: str) -> Response:
        key = parsing.parse_uuid(inspection_uuid, name="inspection UUID")
        photo_key = parsing.parse_uuid(photo_uuid, name="photo UUID")
        audit = parsing.audit_of(request)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in PHOTO_TYPES:
            raise UnsupportedMediaType(
                content_type,
                detail=_("Send the photo as image/jpeg, image/png or image/webp, not %(type)r.")
                % {"type": content_type},
            )
        try:
            declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared_length = 0
        if declared_length > settings.AMANAH_MAX_PHOTO_BYTES:
            raise _photo_limit_error()
        data = request.data
        if not isinstance(data, bytes) or not data:
            raise InvalidInput(_("The request body must be the photo's bytes."), code="missing_photo")
        received = services.receive_photo(
            audit=audit, inspection_uuid=key, photo_uuid=photo_key, data=data, content_type=content_type
        )
        return Response(inspection_document(received.inspection), status=201 if received.created else 200)

"""Staff REST API for requests: the dispatcher's queue and its actions. Thin over services/selectors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core.api.parsing import body_object, parse_bool, parse_int, parse_list, text
from geo_services.core.api.permissions import IsDispatcherOrAdmin, IsStaff
from geo_services.core.api.schema import LIST_OF_OBJECTS
from geo_services.core.errors import InvalidInput, NotFound
from geo_services.core.roles import Role
from geo_services.service_requests import selectors, services
from geo_services.service_requests.api.representation import request_feature, request_item
from geo_services.service_requests.attributes import MAX_TEXT
from geo_services.service_requests.models import Status, StatusChange

MAX_PAGE = 1000


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    parsed = parse_bool(value if isinstance(value, str) else None, name=name)
    if parsed is None:
        raise InvalidInput(_("%(name)s must be true or false.") % {"name": name})
    return parsed


def _detail(actor: Any, request_id: int) -> dict[str, Any]:
    request = selectors.requests_visible_to(actor).filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("There is no request %(id)s that you may see.") % {"id": request_id})
    item = request_item(request)
    item["history"] = [
        {
            "from_status": change.from_status,
            "to_status": change.to_status,
            "changed_by": change.changed_by.get_username() if change.changed_by else None,
            "changed_at": change.changed_at.isoformat(),
            "note": change.note,
            "public": change.public,
        }
        for change in StatusChange.objects.filter(request=request).select_related("changed_by")
    ]
    item["likely_duplicates"] = (
        [
            d.pk
            for d in selectors.likely_duplicates(
                category_id=request.category_id, point=request.location, exclude_id=request.pk
            )
        ]
        if request.is_open
        else []
    )
    return item


_QUEUE_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="Comma-separated statuses."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Comma-separated service codes."),
    OpenApiParameter("district", OpenApiTypes.STR, description="Comma-separated district codes."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_PAGE}; default 200."),
    OpenApiParameter("offset", OpenApiTypes.INT),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "geojson"]),
]


class RequestQueueView(APIView):
    """The requests a member of staff may see: dispatchers their department and districts,
    inspectors those assigned to them, administrators all. Contact data included (staff only)."""

    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="request_queue",
        parameters=_QUEUE_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="`count` and `results` (format=json)"),
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection (format=geojson)"
            ),
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = selectors.QueueFilters(
            statuses=parse_list(params.get("status"), name="status", allowed=set(Status.values)),
            category_codes=parse_list(params.get("category"), name="category"),
            district_codes=parse_list(params.get("district"), name="district"),
            overdue=parse_bool(params.get("overdue"), name="overdue"),
        )
        limit = parse_int(params.get("limit"), name="limit", default=200, minimum=1, maximum=MAX_PAGE)
        offset = parse_int(params.get("offset"), name="offset", default=0, minimum=0)
        output = params.get("format", "json")
        if output not in {"json", "geojson"}:
            raise InvalidInput(_("format must be json or geojson."))
        queryset = selectors.dispatcher_queue(request.user, filters)
        page = list(queryset[offset : offset + limit])
        if output == "geojson":
            return Response(
                {"type": "FeatureCollection", "features": [request_feature(r) for r in page]},
                content_type="application/geo+json",
            )
        return Response({"count": queryset.count(), "results": [request_item(r) for r in page]})


class RequestDetailView(APIView):
    """One request with its history and likely duplicates. Staff who may see it."""

    permission_classes = [IsStaff]

    @extend_schema(operation_id="request_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, request_id: int) -> Response:
        return Response(_detail(request.user, request_id))


class AssignRequestView(APIView):
    """Assign to an inspector. Dispatchers (their scope) and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="request_assign", request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, request_id: int) -> Response:
        body = body_object(request.data)
        services.assign_request(
            actor=request.user,
            request_id=request_id,
            inspector_id=parse_int(body.get("inspector"), name="inspector", minimum=1),
            note=text(body, "note", max_length=MAX_TEXT),
        )
        return Response(_detail(request.user, request_id))


class ChangeStatusView(APIView):
    """Move a request through the workflow. Dispatchers (their scope) and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="request_status", request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, request_id: int) -> Response:
        body = body_object(request.data)
        services.change_status(
            actor=request.user,
            request_id=request_id,
            to_status=text(body, "status", max_length=40),
            note=text(body, "note", max_length=MAX_TEXT),
            public=_flag(body, "public"),
        )
        return Response(_detail(request.user, request_id))


class MergeRequestView(APIView):
    """Merge this request into another (it becomes a duplicate). Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="request_merge", request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, request_id: int) -> Response:
        body = body_object(request.data)
        survivor = services.merge_requests(
            actor=request.user,
            duplicate_id=request_id,
            survivor_id=parse_int(body.get("into"), name="into", minimum=1),
        )
        return Response(_detail(request.user, survivor.pk))


class InspectorListView(APIView):
    """Inspectors a dispatcher may assign to (same jurisdiction). Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(operation_id="inspector_list", responses={200: LIST_OF_OBJECTS})
    def get(self, request: Request) -> Response:
        inspectors = get_user_model().objects.filter(groups__name=Role.INSPECTOR.value, is_active=True)
        member = selectors.staff_member(request.user)
        if member is not None:
            inspectors = inspectors.filter(staff_member__jurisdiction_id=member.jurisdiction_id)
        return Response(
            [
                {"id": user.pk, "username": user.get_username(), "full_name": user.get_full_name()}
                for user in inspectors.order_by("username").distinct()
            ]
        )

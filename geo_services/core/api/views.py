"""Thin views over core's selectors. Each view states who may use it."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core import lockout, selectors
from geo_services.core.api.serializers import (
    CurrentUserSerializer,
    DistrictLookupSerializer,
    ErrorSerializer,
)
from geo_services.core.models import Jurisdiction
from geo_services.core.parsing import parse_lon_lat
from geo_services.core.ratelimits import rate_limited
from geo_services.core.roles import roles_of
from geo_services.core.selectors import DistrictRef


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check, for anyone (load balancers, monitoring). No personal data."""
    try:
        versions = selectors.database_versions()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": None, "postgis": None}, status=503)
    return JsonResponse({"status": "ok", "database": versions.postgresql, "postgis": versions.postgis})


def _district_summary(district: DistrictRef) -> dict[str, str]:
    return {"code": district.code, "name_ar": district.name_ar, "name_en": district.name_en}


def _optional_jurisdiction(request: Request) -> Jurisdiction | None:
    code = request.query_params.get("jurisdiction")
    return selectors.jurisdiction_by_code(code) if code else None


class JSONOnly(BaseContentNegotiation):
    """Always the first renderer (JSON), whatever the Accept header says."""

    def select_parser(self, request: Request, parsers: list) -> object:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


_JURISDICTION_PARAM = OpenApiParameter(
    "jurisdiction", OpenApiTypes.STR, description="Jurisdiction code, e.g. `amman`; all when omitted."
)


class DistrictLookupView(APIView):
    """Which district a point lies in. Public: citizens' reports and venue searches use it."""

    permission_classes = [AllowAny]
    # The hottest public read: it needs no user and answers only JSON, so skip both look-ups
    # (together about 0.2 ms of each call, see docs/benchmarks.md).
    authentication_classes: list = []
    content_negotiation_class = JSONOnly

    @extend_schema(
        operation_id="district_lookup",
        parameters=[
            OpenApiParameter(
                "lat", OpenApiTypes.DOUBLE, required=True, description="Latitude, WGS84 degrees."
            ),
            OpenApiParameter(
                "lon", OpenApiTypes.DOUBLE, required=True, description="Longitude, WGS84 degrees."
            ),
            _JURISDICTION_PARAM,
        ],
        responses={
            200: DistrictLookupSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Malformed or out-of-range coordinates."),
            404: OpenApiResponse(ErrorSerializer, description="The point is outside every district."),
        },
        description=(
            "A point on a border shared by several districts goes to the first of them ordered by "
            "jurisdiction code, then district code; the others are listed in `on_border_with`."
        ),
    )
    def get(self, request: Request) -> JsonResponse:
        point = parse_lon_lat(request.query_params.get("lat"), request.query_params.get("lon"))
        match = selectors.district_for_point(
            point, jurisdiction_code=request.query_params.get("jurisdiction") or None
        )
        district = match.district
        # A plain JsonResponse: DRF passes it through without its renderer (the schema above still
        # documents the shape).
        return JsonResponse(
            {
                **_district_summary(district),
                "jurisdiction": {
                    "code": district.jurisdiction_code,
                    "name_ar": district.jurisdiction_name_ar,
                    "name_en": district.jurisdiction_name_en,
                    "time_zone": district.time_zone,
                },
                "on_border_with": [_district_summary(d) for d in match.on_border_with],
            },
            json_dumps_params={"ensure_ascii": False},
        )


class DistrictListView(APIView):
    """Districts as a GeoJSON FeatureCollection built by PostGIS. Public."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="district_list",
        parameters=[_JURISDICTION_PARAM],
        responses={
            (200, "application/geo+json"): OpenApiTypes.OBJECT,
            400: OpenApiResponse(ErrorSerializer, description="Unknown jurisdiction."),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        document = selectors.districts_feature_collection(jurisdiction=_optional_jurisdiction(request))
        return HttpResponse(document, content_type="application/geo+json")


class CurrentUserView(APIView):
    """Who the token or session belongs to, and their roles. Any signed-in user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="current_user", responses={200: CurrentUserSerializer})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "username": request.user.get_username(),
                "roles": sorted(r.value for r in roles_of(request.user)),
            }
        )


class TokenView(ObtainAuthToken):
    """User name and password -> the account's API token. Anyone may ask; only valid credentials get
    one. Counted against the "token" rate limit per address, and under the sign-in lockout."""

    @extend_schema(
        operation_id="auth_token", request=AuthTokenSerializer, responses={200: OpenApiTypes.OBJECT}
    )
    @rate_limited("token")
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            username = request.data.get("username") if hasattr(request.data, "get") else None
            refusal = lockout.refusal_if_locked_out(request, username if isinstance(username, str) else "")
            if refusal is not None:
                raise refusal
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        lockout.forget_failures(request, user.get_username())
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

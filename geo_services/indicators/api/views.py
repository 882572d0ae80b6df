"""The indicators API: public figures (no personal data), so anyone may read them, signed in or not.

GET /api/v1/indicators/: every district of a jurisdiction and the total, as JSON or CSV.
GET /api/v1/indicators/districts/<code>/: one district, with its monthly trend.
Thin: parse the input once (indicators.parsing), call indicators.selectors, render.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core.errors import InvalidInput
from geo_services.indicators import parsing, representation, selectors

_FORMATS = ("json", "csv")


class AnswerAsAsked(DefaultContentNegotiation):
    """The view picks JSON or CSV itself (format= or Accept); DRF never refuses with 406."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


def _wants_csv(request: Request) -> bool:
    requested = request.query_params.get("format")
    if requested:
        if requested not in _FORMATS:
            raise InvalidInput(
                _("format must be json or csv, not %(value)r.") % {"value": requested[:20]},
                code="unknown_format",
            )
        return requested == "csv"
    return "text/csv" in request.headers.get("Accept", "")


_RANGE_PARAMETERS = [
    OpenApiParameter(
        "jurisdiction", OpenApiTypes.STR, description="Jurisdiction code; default the configured one."
    ),
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="First day (YYYY-MM-DD, the jurisdiction's calendar); default twelve months before `to`.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description=f"Last day, included; default today. At most {parsing.MAX_RANGE_DAYS} days from `from`.",
    ),
]


class IndicatorsAPIView(APIView):
    permission_classes = [AllowAny]
    content_negotiation_class = AnswerAsAsked


class IndicatorListView(IndicatorsAPIView):
    """Every district's indicators and the jurisdiction's total for a date range. Anyone."""

    @extend_schema(
        operation_id="indicators",
        parameters=[
            *_RANGE_PARAMETERS,
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=list(_FORMATS), description="json (default) or csv"
            ),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Districts, total and definitions"),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="One row per district, then the total"
            ),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        as_csv = _wants_csv(request)
        jurisdiction = parsing.parse_jurisdiction(params.get("jurisdiction"))
        date_range = parsing.parse_date_range(params.get("from"), params.get("to"), jurisdiction=jurisdiction)
        period = selectors.jurisdiction_indicators(jurisdiction, date_range)
        if not as_csv:
            return Response(representation.indicators_document(jurisdiction, period))
        response = HttpResponse(representation.indicators_csv(period), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="indicators-{jurisdiction.code}-{date_range.first}-{date_range.last}.csv"'
        )
        return response


class DistrictIndicatorsView(IndicatorsAPIView):
    """One district's indicators for a date range, and the same for each month of it. Anyone."""

    @extend_schema(
        operation_id="district_indicators",
        parameters=_RANGE_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The district and its monthly trend")
        },
    )
    def get(self, request: Request, district_code: str) -> Response:
        params = request.query_params
        jurisdiction = parsing.parse_jurisdiction(params.get("jurisdiction"))
        district = parsing.parse_district(jurisdiction, district_code)
        date_range = parsing.parse_date_range(params.get("from"), params.get("to"), jurisdiction=jurisdiction)
        period, months = selectors.indicators_with_trend(jurisdiction, date_range, district=district)
        return Response(representation.district_document(jurisdiction, period, months))

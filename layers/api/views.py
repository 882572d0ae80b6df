"""Spatial queries for planners: /api/v1/layers/ (REST, JSON).

- `GET /api/v1/layers/`: the layers the person may read, with their attributes;
- `GET|POST /api/v1/layers/{id}/features/`: the features matching a selection, as GeoJSON, paged;
- `GET|POST /api/v1/layers/{id}/aggregate/?by=district`: count, sum, area or length per district.

Who may use them: anyone who may read the layer (its `readers`; public layers are open to everyone,
signed in or not). A layer the person may not read answers 404 exactly like one that does not exist.
Thin views: inputs are parsed once (layers.api.parsing, layers.selection), the SQL lives in
layers.provider and layers.aggregates, errors are domain errors answered by core.api.errors.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core.api.parsers import JSONBodyParser
from geo_services.core.api.views import JSONOnly
from layers import provider
from layers.aggregates import DistrictAggregate, Measures, aggregate_by_district
from layers.api.parsing import (
    AGGREGATE_PARAMETERS,
    FEATURES_PARAMETERS,
    parse_aggregate_request,
    parse_features_request,
    request_values,
)
from layers.registry import Layer, registry

GEOJSON = "application/geo+json"


class LayersAPIView(APIView):
    """Anyone who may read the layer asked for; JSON in (POST bodies) and out."""

    permission_classes = [AllowAny]
    content_negotiation_class = JSONOnly
    parser_classes = [JSONBodyParser]


_SELECTION_PARAMETERS = [
    OpenApiParameter(
        "bbox",
        OpenApiTypes.STR,
        description="min longitude, min latitude, max longitude, max latitude (WGS84).",
    ),
    OpenApiParameter(
        "datetime",
        OpenApiTypes.STR,
        description="Temporal layers: an RFC 3339 instant or interval `a/b`, `../b`, `a/..` (ends included).",
    ),
    OpenApiParameter(
        "district",
        OpenApiTypes.STR,
        description="District ids or codes, comma-separated: features intersecting any of them.",
    ),
    OpenApiParameter(
        "intersects",
        OpenApiTypes.STR,
        description="A geometry as WKT or GeoJSON in WGS84 (SRID 4326): features intersecting it. "
        "Long polygons: POST the same parameters as a JSON object.",
    ),
    OpenApiParameter(
        "within", OpenApiTypes.STR, description="A point or line (WKT or GeoJSON, WGS84); needs `distance`."
    ),
    OpenApiParameter(
        "distance", OpenApiTypes.NUMBER, description="Metres from `within` (measured on the ellipsoid)."
    ),
]
_ATTRIBUTE_NOTE = " Any public attribute of the layer filters by equality: `<attribute>=<value>`."
_ERRORS = {
    400: OpenApiResponse(description="A parameter is not valid; the message says which and why."),
    404: OpenApiResponse(description="No such layer, or one this person may not read."),
}


class LayerListView(LayersAPIView):
    """The layers this person may read: anyone (each sees the public layers and those of their roles)."""

    @extend_schema(
        operation_id="layer_list",
        summary="Layers one may query",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(
            {"layers": [_layer_document(request, layer) for layer in registry.readable_by(request.user)]}
        )


def _layer_document(request: Request, layer: Layer) -> dict[str, Any]:
    def url(name: str) -> str:
        return request.build_absolute_uri(reverse(name, args=[layer.id]))

    return {
        "id": layer.id,
        "title": layer.title,
        "title_ar": layer.title_ar,
        "title_en": layer.title_en,
        "description": layer.description,
        "geometry_type": layer.geometry_type,
        "temporal": layer.temporal_column is not None,
        "attributes": [
            {"name": attribute.name, "type": attribute.type, "title": str(attribute.title)}
            for attribute in layer.attributes
        ],
        "links": {
            "features": url("layer-features"),
            "aggregate": url("layer-aggregate"),
            "export": url("layer-export"),
            "ogc_items": url("ogc:items"),
        },
    }


_FEATURES_SCHEMA = extend_schema(
    operation_id="layer_features",
    summary="Features of a layer matching a selection",
    description="A GeoJSON FeatureCollection in id order, built by PostGIS, with `numberMatched` "
    "(left out above 50,000) and `numberReturned`." + _ATTRIBUTE_NOTE,
    parameters=[
        *_SELECTION_PARAMETERS,
        OpenApiParameter(
            "limit", OpenApiTypes.INT, description="Features per page (as the OGC API's limit)."
        ),
        OpenApiParameter("offset", OpenApiTypes.INT, description="Features skipped, for the next pages."),
    ],
    responses={
        (200, GEOJSON): OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"),
        **_ERRORS,
    },
)


class LayerFeaturesView(LayersAPIView):
    """Features of a layer matching a selection. Anyone who may read the layer."""

    @_FEATURES_SCHEMA
    def get(self, request: Request, layer_id: str) -> HttpResponse:
        return self._answer(request, layer_id)

    @extend_schema(
        operation_id="layer_features_post",
        summary="Features of a layer matching a selection (parameters as a JSON object)",
        request=OpenApiTypes.OBJECT,
        responses={
            (200, GEOJSON): OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"),
            **_ERRORS,
        },
    )
    def post(self, request: Request, layer_id: str) -> HttpResponse:
        return self._answer(request, layer_id)

    def _answer(self, request: Request, layer_id: str) -> HttpResponse:
        layer = registry.readable(layer_id, request.user)
        query = parse_features_request(layer, request_values(request, layer, FEATURES_PARAMETERS))
        page = provider.items(
            layer, provider.ItemsQuery(limit=query.limit, offset=query.offset, selection=query.selection)
        )
        head: dict[str, Any] = {
            "type": "FeatureCollection",
            "numberReturned": page.number_returned,
            "limit": query.limit,
            "offset": query.offset,
        }
        if page.number_matched is not None:
            head["numberMatched"] = page.number_matched
        # The features array comes from PostGIS as text and is spliced in without being parsed again.
        body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + page.features_json + "}"
        return HttpResponse(body, content_type=GEOJSON)


_AGGREGATE_PARAMETERS = [
    *_SELECTION_PARAMETERS,
    OpenApiParameter(
        "by", OpenApiTypes.STR, enum=["district"], description="Grouping; `district` (default)."
    ),
    OpenApiParameter("sum", OpenApiTypes.STR, description="A numeric attribute to add up per district."),
]
_AGGREGATE_DESCRIPTION = (
    "Per district: `count` of the selected features intersecting it, `sum` of the attribute named "
    "by `sum`, `area_m2` (polygon layers) or `length_m` (line layers) of the features' part inside "
    "the district, on the WGS84 ellipsoid; and a `total` over the selected features, each counted "
    "once and whole." + _ATTRIBUTE_NOTE
)


class LayerAggregateView(LayersAPIView):
    """Aggregates of a selection by district. Anyone who may read the layer."""

    @extend_schema(
        operation_id="layer_aggregate",
        summary="Aggregates of a selection by district",
        description=_AGGREGATE_DESCRIPTION,
        parameters=_AGGREGATE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def get(self, request: Request, layer_id: str) -> Response:
        return self._answer(request, layer_id)

    @extend_schema(
        operation_id="layer_aggregate_post",
        summary="Aggregates of a selection by district (parameters as a JSON object)",
        description=_AGGREGATE_DESCRIPTION,
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def post(self, request: Request, layer_id: str) -> Response:
        return self._answer(request, layer_id)

    def _answer(self, request: Request, layer_id: str) -> Response:
        layer = registry.readable(layer_id, request.user)
        query = parse_aggregate_request(layer, request_values(request, layer, AGGREGATE_PARAMETERS))
        aggregate = aggregate_by_district(layer, query.selection, sum_attribute=query.sum_attribute)
        integral_sum = query.sum_attribute is not None and query.sum_attribute.type == "integer"
        return Response(
            _aggregate_document(
                layer,
                aggregate,
                sum_name=query.sum_attribute.name if query.sum_attribute else None,
                integral_sum=integral_sum,
            )
        )


def _aggregate_document(
    layer: Layer, aggregate: DistrictAggregate, *, sum_name: str | None, integral_sum: bool
) -> dict[str, Any]:
    def measures(values: Measures) -> dict[str, Any]:
        document: dict[str, Any] = {"count": values.count}
        if sum_name is not None:
            total = values.sum if values.sum is not None else 0
            document["sum"] = round(total) if integral_sum else total
        if aggregate.measures_area:
            document["area_m2"] = values.area_m2
        if aggregate.measures_length:
            document["length_m"] = values.length_m
        return document

    return {
        "layer": layer.id,
        "by": "district",
        "sum_attribute": sum_name,
        "districts": [
            {
                "district_id": row.district_id,
                "code": row.code,
                "name_ar": row.name_ar,
                "name_en": row.name_en,
                "jurisdiction": row.jurisdiction,
                **measures(row.measures),
            }
            for row in aggregate.rows
        ],
        "total": measures(aggregate.total),
    }

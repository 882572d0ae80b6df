"""GET /api/v1/layers/{id}/export/: a layer, or a selection of it, as a file to download."""

from __future__ import annotations

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from geo_services.core.api.serializers import ErrorSerializer
from geo_services.core.api.views import JSONOnly
from layers.exports.formats import (
    EXPORT_FORMATS,
    FORMAT_SPECS,
    export_filename,
    open_export,
    parse_export_format,
    selected_rows,
)
from layers.exports.streaming import stream_feature_collection
from layers.ogc.parsing import check_parameters
from layers.registry import registry
from layers.selection import parse_selection, selection_parameter_names

_SELECTION_DOC = (
    "Selection parameters as in the OGC items and spatial queries: `bbox`, `datetime`, `district`, "
    "`intersects`, `within` + `distance`, and `<attribute>=<value>` for any public attribute."
)


class LayerExportView(APIView):
    """Anyone who may read the layer (its `readers`; public layers: everyone, signed in or not)."""

    permission_classes = [AllowAny]
    # `format` names the file format; the answer is a file, or a JSON error whatever was accepted.
    content_negotiation_class = JSONOnly

    @extend_schema(
        operation_id="layer_export",
        summary="Export a layer or a selection of it",
        description=(
            "GeoPackage (`gpkg`), zipped Shapefile (`shp`, with README.txt listing shortened field names), "
            "GeoJSON (`geojson`, streamed) or CSV with a WKT geometry column (`csv`, UTF-8 with BOM). "
            "Coordinates in EPSG:4326. " + _SELECTION_DOC + " A layer the person may not read answers 404. "
            "More features than AMANAH_EXPORT_MAX_FEATURES: 400 `too_many_features`."
        ),
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, required=True, enum=list(EXPORT_FORMATS)),
            OpenApiParameter("bbox", OpenApiTypes.STR, description="min lon,min lat,max lon,max lat (WGS84)"),
            OpenApiParameter("datetime", OpenApiTypes.STR, description="RFC 3339 instant or interval a/b"),
            OpenApiParameter(
                "district", OpenApiTypes.STR, description="district ids or codes, comma-separated"
            ),
            OpenApiParameter(
                "intersects", OpenApiTypes.STR, description="WKT or GeoJSON geometry, SRID 4326"
            ),
            OpenApiParameter("within", OpenApiTypes.STR, description="point or line, WKT or GeoJSON"),
            OpenApiParameter("distance", OpenApiTypes.DOUBLE, description="metres, with `within`"),
        ],
        responses={
            (200, "application/geopackage+sqlite3"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, layer_id: str) -> HttpResponseBase:
        layer = registry.readable(layer_id, request.user)
        check_parameters(request.query_params, ("format", *selection_parameter_names(layer)))
        export_format = parse_export_format(request.query_params.get("format"))
        selection = parse_selection(layer, request.query_params)
        condition, params = selected_rows(layer, selection)
        filename = export_filename(layer, export_format, timezone.localdate())
        if export_format == "geojson":
            response: HttpResponseBase = StreamingHttpResponse(
                stream_feature_collection(layer, condition, params),
                content_type=FORMAT_SPECS["geojson"].media_type,
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        else:
            response = FileResponse(
                open_export(layer, condition, params, export_format, filename),
                as_attachment=True,
                filename=filename,
                content_type=FORMAT_SPECS[export_format].media_type,
            )
        # An export reflects the data at the moment it is asked for, and may hold restricted layers.
        response["Cache-Control"] = "private, no-store"
        return response

"""Vector tiles at /tiles/{layer}/{z}/{x}/{y}.mvt and TileJSON at /tiles/{layer}.json.

Anyone may read a layer declared without readers; a restricted layer only its readers' roles
(Layer.readable_by), checked on every request before anything is answered, from the cache or not.
To anyone else it answers 404 exactly like a layer that does not exist, so its name is not revealed.

A tile without any public feature answers 204 No Content (map clients draw nothing and ask no
further), with the same caching headers as a full tile. Tiles carry a strong ETag (a hash of their
bytes) and answer 304 Not Modified to a matching If-None-Match; Cache-Control is `public` for layers
anyone may read and `private` for restricted ones, so shared caches never keep a restricted tile.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _

from geo_services.core.errors import NotFound
from layers import provider
from layers.ogc.parsing import check_parameters
from layers.ogc.views import ogc_endpoint
from layers.registry import Layer, registry
from layers.tiles import service
from layers.tiles.parsing import TILE_FORMAT, TILEJSON_FORMAT, parse_tile_address, split_format

MVT = "application/vnd.mapbox-vector-tile"
JSON = "application/json"

# The error wrapper of the OGC API (GET/HEAD only, domain errors in the project's shape) serves here too.
tiles_endpoint = ogc_endpoint


def _cache_control(layer: Layer) -> str:
    visibility = "public" if layer.readers is None else "private"
    return f"{visibility}, max-age={settings.AMANAH_TILE_MAX_AGE_SECONDS}"


@tiles_endpoint
def tile(request: HttpRequest, layer_id: str, z: str, x: str, y_and_format: str) -> HttpResponse:
    layer = registry.readable(layer_id, request.user)
    check_parameters(request.GET, ())
    address = parse_tile_address(
        z, x, split_format(y_and_format, TILE_FORMAT), max_zoom=settings.AMANAH_TILE_MAX_ZOOM
    )
    found = service.cached_tile(layer, address.z, address.x, address.y)
    # No feature in the tile: 204 No Content, which map clients take as an empty tile.
    response = HttpResponse(found.content, content_type=MVT) if found.content else HttpResponse(status=204)
    response["ETag"] = found.etag
    response["Cache-Control"] = _cache_control(layer)
    return get_conditional_response(request, etag=found.etag, response=response) or response


@tiles_endpoint
def tilejson(request: HttpRequest, name: str) -> HttpResponse:
    layer = registry.readable(split_format(name, TILEJSON_FORMAT), request.user)
    check_parameters(request.GET, ())
    # Placeholders are written after reversing, which would percent-encode the braces.
    path = reverse("tiles:tile", args=[layer.id, "0", "0", f"0.{TILE_FORMAT}"])
    template = request.build_absolute_uri(path).replace(
        f"/0/0/0.{TILE_FORMAT}", f"/{{z}}/{{x}}/{{y}}.{TILE_FORMAT}"
    )
    document = service.tilejson_document(layer, tiles_url=template, bbox=provider.extent(layer).bbox)
    response = HttpResponse(json.dumps(document, ensure_ascii=False), content_type=JSON)
    response["Cache-Control"] = _cache_control(layer)
    return response


@tiles_endpoint
def unknown_address(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise NotFound(
        _(
            "There is nothing at %(path)s. A tile is at /tiles/{layer}/{z}/{x}/{y}.mvt"
            " and a layer's TileJSON at /tiles/{layer}.json."
        )
        % {"path": request.path[:100]},
        code="not_found",
    )

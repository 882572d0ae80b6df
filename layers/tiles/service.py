"""Vector tiles of a layer, kept in the process's cache, and the layer's TileJSON document.

A tile's bytes depend on the layer and the tile address only, never on who asks: the cache is
shared by everyone allowed to read the layer, and the views check that permission before every
answer, cached or not. A cached tile is answered without touching the database.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils.translation import gettext as _

from layers.registry import AttributeType, Layer
from layers.tiles.sql import POINT_TYPES, tile_statement

# The cache alias (settings.CACHES) that holds built tiles.
TILE_CACHE = "tiles"
# The latitude where the Web Mercator square ends; TileJSON bounds stay inside it.
MERCATOR_MAX_LATITUDE = 85.051_128_78
MVT_FIELD_TYPES: dict[AttributeType, str] = {
    "string": "String",
    "integer": "Number",
    "number": "Number",
    "boolean": "Boolean",
}


@dataclass(frozen=True)
class Tile:
    content: bytes  # empty when no public feature lies in the tile
    etag: str  # a strong entity tag, quoted, from the bytes themselves


def cached_tile(layer: Layer, z: int, x: int, y: int) -> Tile:
    """Tile z/x/y of the layer, from the cache or built by PostGIS and cached.

    AMANAH_TILE_CACHE_SECONDS bounds how stale a tile can be: a feature added, moved, or taken off
    the map shows in tiles at most that many seconds later (plus the clients' own max-age).
    """
    key = f"tiles:{layer.id}:{z}:{x}:{y}"
    cache = caches[TILE_CACHE]
    cached = cache.get(key)
    if cached is not None:
        return Tile(*cached)
    content = build_tile(layer, z, x, y)
    tile = Tile(content, '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"')
    cache.set(key, (tile.content, tile.etag), settings.AMANAH_TILE_CACHE_SECONDS)
    return tile


def tile_bytes(layer: Layer, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of tile z/x/y (cached); the benchmark calls this to time the cached path."""
    return cached_tile(layer, z, x, y).content


def build_tile(layer: Layer, z: int, x: int, y: int) -> bytes:
    """The tile as PostGIS encodes it, in one statement, bypassing the cache."""
    statement = tile_statement(
        layer, z=z, x=x, y=y, cluster_below_zoom=settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM
    )
    # One statement; the connection runs without parallel workers (settings.DB_PARALLEL_WORKERS_PER_QUERY),
    # which for a tile cost more to start (tens of milliseconds) than they save.
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        (content,) = cursor.fetchone()
    return bytes(content or b"")


def tilejson_document(
    layer: Layer, *, tiles_url: str, bbox: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    """TileJSON 3.0.0 for the layer, in the active language; bbox is the extent of its public rows."""
    max_zoom = settings.AMANAH_TILE_MAX_ZOOM
    bounds = _mercator_bounds(bbox)
    fields = {attribute.name: MVT_FIELD_TYPES[attribute.type] for attribute in layer.attributes}
    if layer.id_type == "string":
        fields = {"id": "String", **fields}
    description = layer.description
    cluster_zoom = settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM
    if layer.geometry_type in POINT_TYPES and cluster_zoom > 0:
        fields["count"] = "Number"
        clustering = _(
            "Below zoom %(zoom)s each feature stands for the points of one grid cell: "
            "their number is in count, and it has no other attributes."
        ) % {"zoom": cluster_zoom}
        description = f"{description} {clustering}".strip()
    return {
        "tilejson": "3.0.0",
        "name": layer.title,
        "description": layer.description,
        "tiles": [tiles_url],
        "scheme": "xyz",
        "minzoom": 0,
        "maxzoom": max_zoom,
        "bounds": list(bounds),
        "center": _center(bounds, max_zoom),
        "vector_layers": [
            {
                "id": layer.id,
                "description": description,
                "minzoom": 0,
                "maxzoom": max_zoom,
                "fields": fields,
            }
        ],
    }


def _mercator_bounds(bbox: tuple[float, float, float, float] | None) -> tuple[float, float, float, float]:
    if bbox is None:  # no public feature yet: the whole map
        return (-180.0, -MERCATOR_MAX_LATITUDE, 180.0, MERCATOR_MAX_LATITUDE)
    min_lon, min_lat, max_lon, max_lat = bbox
    return (
        min_lon,
        max(min_lat, -MERCATOR_MAX_LATITUDE),
        max_lon,
        min(max_lat, MERCATOR_MAX_LATITUDE),
    )


def _center(bounds: tuple[float, float, float, float], max_zoom: int) -> list[float]:
    """The middle of the bounds, at the zoom where they about fill one 256-pixel tile."""
    min_lon, min_lat, max_lon, max_lat = bounds
    span = max(max_lon - min_lon, max_lat - min_lat)
    # One feature only: a street-level view around it.
    zoom = math.floor(math.log2(360 / span)) if span > 0 else 15
    return [(min_lon + max_lon) / 2, (min_lat + max_lat) / 2, max(0, min(zoom, max_zoom))]

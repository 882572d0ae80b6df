"""Reads of a registered layer: parameterised SQL composed from the layer's declaration.

GeoJSON is built by PostGIS (json_build_object / json_agg / ST_AsGeoJSON) in one statement per
page; Python only splices the envelope around the features array it gets back as text. Table and
column names come from the registry (checked identifiers, quoted here); user values are always
parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection

from layers.registry import Layer
from layers.selection import Selection, where_sql

# numberMatched is counted exactly up to this many rows and left out above it: the count is then
# bounded in cost on any table, and never a full scan of a large one on every page (pygeoapi #1969).
COUNT_CAP = 50_000
# The extent of a layer changes rarely; a planner's client asks for it on every collection read.
EXTENT_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int = 0
    selection: Selection = field(default_factory=Selection)


@dataclass(frozen=True)
class ItemsPage:
    features_json: str  # a JSON array of GeoJSON features, as PostGIS wrote it
    number_returned: int
    number_matched: int | None  # None when above COUNT_CAP


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _feature_sql(layer: Layer, alias: str) -> str:
    properties = ", ".join(f"'{a.name}', {alias}.{_q(a.column)}" for a in layer.attributes)
    return (
        "json_build_object('type', 'Feature', "
        f"'id', {alias}.{_q(layer.id_column)}, "
        f"'geometry', ST_AsGeoJSON({alias}.{_q(layer.geometry_column)}, 7)::json, "
        f"'properties', json_build_object({properties}))"
    )


def _where(layer: Layer, query: ItemsQuery | None, params: dict[str, Any]) -> str:
    """The public rows matching the query's selection; the FROM must name the table unaliased."""
    return where_sql(layer, query.selection if query is not None else Selection(), params)


def items(layer: Layer, query: ItemsQuery) -> ItemsPage:
    """One page of features in id order (stable across pages), and the capped count. One query."""
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset, "count_cap": COUNT_CAP + 1}
    where = _where(layer, query, params)
    table = _q(layer.table)
    sql = f"""
        WITH page AS (
            SELECT * FROM {table} WHERE {where}
            ORDER BY {_q(layer.id_column)} LIMIT %(limit)s OFFSET %(offset)s
        )
        SELECT COALESCE(json_agg({_feature_sql(layer, "page")} ORDER BY page.{_q(layer.id_column)}), '[]')::text,
               count(*),
               (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT %(count_cap)s) capped)
        FROM page
    """  # noqa: S608 - registered identifiers, quoted; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        features_json, returned, matched = cursor.fetchone()
    return ItemsPage(features_json, returned, matched if matched <= COUNT_CAP else None)


def matched_count(layer: Layer, query: ItemsQuery) -> int | None:
    """How many public features match the query, counted up to COUNT_CAP (None above). One query."""
    params: dict[str, Any] = {"count_cap": COUNT_CAP + 1}
    where = _where(layer, query, params)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {_q(layer.table)} WHERE {where} LIMIT %(count_cap)s) capped"  # noqa: S608 - registered identifiers, quoted; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (matched,) = cursor.fetchone()
    return matched if matched <= COUNT_CAP else None


def stream_items(
    layer: Layer, query: ItemsQuery, members: dict[str, Any], count_member: str | None
) -> Iterator[bytes]:
    """A page as a FeatureCollection sent in pieces (layers.exports.streaming), for large limits."""
    from layers.exports.streaming import stream_feature_collection  # it builds on this module

    params: dict[str, Any] = {}
    where = _where(layer, query, params)
    return stream_feature_collection(
        layer,
        where,
        params,
        members=members,
        limit=query.limit,
        offset=query.offset,
        count_member=count_member,
    )


def item(layer: Layer, feature_id: int | str) -> str | None:
    """One public feature as GeoJSON text, or None."""
    params: dict[str, Any] = {"feature_id": feature_id}
    where = _where(layer, None, params)
    sql = f"""
        SELECT {_feature_sql(layer, _q(layer.table))}::text FROM {_q(layer.table)}
        WHERE {where} AND {_q(layer.table)}.{_q(layer.id_column)} = %(feature_id)s
    """  # noqa: S608 - registered identifiers, quoted; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Extent:
    bbox: tuple[float, float, float, float] | None
    interval: tuple[str | None, str | None] | None


def extent(layer: Layer) -> Extent:
    """The bounding box (ST_Extent) and time interval of the public rows, cached for a few minutes."""
    key = f"layers:extent:{layer.id}"
    cached = cache.get(key)
    if cached is not None:
        return Extent(*cached)
    geometry = _q(layer.geometry_column)
    if layer.temporal_column:
        temporal = _q(layer.temporal_column)
        # ISO 8601 text, as PostgreSQL writes timestamps into JSON.
        low_sql, high_sql = f"to_json(min({temporal}))#>>'{{}}'", f"to_json(max({temporal}))#>>'{{}}'"
    else:
        low_sql, high_sql = "NULL", "NULL"
    sql = f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), lo, hi
        FROM (SELECT ST_Extent({geometry}) AS e, {low_sql} AS lo, {high_sql} AS hi
              FROM {_q(layer.table)} WHERE {_where(layer, None, {})}) s
    """  # noqa: S608 - registered identifiers, quoted; no user values at all
    with connection.cursor() as cursor:
        cursor.execute(sql)
        min_x, min_y, max_x, max_y, low, high = cursor.fetchone()
    bbox = None if min_x is None else (min_x, min_y, max_x, max_y)
    interval = (low, high) if layer.temporal_column else None
    cache.set(key, (bbox, interval), EXTENT_CACHE_SECONDS)
    return Extent(bbox, interval)

"""A GeoJSON FeatureCollection built by PostGIS and sent in pieces.

One SQL statement writes each feature's JSON text (the same expression the OGC items use); a
server-side cursor hands the rows over a batch at a time, so the application holds one batch in
memory whatever the size of the response, and the client receives bytes from the first batch on.
Nothing here knows about HTTP: the export view, the export command and large OGC item pages share it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import connection, transaction

from layers.provider import _feature_sql, _q
from layers.registry import Layer

# Features fetched per round trip: large enough that the round trips cost little next to the JSON,
# small enough that a batch stays a few megabytes. Points are small; lines and polygons carry tens to
# thousands of vertices each, and their batches are smaller (the benchmark measured a server peak of
# 2.2x the response for 10,000 polygons in batches of 2,000).
STREAM_BATCH_FEATURES = 2_000
STREAM_BATCH_SHAPES = 250


def stream_feature_collection(
    layer: Layer,
    where_sql: str,
    params: Mapping[str, Any],
    *,
    members: Mapping[str, Any] | None = None,
    limit: int | None = None,
    offset: int = 0,
    count_member: str | None = None,
    batch_size: int | None = None,
) -> Iterator[bytes]:
    """The layer's rows matching `where_sql` as a GeoJSON FeatureCollection, in id order, in pieces.

    `where_sql` is a complete condition (the layer's public condition included, as
    `layers.selection.where_sql` writes it) over the layer's table named without an alias, with its
    values in `params` (pyformat names). `members` are written before "features" (links,
    timeStamp, numberMatched…); `count_member`, if given, is written after the features with the
    number of features sent (e.g. "numberReturned"). `limit` and `offset` cut a page.

    The first piece is the envelope; the statement runs when the second is asked for, inside its own
    transaction, so the server-side cursor is a plain one (not WITH HOLD, which would make
    PostgreSQL materialise the whole result first). Closing the iterator early rolls that
    transaction back and frees the cursor. Each batch is one FETCH, so the statement time limit
    applies per batch, not to the whole response.
    """
    if batch_size is None:
        batch_size = (
            STREAM_BATCH_FEATURES if layer.geometry_type in ("Point", "MultiPoint") else STREAM_BATCH_SHAPES
        )
    query_params = dict(params)
    paging = ""
    if limit is not None:
        paging += " LIMIT %(stream_limit)s"
        query_params["stream_limit"] = limit
    if offset:
        paging += " OFFSET %(stream_offset)s"
        query_params["stream_offset"] = offset
    # No alias: the condition may qualify columns with the table's name (as layers.selection does).
    table = _q(layer.table)
    sql = f"""
        SELECT {_feature_sql(layer, table)}::text
        FROM {table}
        WHERE {where_sql}
        ORDER BY {table}.{_q(layer.id_column)}{paging}
    """  # noqa: S608 - registered identifiers, quoted; values are parameters

    head = {"type": "FeatureCollection", **(members or {})}
    # The envelope is written by json (small); the features arrive as PostGIS wrote them.
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [').encode()
    sent = 0
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, query_params)
        while rows := cursor.fetchmany(batch_size):
            separator = "," if sent else ""
            yield (separator + ",".join(row[0] for row in rows)).encode()
            sent += len(rows)
    tail = "]"
    if count_member is not None:
        tail += f", {json.dumps(count_member)}: {sent}"
    yield (tail + "}").encode()

"""The one SQL statement that builds a Mapbox Vector Tile of a layer (ST_AsMVT / ST_AsMVTGeom).

Every tile is one statement: the tile's Web Mercator envelope (ST_TileEnvelope), the layer's rows
found through the GiST index of its geometry column, transformed to EPSG:3857 for ST_AsMVTGeom, and
encoded as one MVT layer named after the layer id. Geometries are stored in EPSG:4326, so the index
is asked with the envelope transformed to 4326 (a Mercator rectangle is still a rectangle in
longitude/latitude, so nothing is lost), widened by a margin so rounding between the two systems
can never drop a row; ST_AsMVTGeom then clips exactly.

Lines and polygons
    are simplified in 3857 with a tolerance of SIMPLIFY_TOLERANCE_UNITS tile units (a screen pixel
    of a tile drawn 512 pixels wide), so a low-zoom tile of detailed boundaries carries only the
    vertices that can be seen. ST_Simplify keeps a polygon that would collapse (preserveCollapsed),
    so a small district stays on the map at low zooms. They keep a buffer of LINE_BUFFER_UNITS
    around the tile: map clients clip fills and lines to the tile, and the buffer keeps strokes
    from showing seams at tile edges.

Points (and multi-points)
    have no buffer: clients draw a point symbol only from the tile holding it, so a tile holds
    exactly the points inside it and counts add up across tiles.
    Below the zoom AMANAH_TILE_CLUSTER_BELOW_ZOOM, a point layer is *clustered*, not thinned: the
    points of each square cell of CLUSTER_CELL_UNITS tile units (a 16 x 16 grid aligned with the
    tile, so no cell straddles two tiles) become one feature at their centroid with a `count`
    property and no other attributes (a multi-point feature counts once, at its centroid). Thinning would silently hide requests and venues at the
    zooms where planners look at the whole city; counts keep the totals true, and the tile stays
    small whatever the number of points (at most 256 features).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.provider import _q, _where
from layers.registry import Layer

# The MVT grid: 4096 units across a tile, the usual resolution (12 bits). The other sizes are in
# these units; why each is what it is, the module's docstring says.
EXTENT_UNITS = 4096
LINE_BUFFER_UNITS = 64
SIMPLIFY_TOLERANCE_UNITS = 8
CLUSTER_CELL_UNITS = 256
# Width of the Web Mercator world in metres (2 * pi * 6378137): the width of the zoom-0 tile.
WORLD_WIDTH_METRES = 40_075_016.685_578_49
POINT_TYPES = frozenset({"Point", "MultiPoint"})

# The envelope used to find rows (index) and the one used to clip them, with its edges in metres;
# the aliases are chosen not to clash with a layer's own columns, which its public condition names
# without a table alias.
_BOUNDS = """
    tile_bounds AS (
        SELECT tile_envelope, search_envelope,
               ST_XMin(tile_envelope) AS tile_min_x, ST_YMin(tile_envelope) AS tile_min_y,
               ST_XMax(tile_envelope) AS tile_max_x, ST_YMax(tile_envelope) AS tile_max_y
        FROM (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile_envelope,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)
                       AS search_envelope
        ) envelopes
    )"""


@dataclass(frozen=True)
class TileStatement:
    sql: str
    params: dict[str, Any]


def tile_statement(layer: Layer, *, z: int, x: int, y: int, cluster_below_zoom: int) -> TileStatement:
    """The statement for tile z/x/y of the layer: one row, one bytea (empty when no feature is in it)."""
    unit_metres = WORLD_WIDTH_METRES / 2**z / EXTENT_UNITS
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "layer_name": layer.id}
    if layer.geometry_type in POINT_TYPES:
        # One unit of margin only absorbs rounding: points outside the tile are dropped anyway.
        params.update(margin=1 / EXTENT_UNITS, buffer=0)
        if z < cluster_below_zoom:
            params["cell"] = CLUSTER_CELL_UNITS * unit_metres
            return TileStatement(_clustered_points_sql(layer), params)
        geometry = f"ST_Transform({_column(layer, layer.geometry_column)}, 3857)"
    else:
        params.update(
            margin=LINE_BUFFER_UNITS / EXTENT_UNITS,
            buffer=LINE_BUFFER_UNITS,
            tolerance=SIMPLIFY_TOLERANCE_UNITS * unit_metres,
        )
        geometry = (
            f"ST_Simplify(ST_Transform({_column(layer, layer.geometry_column)}, 3857), %(tolerance)s, true)"
        )
    return TileStatement(_features_sql(layer, geometry), params)


def _column(layer: Layer, column: str) -> str:
    # Qualified with the table's own name: the provider's public condition expects no alias.
    return f"{_q(layer.table)}.{_q(column)}"


def _public_rows(layer: Layer) -> str:
    """The rows the layer publishes (the provider's one definition of them) near the tile.

    The search envelope is written out here rather than read from tile_bounds: a constant the
    planner can see lets it estimate how many rows the tile holds (a dense low-zoom tile holds
    hundreds of thousands) and choose its plan accordingly; read from the CTE it guesses a few."""
    search_envelope = "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)"
    return (
        f"FROM {_q(layer.table)} CROSS JOIN tile_bounds"
        f" WHERE {_column(layer, layer.geometry_column)} && {search_envelope}"
        f" AND {_where(layer, None, {})}"
    )


def _features_sql(layer: Layer, geometry: str) -> str:
    """Each public feature with its attributes; integer ids become the MVT feature id."""
    columns = [f"{_column(layer, a.column)} AS {_q(a.name)}" for a in layer.attributes]
    if layer.id_type == "integer":
        columns.insert(0, f"{_column(layer, layer.id_column)} AS tile_feature_id")
        id_argument = ", 'tile_feature_id'"
    else:
        # An MVT feature id must be an unsigned integer: a text id travels as the `id` property.
        columns.insert(0, f"{_column(layer, layer.id_column)}::text AS id")
        id_argument = ""
    return f"""
        WITH {_BOUNDS},
        features AS (
            SELECT {", ".join(columns)},
                   ST_AsMVTGeom({geometry}, tile_bounds.tile_envelope, {EXTENT_UNITS}, %(buffer)s, true)
                       AS tile_geometry
            {_public_rows(layer)}
        )
        SELECT ST_AsMVT(features, %(layer_name)s, {EXTENT_UNITS}, 'tile_geometry'{id_argument})
        FROM features WHERE tile_geometry IS NOT NULL
    """  # noqa: S608 - registered identifiers, quoted; values are parameters


def _clustered_points_sql(layer: Layer) -> str:
    """One feature per occupied grid cell: the centroid of its points and their `count`."""
    point = f"ST_Transform({_column(layer, layer.geometry_column)}, 3857)"
    if layer.geometry_type == "MultiPoint":
        point = f"ST_Centroid({point})"  # a feature counts once, where its points are on average
    return f"""
        WITH {_BOUNDS},
        points AS (
            SELECT {point} AS point
            {_public_rows(layer)}
        ),
        cells AS (
            SELECT count(*) AS count, ST_Centroid(ST_Collect(points.point)) AS centroid
            FROM points CROSS JOIN tile_bounds
            -- Exact coordinates, edges included as ST_Intersects and ST_AsMVTGeom do (the && operator
            -- compares single-precision boxes and lets in points up to a metre outside the tile).
            WHERE ST_X(points.point) BETWEEN tile_bounds.tile_min_x AND tile_bounds.tile_max_x
              AND ST_Y(points.point) BETWEEN tile_bounds.tile_min_y AND tile_bounds.tile_max_y
            -- Grid points sit at cell centres (half a cell in from the tile's corner), so every
            -- point snaps to the centre of the cell it lies in and cell edges fall on tile edges.
            GROUP BY ST_SnapToGrid(
                points.point,
                tile_bounds.tile_min_x + %(cell)s / 2,
                tile_bounds.tile_min_y + %(cell)s / 2,
                %(cell)s, %(cell)s
            )
        ),
        features AS (
            SELECT cells.count,
                   ST_AsMVTGeom(cells.centroid, tile_bounds.tile_envelope, {EXTENT_UNITS}, 0, true)
                       AS tile_geometry
            FROM cells CROSS JOIN tile_bounds
        )
        SELECT ST_AsMVT(features, %(layer_name)s, {EXTENT_UNITS}, 'tile_geometry')
        FROM features WHERE tile_geometry IS NOT NULL
    """  # noqa: S608 - registered identifiers, quoted; values are parameters

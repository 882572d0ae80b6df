"""Synthetic data for the benchmarks, generated inside PostGIS (fast, reproducible with a seed).

Districts: a Voronoi tessellation of random seeds over a box the size of greater Riyadh, each edge
cut into short segments whose vertices are pushed sideways by a smooth function of their position,
so neighbours still share (almost exactly) the same wiggly border, and each district has about the
requested number of vertices — like real boundaries that follow streets and wadis.
"""

from __future__ import annotations

import math

from django.db import connection

from geo_services.core.models import Jurisdiction

MIN_LON, MIN_LAT, SPAN = 46.40, 24.40, 0.60


def generate_districts(jurisdiction: Jurisdiction, *, count: int, vertices: int, seed: float = 0.42) -> None:
    """Replace the jurisdiction's districts with `count` wiggly Voronoi cells of ~`vertices` vertices."""
    # A Voronoi cell of n seeds in a square has a perimeter of about 4 * sqrt(area / n) * 1.1.
    perimeter = 4.4 * SPAN / math.sqrt(count)
    step = perimeter / vertices
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_district WHERE jurisdiction_id = %s", [jurisdiction.pk])
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
            WITH seeds AS (
                SELECT ST_Collect(ST_MakePoint(%(min_lon)s + random() * %(span)s,
                                               %(min_lat)s + random() * %(span)s)) AS g
                FROM generate_series(1, %(count)s)
            ),
            cells AS (
                SELECT (ST_Dump(ST_VoronoiPolygons(g, 0,
                        ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(min_lon)s + %(span)s, %(min_lat)s + %(span)s))
                       )).geom AS cell
                FROM seeds
            ),
            clipped AS (
                SELECT row_number() OVER () AS i,
                       ST_Intersection(cell, ST_MakeEnvelope(%(min_lon)s, %(min_lat)s,
                                                             %(min_lon)s + %(span)s, %(min_lat)s + %(span)s)) AS cell
                FROM cells
            ),
            wiggly AS (
                SELECT i, ST_MakePolygon(ST_MakeLine(ARRAY(
                    SELECT ST_MakePoint(
                        ST_X(p.geom) + %(amp)s * sin(ST_Y(p.geom) * %(freq)s) * cos(ST_X(p.geom) * %(freq2)s),
                        ST_Y(p.geom) + %(amp)s * sin(ST_X(p.geom) * %(freq)s) * cos(ST_Y(p.geom) * %(freq2)s))
                    FROM ST_DumpPoints(ST_Segmentize(ST_ExteriorRing(cell), %(step)s)) p
                    ORDER BY p.path
                ))) AS shape
                FROM clipped
            )
            INSERT INTO core_district (jurisdiction_id, code, name_ar, name_en, population, geom, created_at, updated_at)
            SELECT %(j)s, 'b' || i, 'منطقة ' || i, 'District ' || i, 10000,
                   ST_SetSRID(ST_Multi(ST_CollectionExtract(ST_MakeValid(shape), 3)), 4326), now(), now()
            FROM wiggly
            """,
            {
                "j": jurisdiction.pk,
                "count": count,
                "min_lon": MIN_LON,
                "min_lat": MIN_LAT,
                "span": SPAN,
                "step": step,
                # Sideways push of a fraction of the segment length keeps rings simple (no crossings).
                "amp": step * 0.6,
                "freq": 2 * math.pi / (step * 7),
                "freq2": 2 * math.pi / (step * 11),
            },
        )
        cursor.execute("ANALYZE core_district; ANALYZE core_districtpart")


def generate_points(table: str, *, count: int, seed: float = 0.17) -> None:
    """A table `table(id, geom)` of `count` uniformly random points over the districts' box."""
    if not table.isidentifier():
        raise ValueError(table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            f"""
            CREATE TABLE {table} AS
            SELECT g AS id, ST_SetSRID(ST_MakePoint(%(min_lon)s + random() * %(span)s,
                                                    %(min_lat)s + random() * %(span)s), 4326) AS geom
            FROM generate_series(1, %(count)s) g
            """,
            {"min_lon": MIN_LON, "min_lat": MIN_LAT, "span": SPAN, "count": count},
        )
        cursor.execute(f"CREATE INDEX ON {table} USING gist (geom)")
        cursor.execute(f"ANALYZE {table}")

"""Point -> district routing cost on synthetic districts of realistic vertex counts.

Measured in one run on the same data:
(a) bulk routing, one set-based statement: raw district polygons vs their ST_Subdivide'd parts;
(b) one lookup at a time: the bare parts query vs `district_for_point` vs the HTTP endpoint
    (Django's test client, in-process), p50/p95.
"""

from __future__ import annotations

import math
import random
import time

from django.contrib.gis.geos import Point
from django.db import connection
from django.test import Client

from bench.stats import time_each
from geo_services.core.models import District, Jurisdiction
from geo_services.core.selectors import district_for_point

# A box about the size of greater Riyadh.
MIN_LON, MIN_LAT, SPAN = 46.40, 24.40, 0.60


def _generate(jurisdiction: Jurisdiction, *, districts: int, vertices: int, points: int) -> None:
    side = math.ceil(districts**0.5)
    cell = SPAN / side
    quad_segments = max(1, vertices // 4)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_district WHERE jurisdiction_id = %s", [jurisdiction.pk])
        # A wobbly circle per grid cell: radius varies along the ring, so vertices are irregular like
        # real boundaries, and the shapes leave gaps where points fall outside every district.
        cursor.execute(
            """
            INSERT INTO core_district (jurisdiction_id, code, name_ar, name_en, population, geom, created_at, updated_at)
            SELECT %(j)s, 'b' || i, 'منطقة ' || i, 'District ' || i, 1000,
                   ST_Multi(ST_MakeValid(ST_MakePolygon(ST_AddPoint(line, ST_StartPoint(line))))), now(), now()
            FROM (
                SELECT i, ST_MakeLine(ARRAY(
                    SELECT ST_SetSRID(ST_MakePoint(
                        cx + r * (0.85 + 0.15 * sin(k * 7 + i)) * cos(2 * pi() * k / %(n)s),
                        cy + r * (0.85 + 0.15 * sin(k * 7 + i)) * sin(2 * pi() * k / %(n)s)), 4326)
                    FROM generate_series(0, %(n)s - 1) k
                )) AS line
                FROM (
                    SELECT i,
                           %(min_lon)s + (i %% %(side)s + 0.5) * %(cell)s AS cx,
                           %(min_lat)s + (i / %(side)s + 0.5) * %(cell)s AS cy,
                           %(cell)s * 0.5 AS r
                    FROM generate_series(0, %(count)s - 1) i
                ) centres
            ) rings
            """,
            {
                "j": jurisdiction.pk,
                "n": quad_segments * 4,
                "side": side,
                "cell": cell,
                "min_lon": MIN_LON,
                "min_lat": MIN_LAT,
                "count": side * side,
            },
        )
        cursor.execute("DROP TABLE IF EXISTS bench_points")
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            CREATE TABLE bench_points AS
            SELECT g AS id, ST_SetSRID(ST_MakePoint(%(min_lon)s + random() * %(span)s,
                                                    %(min_lat)s + random() * %(span)s), 4326) AS geom
            FROM generate_series(1, %(points)s) g
            """,
            {"min_lon": MIN_LON, "min_lat": MIN_LAT, "span": SPAN, "points": points},
        )
        cursor.execute("CREATE INDEX ON bench_points USING gist (geom)")
        cursor.execute("ANALYZE core_district; ANALYZE core_districtpart; ANALYZE bench_points")


BULK_RAW = """
    SELECT count(*) FROM bench_points p
    JOIN core_district d ON d.jurisdiction_id = %s AND ST_Covers(d.geom, p.geom)
"""
BULK_PARTS = """
    SELECT count(DISTINCT p.id) FROM bench_points p
    JOIN core_districtpart d ON d.jurisdiction_id = %s AND ST_Covers(d.geom, p.geom)
"""
BARE_LOOKUP_RAW = """
    SELECT d.id, d.code FROM core_district d
    WHERE d.jurisdiction_id = %s AND ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
    ORDER BY d.code
"""
BARE_LOOKUP = """
    SELECT DISTINCT d.id, d.code FROM core_districtpart p JOIN core_district d ON d.id = p.district_id
    WHERE d.jurisdiction_id = %s AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
    ORDER BY d.code
"""


def _timed_count(sql: str, jurisdiction_id: int) -> tuple[int, float]:
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(sql, [jurisdiction_id])
        (count,) = cursor.fetchone()
        return count, time.perf_counter() - start


def run(*, districts: int, vertices: int, points: int, samples: int) -> None:
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code="bench", defaults={"name_ar": "قياس", "name_en": "Benchmark", "time_zone": "Asia/Riyadh"}
    )
    start = time.perf_counter()
    _generate(jurisdiction, districts=districts, vertices=vertices, points=points)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg(ST_NPoints(geom))::int FROM core_district WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        district_count, mean_vertices = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM core_districtpart WHERE jurisdiction_id = %s", [jurisdiction.pk])
        (part_count,) = cursor.fetchone()
    print(
        f"data: {district_count} districts of ~{mean_vertices} vertices ({part_count} subdivided parts), "
        f"{points} points; generated in {time.perf_counter() - start:.1f} s"
    )

    raw_hits, raw_seconds = _timed_count(BULK_RAW, jurisdiction.pk)
    part_hits, part_seconds = _timed_count(BULK_PARTS, jurisdiction.pk)
    assert raw_hits == part_hits, (raw_hits, part_hits)
    print(
        f"(a) bulk routing, raw polygons:  {points / raw_seconds:,.0f} points/s ({raw_seconds:.2f} s, {raw_hits} routed)"
    )
    print(f"(a) bulk routing, subdivided:    {points / part_seconds:,.0f} points/s ({part_seconds:.2f} s)")
    print(f"    subdivided is {raw_seconds / part_seconds:.1f}x faster")

    rng = random.Random(7)
    # Points inside districts (centres of grid cells, jittered), so every lookup finds one.
    side = math.ceil(districts**0.5)
    cell = SPAN / side
    inside = [
        (
            MIN_LON + (i % side + 0.5) * cell + rng.uniform(-0.2, 0.2) * cell,
            MIN_LAT + (i // side + 0.5) * cell + rng.uniform(-0.2, 0.2) * cell,
        )
        for i in (rng.randrange(side * side) for _ in range(samples))
    ]

    def bare(lon_lat: tuple[float, float]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(BARE_LOOKUP, [jurisdiction.pk, *lon_lat])
            cursor.fetchall()

    def bare_raw(lon_lat: tuple[float, float]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(BARE_LOOKUP_RAW, [jurisdiction.pk, *lon_lat])
            cursor.fetchall()

    def selector(lon_lat: tuple[float, float]) -> None:
        district_for_point(Point(*lon_lat, srid=4326), jurisdiction_code="bench")

    client = Client(HTTP_HOST="127.0.0.1")

    def endpoint(lon_lat: tuple[float, float]) -> None:
        response = client.get(
            "/api/v1/districts/lookup/",
            {"lon": str(lon_lat[0]), "lat": str(lon_lat[1]), "jurisdiction": "bench"},
        )
        assert response.status_code == 200, response.content

    bare_raw_t = time_each(bare_raw, inside)
    bare_t = time_each(bare, inside)
    selector_t = time_each(selector, inside)
    endpoint_t = time_each(endpoint, inside)
    print(f"(b) bare SQL, raw polygons:       {bare_raw_t}")
    print(f"(b) bare SQL, subdivided parts:   {bare_t}")
    print(f"(b) district_for_point:           {selector_t}")
    print(f"(b) GET /api/v1/districts/lookup/: {endpoint_t}")
    print(f"    endpoint adds {endpoint_t.p50_ms - bare_t.p50_ms:.3f} ms at p50 over the bare query")
    assert District.objects.filter(jurisdiction=jurisdiction).count() == district_count

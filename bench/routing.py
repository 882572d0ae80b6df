"""Routing cost: point -> district -> department, as in issue "service requests".

On 1,000 synthetic districts of ~1,100 vertices (bench.synthetic), measured in one run:
(a) bulk routing of N random points in one set-based statement, raw polygons vs the
    ST_Subdivide'd parts (target: parts at least 5x faster);
(b) one lookup at a time: the bare point-in-polygon query vs `district_for_point` vs
    GET /api/v1/districts/lookup/ in-process (target: the endpoint adds at most 0.5 ms at p50);
(c) POST /open311/v2/requests.json in-process — lookup, routing, duplicate check and insert in one
    transaction (target: p95 under 10 ms) — next to the bare query.
"""

from __future__ import annotations

import json
import random
import time

from django.contrib.gis.geos import Point
from django.db import connection

from bench import inprocess
from bench.stats import time_each
from bench.synthetic import MIN_LAT, MIN_LON, SPAN, generate_districts, generate_points
from geo_services.core.models import Department, Jurisdiction
from geo_services.core.selectors import district_for_point
from geo_services.service_requests import services
from geo_services.service_requests.models import ServiceCategory, ServiceRequest

BULK_RAW = """
    SELECT count(*) FROM bench_points p
    JOIN core_district d ON d.jurisdiction_id = %s AND ST_Covers(d.geom, p.geom)
"""
BULK_PARTS = """
    SELECT count(*) FROM bench_points p
    JOIN core_districtpart d ON d.jurisdiction_id = %s AND ST_Covers(d.geom, p.geom)
"""
BARE_RAW = """
    SELECT d.id FROM core_district d
    WHERE d.jurisdiction_id = %s AND ST_Covers(d.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
"""
BARE_PARTS = """
    SELECT p.district_id FROM core_districtpart p
    WHERE p.jurisdiction_id = %s AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
"""


def _timed_count(sql: str, jurisdiction_id: int, *, runs: int = 3) -> tuple[int, float]:
    """The count and the median time of `runs` executions (this machine's timings vary run to run)."""
    timings = []
    with connection.cursor() as cursor:
        # JIT compilation adds a few hundred ms of noise to each run and nothing to the comparison.
        cursor.execute("SET jit = off")
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, [jurisdiction_id])
            (count,) = cursor.fetchone()
            timings.append(time.perf_counter() - start)
        cursor.execute("RESET jit")
    return count, sorted(timings)[len(timings) // 2]


def _bench_jurisdiction() -> Jurisdiction:
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code="bench", defaults={"name_ar": "قياس", "name_en": "Benchmark", "time_zone": "Asia/Riyadh"}
    )
    ServiceRequest.objects.filter(jurisdiction=jurisdiction).delete()
    return jurisdiction


def _covered_points(jurisdiction: Jurisdiction, count: int) -> list[tuple[float, float]]:
    """Random points that fall inside a district (so every lookup and POST succeeds)."""
    rng = random.Random(7)
    points: list[tuple[float, float]] = []
    with connection.cursor() as cursor:
        while len(points) < count:
            lon, lat = MIN_LON + rng.random() * SPAN, MIN_LAT + rng.random() * SPAN
            cursor.execute(BARE_PARTS, [jurisdiction.pk, lon, lat])
            if cursor.fetchone():
                points.append((lon, lat))
    return points


def run(*, districts: int, vertices: int, points: int, samples: int) -> dict[str, object]:
    jurisdiction = _bench_jurisdiction()
    start = time.perf_counter()
    generate_districts(jurisdiction, count=districts, vertices=vertices)
    generate_points("bench_points", count=points)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg(ST_NPoints(geom))::int FROM core_district WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        district_count, mean_vertices = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), avg(ST_NPoints(geom))::int FROM core_districtpart WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        part_count, part_vertices = cursor.fetchone()
    print(
        f"data: {district_count} districts of ~{mean_vertices} vertices -> {part_count} parts of ~{part_vertices}; "
        f"{points:,} points; generated in {time.perf_counter() - start:.1f} s"
    )

    raw_hits, raw_s = _timed_count(BULK_RAW, jurisdiction.pk)
    part_hits, part_s = _timed_count(BULK_PARTS, jurisdiction.pk)
    print(
        f"(a) bulk, raw polygons:   {points / raw_s:>12,.0f} points/s  ({raw_s:.2f} s, {raw_hits:,} routed)"
    )
    print(
        f"(a) bulk, subdivided:     {points / part_s:>12,.0f} points/s  ({part_s:.2f} s, {part_hits:,} routed)"
    )
    print(f"    subdivided is {raw_s / part_s:.1f}x faster (target >= 5x)")

    inside = _covered_points(jurisdiction, samples)

    def bare(sql: str):
        def call(lon_lat: tuple[float, float]) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [jurisdiction.pk, *lon_lat])
                cursor.fetchall()

        return call

    def selector(lon_lat: tuple[float, float]) -> None:
        district_for_point(Point(*lon_lat, srid=4326), jurisdiction_code="bench")

    def endpoint(lon_lat: tuple[float, float]) -> None:
        status, _ = inprocess.get(
            "/api/v1/districts/lookup/",
            {"lon": str(lon_lat[0]), "lat": str(lon_lat[1]), "jurisdiction": "bench"},
        )
        assert status == 200, status

    bare_raw_t = time_each(bare(BARE_RAW), inside)
    bare_t = time_each(bare(BARE_PARTS), inside)
    selector_t = time_each(selector, inside)
    endpoint_t = time_each(endpoint, inside)
    print(f"(b) bare query, raw polygons:     {bare_raw_t}")
    print(f"(b) bare query, subdivided parts: {bare_t}")
    print(f"(b) district_for_point:           {selector_t}")
    print(f"(b) GET /api/v1/districts/lookup/: {endpoint_t}")
    print(
        f"    endpoint adds {endpoint_t.p50_ms - bare_t.p50_ms:.3f} ms at p50 over the bare query (target <= 0.5)"
    )

    department, _ = Department.objects.get_or_create(
        jurisdiction=jurisdiction, code="roads", defaults={"name_ar": "الطرق", "name_en": "Roads"}
    )
    ServiceCategory.objects.get_or_create(
        jurisdiction=jurisdiction,
        code="pothole",
        defaults={"name_ar": "حفرة", "name_en": "Pothole", "sla_hours": 48, "default_department": department},
    )
    _, key = services.create_open311_key(jurisdiction=jurisdiction, name="benchmark")

    def post(lon_lat: tuple[float, float]) -> None:
        status, body = inprocess.post_form(
            "/open311/v2/requests.json",
            {
                "jurisdiction_id": "bench",
                "api_key": key,
                "service_code": "pothole",
                "lat": str(lon_lat[1]),
                "long": str(lon_lat[0]),
                "description": "benchmark",
            },
        )
        assert status in (200, 201), (status, body[:300])

    post_t = time_each(post, inside)
    created = ServiceRequest.objects.filter(jurisdiction=jurisdiction).count()
    print(f"(c) POST /open311/v2/requests.json: {post_t}  ({created:,} requests stored)")
    print(f"    p95 {post_t.p95_ms:.2f} ms (target < 10 ms); bare query p95 {bare_t.p95_ms:.3f} ms")
    return {
        "bulk_raw_points_per_s": points / raw_s,
        "bulk_parts_points_per_s": points / part_s,
        "lookup_bare_p50_ms": bare_t.p50_ms,
        "lookup_endpoint_p50_ms": endpoint_t.p50_ms,
        "post_p50_ms": post_t.p50_ms,
        "post_p95_ms": post_t.p95_ms,
    }


def report(results: dict[str, object]) -> str:
    return json.dumps(results, indent=2)

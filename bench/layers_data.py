"""Synthetic data of the layers benchmark, in the app's own tables, generated inside PostGIS.

So the app's registered layers, tipg and pygeoapi all serve the very same rows:

- districts: 1,000 wiggly Voronoi cells of ~1,100 vertices (`bench.synthetic.generate_districts`) in a
  jurisdiction of the benchmark's own, `bench-layers`;
- service requests: 1,000,000 reports at uniformly random points of the districts' box, each with the
  district it lies in, one category and department, a spread of statuses over the past year;
- venues: the 100,000 pitches of the venues benchmark (`bench.venues.generate`, reused as they are
  when the venues benchmark left them, generated without bookings otherwise);
- green spaces: 10,000 initiative polygons of ~50 vertices (star-shaped rings around random centres,
  simple by construction) when the initiatives app is there.

Every part is kept between runs and generated again only when its size differs from the one asked.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bench.synthetic import MIN_LAT, MIN_LON, SPAN, generate_districts
from geo_services.core.models import Department, Jurisdiction
from geo_services.service_requests.models import ServiceCategory

JURISDICTION = "bench-layers"
ZONE = "Asia/Riyadh"

REQUESTS_SQL = """
    INSERT INTO service_requests_servicerequest (
        jurisdiction_id, category_id, department_id, district_id, location, address, description,
        attributes, status, token, requested_at, updated_at, expected_at, closed_at, contact_first_name,
        contact_last_name, contact_email, contact_phone, device_id, photo, photo_thumbnail, media_url)
    SELECT %(j)s, %(category)s, %(department)s, d.district_id, p.geom, '', '', '{}',
           p.status, gen_random_uuid(), p.requested_at, p.requested_at, p.requested_at + interval '48 hours',
           CASE WHEN p.status IN ('resolved', 'not_actionable', 'referred')
                THEN p.requested_at + interval '30 hours' END,
           '', '', '', '', '', '', '', ''
    FROM (
        SELECT g,
               ST_SetSRID(ST_MakePoint(%(lon)s + random() * %(span)s, %(lat)s + random() * %(span)s), 4326) AS geom,
               (ARRAY['new', 'new', 'new', 'assigned', 'in_progress', 'resolved', 'resolved', 'resolved',
                      'not_actionable', 'referred'])[1 + floor(random() * 10)::int] AS status,
               %(now)s - random() * interval '365 days' AS requested_at
        FROM generate_series(1, %(count)s) g
    ) p
    -- the district the point lies in (the nearest, for the few points off the wiggly edge)
    CROSS JOIN LATERAL (
        SELECT COALESCE(
            (SELECT part.district_id FROM core_districtpart part
             WHERE part.jurisdiction_id = %(j)s AND ST_Covers(part.geom, p.geom)
             ORDER BY part.district_id LIMIT 1),
            (SELECT part.district_id FROM core_districtpart part WHERE part.jurisdiction_id = %(j)s
             ORDER BY part.geom <-> p.geom, part.district_id LIMIT 1)
        ) AS district_id
    ) d
    ORDER BY g
"""

# A star-shaped ring: the radius varies smoothly with the angle and stays positive, so the ring never
# crosses itself; the first point closes it exactly.
POLYGON_SQL = """
    WITH centres AS (
        SELECT g, %(lon)s + 0.01 + random() * (%(span)s - 0.02) AS cx,
               %(lat)s + 0.01 + random() * (%(span)s - 0.02) AS cy,
               0.0005 + random() * 0.0025 AS r, random() * 6.283 AS phase, 2 + floor(random() * 5) AS lobes
        FROM generate_series(1, %(count)s) g
    )
    SELECT g, ST_SetSRID(ST_MakePolygon(ST_AddPoint(ring, ST_StartPoint(ring))), 4326) AS geom
    FROM (
        SELECT g, ST_MakeLine(ARRAY(
            SELECT ST_MakePoint(
                cx + r * (1 + 0.35 * sin(lobes * 6.283185307 * k / %(vertices)s + phase))
                     * cos(6.283185307 * k / %(vertices)s) / cos(radians(cy)),
                cy + r * (1 + 0.35 * sin(lobes * 6.283185307 * k / %(vertices)s + phase))
                     * sin(6.283185307 * k / %(vertices)s))
            FROM generate_series(0, %(vertices)s - 1) k ORDER BY k
        )) AS ring
        FROM centres
    ) rings
"""


@dataclass
class LayersData:
    jurisdiction: Jurisdiction
    sizes: dict[str, int] = field(default_factory=dict)
    vertices: dict[str, int] = field(default_factory=dict)
    generated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [
            f"{name} {count:,}"
            + (f" (~{self.vertices[name]:,} vertices each)" if name in self.vertices else "")
            for name, count in self.sizes.items()
        ]
        text = "data: " + ", ".join(parts)
        if self.generated:
            text += "; generated now: " + ", ".join(self.generated)
        if self.missing:
            text += "; NOT GENERATED: " + "; ".join(self.missing)
        return text


def _require_bench_database() -> None:
    name = connection.settings_dict["NAME"]
    if name != "amanah_bench":
        raise SystemExit(f"refusing to replace rows of {name!r}: only the benchmark database")


def _scalar(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _timed(label: str, started: float) -> str:
    return f"{label} in {time.perf_counter() - started:.0f} s"


def bench_jurisdiction() -> Jurisdiction:
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code=JURISDICTION,
        defaults={
            "name_ar": "قياس الطبقات",
            "name_en": "Layers benchmark",
            "time_zone": ZONE,
            "currency": "SAR",
        },
    )
    return jurisdiction


def _ensure_districts(data: LayersData, *, count: int, vertices: int) -> None:
    j = data.jurisdiction.pk
    have = _scalar("SELECT count(*) FROM core_district WHERE jurisdiction_id = %s", [j])
    mean = _scalar(
        "SELECT COALESCE(avg(ST_NPoints(geom)), 0)::int FROM core_district WHERE jurisdiction_id = %s", [j]
    )
    if have != count or abs(mean - vertices) > vertices * 0.2:
        started = time.perf_counter()
        # The requests point at the districts (PROTECT): they go first, and are generated again.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM service_requests_servicerequest WHERE jurisdiction_id = %s", [j])
        generate_districts(data.jurisdiction, count=count, vertices=vertices, seed=0.73)
        data.generated.append(_timed("districts", started))
        mean = _scalar("SELECT avg(ST_NPoints(geom))::int FROM core_district WHERE jurisdiction_id = %s", [j])
    data.sizes["districts"] = _scalar("SELECT count(*) FROM core_district WHERE jurisdiction_id = %s", [j])
    data.vertices["districts"] = mean


def _ensure_requests(data: LayersData, *, count: int) -> None:
    jurisdiction = data.jurisdiction
    department, _ = Department.objects.get_or_create(
        jurisdiction=jurisdiction, code="works", defaults={"name_ar": "الأشغال", "name_en": "Public works"}
    )
    category, _ = ServiceCategory.objects.get_or_create(
        jurisdiction=jurisdiction,
        code="pothole",
        defaults={"name_ar": "حفرة", "name_en": "Pothole", "sla_hours": 48, "default_department": department},
    )
    have = _scalar(
        "SELECT count(*) FROM service_requests_servicerequest WHERE jurisdiction_id = %s", [jurisdiction.pk]
    )
    if have != count:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(
                "DELETE FROM service_requests_servicerequest WHERE jurisdiction_id = %s", [jurisdiction.pk]
            )
            cursor.execute("SELECT setseed(0.29)")
            # Without the foreign-key triggers: every row names the category, department and
            # jurisdiction created above and a district found by the lateral join, so the five checks
            # per row would only confirm it (and cost a third of the insert).
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(
                    REQUESTS_SQL,
                    {
                        "j": jurisdiction.pk,
                        "category": category.pk,
                        "department": department.pk,
                        "lon": MIN_LON,
                        "lat": MIN_LAT,
                        "span": SPAN,
                        "count": count,
                        "now": timezone.now(),
                    },
                )
            finally:
                cursor.execute("RESET session_replication_role")
            cursor.execute("VACUUM ANALYZE service_requests_servicerequest")
            cursor.execute("RESET statement_timeout")
        data.generated.append(_timed("service requests", started))
    data.sizes["service requests"] = _scalar(
        "SELECT count(*) FROM service_requests_servicerequest WHERE jurisdiction_id = %s", [jurisdiction.pk]
    )


def _ensure_venues(data: LayersData, *, count: int) -> None:
    from bench import venues

    have = _scalar("SELECT count(*) FROM venues_venue")
    if have != count:
        started = time.perf_counter()
        jurisdiction = venues._bench_jurisdiction()
        venues._ensure_districts(jurisdiction)
        venues.generate(
            jurisdiction, venues=count, bookings=0, first=timezone.localdate() + timedelta(days=1)
        )
        data.generated.append(_timed("venues", started))
    data.sizes["venues"] = _scalar("SELECT count(*) FROM venues_venue WHERE active")


def initiatives_available() -> bool:
    return importlib.util.find_spec("geo_services.initiatives.models") is not None


def _ensure_green_spaces(data: LayersData, *, count: int, vertices: int) -> None:
    if not initiatives_available():
        data.missing.append("green spaces (the initiatives app is not there yet)")
        return
    from bench import layers_initiatives

    layers_initiatives.ensure(data, count=count, vertices=vertices, polygons_sql=POLYGON_SQL)


def ensure(*, districts: int, vertices: int, requests: int, venues: int, polygons: int) -> LayersData:
    _require_bench_database()
    data = LayersData(jurisdiction=bench_jurisdiction())
    _ensure_districts(data, count=districts, vertices=vertices)
    _ensure_requests(data, count=requests)
    _ensure_venues(data, count=venues)
    _ensure_green_spaces(data, count=polygons, vertices=50)
    return data


def polygon_params(count: int, vertices: int) -> dict[str, Any]:
    return {"lon": MIN_LON, "lat": MIN_LAT, "span": SPAN, "count": count, "vertices": vertices}

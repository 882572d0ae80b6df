"""Green-space initiatives for the layers benchmark: parks and planted strips of ~50 vertices.

Generated inside PostGIS with one INSERT ... SELECT through the initiatives app's triggers (which
measure the area on the ellipsoid, check the shape lies within the jurisdiction's districts and write
the district shares), so the rows are exactly what the app would have stored.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.db import connection

from geo_services.core.models import Department

if TYPE_CHECKING:
    from bench.layers_data import LayersData

TABLE = "initiatives_initiative"


def ensure(data: LayersData, *, count: int, vertices: int, polygons_sql: str) -> None:
    from bench.layers_data import polygon_params

    jurisdiction = data.jurisdiction
    department, _ = Department.objects.get_or_create(
        jurisdiction=jurisdiction, code="parks", defaults={"name_ar": "الحدائق", "name_en": "Parks"}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), COALESCE(avg(ST_NPoints(geom)), 0)::int FROM {TABLE} WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        have, mean = cursor.fetchone()
        # A ring of n vertices holds n + 1 points: the first closes it.
        if have != count or mean != vertices + 1:
            started = time.perf_counter()
            cursor.execute("SET statement_timeout = 0")
            # Cascades to the district shares and progress updates of these initiatives only.
            cursor.execute(f"DELETE FROM {TABLE} WHERE jurisdiction_id = %s", [jurisdiction.pk])
            cursor.execute("SELECT setseed(0.47)")
            cursor.execute(
                f"""
                INSERT INTO {TABLE} (jurisdiction_id, code, kind, feature_type, name_ar, name_en,
                    description_ar, description_en, status, planned_start, planned_end, actual_start,
                    department_id, progress_percent, volunteers_count, geom, surface, created_at, updated_at)
                SELECT %(j)s, 'g' || p.g, 'green_space',
                       CASE WHEN p.g %% 4 = 0 THEN 'planted_strip' ELSE 'park' END,
                       'حديقة ' || p.g, 'Green space ' || p.g, '', '',
                       s.status, DATE '2026-01-01' + (p.g %% 300), DATE '2026-01-01' + (p.g %% 300) + 90,
                       CASE WHEN s.status <> 'planned' THEN DATE '2026-01-01' + (p.g %% 300) END,
                       %(department)s, s.progress, (p.g %% 40), p.geom, '', now(), now()
                FROM ({polygons_sql}) p
                CROSS JOIN LATERAL (
                    SELECT CASE p.g %% 3 WHEN 0 THEN 'planned' WHEN 1 THEN 'in_progress' ELSE 'done' END AS status,
                           CASE p.g %% 3 WHEN 0 THEN 0 WHEN 1 THEN 10 + p.g %% 80 ELSE 100 END AS progress
                ) s
                ORDER BY p.g
                """,
                {**polygon_params(count, vertices), "j": jurisdiction.pk, "department": department.pk},
            )
            cursor.execute(f"ANALYZE {TABLE}")
            cursor.execute("RESET statement_timeout")
            data.generated.append(f"green spaces in {time.perf_counter() - started:.0f} s")
            cursor.execute(
                f"SELECT count(*), avg(ST_NPoints(geom))::int FROM {TABLE} WHERE jurisdiction_id = %s",
                [jurisdiction.pk],
            )
            have, mean = cursor.fetchone()
    data.sizes["green spaces"] = have
    data.vertices["green spaces"] = mean - 1 if mean else 0

"""Aggregates of a selection of a layer's features, grouped by district, computed by PostGIS.

Per district: how many selected features intersect it, the sum of a numeric attribute over them,
and for polygon layers the area (m²) and for line layers the length (m) of the part of the
features inside the district. Areas and lengths are measured on geography (the WGS84 ellipsoid),
never in degrees. A feature across a district border counts in each district it touches (its
area or length is split between them); the total counts every selected feature once, whole, also
those outside every district.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.core.models import District, DistrictPart, Jurisdiction
from layers.registry import Attribute, Layer
from layers.selection import Selection, where_sql

# PostgreSQL's SQLSTATE for a statement cancelled, here by statement_timeout.
QUERY_CANCELED = "57014"
POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon", "Geometry"})
LINE_TYPES = frozenset({"LineString", "MultiLineString", "Geometry"})


@dataclass(frozen=True)
class Measures:
    count: int
    sum: float | None  # None without a sum attribute, or when no feature has a value
    area_m2: float | None  # None unless the layer holds polygons
    length_m: float | None  # None unless the layer holds lines


@dataclass(frozen=True)
class DistrictRow:
    district_id: int
    code: str
    name_ar: str
    name_en: str
    jurisdiction: str
    measures: Measures


@dataclass(frozen=True)
class DistrictAggregate:
    rows: list[DistrictRow]
    total: Measures
    measures_area: bool
    measures_length: bool


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def aggregate_by_district(
    layer: Layer, selection: Selection, *, sum_attribute: Attribute | None
) -> DistrictAggregate:
    """The selected features' count, sum, area and length per district and in total. One query."""
    measures_area = layer.geometry_type in POLYGON_TYPES
    measures_length = layer.geometry_type in LINE_TYPES
    params: dict[str, Any] = {}
    where = where_sql(layer, selection, params)
    table = _q(layer.table)
    amount = f"{table}.{_q(sum_attribute.column)}::float8" if sum_attribute else "NULL::float8"
    # ST_CollectionExtract keeps only the polygons (3) or lines (2) of a mixed geometry, so a
    # polygon's perimeter never counts as length nor a line as area.
    area = "ST_Area(ST_CollectionExtract({g}, 3)::geography)" if measures_area else "NULL::float8"
    length = "ST_Length(ST_CollectionExtract({g}, 2)::geography)" if measures_length else "NULL::float8"
    districts, parts, jurisdictions = (
        _q(model._meta.db_table) for model in (District, DistrictPart, Jurisdiction)
    )
    # The subdivided parts of a district do not overlap, so summing the clipped area or length over
    # the parts a feature touches gives the clipped measure over the whole district.
    sql = f"""
        WITH selected AS MATERIALIZED (
            SELECT {table}.{_q(layer.id_column)} AS feature_id, {table}.{_q(layer.geometry_column)} AS geom,
                   {amount} AS amount
            FROM {table} WHERE {where}
        ),
        touched AS (
            SELECT p.district_id, s.feature_id, max(s.amount) AS amount,
                   sum({area.format(g="ST_Intersection(s.geom, p.geom)")}) AS area,
                   sum({length.format(g="ST_Intersection(s.geom, p.geom)")}) AS length
            FROM selected s JOIN {parts} p ON p.geom && s.geom AND ST_Intersects(p.geom, s.geom)
            GROUP BY p.district_id, s.feature_id
        ),
        per_district AS (
            SELECT d.id, d.code, d.name_ar, d.name_en, j.code AS jurisdiction,
                   count(*) AS features, sum(t.amount) AS amount, sum(t.area) AS area, sum(t.length) AS length
            FROM touched t
            JOIN {districts} d ON d.id = t.district_id
            JOIN {jurisdictions} j ON j.id = d.jurisdiction_id
            GROUP BY d.id, j.code
        )
        SELECT id, code, name_ar, name_en, jurisdiction, features, amount, area, length
        FROM per_district
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, count(*), sum(amount),
               sum({area.format(g="geom")}), sum({length.format(g="geom")})
        FROM selected
        ORDER BY 5 NULLS LAST, 2
    """  # noqa: S608 - registered identifiers, quoted; values are parameters
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except OperationalError as exc:
            # The database's statement time limit (DB_STATEMENT_TIMEOUT_MS) ended the query: the
            # planner can narrow it, which a server error would not tell them.
            if getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
                raise InvalidInput(
                    _(
                        "Adding up this selection took longer than the database allows. Narrow it: choose a district, draw a smaller polygon or add filters."
                    ),
                    code="query_too_long",
                ) from None
            raise
        fetched = cursor.fetchall()
    rows = [
        DistrictRow(
            district_id=row[0],
            code=row[1],
            name_ar=row[2],
            name_en=row[3],
            jurisdiction=row[4],
            measures=_measures(row[5:], measures_area, measures_length),
        )
        for row in fetched[:-1]
    ]
    total = _measures(fetched[-1][5:], measures_area, measures_length)
    return DistrictAggregate(rows, total, measures_area, measures_length)


def _measures(values: tuple[Any, ...], measures_area: bool, measures_length: bool) -> Measures:
    count, amount, area, length = values
    return Measures(
        count=int(count),
        sum=float(amount) if amount is not None else None,
        area_m2=float(area or 0.0) if measures_area else None,
        length_m=float(length or 0.0) if measures_length else None,
    )

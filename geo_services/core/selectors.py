"""Reads of the core app. Other apps call these; they never query core's tables themselves."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput, OutsideDistricts
from geo_services.core.models import Jurisdiction
from geo_services.core.parsing import LonLat


def default_jurisdiction() -> Jurisdiction | None:
    """The jurisdiction the site's pages serve (AMANAH_DEFAULT_JURISDICTION), or None while its
    data is not loaded yet (a fresh installation before the demo or an import)."""
    try:
        return jurisdiction_by_code(settings.AMANAH_DEFAULT_JURISDICTION)
    except InvalidInput:
        return None


def jurisdiction_by_code(code: str) -> Jurisdiction:
    try:
        # PostgreSQL text cannot hold NUL (the query would fail): no code has one, so it is unknown.
        if "\x00" in code:
            raise Jurisdiction.DoesNotExist
        # The boundary can hold thousands of vertices; callers that need it load it themselves.
        return Jurisdiction.objects.defer("boundary").get(code=code)
    except Jurisdiction.DoesNotExist:
        known = ", ".join(Jurisdiction.objects.values_list("code", flat=True)) or "-"
        raise InvalidInput(
            _("Unknown jurisdiction %(code)r. Known jurisdictions: %(known)s.")
            % {"code": code, "known": known},
            code="unknown_jurisdiction",
        ) from None


@dataclass(frozen=True)
class DistrictRef:
    """A district as a lookup answers it: ids, codes and names, never the (large) shapes."""

    id: int
    code: str
    name_ar: str
    name_en: str
    jurisdiction_id: int
    jurisdiction_code: str
    jurisdiction_name_ar: str
    jurisdiction_name_en: str
    time_zone: str


# Hand-written because this is the hottest read of the system (every report, every venue search):
# the ORM's query building costs about 0.8 ms per call, four times the query itself (see
# docs/benchmarks.md). Parameterised; the two variants are fixed strings.
# A plain join (no IN-subquery) plans fastest; a point on the cut between two parts of one district
# matches both parts, so rows are de-duplicated by id afterwards.
_COVERING_SQL = """
    SELECT d.id, d.code, d.name_ar, d.name_en, j.id, j.code, j.name_ar, j.name_en, j.time_zone
    FROM core_districtpart p
    JOIN core_district d ON d.id = p.district_id
    JOIN core_jurisdiction j ON j.id = p.jurisdiction_id
    WHERE ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
    {jurisdiction_filter}
    ORDER BY j.code, d.code
"""
COVERING_DISTRICTS_SQL = _COVERING_SQL.format(jurisdiction_filter="")
COVERING_DISTRICTS_IN_JURISDICTION_SQL = _COVERING_SQL.format(jurisdiction_filter="AND j.code = %(code)s")


def covering_districts_query(
    point: Point | LonLat, *, jurisdiction_code: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the covering-districts lookup (exposed for EXPLAIN in tests)."""
    params: dict[str, Any] = {"lon": point.x, "lat": point.y}
    if jurisdiction_code is None:
        return COVERING_DISTRICTS_SQL, params
    return COVERING_DISTRICTS_IN_JURISDICTION_SQL, {**params, "code": jurisdiction_code}


# The lookup runs on every report and venue search, so each database session prepares it once
# (PREPARE ... / EXECUTE ...): planning the three-table join costs more than running it. Prepared
# statements are per session and survive a rollback; a transaction-pooling proxy (pgbouncer in
# transaction mode) does not keep them — set DB_PREPARED_LOOKUPS=0 there.
_PREPARED_NAMES = {
    COVERING_DISTRICTS_SQL: ("amanah_covering_districts", "float8, float8"),
    COVERING_DISTRICTS_IN_JURISDICTION_SQL: ("amanah_covering_districts_in", "float8, float8, text"),
}
_prepared_on: weakref.WeakSet[Any] = weakref.WeakSet()


def _execute_prepared(cursor: Any, sql: str, params: dict[str, Any]) -> None:
    name = _PREPARED_NAMES[sql][0]
    raw_connection = connection.connection
    if raw_connection not in _prepared_on:
        for statement, (statement_name, statement_types) in _PREPARED_NAMES.items():
            body = statement.replace("%(lon)s", "$1").replace("%(lat)s", "$2").replace("%(code)s", "$3")
            cursor.execute(f"PREPARE {statement_name} ({statement_types}) AS {body}")
        _prepared_on.add(raw_connection)
    arguments = [params["lon"], params["lat"]] + ([params["code"]] if "code" in params else [])
    placeholders = ", ".join(["%s"] * len(arguments))
    cursor.execute(f"EXECUTE {name} ({placeholders})", arguments)


def districts_covering_point(
    point: Point | LonLat, *, jurisdiction_code: str | None = None
) -> list[DistrictRef]:
    """Every district whose boundary covers the point, in the tie-break order.

    Tests the subdivided parts (GiST-indexed, few vertices each) rather than whole districts, and
    `covers` rather than `contains`, so a point exactly on a border or vertex is found too.
    Usually one district; two or more only on a shared border. One query.
    """
    sql, params = covering_districts_query(point, jurisdiction_code=jurisdiction_code)
    with connection.cursor() as cursor:
        if settings.DB_PREPARED_LOOKUPS:
            _execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [DistrictRef(*row) for row in dict.fromkeys(rows)]


@dataclass(frozen=True)
class DistrictMatch:
    district: DistrictRef
    # Other districts whose border the point lies on; empty for a point inside one district.
    on_border_with: tuple[DistrictRef, ...]


def district_for_point(point: Point | LonLat, *, jurisdiction_code: str | None = None) -> DistrictMatch:
    """The district a point belongs to: the routing rule every app uses.

    A point on a shared border (or a vertex shared by several districts) is covered by each of them;
    it goes to the first by (jurisdiction code, district code), so the same point always gets the
    same district, and the others are reported in `on_border_with`. Without a jurisdiction code,
    where jurisdictions overlap, the first jurisdiction by code answers.
    Raises InvalidInput for an unknown jurisdiction, OutsideDistricts when no district covers the point.
    """
    covering = districts_covering_point(point, jurisdiction_code=jurisdiction_code)
    if covering:
        chosen = covering[0]
        # Only neighbours share a border; districts of another (overlapping) jurisdiction do not.
        neighbours = tuple(d for d in covering[1:] if d.jurisdiction_id == chosen.jurisdiction_id)
        return DistrictMatch(district=chosen, on_border_with=neighbours)
    if jurisdiction_code is not None:
        jurisdiction = jurisdiction_by_code(jurisdiction_code)
        message = _("The location %(lat).6f, %(lon).6f is outside every district of %(jurisdiction)s.") % {
            "lat": point.y,
            "lon": point.x,
            "jurisdiction": jurisdiction.name_en,
        }
    else:
        message = _("The location %(lat).6f, %(lon).6f is outside every known district.") % {
            "lat": point.y,
            "lon": point.x,
        }
    raise OutsideDistricts(message)


_FEATURE_COLLECTION_SQL = """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature',
            'id', j.code || '/' || d.code,
            'geometry', ST_AsGeoJSON(d.geom, 6)::json,
            'properties', json_build_object(
                'code', d.code,
                'name_ar', d.name_ar,
                'name_en', d.name_en,
                'population', d.population,
                'jurisdiction', j.code
            )
        ) ORDER BY j.code, d.code), '[]'::json)
    )::text
    FROM core_district d
    JOIN core_jurisdiction j ON j.id = d.jurisdiction_id
    WHERE %(jurisdiction_id)s::bigint IS NULL OR d.jurisdiction_id = %(jurisdiction_id)s::bigint
"""


def districts_feature_collection(*, jurisdiction: Jurisdiction | None = None) -> bytes:
    """All districts (of one jurisdiction, or all) as a GeoJSON FeatureCollection built by PostGIS.

    One statement with json_agg: no per-feature Python serialisation.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _FEATURE_COLLECTION_SQL, {"jurisdiction_id": jurisdiction.pk if jurisdiction else None}
        )
        (document,) = cursor.fetchone()
    return document.encode()


@dataclass(frozen=True)
class DatabaseVersions:
    postgresql: str
    postgis: str


def database_versions() -> DatabaseVersions:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), postgis_lib_version()")
        postgresql, postgis = cursor.fetchone()
    return DatabaseVersions(postgresql=postgresql, postgis=postgis)


def point_for_place_name(jurisdiction_code: str, text: str) -> Point | None:
    """A point inside the district whose Arabic or English name (or code) is exactly `text`.

    The only geocoding the system does: an address that names a district can be routed without a
    map pin. Anything else returns None and the caller asks for coordinates.
    """
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_X(p), ST_Y(p) FROM (
                SELECT ST_PointOnSurface(d.geom) AS p
                FROM core_district d JOIN core_jurisdiction j ON j.id = d.jurisdiction_id
                WHERE j.code = %s AND %s IN (lower(d.name_en), lower(d.name_ar), lower(d.code))
                ORDER BY d.code LIMIT 1
            ) found
            """,
            [jurisdiction_code, wanted],
        )
        row = cursor.fetchone()
    return Point(row[0], row[1], srid=4326) if row else None

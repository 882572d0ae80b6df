"""Reads of the core app. Other apps call these; they never query core's tables themselves."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput, OutsideDistricts
from geo_services.core.models import District, Jurisdiction


def jurisdiction_by_code(code: str) -> Jurisdiction:
    try:
        return Jurisdiction.objects.get(code=code)
    except Jurisdiction.DoesNotExist:
        known = ", ".join(Jurisdiction.objects.values_list("code", flat=True)) or "-"
        raise InvalidInput(
            _("Unknown jurisdiction %(code)r. Known jurisdictions: %(known)s.")
            % {"code": code, "known": known},
            code="unknown_jurisdiction",
        ) from None


def districts_covering_point(point: Point, *, jurisdiction: Jurisdiction | None = None) -> list[District]:
    """Every district whose boundary covers the point, in the tie-break order.

    Tests the subdivided parts (GiST-indexed, few vertices each) rather than whole districts.
    `covers` rather than `contains`, so a point exactly on a border or vertex is found too.
    Usually one district; two or more only on a shared border.
    """
    queryset = (
        District.objects.filter(parts__geom__covers=point)
        .select_related("jurisdiction")
        .order_by("jurisdiction__code", "code")
        .distinct()
    )
    if jurisdiction is not None:
        queryset = queryset.filter(jurisdiction=jurisdiction)
    return list(queryset)


@dataclass(frozen=True)
class DistrictMatch:
    district: District
    # Other districts whose border the point lies on; empty for a point inside one district.
    on_border_with: tuple[District, ...]


def district_for_point(point: Point, *, jurisdiction: Jurisdiction | None = None) -> DistrictMatch:
    """The district a point belongs to: the routing rule every app uses.

    A point on a shared border (or a vertex shared by several districts) is covered by each of them;
    it goes to the first by (jurisdiction code, district code), so the same point always gets the
    same district, and the others are reported in `on_border_with`.
    """
    covering = districts_covering_point(point, jurisdiction=jurisdiction)
    if not covering:
        if jurisdiction is not None:
            message = _(
                "The location %(lat).6f, %(lon).6f is outside every district of %(jurisdiction)s."
            ) % {"lat": point.y, "lon": point.x, "jurisdiction": jurisdiction.name_en}
        else:
            message = _("The location %(lat).6f, %(lon).6f is outside every known district.") % {
                "lat": point.y,
                "lon": point.x,
            }
        raise OutsideDistricts(message)
    return DistrictMatch(district=covering[0], on_border_with=tuple(covering[1:]))


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

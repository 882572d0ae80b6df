"""Reads of initiatives: who may manage which, the public map, one initiative, shares of a shape.

What the public sees (anyone, signed in or not): what is built and where, its status, progress,
dates, measures, district, responsible department, partners, the number of volunteers, and the
progress history (percent, note, day, photo). What only staff see: the budget (internal until the
council publishes it) and who wrote each progress update (personal data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Prefetch, QuerySet

from geo_services.core.models import District, StaffMember
from geo_services.core.roles import Role, roles_of
from geo_services.initiatives.models import Initiative, InitiativeDistrictShare, Partner, ProgressUpdate

# --- Who may do what --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The initiatives a person may change: everything, or those of one jurisdiction, possibly only of
    one department (dispatchers) and only in some districts (a staff member's districts)."""

    everything: bool = False
    jurisdiction_id: int | None = None
    department_id: int | None = None
    district_ids: tuple[int, ...] = ()

    def covers(self, *, jurisdiction_id: int, department_id: int, district_id: int | None) -> bool:
        if self.everything:
            return True
        if self.jurisdiction_id is None or self.jurisdiction_id != jurisdiction_id:
            return False
        if self.department_id is not None and self.department_id != department_id:
            return False
        return not self.district_ids or district_id in self.district_ids

    @property
    def is_empty(self) -> bool:
        return not self.everything and self.jurisdiction_id is None


NOTHING = Scope()


def staff_member(user: User | AnonymousUser) -> StaffMember | None:
    if not user.is_authenticated:
        return None
    return (
        StaffMember.objects.defer("jurisdiction__boundary")
        .prefetch_related(Prefetch("districts", queryset=District.objects.only("id", "jurisdiction_id")))
        .filter(user=user)
        .first()
    )


def management_scope(user: User | AnonymousUser) -> Scope:
    """Create and change initiatives: administrators everywhere; planners in their jurisdiction (and
    districts, when their staff record names some); dispatchers only for their own department."""
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return Scope(everything=True)
    if not roles & {Role.PLANNER, Role.DISPATCHER}:
        return NOTHING
    member = staff_member(user)
    if member is None:
        return NOTHING
    districts = tuple(sorted(d.pk for d in member.districts.all()))
    if Role.PLANNER in roles:
        return Scope(jurisdiction_id=member.jurisdiction_id, district_ids=districts)
    if member.department_id is None:
        return NOTHING
    return Scope(
        jurisdiction_id=member.jurisdiction_id, department_id=member.department_id, district_ids=districts
    )


def progress_scope(user: User | AnonymousUser) -> Scope:
    """Report progress: whoever may manage the initiative, and inspectors of its jurisdiction (in their
    districts, when their staff record names some), whatever the department."""
    scope = management_scope(user)
    if not scope.is_empty or Role.INSPECTOR not in roles_of(user):
        return scope
    member = staff_member(user)
    if member is None:
        return NOTHING
    return Scope(
        jurisdiction_id=member.jurisdiction_id,
        district_ids=tuple(sorted(d.pk for d in member.districts.all())),
    )


def sees_budget(user: User | AnonymousUser, initiative: Initiative) -> bool:
    """Budgets are internal: shown to those who may manage initiatives of that jurisdiction."""
    scope = management_scope(user)
    return scope.everything or scope.jurisdiction_id == initiative.jurisdiction_id


# --- The shape's place ------------------------------------------------------------------------------


def district_shares_of_shape(jurisdiction_id: int, shape: GEOSGeometry) -> list[tuple[int, float]]:
    """(district id, share) of a shape in each district, by the rule the database keeps (see models)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT district_id, share FROM initiatives_district_shares(%s, ST_GeomFromEWKB(%s))"
            " ORDER BY share DESC, district_id",
            [jurisdiction_id, bytes(shape.ewkb)],
        )
        return [(district_id, share) for district_id, share in cursor.fetchall()]


# --- Reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFilters:
    jurisdiction_id: int
    kinds: Sequence[str] = ()
    feature_types: Sequence[str] = ()
    statuses: Sequence[str] = ()
    district_codes: Sequence[str] = ()


_FEATURES_SQL = """
SELECT COALESCE(json_agg(json_build_object(
    'type', 'Feature',
    'id', i.id,
    'geometry', ST_AsGeoJSON(i.geom, 7)::json,
    'properties', json_build_object(
        'code', i.code,
        'kind', i.kind,
        'feature_type', i.feature_type,
        'name_ar', i.name_ar,
        'name_en', i.name_en,
        'status', i.status,
        'progress_percent', i.progress_percent,
        'planned_start', i.planned_start,
        'planned_end', i.planned_end,
        'actual_start', i.actual_start,
        'actual_end', i.actual_end,
        'length_m', round(i.length_m::numeric, 2),
        'area_m2', round(i.area_m2::numeric, 1),
        'district', d.code,
        'department', dep.code,
        'volunteers_count', i.volunteers_count
    )
) ORDER BY i.id), '[]')::text
FROM (
    SELECT * FROM initiatives_initiative
    WHERE {where}
    ORDER BY id LIMIT %(limit)s OFFSET %(offset)s
) i
JOIN core_district d ON d.id = i.district_id
JOIN core_department dep ON dep.id = i.department_id
"""


def initiatives_feature_collection(filters: MapFilters, *, limit: int, offset: int = 0) -> bytes:
    """The public map of a jurisdiction's initiatives as a GeoJSON FeatureCollection, built by PostGIS."""
    conditions = ["jurisdiction_id = %(jurisdiction)s"]
    params: dict[str, Any] = {"jurisdiction": filters.jurisdiction_id, "limit": limit, "offset": offset}
    if filters.kinds:
        conditions.append("kind = ANY(%(kinds)s)")
        params["kinds"] = list(filters.kinds)
    if filters.feature_types:
        conditions.append("feature_type = ANY(%(feature_types)s)")
        params["feature_types"] = list(filters.feature_types)
    if filters.statuses:
        conditions.append("status = ANY(%(statuses)s)")
        params["statuses"] = list(filters.statuses)
    if filters.district_codes:
        # An initiative belongs to every district it has a share in, not only its main one.
        conditions.append(
            "id IN (SELECT s.initiative_id FROM initiatives_initiativedistrictshare s"
            " JOIN core_district sd ON sd.id = s.district_id"
            " WHERE sd.jurisdiction_id = %(jurisdiction)s AND sd.code = ANY(%(districts)s))"
        )
        params["districts"] = list(filters.district_codes)
    sql = _FEATURES_SQL.format(where=" AND ".join(conditions))  # fixed fragments; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        features = cursor.fetchone()[0]
    return ('{"type":"FeatureCollection","features":' + features + "}").encode()


def initiative_for_display(initiative_id: int) -> Initiative | None:
    return (
        Initiative.objects.select_related("jurisdiction", "district", "department")
        .defer("jurisdiction__boundary", "district__geom")
        .prefetch_related(
            "partners",
            Prefetch(
                "district_shares",
                queryset=InitiativeDistrictShare.objects.select_related("district").defer("district__geom"),
            ),
        )
        .filter(pk=initiative_id)
        .first()
    )


def progress_history(initiative_id: int) -> list[ProgressUpdate]:
    return list(ProgressUpdate.objects.select_related("author").filter(initiative_id=initiative_id))


def progress_update(initiative_id: int, update_id: int) -> ProgressUpdate | None:
    return ProgressUpdate.objects.filter(initiative_id=initiative_id, pk=update_id).first()


def partners_of_jurisdiction(jurisdiction_id: int, partner_ids: Sequence[int]) -> QuerySet[Partner]:
    return Partner.objects.filter(jurisdiction_id=jurisdiction_id, pk__in=partner_ids)

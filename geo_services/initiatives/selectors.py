"""Reads of initiatives: who may manage which, the public map, one initiative, shares of a shape;
partners and their coverage, residents' proposals, work days and their volunteers.

What the public sees (anyone, signed in or not): what is built and where, its status, progress,
dates, measures, district, responsible department, partners, the number of volunteers, and the
progress history (percent, note, day, photo). What only staff see: the budget (internal until the
council publishes it) and who wrote each progress update (personal data).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet

from geo_services.core.models import District, Jurisdiction, StaffMember
from geo_services.core.roles import Role, roles_of
from geo_services.initiatives.models import (
    Initiative,
    InitiativeDistrictShare,
    Partner,
    ProgressUpdate,
    Proposal,
    ProposalStatusChange,
    ProposalSupport,
    ServiceKind,
    VolunteerSignup,
    WorkDay,
)

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
    return _staff_scope(user)


def _staff_scope(user: User | AnonymousUser) -> Scope:
    """The jurisdiction and districts of the person's staff record; nothing without one."""
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


# --- Partners and coverage ----------------------------------------------------------------------------
#
# Public: a partner's kind, names, services and the districts and areas it serves. Staff only: its
# contact (a person's name, e-mail and phone).


def decision_scope(user: User | AnonymousUser) -> Scope:
    """Register partners and decide on residents' proposals: administrators everywhere, planners in
    their jurisdiction (and districts, when their staff record names some)."""
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return Scope(everything=True)
    if Role.PLANNER not in roles:
        return NOTHING
    return _staff_scope(user)


def sees_contacts(user: User | AnonymousUser, jurisdiction_id: int) -> bool:
    """Partners' contacts and volunteers' names: administrators, and staff of the jurisdiction."""
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return True
    if not roles & {Role.PLANNER, Role.DISPATCHER, Role.INSPECTOR}:
        return False
    member = staff_member(user)
    return member is not None and member.jurisdiction_id == jurisdiction_id


def service_kinds() -> list[ServiceKind]:
    return list(ServiceKind.objects.all())


def has_district(jurisdiction_id: int, code: str) -> bool:
    return District.objects.filter(jurisdiction_id=jurisdiction_id, code=code).exists()


def service_kind_ids(codes: Sequence[str]) -> dict[str, int]:
    return dict(ServiceKind.objects.filter(code__in=codes).values_list("code", "id"))


_PARTNERS_SQL = """
WITH served AS MATERIALIZED (
    SELECT * FROM initiatives_partner_served_districts(%(jurisdiction)s)
)
SELECT COALESCE(jsonb_agg(
    jsonb_build_object(
        'id', p.id,
        'kind', p.kind,
        'name_ar', p.name_ar,
        'name_en', p.name_en,
        'active', p.active,
        'services', (
            SELECT COALESCE(jsonb_agg(jsonb_build_object(
                'code', s.code, 'name_ar', s.name_ar, 'name_en', s.name_en) ORDER BY s.code), '[]')
            FROM initiatives_partner_services ps JOIN initiatives_servicekind s ON s.id = ps.servicekind_id
            WHERE ps.partner_id = p.id
        ),
        'districts', (
            SELECT COALESCE(jsonb_agg(jsonb_build_object(
                'code', d.code, 'name_ar', d.name_ar, 'name_en', d.name_en,
                'whole_district', sd.whole_district, 'by_area', sd.by_area) ORDER BY d.code), '[]')
            FROM served sd JOIN core_district d ON d.id = sd.district_id
            WHERE sd.partner_id = p.id
        ),
        'served_area', ST_AsGeoJSON(p.served_area, 6)::jsonb
    ) || CASE WHEN %(contacts)s THEN jsonb_build_object('contact', jsonb_build_object(
        'name', p.contact_name, 'email', p.contact_email, 'phone', p.contact_phone)) ELSE '{}' END
    ORDER BY p.name_en, p.id), '[]')::text
FROM initiatives_partner p
WHERE p.jurisdiction_id = %(jurisdiction)s
  AND (%(service)s::text IS NULL OR EXISTS (
        SELECT 1 FROM initiatives_partner_services ps JOIN initiatives_servicekind s ON s.id = ps.servicekind_id
        WHERE ps.partner_id = p.id AND s.code = %(service)s))
  AND (%(district)s::text IS NULL OR EXISTS (
        SELECT 1 FROM served sd JOIN core_district d ON d.id = sd.district_id
        WHERE sd.partner_id = p.id AND d.code = %(district)s))
"""


def partners_document(
    jurisdiction_id: int, *, service_code: str | None, district_code: str | None, with_contacts: bool
) -> str:
    """The partners of a jurisdiction as a JSON array (text) built by PostGIS: what each provides,
    the districts it serves (named whole, or reached by its drawn area) and that area; the contact
    only `with_contacts`. Optionally only those providing a service / serving a district."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PARTNERS_SQL,
            {
                "jurisdiction": jurisdiction_id,
                "service": service_code,
                "district": district_code,
                "contacts": with_contacts,
            },
        )
        return str(cursor.fetchone()[0])


@dataclass(frozen=True)
class CoverageCell:
    """Who provides one service in one district; no partner at all is a gap."""

    district_code: str
    district_name_ar: str
    district_name_en: str
    service_code: str
    service_name_ar: str
    service_name_en: str
    partners: list[dict[str, Any]]

    @property
    def is_gap(self) -> bool:
        return not self.partners


# Every district of the jurisdiction crossed with every service kind, then the active partners
# providing that service and serving that district (named whole or reached by a drawn area) joined
# on: a cell without partners is a gap. Partners of other jurisdictions never enter.
_COVERAGE_SQL = """
WITH served AS MATERIALIZED (
    SELECT sd.partner_id, sd.district_id
    FROM initiatives_partner_served_districts(%(jurisdiction)s) sd
    JOIN initiatives_partner p ON p.id = sd.partner_id
    WHERE p.active
)
SELECT d.code, d.name_ar, d.name_en, s.code, s.name_ar, s.name_en,
       COALESCE(json_agg(json_build_object('id', p.id, 'kind', p.kind, 'name_ar', p.name_ar, 'name_en', p.name_en)
                         ORDER BY p.name_en, p.id) FILTER (WHERE p.id IS NOT NULL), '[]')
FROM core_district d
CROSS JOIN initiatives_servicekind s
LEFT JOIN (
    served
    JOIN initiatives_partner_services ps ON ps.partner_id = served.partner_id
    JOIN initiatives_partner p ON p.id = served.partner_id
) ON served.district_id = d.id AND ps.servicekind_id = s.id
WHERE d.jurisdiction_id = %(jurisdiction)s AND (%(service)s::text IS NULL OR s.code = %(service)s)
GROUP BY d.id, s.id
ORDER BY d.code, s.code
"""


def coverage(jurisdiction_id: int, *, service_code: str | None = None) -> list[CoverageCell]:
    """Per district and service (one service, or all), the active partners there; one query."""
    with connection.cursor() as cursor:
        cursor.execute(_COVERAGE_SQL, {"jurisdiction": jurisdiction_id, "service": service_code})
        rows = cursor.fetchall()
    return [
        CoverageCell(
            district_code=row[0],
            district_name_ar=row[1],
            district_name_en=row[2],
            service_code=row[3],
            service_name_ar=row[4],
            service_name_en=row[5],
            partners=json.loads(row[6]) if isinstance(row[6], str) else row[6],
        )
        for row in rows
    ]


# --- Residents' proposals ---------------------------------------------------------------------------
#
# Public: what is proposed and where, its status, the number of supporters, the decision and its
# reason. Never public: who proposed or supported it (a signed-in resident learns only whether they
# themselves did).


_PROPOSALS_SQL = """
SELECT COALESCE(json_agg(json_build_object(
    'type', 'Feature',
    'id', p.id,
    'geometry', ST_AsGeoJSON(p.geom, 7)::json,
    'properties', json_build_object(
        'title', p.title,
        'description', p.description,
        'status', p.status,
        'supporters_count', p.supporters_count,
        'district', d.code,
        'district_name_ar', d.name_ar,
        'district_name_en', d.name_en,
        'thumbnail_url', CASE WHEN p.photo <> '' THEN replace(%(thumbnail)s, '{id}', p.id::text) END,
        'initiative', p.initiative_id,
        'decision_reason', p.decision_reason,
        'decided_at', p.decided_at,
        'created_at', p.created_at,
        'supported_by_me', EXISTS (
            SELECT 1 FROM initiatives_proposalsupport s WHERE s.proposal_id = p.id AND s.user_id = %(user)s),
        'proposed_by_me', p.proposer_id IS NOT DISTINCT FROM %(user)s AND %(user)s IS NOT NULL
    )
) ORDER BY p.created_at DESC, p.id DESC), '[]')::text
FROM (
    SELECT * FROM initiatives_proposal
    WHERE jurisdiction_id = %(jurisdiction)s AND (%(status)s::text IS NULL OR status = %(status)s)
    ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s
) p
JOIN core_district d ON d.id = p.district_id
"""


def proposals_feature_collection(
    jurisdiction: Jurisdiction,
    *,
    viewer_id: int | None,
    status: str | None,
    limit: int,
    offset: int = 0,
    thumbnail_url: str = "",
) -> bytes:
    """The jurisdiction's proposals as a GeoJSON FeatureCollection built by PostGIS, times in its zone.
    `thumbnail_url` is the address of a photo's thumbnail with `{id}` for the proposal's id."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Timestamps come out of json_build_object in the session's zone, with its offset.
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [jurisdiction.time_zone])
        cursor.execute(
            _PROPOSALS_SQL,
            {
                "jurisdiction": jurisdiction.pk,
                "user": viewer_id,
                "status": status,
                "limit": limit,
                "offset": offset,
                "thumbnail": thumbnail_url,
            },
        )
        features = cursor.fetchone()[0]
    return ('{"type":"FeatureCollection","features":' + features + "}").encode()


def proposal_for_display(proposal_id: int) -> Proposal | None:
    return (
        Proposal.objects.select_related("jurisdiction", "district")
        .defer("jurisdiction__boundary", "district__geom")
        .prefetch_related(
            Prefetch("status_changes", queryset=ProposalStatusChange.objects.select_related("changed_by"))
        )
        .filter(pk=proposal_id)
        .first()
    )


def has_supported(proposal_id: int, user: User | AnonymousUser) -> bool:
    return (
        user.is_authenticated and ProposalSupport.objects.filter(proposal_id=proposal_id, user=user).exists()
    )


# --- Work days and volunteers -----------------------------------------------------------------------


def initiative_exists(initiative_id: int) -> Initiative | None:
    return (
        Initiative.objects.select_related("jurisdiction")
        .defer("jurisdiction__boundary", "geom")
        .filter(pk=initiative_id)
        .first()
    )


def work_days_of_initiative(initiative_id: int) -> list[WorkDay]:
    return list(WorkDay.objects.filter(initiative_id=initiative_id))


def work_days_signed_up(user: User | AnonymousUser, work_day_ids: Sequence[int]) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        VolunteerSignup.objects.filter(user=user, work_day_id__in=work_day_ids).values_list(
            "work_day_id", flat=True
        )
    )


def work_day_for_display(work_day_id: int) -> WorkDay | None:
    return (
        WorkDay.objects.select_related("initiative", "jurisdiction")
        .defer("jurisdiction__boundary", "initiative__geom")
        .filter(pk=work_day_id)
        .first()
    )


def volunteers_of_work_day(work_day_id: int) -> list[VolunteerSignup]:
    return list(VolunteerSignup.objects.select_related("user").filter(work_day_id=work_day_id))

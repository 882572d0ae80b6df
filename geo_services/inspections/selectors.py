"""Reads of the inspections app: who sees which jobs, the jobs layer (GeoJSON built by PostGIS), the
inspector's day in visiting order, the supervisor's overview, stored inspections and photos.

What a person sees: an administrator everything; a dispatcher the jobs of their jurisdiction in their
districts (every district when none are set); an inspector their own jobs. `overdue` is never stored:
a job is overdue while it is still assigned after its due date, by the jurisdiction's local calendar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from geo_services.core.errors import Forbidden
from geo_services.core.models import District, Jurisdiction, StaffMember
from geo_services.core.roles import Role, roles_of
from geo_services.inspections.models import (
    ChecklistTemplate,
    Inspection,
    InspectionJob,
    InspectionPhoto,
    JobStatus,
    TemplateVersion,
)
from geo_services.inspections.visiting_order import Stop, visiting_order

_LARGE_SHAPES = ("district__geom", "jurisdiction__boundary")


def staff_member(user: User | AnonymousUser) -> StaffMember | None:
    if not user.is_authenticated:
        return None
    return (
        StaffMember.objects.select_related("jurisdiction")
        .defer("jurisdiction__boundary")
        .prefetch_related(Prefetch("districts", queryset=District.objects.only("id", "jurisdiction_id")))
        .filter(user=user)
        .first()
    )


# --- Scope ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The jobs a person may see, as a filter for the ORM and for hand-written SQL."""

    everything: bool = False
    jurisdiction_id: int | None = None  # a dispatcher's jurisdiction
    district_ids: tuple[int, ...] = ()  # … limited to these districts (none: all of them)
    inspector_id: int | None = None  # an inspector's own jobs

    def q(self) -> Q:
        if self.everything:
            return Q()
        visible = Q(pk__in=[])
        if self.jurisdiction_id is not None:
            dispatch = Q(jurisdiction_id=self.jurisdiction_id)
            if self.district_ids:
                dispatch &= Q(district_id__in=self.district_ids)
            visible |= dispatch
        if self.inspector_id is not None:
            visible |= Q(inspector_id=self.inspector_id)
        return visible

    def sql(self, alias: str) -> tuple[str, dict[str, Any]]:
        if self.everything:
            return "TRUE", {}
        parts: list[str] = []
        params: dict[str, Any] = {}
        if self.jurisdiction_id is not None:
            part = f"{alias}.jurisdiction_id = %(scope_jurisdiction)s"
            params["scope_jurisdiction"] = self.jurisdiction_id
            if self.district_ids:
                part += f" AND {alias}.district_id = ANY(%(scope_districts)s)"
                params["scope_districts"] = list(self.district_ids)
            parts.append(f"({part})")
        if self.inspector_id is not None:
            parts.append(f"{alias}.inspector_id = %(scope_inspector)s")
            params["scope_inspector"] = self.inspector_id
        return (" OR ".join(parts) or "FALSE"), params

    def covers(self, *, jurisdiction_id: int, district_id: int) -> bool:
        if self.everything:
            return True
        if self.jurisdiction_id != jurisdiction_id:
            return False
        return not self.district_ids or district_id in self.district_ids


def scope_of(user: User | AnonymousUser, *, staff_only: bool = False) -> Scope:
    """What `user` may see; with staff_only, leave out an inspector's own jobs (for managing jobs)."""
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return Scope(everything=True)
    jurisdiction_id: int | None = None
    district_ids: tuple[int, ...] = ()
    if Role.DISPATCHER in roles:
        member = staff_member(user)
        if member is not None:
            jurisdiction_id = member.jurisdiction_id
            district_ids = tuple(sorted(d.pk for d in member.districts.all()))
    inspector_id = user.pk if Role.INSPECTOR in roles and not staff_only else None
    return Scope(jurisdiction_id=jurisdiction_id, district_ids=district_ids, inspector_id=inspector_id)


def jobs_visible_to(user: User | AnonymousUser, *, staff_only: bool = False) -> QuerySet[InspectionJob]:
    return (
        InspectionJob.objects.select_related("jurisdiction", "template_version__template", "inspector")
        .defer("jurisdiction__boundary")
        .filter(scope_of(user, staff_only=staff_only).q())
    )


def require_district_in_scope(user: User | AnonymousUser, jurisdiction_id: int, district_id: int) -> None:
    """Forbidden unless `user` manages jobs in this district."""
    if not scope_of(user, staff_only=True).covers(jurisdiction_id=jurisdiction_id, district_id=district_id):
        district = District.objects.only("code", "name_en").get(pk=district_id)
        raise Forbidden(
            _("The target lies in %(district)s, outside the districts you manage.")
            % {"district": district.name_en},
            code="outside_your_districts",
        )


# --- Single records for the services ----------------------------------------------------------------


def open_followup_job(request_id: int, *, lock: bool = False) -> InspectionJob | None:
    jobs = InspectionJob.objects.select_related("inspector", "template_version__template").filter(
        service_request_id=request_id, status=JobStatus.ASSIGNED
    )
    if lock:
        jobs = jobs.select_for_update(of=("self",))
    return jobs.order_by("-id").first()


def own_job_for_update(user: User, job_id: int) -> InspectionJob | None:
    """The inspector's own job, locked, with its checklist version."""
    return (
        InspectionJob.objects.select_related("template_version__template")
        .select_for_update(of=("self",))
        .filter(pk=job_id, inspector=user)
        .first()
    )


def job_has_inspection(job_id: int) -> bool:
    return Inspection.objects.filter(job_id=job_id).exists()


def _inspections() -> QuerySet[Inspection]:
    return (
        Inspection.objects.select_related("template_version__template", "jurisdiction", "inspector")
        .defer("jurisdiction__boundary")
        .prefetch_related(Prefetch("photos", queryset=InspectionPhoto.objects.order_by("id")))
    )


def inspection_by_uuid(inspection_uuid: str) -> Inspection | None:
    return _inspections().filter(uuid=inspection_uuid).first()


def inspection_visible_to(user: User | AnonymousUser, inspection_uuid: str) -> Inspection | None:
    """The inspection if `user` may see its job (the inspector their own; staff in scope)."""
    visible_jobs = InspectionJob.objects.filter(scope_of(user).q()).values("pk")
    return _inspections().filter(uuid=inspection_uuid, job__in=visible_jobs).first()


def declared_photo(user: User, inspection_uuid: str, photo_uuid: str) -> InspectionPhoto | None:
    """A photo the user's own inspection declared (whether or not it has arrived)."""
    return (
        InspectionPhoto.objects.select_related(
            "inspection__template_version__template", "inspection__jurisdiction"
        )
        .defer("inspection__jurisdiction__boundary")
        .filter(inspection__uuid=inspection_uuid, inspection__inspector=user, uuid=photo_uuid)
        .first()
    )


def photo_visible_to(
    user: User | AnonymousUser, inspection_uuid: str, photo_uuid: str
) -> InspectionPhoto | None:
    inspection = inspection_visible_to(user, inspection_uuid)
    if inspection is None:
        return None
    return next((p for p in inspection.photos.all() if str(p.uuid) == photo_uuid and p.received_at), None)


def missing_photos(inspection_id: int) -> list[str]:
    return [
        str(u)
        for u in InspectionPhoto.objects.filter(inspection_id=inspection_id, received_at__isnull=True)
        .order_by("id")
        .values_list("uuid", flat=True)
    ]


def latest_versions(user: User | AnonymousUser) -> list[TemplateVersion]:
    """The latest version of each active template in the user's jurisdiction (all for an administrator)."""
    templates = ChecklistTemplate.objects.filter(active=True)
    if Role.ADMIN not in roles_of(user):
        member = staff_member(user)
        if member is None:
            return []
        templates = templates.filter(jurisdiction_id=member.jurisdiction_id)
    versions = (
        TemplateVersion.objects.filter(template__in=templates, published=True)
        .select_related("template")
        .order_by("template_id", "-number")
        .distinct("template_id")
    )
    return sorted(versions, key=lambda v: (v.template.jurisdiction_id, v.template.code))


# --- The jobs layer, built by PostGIS ---------------------------------------------------------------

_OVERDUE = "(j.status = 'assigned' AND j.due_date < (now() AT TIME ZONE jur.time_zone)::date)"

# One feature per job; the ORDER BY/LIMIT run before json_agg so a page costs only its rows.
_JOB_FEATURES = """
    SELECT j.id, j.due_date, j.template_version_id, json_build_object(
        'type', 'Feature',
        'id', j.id,
        'geometry', ST_AsGeoJSON(j.target_location, 7)::json,
        'properties', json_build_object(
            'id', j.id,
            'status', j.status,
            'due_date', j.due_date,
            'overdue', {overdue},
            'template', json_build_object(
                'code', t.code, 'kind', t.kind, 'name_ar', t.name_ar, 'name_en', t.name_en, 'version', v.number
            ),
            'inspector', json_build_object(
                'id', u.id, 'username', u.username, 'full_name', trim(u.first_name || ' ' || u.last_name)
            ),
            'target', json_build_object(
                'kind', j.target_kind, 'id', j.target_id, 'label', j.target_label,
                'location', ST_AsGeoJSON(j.target_location, 7)::json
            ),
            'district', json_build_object('code', d.code, 'name_ar', d.name_ar, 'name_en', d.name_en),
            'service_request', j.service_request_id,
            'created_at', inspections_local_iso(j.created_at, jur.time_zone),
            'done_at', inspections_local_iso(j.done_at, jur.time_zone),
            'cancelled_at', inspections_local_iso(j.cancelled_at, jur.time_zone),
            'cancel_reason', j.cancel_reason,
            'result', CASE WHEN i.id IS NULL THEN NULL ELSE json_build_object(
                'inspection', i.uuid,
                'score', i.score,
                'passed', i.passed,
                'failed_critical', i.failed_critical,
                'flags', i.flags,
                'complete', i.completed_at IS NOT NULL,
                'received_at', inspections_local_iso(i.received_at, jur.time_zone)
            ) END
        )
    ) AS feature
    FROM inspections_inspectionjob j
    JOIN core_jurisdiction jur ON jur.id = j.jurisdiction_id
    JOIN inspections_templateversion v ON v.id = j.template_version_id
    JOIN inspections_checklisttemplate t ON t.id = v.template_id
    JOIN auth_user u ON u.id = j.inspector_id
    JOIN core_district d ON d.id = j.district_id
    LEFT JOIN inspections_inspection i ON i.job_id = j.id
    WHERE ({scope}) AND {filters}
    ORDER BY j.due_date, j.id
    LIMIT %(limit)s OFFSET %(offset)s
"""

_FEATURE_COLLECTION = """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', COALESCE(json_agg(f.feature ORDER BY f.due_date, f.id), '[]'::json)
    )::text
    FROM ({features}) f
"""


@dataclass(frozen=True)
class JobFilters:
    due_date: date | None = None
    statuses: tuple[str, ...] = ()
    inspector_id: int | None = None
    district_codes: tuple[str, ...] = ()
    overdue: bool | None = None
    service_request_id: int | None = None
    job_id: int | None = None
    jurisdiction_id: int | None = None
    # Open jobs due today or before, by each job's jurisdiction's calendar (an inspector's day).
    due_by_today: bool = False

    def sql(self) -> tuple[str, dict[str, Any]]:
        conditions = ["TRUE"]
        params: dict[str, Any] = {}
        if self.due_date is not None:
            conditions.append("j.due_date = %(due_date)s")
            params["due_date"] = self.due_date
        if self.statuses:
            conditions.append("j.status = ANY(%(statuses)s)")
            params["statuses"] = list(self.statuses)
        if self.inspector_id is not None:
            conditions.append("j.inspector_id = %(inspector)s")
            params["inspector"] = self.inspector_id
        if self.district_codes:
            conditions.append("d.code = ANY(%(districts)s)")
            params["districts"] = list(self.district_codes)
        if self.overdue is not None:
            conditions.append(f"{_OVERDUE} = %(overdue)s")
            params["overdue"] = self.overdue
        if self.service_request_id is not None:
            conditions.append("j.service_request_id = %(service_request)s")
            params["service_request"] = self.service_request_id
        if self.job_id is not None:
            conditions.append("j.id = %(job)s")
            params["job"] = self.job_id
        if self.jurisdiction_id is not None:
            conditions.append("j.jurisdiction_id = %(jurisdiction)s")
            params["jurisdiction"] = self.jurisdiction_id
        if self.due_by_today:
            conditions.append(
                "j.status = 'assigned' AND j.due_date <= (now() AT TIME ZONE jur.time_zone)::date"
            )
        return " AND ".join(conditions), params


def _features_sql(
    scope: Scope, filters: JobFilters, *, limit: int, offset: int
) -> tuple[str, dict[str, Any]]:
    scope_sql, scope_params = scope.sql("j")
    filter_sql, filter_params = filters.sql()
    # Only fixed fragments are formatted in; every value travels as a parameter.
    sql = _JOB_FEATURES.format(overdue=_OVERDUE, scope=scope_sql, filters=filter_sql)
    return sql, {**scope_params, **filter_params, "limit": limit, "offset": offset}


def jobs_feature_collection(scope: Scope, filters: JobFilters, *, limit: int, offset: int = 0) -> bytes:
    """The jobs as a GeoJSON FeatureCollection, built by PostGIS in one statement (json_agg +
    ST_AsGeoJSON), ordered by due date then id."""
    features, params = _features_sql(scope, filters, limit=limit, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(_FEATURE_COLLECTION.format(features=features), params)
        (document,) = cursor.fetchone()
    return document.encode()


def job_feature(scope: Scope, job_id: int) -> dict[str, Any] | None:
    document = json.loads(jobs_feature_collection(scope, JobFilters(job_id=job_id), limit=1))
    features = document["features"]
    return features[0] if features else None


# --- The inspector's day ----------------------------------------------------------------------------

_TEMPLATES_SQL = """
    SELECT COALESCE(json_agg(json_build_object(
        'code', t.code, 'kind', t.kind, 'name_ar', t.name_ar, 'name_en', t.name_en,
        'version', v.number,
        'min_gps_accuracy_m', v.min_gps_accuracy_m,
        'max_distance_m', v.max_distance_m,
        'pass_score', v.pass_score,
        'items', (
            SELECT json_agg(json_build_object(
                'key', ci.key, 'type', ci.type, 'label_ar', ci.label_ar, 'label_en', ci.label_en,
                'weight', ci.weight, 'critical', ci.critical, 'required', ci.required,
                'max_score', ci.max_score, 'min_value', ci.min_value, 'max_value', ci.max_value,
                'choices', ci.choices
            ) ORDER BY ci.position)
            FROM inspections_checklistitem ci WHERE ci.version_id = v.id
        )
    ) ORDER BY t.code, v.number), '[]'::json)::text
    FROM inspections_templateversion v
    JOIN inspections_checklisttemplate t ON t.id = v.template_id
    WHERE v.id = ANY(%(versions)s)
"""

# The day's jobs with their checklist version ids, and the date and zone of the inspector's jurisdiction
# (their staff record's; else the default jurisdiction's).
_DAY_SQL = """
    WITH zone AS (
        SELECT COALESCE(
            (SELECT jur.time_zone FROM core_staffmember s JOIN core_jurisdiction jur ON jur.id = s.jurisdiction_id
             WHERE s.user_id = %(scope_inspector)s),
            (SELECT time_zone FROM core_jurisdiction WHERE code = %(default_jurisdiction)s),
            %(fallback_zone)s
        ) AS time_zone
    )
    SELECT (now() AT TIME ZONE zone.time_zone)::date, zone.time_zone,
           COALESCE(json_agg(f.feature ORDER BY f.due_date, f.id) FILTER (WHERE f.id IS NOT NULL), '[]'::json)::text,
           COALESCE(array_agg(DISTINCT f.template_version_id) FILTER (WHERE f.id IS NOT NULL), '{{}}')
    FROM zone
    LEFT JOIN ({features}) f ON TRUE
    GROUP BY zone.time_zone
"""

# A generous cap: a day's work is a few dozen jobs; the route is computed over what is returned.
MAX_DAY_JOBS = 300


@dataclass(frozen=True)
class Day:
    date: date
    time_zone: str
    start: tuple[float, float] | None
    total_distance_m: float
    jobs: dict[str, Any]  # a FeatureCollection in visiting order
    templates: list[dict[str, Any]]
    # True when more than MAX_DAY_JOBS jobs are due: the list holds the MAX_DAY_JOBS most urgent.
    more_jobs: bool = False


def inspector_day(inspector: User, *, start: tuple[float, float] | None) -> Day:
    """The inspector's open jobs due today or overdue, in visiting order from `start` (lon, lat), with
    every checklist version they use. Two queries whatever the number of jobs."""
    scope = Scope(inspector_id=inspector.pk)
    # One more than the cap, to tell the tablet that jobs were left out rather than drop them silently.
    features, params = _features_sql(scope, JobFilters(due_by_today=True), limit=MAX_DAY_JOBS + 1, offset=0)
    with connection.cursor() as cursor:
        cursor.execute(
            _DAY_SQL.format(features=features),
            {
                **params,
                "default_jurisdiction": settings.AMANAH_DEFAULT_JURISDICTION,
                "fallback_zone": settings.TIME_ZONE,
            },
        )
        today, time_zone, features_json, version_ids = cursor.fetchone()
        templates: list[dict[str, Any]] = []
        if version_ids:
            cursor.execute(_TEMPLATES_SQL, {"versions": list(version_ids)})
            templates = json.loads(cursor.fetchone()[0])
    listed = json.loads(features_json)
    more_jobs = len(listed) > MAX_DAY_JOBS
    found = {feature["id"]: feature for feature in listed[:MAX_DAY_JOBS]}
    route = visiting_order(
        start,
        [
            Stop(key=i, lon=f["geometry"]["coordinates"][0], lat=f["geometry"]["coordinates"][1])
            for i, f in found.items()
        ],
    )
    ordered = []
    for visit, (job_id, leg) in enumerate(zip(route.order, route.legs_m, strict=True), start=1):
        feature = found[job_id]
        feature["properties"]["visit"] = visit
        feature["properties"]["leg_distance_m"] = round(leg, 1)
        ordered.append(feature)
    return Day(
        date=today,
        time_zone=time_zone,
        start=start,
        total_distance_m=round(route.total_m, 1),
        jobs={"type": "FeatureCollection", "features": ordered},
        templates=templates,
        more_jobs=more_jobs,
    )


# --- The supervisor's overview ----------------------------------------------------------------------

_OVERVIEW_COUNTS_SQL = """
    SELECT u.id, u.username, trim(u.first_name || ' ' || u.last_name),
           count(*) FILTER (WHERE j.due_date = %(day)s AND j.status = 'assigned'),
           count(*) FILTER (WHERE j.due_date = %(day)s AND j.status = 'done'),
           count(*) FILTER (WHERE j.due_date = %(day)s AND j.status = 'cancelled'),
           count(*) FILTER (WHERE {overdue})
    FROM inspections_inspectionjob j
    JOIN core_jurisdiction jur ON jur.id = j.jurisdiction_id
    JOIN auth_user u ON u.id = j.inspector_id
    WHERE ({scope}) AND j.jurisdiction_id = %(jurisdiction)s
      AND (j.due_date = %(day)s OR {overdue})
    GROUP BY u.id, u.username, u.first_name, u.last_name
    ORDER BY u.username
"""

_FAILED_CRITICAL_SQL = """
    SELECT COALESCE(json_agg(json_build_object(
        'inspection', i.uuid,
        'job', j.id,
        'inspector', json_build_object('id', u.id, 'username', u.username,
                                       'full_name', trim(u.first_name || ' ' || u.last_name)),
        'target', json_build_object('kind', j.target_kind, 'id', j.target_id, 'label', j.target_label,
                                    'location', ST_AsGeoJSON(j.target_location, 7)::json),
        'district', json_build_object('code', d.code, 'name_ar', d.name_ar, 'name_en', d.name_en),
        'template', json_build_object('code', t.code, 'version', v.number),
        'score', i.score,
        'failed_critical', i.failed_critical,
        'failed_critical_items', (
            SELECT json_agg(json_build_object('key', ci.key, 'label_ar', ci.label_ar, 'label_en', ci.label_en)
                            ORDER BY ci.position)
            FROM inspections_checklistitem ci
            WHERE ci.version_id = v.id AND i.failed_critical ? ci.key
        ),
        'flags', i.flags,
        'completed_at', inspections_local_iso(i.completed_at, jur.time_zone)
    ) ORDER BY i.completed_at, i.id), '[]'::json)::text
    FROM inspections_inspection i
    JOIN inspections_inspectionjob j ON j.id = i.job_id
    JOIN core_jurisdiction jur ON jur.id = j.jurisdiction_id
    JOIN inspections_templateversion v ON v.id = i.template_version_id
    JOIN inspections_checklisttemplate t ON t.id = v.template_id
    JOIN auth_user u ON u.id = i.inspector_id
    JOIN core_district d ON d.id = j.district_id
    WHERE ({scope}) AND j.jurisdiction_id = %(jurisdiction)s
      AND i.completed_at IS NOT NULL
      AND (i.completed_at AT TIME ZONE jur.time_zone)::date = %(day)s
      AND jsonb_array_length(i.failed_critical) > 0
"""

MAX_OVERDUE_LISTED = 500


def overview(scope: Scope, *, jurisdiction: Jurisdiction, day: date) -> dict[str, Any]:
    """The supervisor's day in their scope: the day's jobs by status, overdue jobs (as of now), each
    inspector's progress, and the inspections completed that day with a failed critical item."""
    scope_sql, scope_params = scope.sql("j")
    params = {**scope_params, "jurisdiction": jurisdiction.pk, "day": day}
    with connection.cursor() as cursor:
        cursor.execute(_OVERVIEW_COUNTS_SQL.format(scope=scope_sql, overdue=_OVERDUE), params)
        rows = cursor.fetchall()
        cursor.execute(_FAILED_CRITICAL_SQL.format(scope=scope_sql), params)
        failed = json.loads(cursor.fetchone()[0])
    overdue = json.loads(
        jobs_feature_collection(
            scope, JobFilters(overdue=True, jurisdiction_id=jurisdiction.pk), limit=MAX_OVERDUE_LISTED
        )
    )
    inspectors = [
        {
            "id": user_id,
            "username": username,
            "full_name": full_name,
            "assigned": assigned,
            "done": done,
            "cancelled": cancelled,
            "overdue": late,
        }
        for user_id, username, full_name, assigned, done, cancelled, late in rows
    ]
    by_status = {
        JobStatus.ASSIGNED.value: sum(i["assigned"] for i in inspectors),
        JobStatus.DONE.value: sum(i["done"] for i in inspectors),
        JobStatus.CANCELLED.value: sum(i["cancelled"] for i in inspectors),
    }
    return {
        "date": day.isoformat(),
        "jurisdiction": {
            "code": jurisdiction.code,
            "name_ar": jurisdiction.name_ar,
            "name_en": jurisdiction.name_en,
            "time_zone": jurisdiction.time_zone,
        },
        "jobs": {"total": sum(by_status.values()), "by_status": by_status},
        "overdue": {"count": sum(i["overdue"] for i in inspectors), "jobs": overdue},
        "inspectors": inspectors,
        "failed_critical": failed,
    }

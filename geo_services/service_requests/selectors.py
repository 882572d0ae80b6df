"""Reads of service requests: public (Open311) queries, staff queues, duplicates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Case, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from geo_services.core.models import Department, District, Jurisdiction, StaffMember
from geo_services.core.roles import Role, roles_of
from geo_services.service_requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CategoryAttribute,
    Open311ApiKey,
    ServiceCategory,
    ServiceRequest,
    StatusChange,
)

# A request's district is shown by name; its boundary (thousands of vertices) must not come along.
_LARGE_RELATED_SHAPES = ("district__geom",)


def active_categories(jurisdiction_code: str) -> QuerySet[ServiceCategory]:
    return (
        ServiceCategory.objects.filter(jurisdiction__code=jurisdiction_code, active=True)
        .prefetch_related("attributes")
        .order_by("group", "code")
    )


def with_overdue(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Annotates `overdue`: still open after its expected resolution time."""
    return queryset.annotate(
        overdue=Case(
            When(Q(status__in=OPEN_STATUSES) & Q(expected_at__lt=Now()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def public_requests(jurisdiction_code: str) -> QuerySet[ServiceRequest]:
    """Requests as the public may see them (the caller must still leave out personal fields)."""
    return with_overdue(
        ServiceRequest.objects.filter(jurisdiction__code=jurisdiction_code)
        .select_related("category", "department", "district")
        .defer(*_LARGE_RELATED_SHAPES)
    )


def open311_requests(
    jurisdiction_code: str,
    *,
    ids: tuple[int, ...] = (),
    service_codes: tuple[str, ...] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: frozenset[str] = frozenset(),
) -> QuerySet[ServiceRequest]:
    """The Open311 search: newest first, each with `public_status_note` (its latest public note).

    One query whatever the number of rows. `ids`, when given, overrides every other filter (the
    specification says so). `statuses` holds Open311's "open" and/or "closed".
    """
    latest_public_note = (
        StatusChange.objects.filter(request=OuterRef("pk"), public=True)
        .exclude(note="")
        .order_by("-changed_at", "-id")
        .values("note")[:1]
    )
    queryset = (
        public_requests(jurisdiction_code)
        .annotate(public_status_note=Subquery(latest_public_note))
        .order_by("-requested_at", "-id")
    )
    if ids:
        return queryset.filter(pk__in=ids)
    if service_codes:
        queryset = queryset.filter(category__code__in=service_codes)
    if start is not None:
        queryset = queryset.filter(requested_at__gte=start)
    if end is not None:
        queryset = queryset.filter(requested_at__lte=end)
    if statuses == {"open"}:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        queryset = queryset.filter(status__in=CLOSED_STATUSES)
    return queryset


def request_by_token(token: str) -> ServiceRequest | None:
    try:
        return (
            ServiceRequest.objects.select_related(
                "category", "department", "district", "jurisdiction", "duplicate_of"
            )
            .defer(*_LARGE_RELATED_SHAPES, "jurisdiction__boundary")
            .get(token=token)
        )
    except (
        ServiceRequest.DoesNotExist,
        ValueError,
        ValidationError,
    ):  # Django says ValidationError for a bad UUID
        return None


def surviving_request(request: ServiceRequest) -> ServiceRequest:
    """The request a citizen follows: for a merged duplicate, the one it was merged into."""
    seen = {request.pk}
    while request.duplicate_of_id is not None and request.duplicate_of_id not in seen:
        seen.add(request.duplicate_of_id)
        request = (
            ServiceRequest.objects.select_related("category", "department", "district")
            .defer(*_LARGE_RELATED_SHAPES)
            .get(pk=request.duplicate_of_id)
        )
    return request


def public_history(request: ServiceRequest) -> list[tuple[datetime, str, str]]:
    """(when, status, note) of the changes the citizen may see; staff-only notes are left out."""
    return [
        (change.changed_at, change.to_status, change.note if change.public else "")
        for change in request.history.all()
    ]


def likely_duplicates(
    *, category_id: int, point: Point, exclude_id: int | None = None, now: datetime | None = None
) -> list[ServiceRequest]:
    """Open requests of the same category near the point and recent enough, nearest first."""
    since = (now or timezone.now()) - timedelta(days=settings.AMANAH_DUPLICATE_WINDOW_DAYS)
    with connection.cursor() as cursor:
        # Geography for a radius in metres (degrees would be wrong); the expression index from
        # migration 0002 serves ST_DWithin, and <-> orders by distance.
        cursor.execute(
            """
            SELECT id FROM service_requests_servicerequest
            WHERE category_id = %(category)s
              AND status = ANY(%(open)s)
              AND requested_at >= %(since)s
              AND id <> %(exclude)s
              AND ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                             %(radius)s)
            ORDER BY location::geography <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
            LIMIT 10
            """,
            {
                "category": category_id,
                "open": [s.value for s in OPEN_STATUSES],
                "since": since,
                "exclude": exclude_id or -1,
                "lon": point.x,
                "lat": point.y,
                "radius": settings.AMANAH_DUPLICATE_RADIUS_M,
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
    found = ServiceRequest.objects.in_bulk(ids)
    return [found[i] for i in ids]


def staff_member(user: User | AnonymousUser) -> StaffMember | None:
    if not user.is_authenticated:
        return None
    try:
        return (
            StaffMember.objects.select_related("jurisdiction")
            .defer("jurisdiction__boundary")
            .prefetch_related(
                Prefetch("districts", queryset=District.objects.only("id", "code", "jurisdiction_id"))
            )
            .get(user=user)
        )
    except StaffMember.DoesNotExist:
        return None


def requests_visible_to(user: User | AnonymousUser) -> QuerySet[ServiceRequest]:
    """The requests a member of staff may see, with personal data; none for anyone else.

    admin: all; dispatcher: their department, in their districts (all districts if none are set);
    inspector: those assigned to them.
    """
    base = with_overdue(
        ServiceRequest.objects.select_related("category", "department", "district", "assigned_to").defer(
            *_LARGE_RELATED_SHAPES
        )
    )
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return base
    visible = Q(pk__in=[])
    if Role.DISPATCHER in roles:
        member = staff_member(user)
        if member is not None and member.department_id is not None:
            scope = Q(jurisdiction_id=member.jurisdiction_id, department_id=member.department_id)
            district_ids = [d.pk for d in member.districts.all()]
            if district_ids:
                scope &= Q(district_id__in=district_ids)
            visible |= scope
    if Role.INSPECTOR in roles:
        visible |= Q(assigned_to=user)
    return base.filter(visible)


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[str, ...] = ()
    category_codes: tuple[str, ...] = ()
    district_codes: tuple[str, ...] = ()
    overdue: bool | None = None


def dispatcher_queue(user: User | AnonymousUser, filters: QueueFilters) -> QuerySet[ServiceRequest]:
    queryset = requests_visible_to(user)
    if filters.statuses:
        queryset = queryset.filter(status__in=filters.statuses)
    if filters.category_codes:
        queryset = queryset.filter(category__code__in=filters.category_codes)
    if filters.district_codes:
        queryset = queryset.filter(district__code__in=filters.district_codes)
    if filters.overdue is not None:
        # `overdue` is the annotation from with_overdue (django-stubs cannot see annotations).
        queryset = queryset.filter(**{"overdue": filters.overdue})
    return queryset.order_by("-overdue", "expected_at", "id")


# --- The submission path's reads ------------------------------------------------------------------
# Hand-written because every report runs them: through the ORM each cost 0.6-0.9 ms of query
# building against 0.13 ms for the round trip, and together they decided whether a POST stays under
# its 10 ms target (docs/benchmarks.md). Parameterised; they return ordinary model instances.

_SERVICE_DEFINITION_SQL = """
    SELECT c.id, c.jurisdiction_id, c.code, c.name_ar, c.name_en, c.sla_hours, c.default_department_id,
           COALESCE((
               SELECT json_agg(json_build_object(
                   'id', a.id, 'code', a.code, 'datatype', a.datatype, 'required', a.required,
                   'order', a."order", 'description_ar', a.description_ar,
                   'description_en', a.description_en, 'values', a.values
               ) ORDER BY a."order", a.code)
               FROM service_requests_categoryattribute a WHERE a.category_id = c.id
           ), '[]'::json)
    FROM service_requests_servicecategory c
    JOIN core_jurisdiction j ON j.id = c.jurisdiction_id
    WHERE j.code = %s AND c.code = %s AND c.active
"""


def service_definition(
    jurisdiction_code: str, service_code: str
) -> tuple[ServiceCategory, list[CategoryAttribute]] | None:
    """An active category of the jurisdiction with its questions (in order), or None. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_SERVICE_DEFINITION_SQL, [jurisdiction_code, service_code])
        row = cursor.fetchone()
    if row is None:
        return None
    category_id, jurisdiction_id, code, name_ar, name_en, sla_hours, default_department_id, attributes = row
    if isinstance(attributes, str):  # psycopg hands json back parsed; a plain string means text
        attributes = json.loads(attributes)
    category = ServiceCategory(
        id=category_id,
        jurisdiction_id=jurisdiction_id,
        code=code,
        name_ar=name_ar,
        name_en=name_en,
        sla_hours=sla_hours,
        default_department_id=default_department_id,
        active=True,
    )
    questions = [CategoryAttribute(category_id=category_id, **attribute) for attribute in attributes]
    return category, questions


_ROUTED_DEPARTMENT_SQL = """
    SELECT d.id, d.jurisdiction_id, d.code, d.name_ar, d.name_en, d.contact_email
    FROM core_department d
    WHERE d.id = COALESCE(
        (SELECT r.department_id FROM service_requests_routingrule r WHERE r.category_id = %s AND r.district_id = %s),
        %s
    )
"""


def routed_department(category: ServiceCategory, district_id: int) -> Department:
    """The routing rule: this category in this district goes to … (else the category's default)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROUTED_DEPARTMENT_SQL, [category.pk, district_id, category.default_department_id])
        department_id, jurisdiction_id, code, name_ar, name_en, contact_email = cursor.fetchone()
    return Department(
        id=department_id,
        jurisdiction_id=jurisdiction_id,
        code=code,
        name_ar=name_ar,
        name_en=name_en,
        contact_email=contact_email,
    )


_API_KEY_SQL = """
    SELECT k.id, k.name, j.id, j.code, j.name_ar, j.name_en, j.time_zone
    FROM service_requests_open311apikey k
    JOIN core_jurisdiction j ON j.id = k.jurisdiction_id
    WHERE k.key_sha256 = %s AND k.active AND j.code = %s
"""


def active_api_key(jurisdiction_code: str, key_sha256: str) -> Open311ApiKey | None:
    """The active key with this hash for the jurisdiction (its jurisdiction loaded, boundary left out)."""
    with connection.cursor() as cursor:
        cursor.execute(_API_KEY_SQL, [key_sha256, jurisdiction_code])
        row = cursor.fetchone()
    if row is None:
        return None
    key_id, name, jurisdiction_id, code, name_ar, name_en, time_zone = row
    jurisdiction = Jurisdiction(
        id=jurisdiction_id, code=code, name_ar=name_ar, name_en=name_en, time_zone=time_zone
    )
    return Open311ApiKey(id=key_id, name=name, jurisdiction=jurisdiction, key_sha256=key_sha256, active=True)

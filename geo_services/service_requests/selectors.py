"""Reads of service requests: public (Open311) queries, staff queues, duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from geo_services.core.models import StaffMember
from geo_services.core.roles import Role, roles_of
from geo_services.service_requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ServiceCategory,
    ServiceRequest,
    StatusChange,
)


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
        ServiceRequest.objects.filter(jurisdiction__code=jurisdiction_code).select_related(
            "category", "department", "district"
        )
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
        return ServiceRequest.objects.select_related(
            "category", "department", "district", "duplicate_of"
        ).get(token=token)
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
        request = ServiceRequest.objects.select_related("category", "department", "district").get(
            pk=request.duplicate_of_id
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
        return StaffMember.objects.prefetch_related("districts").get(user=user)
    except StaffMember.DoesNotExist:
        return None


def requests_visible_to(user: User | AnonymousUser) -> QuerySet[ServiceRequest]:
    """The requests a member of staff may see, with personal data; none for anyone else.

    admin: all; dispatcher: their department, in their districts (all districts if none are set);
    inspector: those assigned to them.
    """
    base = with_overdue(
        ServiceRequest.objects.select_related("category", "department", "district", "assigned_to")
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

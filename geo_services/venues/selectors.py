"""Reads of venues: the map search (near a point, in a box, by kind, free for a time window), a
venue with its spaces, free slots per space, a person's bookings and the bookings of a calendar feed.

Distances and radii are in metres on the WGS84 spheroid (geography), never in degrees. Heavy output
is built by PostGIS (json_agg). Opening hours are read in bulk for every space of a list at once,
with `hours.opening_windows_by_space`, so no read is N+1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import F, Prefetch, QuerySet

from geo_services.core.models import StaffMember
from geo_services.core.parsing import BBox, LonLat
from geo_services.core.roles import Role, roles_of
from geo_services.venues.hours import Window, local_dates, opening_windows_by_space
from geo_services.venues.models import (
    LIVE_STATUSES,
    Booking,
    OpeningException,
    Space,
    Venue,
    VenueKind,
)

# Lists of venues or bookings never drag boundaries (thousands of vertices) along.
_LARGE_SHAPES = ("district__geom", "jurisdiction__boundary")
_LIVE = [s.value for s in LIVE_STATUSES]

# A free-window search looks at no more (venue, space) pairs than this, nearest (or by code) first.
# A whole city has a few hundred bookable spaces; the cap only guards against a continent-sized bbox.
MAX_FREE_CANDIDATES = 5000
# Venues read per batch of a free-window search: this many times `limit`, at least FREE_BATCH_MIN.
FREE_BATCH_FACTOR = 2
FREE_BATCH_MIN = 50


# --- The map search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueSearch:
    """A checked search (the API's parsing builds it): every value finite and in range."""

    jurisdiction_id: int
    zone: ZoneInfo  # the jurisdiction's
    near: LonLat | None = None
    radius_m: float | None = None  # only with `near`
    bbox: BBox | None = None
    kinds: tuple[str, ...] = ()
    free_from: datetime | None = None  # aware; with free_to
    free_to: datetime | None = None
    limit: int = 100


_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
# Fixed fragments only: user values reach the SQL as parameters, never as text.
_WHERE_BASE = "v.jurisdiction_id = %(jurisdiction)s AND v.active"
_WHERE_KIND = "v.kind = ANY(%(kinds)s)"
_WHERE_BBOX = (
    "ST_Intersects(v.location, ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))"
)
# Geography: the radius is metres on the spheroid. Served by an index only with a GiST expression
# index on (location::geography) — the geometry index cannot answer it (requested of the models'
# owner); until then the jurisdiction's index narrows the scan.
_WHERE_RADIUS = f"ST_DWithin(v.location::geography, {_POINT}, %(radius)s)"
# KNN by sphere distance (an index walk with the geography index above); the exact spheroid
# distance re-sorts the chosen venues in the output query (MapIt's "candidates by <->, then exact").
_ORDER_NEAR = f"v.location::geography <-> {_POINT}"
_ORDER_CODE = "v.code"
_DISTANCE = f"round(ST_Distance(v.location::geography, {_POINT})::numeric, 1)"

# The exclusion constraint's own test (migration 0005): a booking of the space for the window would
# hold each of its leaves for [free_from, free_to + the space's gap); no live booking may hold any of
# them then. `venues_bookingleaf` has one row per leaf of each live booking with the time it is held
# (its own time plus its space's gap), indexed by the constraint on (leaf, held): one index probe per
# leaf. The probe is a LATERAL with LIMIT so that the leaf is part of the index condition: written as
# `leaf_id = ANY(venues_space_leaves(s.id))` (GiST cannot search an array of keys) PostgreSQL scanned
# the whole index by `held` alone for every space, and a search over a city's 9,000 spaces ran past
# the statement time limit.
_SPACE_IS_UNBOOKED = """
    NOT EXISTS (
        SELECT 1 FROM unnest(venues_space_leaves(s.id)) AS leaf(id)
        CROSS JOIN LATERAL (
            SELECT 1 FROM venues_bookingleaf bl
            WHERE bl.leaf_id = leaf.id
              AND bl.held && tstzrange(%(free_from)s, %(free_to)s + make_interval(mins => s.buffer_minutes::int))
            LIMIT 1
        ) held
    )
"""

_FEATURES_SQL = """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature',
            'id', v.id,
            'geometry', ST_AsGeoJSON(v.location, 7)::json,
            'properties', json_build_object(
                'id', v.id,
                'code', v.code,
                'kind', v.kind,
                'kind_label', %(kind_labels)s::jsonb ->> v.kind,
                'name_ar', v.name_ar,
                'name_en', v.name_en,
                'capacity', v.capacity,
                'district', json_build_object('code', d.code, 'name_ar', d.name_ar, 'name_en', d.name_en),
                'bookable', EXISTS (SELECT 1 FROM venues_space s WHERE s.venue_id = v.id AND s.bookable),
                'distance_m', {distance},
                'free_spaces', {free_spaces}
            )
        ) ORDER BY {final_order}), '[]'::json)
    )::text
    FROM ({found}) found
    JOIN venues_venue v ON v.id = found.id
    JOIN core_district d ON d.id = v.district_id
"""
_FREE_SPACES = """(
    SELECT json_agg(json_build_object('id', s.id, 'code', s.code, 'name_ar', s.name_ar, 'name_en', s.name_en)
                    ORDER BY s.code)
    FROM venues_space s WHERE s.venue_id = v.id AND s.id = ANY(%(free_space_ids)s)
)"""


def _filters(search: VenueSearch) -> tuple[list[str], dict[str, Any]]:
    where = [_WHERE_BASE]
    params: dict[str, Any] = {"jurisdiction": search.jurisdiction_id}
    if search.kinds:
        where.append(_WHERE_KIND)
        params["kinds"] = list(search.kinds)
    if search.bbox is not None:
        where.append(_WHERE_BBOX)
        params.update(
            min_lon=search.bbox.min_lon,
            min_lat=search.bbox.min_lat,
            max_lon=search.bbox.max_lon,
            max_lat=search.bbox.max_lat,
        )
    if search.near is not None:
        params.update(lon=search.near.x, lat=search.near.y)
        if search.radius_m is not None:
            where.append(_WHERE_RADIUS)
            params["radius"] = search.radius_m
    return where, params


def _kind_labels() -> str:
    return json.dumps({kind.value: str(kind.label) for kind in VenueKind})


def search_venues(search: VenueSearch) -> bytes:
    """The venues of a search as a GeoJSON FeatureCollection (UTF-8 bytes), built by PostGIS.

    With `near`: nearest first, each with `distance_m` (metres on the spheroid); otherwise by code.
    With a free window: only venues with a bookable space free for all of it (open, no live booking
    of any part of it, gaps between bookings kept), listed in `free_spaces`.
    One query; four with a free window (candidates, weekly hours, exceptions, output), and three
    more for each further batch of candidates when the first batch held too few free venues.
    """
    where, params = _filters(search)
    order = _ORDER_NEAR if search.near is not None else _ORDER_CODE
    if search.free_from is not None and search.free_to is not None:
        ids, free_space_ids = _free_venues(
            search, where, params, order, free_from=search.free_from, free_to=search.free_to
        )
        if not ids:
            return b'{"type": "FeatureCollection", "features": []}'
        found = "SELECT unnest(%(ids)s::bigint[]) AS id"
        params = {**params, "ids": ids, "free_space_ids": free_space_ids}
        free_spaces = _FREE_SPACES
    else:
        # The KNN walk picks the `limit` nearest; the final ORDER BY sorts them by exact distance.
        found = (
            f"SELECT v.id FROM venues_venue v WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %(limit)s"  # noqa: S608 - fixed fragments
        )
        params = {**params, "limit": search.limit}
        free_spaces = "NULL"
    distance = _DISTANCE if search.near is not None else "NULL"
    final_order = f"{_DISTANCE}, v.id" if search.near is not None else "v.code, v.id"
    sql = _FEATURES_SQL.format(
        found=found, distance=distance, free_spaces=free_spaces, final_order=final_order
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "kind_labels": _kind_labels()})
        (document,) = cursor.fetchone()
    return document.encode()


def _free_venues(
    search: VenueSearch,
    where: list[str],
    params: dict[str, Any],
    order: str,
    *,
    free_from: datetime,
    free_to: datetime,
) -> tuple[list[int], list[int]]:
    """(venue ids in search order, free space ids) of the venues with a space free for the window.

    The venues are taken in search order a batch at a time (a few times `limit`), and only their
    spaces are tested against the bookings and then the opening hours; the next batch is read only
    while fewer than `limit` venues were found free. Testing every space of the area first and
    sorting afterwards cost seconds for a 30 km search over a city's thousands of spaces.
    """
    batch = max(search.limit * FREE_BATCH_FACTOR, FREE_BATCH_MIN)
    # One row per venue of the batch (its free spaces, or NULL), so that a short batch shows the end.
    sql = f"""
        WITH chosen AS MATERIALIZED (
            SELECT v.id, {order} AS rank_key
            FROM venues_venue v
            WHERE {" AND ".join(where)}
            ORDER BY {order}, v.id
            LIMIT %(batch)s OFFSET %(offset)s
        )
        SELECT c.id, s.id
        FROM chosen c
        LEFT JOIN venues_space s ON s.venue_id = c.id AND s.bookable AND {_SPACE_IS_UNBOOKED}
        ORDER BY c.rank_key, c.id, s.id
    """  # noqa: S608 - fixed fragments; values are parameters
    venue_ids: list[int] = []
    free_space_ids: list[int] = []
    examined = 0
    offset = 0
    first, last = local_dates(free_from, free_to, search.zone)
    while len(venue_ids) < search.limit and examined < MAX_FREE_CANDIDATES:
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    **params,
                    "live": _LIVE,
                    "free_from": free_from,
                    "free_to": free_to,
                    "batch": batch,
                    "offset": offset,
                },
            )
            rows = cursor.fetchall()
        venues_in_batch = len({venue_id for venue_id, _space in rows})
        candidates = [row for row in rows if row[1] is not None][: MAX_FREE_CANDIDATES - examined]
        examined += len(candidates)
        windows = (
            opening_windows_by_space(
                (space_id for _venue, space_id in candidates), first, last, zone=search.zone
            )
            if candidates
            else {}
        )
        for venue_id, space_id in candidates:
            if not any(w.contains(free_from, free_to) for w in windows[space_id]):
                continue
            if venue_id not in venue_ids:
                if len(venue_ids) == search.limit:
                    continue
                venue_ids.append(venue_id)
            free_space_ids.append(space_id)
        if venues_in_batch < batch:
            break
        offset += batch
    return venue_ids, free_space_ids


# --- One venue -------------------------------------------------------------------------------------------


def active_venue(venue_id: int) -> Venue | None:
    """An active venue with its district and jurisdiction (without their boundaries)."""
    return (
        Venue.objects.select_related("district", "jurisdiction")
        .defer(*_LARGE_SHAPES, "footprint")
        .filter(pk=venue_id, active=True)
        .first()
    )


@dataclass(frozen=True)
class VenueDetail:
    venue: Venue
    # Each with `opening_hours` and the coming `opening_exceptions` prefetched.
    spaces: list[Space]


def venue_detail(venue_id: int, *, now: datetime, exceptions_ahead: timedelta) -> VenueDetail | None:
    """A venue with its spaces, their weekly hours and the exceptions of the coming days (from the
    local today of its jurisdiction). Four queries."""
    venue = active_venue(venue_id)
    if venue is None:
        return None
    today = now.astimezone(ZoneInfo(venue.jurisdiction.time_zone)).date()
    exceptions_until = today + exceptions_ahead
    spaces = list(
        Space.objects.filter(venue=venue)
        .order_by("code")
        .prefetch_related(
            "opening_hours",
            Prefetch(
                "opening_exceptions",
                queryset=OpeningException.objects.filter(date__range=(today, exceptions_until)),
            ),
        )
    )
    return VenueDetail(venue=venue, spaces=spaces)


# --- Availability ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime


@dataclass(frozen=True)
class SpaceSlots:
    space: Space
    slots: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class VenueAvailability:
    venue: Venue
    zone: ZoneInfo
    first: date
    days: int
    spaces: list[SpaceSlots]


def held_times(
    space_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """{space id: [(from, to)…]}: when live bookings hold any leaf of each space within [start, end).

    A booking holds its time plus its space's gap (`held`, the range the exclusion constraint
    compares). One query: a booking of a hall is listed under each of its halves and a booking of a
    half under the hall.
    """
    found: dict[int, list[tuple[datetime, datetime]]] = {space_id: [] for space_id in space_ids}
    if not space_ids:
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT s.id, bl.booking_id, lower(bl.held), upper(bl.held)
            FROM venues_space s
            -- One index probe per leaf (see _SPACE_IS_UNBOOKED): `= ANY(array)` cannot use the GiST index.
            CROSS JOIN LATERAL unnest(venues_space_leaves(s.id)) AS leaf(id)
            JOIN venues_bookingleaf bl ON bl.leaf_id = leaf.id
            WHERE s.id = ANY(%(spaces)s)
              AND bl.held && tstzrange(%(start)s, %(end)s)
            ORDER BY s.id, lower(bl.held), bl.booking_id
            """,
            {"spaces": list(space_ids), "start": start, "end": end},
        )
        for space_id, _booking, held_from, held_to in cursor.fetchall():
            found[space_id].append((held_from, held_to))
    return found


def free_slots(
    space: Space,
    windows: Iterable[Window],
    held: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
) -> list[Slot]:
    """Slots of `slot_minutes` counted from each window's opening, that a citizen could book now.

    Left out: slots starting in the past or within the space's notice, starting beyond its booking
    horizon (the same rules as services.check_rules), and slots the exclusion constraint would
    refuse — a booking of the slot holds it plus the space's gap, which must not meet the time
    another live booking holds (its own time plus its gap).
    """
    step = timedelta(minutes=space.slot_minutes)
    gap = timedelta(minutes=space.buffer_minutes)
    earliest = now + timedelta(hours=space.min_notice_hours)
    latest = now + timedelta(days=space.max_days_ahead)
    slots: list[Slot] = []
    for window in windows:
        start = window.start
        while start + step <= window.end:
            end = start + step
            if earliest <= start <= latest and not any(
                held_from < end + gap and start < held_to for held_from, held_to in held
            ):
                slots.append(Slot(start, end))
            start = end
    return slots


def venue_availability(venue: Venue, first: date, days: int, *, now: datetime) -> VenueAvailability:
    """Free slots of each bookable space of the venue on `days` local dates from `first`.

    Four queries whatever the number of spaces and days: spaces, weekly hours, exceptions, bookings.
    """
    zone = ZoneInfo(venue.jurisdiction.time_zone)
    last = first + timedelta(days=days - 1)
    spaces = list(Space.objects.filter(venue=venue, bookable=True).order_by("code"))
    windows = opening_windows_by_space((s.pk for s in spaces), first, last, zone=zone)
    all_windows = [w for ws in windows.values() for w in ws]
    held: dict[int, list[tuple[datetime, datetime]]] = {s.pk: [] for s in spaces}
    if all_windows:
        widest_gap = timedelta(minutes=max(s.buffer_minutes for s in spaces))
        held = held_times(
            [s.pk for s in spaces],
            min(w.start for w in all_windows),
            max(w.end for w in all_windows) + widest_gap,
        )
    return VenueAvailability(
        venue=venue,
        zone=zone,
        first=first,
        days=days,
        spaces=[SpaceSlots(s, free_slots(s, windows[s.pk], held[s.pk], now=now)) for s in spaces],
    )


# --- The space hierarchy ---------------------------------------------------------------------------------


def bookings_colliding_if_moved(space: Space, new_parent_id: int | None) -> list[tuple[int, int]]:
    """Pairs of live booking ids that would overlap if `space` hung under `new_parent_id`.

    The database refuses such a move (the exclusion constraint, once the hierarchy trigger has given
    the bookings their new leaves); this asks the same question beforehand, on the venue's tree with
    the one parent changed, so the admin can name the bookings instead of failing. One query.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree AS (
                SELECT id, CASE WHEN id = %(space)s THEN %(parent)s::bigint ELSE parent_id END AS parent_id
                FROM venues_space WHERE venue_id = %(venue)s
            ),
            below(root, id) AS (
                SELECT id, id FROM tree
                UNION
                SELECT b.root, t.id FROM tree t JOIN below b ON t.parent_id = b.id
            ),
            leaves AS (
                SELECT b.root AS space_id, array_agg(b.id::integer) AS leaves FROM below b
                WHERE NOT EXISTS (SELECT 1 FROM tree c WHERE c.parent_id = b.id)
                GROUP BY b.root
            ),
            live AS (
                SELECT bk.id, bk.held, l.leaves FROM venues_booking bk
                JOIN leaves l ON l.space_id = bk.space_id
                WHERE bk.status = ANY(%(live)s)
            )
            SELECT a.id, b.id FROM live a
            JOIN live b ON a.id < b.id AND a.leaves && b.leaves AND a.held && b.held
            ORDER BY a.id, b.id
            LIMIT 20
            """,
            {"space": space.pk, "parent": new_parent_id, "venue": space.venue_id, "live": _LIVE},
        )
        return [(first, second) for first, second in cursor.fetchall()]


# --- Bookings --------------------------------------------------------------------------------------------


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "space__venue__jurisdiction", "space__venue__district", "course"
    ).defer("space__venue__jurisdiction__boundary", "space__venue__district__geom", "space__venue__footprint")


def bookings_of(user: User | AnonymousUser, *, limit: int = 200) -> list[Booking]:
    """A person's bookings (and staff blocks they made), latest start first. One query."""
    if not user.is_authenticated:
        return []
    return list(_bookings().filter(user=user).order_by(F("during").desc(), "-id")[:limit])


def booking_for_display(booking_id: int) -> Booking:
    """A booking with its space, venue and jurisdiction (for the answer after a write)."""
    return _bookings().get(pk=booking_id)


def course_bookings(course_id: int) -> list[Booking]:
    return list(_bookings().filter(course_id=course_id).order_by("during"))


def feed_bookings(user_id: int, *, since: datetime) -> list[Booking]:
    """A person's bookings ending after `since`, for their calendar feed (cancelled ones included,
    so calendars drop them). One query."""
    return list(_bookings().filter(user_id=user_id, during__endswith__gte=since).order_by("during", "id"))


def booking_visible_to(user: User | AnonymousUser, booking_id: int) -> Booking | None:
    """The booking when `user` booked it, or is venue staff of its jurisdiction (dispatcher, admin)."""
    if not user.is_authenticated:
        return None
    booking = _bookings().filter(pk=booking_id).first()
    if booking is None or booking.user_id == user.pk:
        return booking
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return booking
    if Role.DISPATCHER in roles:
        jurisdiction_id = booking.space.venue.jurisdiction_id
        if StaffMember.objects.filter(user=user, jurisdiction_id=jurisdiction_id).exists():
            return booking
    return None


def space_time_zone(space_id: int) -> ZoneInfo | None:
    """The time zone of the jurisdiction a space belongs to (None for an unknown space)."""
    zone = Space.objects.filter(pk=space_id).values_list("venue__jurisdiction__time_zone", flat=True).first()
    return ZoneInfo(zone) if zone else None

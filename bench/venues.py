"""Venues and bookings at scale (issue "venues"), on synthetic data generated inside PostGIS.

Data: N pitches (each a full pitch and two halves, open 06:00-23:00 every day; a few with a dated
closure or special hours) over the districts' box, and M bookings spread over the coming week — about
ten per venue, each on the full pitch or a half, one or two hours within its own two-hour block of
the venue's week, so the generated bookings can never collide; mostly confirmed, some requested
(both hold the ground), some cancelled (do not). Measured in one run:

(1) the map search "near a point, within a radius, free for a window": the bare statement (one
    hand-written query giving the same venues in the same order, GeoJSON built by json_agg) vs
    `selectors.search_venues` vs GET /api/v1/venues/?near=…&radius=…&free_from=…&free_to=… in-process;
(2) the free slots of one venue over 7 days: the bare statement (slots from generate_series over the
    opening windows, minus the held times) vs `selectors.venue_availability` vs
    GET /api/v1/venues/{id}/availability/?date=…&days=7 in-process;
(3) booking throughput with concurrent clients through `services.book_space` (rules, venue lock,
    exclusion constraint), then a proof that no two live bookings overlap.

Every sample's answer of the app is compared with the bare statement's: a benchmark that compares
different answers is worthless.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from django.utils import timezone

from bench import inprocess
from bench.stats import Timing
from bench.synthetic import MIN_LAT, MIN_LON, SPAN, generate_districts
from geo_services.core.errors import Conflict
from geo_services.core.models import District, Jurisdiction
from geo_services.core.parsing import LonLat
from geo_services.venues import selectors, services
from geo_services.venues.models import Space, VenueKind

# A jurisdiction of its own: the routing benchmark replaces the districts of "bench" on every run,
# which it could not do while venues point at them.
JURISDICTION = "bench-venues"
ZONE = "Asia/Riyadh"
DISTRICTS = 100
# Generated bookings: 7 days from tomorrow, eight two-hour blocks a day (07:00-23:00 local).
BOOKED_DAYS = 7
BLOCKS_PER_DAY = 8
CITIZENS = 10_000
RADIUS_M = 1500.0
LIMIT = 100
LIVE = "('requested', 'confirmed')"

_RULES = (
    "slot_minutes, min_minutes, max_minutes, buffer_minutes, min_notice_hours, max_days_ahead, "
    "approval_required, price_per_hour, cancellation_hours, max_active_per_user, bookable"
)
_RULE_VALUES = "60, 60, 120, 0, 0, 60, false, 0, 24, 1000, true"

BOOKINGS_SQL = f"""
    WITH venue_spaces AS (
        SELECT row_number() OVER (ORDER BY venue_id) - 1 AS n, venue_id,
               min(id) FILTER (WHERE code = 'full') AS full_id,
               min(id) FILTER (WHERE code = 'a') AS a_id,
               min(id) FILTER (WHERE code = 'b') AS b_id
        FROM venues_space GROUP BY venue_id
    ),
    citizens AS (
        SELECT array_agg(id ORDER BY id) AS ids FROM auth_user WHERE username LIKE 'bench-citizen-%%'
    ),
    picks AS (
        -- Booking g is the (g / venues)-th of venue (g mod venues); the k-th booking of a venue lies
        -- in the k-th band of its week's blocks, so no two bookings of a venue share a block.
        SELECT g %% %(venues)s AS n,
               (g / %(venues)s) * %(band)s + floor(random() * %(band)s)::int AS block,
               random() AS r_space, random() AS r_length, random() AS r_hour, random() AS r_status,
               random() AS r_user
        FROM generate_series(%(from)s, %(to)s) g
    ),
    timed AS (
        SELECT p.*, vs.full_id, vs.a_id, vs.b_id,
               ((%(first)s::date + p.block / {BLOCKS_PER_DAY})
                + make_time(7 + 2 * (p.block %% {BLOCKS_PER_DAY}), 0, 0)) AT TIME ZONE %(zone)s AS block_start
        FROM picks p JOIN venue_spaces vs USING (n)
    )
    INSERT INTO venues_booking (space_id, user_id, during, status, is_block, note, leaves, held,
                                created_at, updated_at)
    SELECT CASE WHEN r_space < 0.4 THEN full_id WHEN r_space < 0.7 THEN a_id ELSE b_id END,
           c.ids[1 + floor(r_user * array_length(c.ids, 1))::int],
           CASE WHEN r_length < 0.4 THEN tstzrange(block_start, block_start + interval '2 hours')
                WHEN r_hour < 0.5 THEN tstzrange(block_start, block_start + interval '1 hour')
                ELSE tstzrange(block_start + interval '1 hour', block_start + interval '2 hours') END,
           CASE WHEN r_status < 0.85 THEN 'confirmed' WHEN r_status < 0.93 THEN 'requested'
                ELSE 'cancelled' END,
           false, '', '{{}}', NULL, now(), now()
    FROM timed CROSS JOIN citizens c
"""

# (1) The search, by hand: the same venues in the same order as `search_venues`, the same document.
_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
BARE_SEARCH = f"""
    WITH free AS (
        SELECT v.id AS venue_id, s.id AS space_id, v.location::geography <-> {_POINT} AS knn
        FROM venues_venue v
        JOIN venues_space s ON s.venue_id = v.id AND s.bookable
        WHERE v.jurisdiction_id = %(jurisdiction)s AND v.active
          AND ST_DWithin(v.location::geography, {_POINT}, %(radius)s)
          -- no live booking holds a leaf of the space in the window plus the space's gap
          AND NOT EXISTS (
              SELECT 1 FROM venues_bookingleaf bl
              WHERE bl.leaf_id = ANY(venues_space_leaves(s.id))
                AND bl.held && tstzrange(%(free_from)s, %(free_to)s + make_interval(mins => s.buffer_minutes))
          )
          -- open for the whole window: a dated exception replaces the weekly hours of its date
          AND EXISTS (
              SELECT 1
              FROM generate_series((%(free_from)s AT TIME ZONE %(zone)s)::date::timestamp,
                                   ((%(free_to)s - interval '1 microsecond') AT TIME ZONE %(zone)s)::date::timestamp,
                                   interval '1 day') AS d(day)
              CROSS JOIN LATERAL (
                  SELECT e.opens, e.closes FROM venues_openingexception e
                  WHERE e.space_id = s.id AND e.date = d.day::date AND e.opens IS NOT NULL
                  UNION ALL
                  SELECT h.opens, h.closes FROM venues_openinghours h
                  WHERE h.space_id = s.id AND h.weekday = extract(isodow FROM d.day)::int - 1
                    AND NOT EXISTS (SELECT 1 FROM venues_openingexception e
                                    WHERE e.space_id = s.id AND e.date = d.day::date)
              ) w
              WHERE (d.day + w.opens) AT TIME ZONE %(zone)s <= %(free_from)s
                AND (d.day + w.closes) AT TIME ZONE %(zone)s >= %(free_to)s
          )
    ),
    nearest AS (
        SELECT venue_id, array_agg(space_id) AS space_ids
        FROM free GROUP BY venue_id ORDER BY min(knn), venue_id LIMIT %(limit)s
    )
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature',
            'id', v.id,
            'geometry', ST_AsGeoJSON(v.location, 7)::json,
            'properties', json_build_object(
                'id', v.id, 'code', v.code, 'kind', v.kind,
                'kind_label', %(kind_labels)s::jsonb ->> v.kind,
                'name_ar', v.name_ar, 'name_en', v.name_en, 'capacity', v.capacity,
                'district', json_build_object('code', d.code, 'name_ar', d.name_ar, 'name_en', d.name_en),
                'bookable', EXISTS (SELECT 1 FROM venues_space s WHERE s.venue_id = v.id AND s.bookable),
                'distance_m', round(ST_Distance(v.location::geography, {_POINT})::numeric, 1),
                'free_spaces', (
                    SELECT json_agg(json_build_object('id', s.id, 'code', s.code, 'name_ar', s.name_ar,
                                                      'name_en', s.name_en) ORDER BY s.code)
                    FROM venues_space s WHERE s.id = ANY(n.space_ids))
            )
        ) ORDER BY round(ST_Distance(v.location::geography, {_POINT})::numeric, 1), v.id), '[]'::json)
    )::text
    FROM nearest n
    JOIN venues_venue v ON v.id = n.venue_id
    JOIN core_district d ON d.id = v.district_id
"""


def _local_iso(moment: str) -> str:
    """SQL for a timestamptz as ISO 8601 in the jurisdiction's zone with its offset (+03:00)."""
    local = f"({moment} AT TIME ZONE %(zone)s)"
    offset = f"extract(epoch FROM {local} - ({moment} AT TIME ZONE 'UTC'))"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || to_char(abs({offset}) * interval '1 second', 'HH24:MI')"
    )


# (2) Free slots of one venue's bookable spaces over `days` local dates, by hand, in one statement.
BARE_AVAILABILITY = f"""
    WITH spaces AS MATERIALIZED (
        SELECT s.*, venues_space_leaves(s.id) AS leaf_ids,
               make_interval(mins => s.slot_minutes) AS step, make_interval(mins => s.buffer_minutes) AS gap
        FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id AND v.active
        WHERE s.venue_id = %(venue)s AND s.bookable
    ),
    days AS (
        SELECT d AS day FROM generate_series(%(first)s::date::timestamp,
                                             %(first)s::date::timestamp + (%(days)s - 1) * interval '1 day',
                                             interval '1 day') d
    ),
    windows AS (
        SELECT sp.id AS space_id, (days.day + e.opens) AT TIME ZONE %(zone)s AS opens,
               (days.day + e.closes) AT TIME ZONE %(zone)s AS closes
        FROM spaces sp CROSS JOIN days
        JOIN venues_openingexception e ON e.space_id = sp.id AND e.date = days.day::date AND e.opens IS NOT NULL
        UNION ALL
        SELECT sp.id, (days.day + h.opens) AT TIME ZONE %(zone)s, (days.day + h.closes) AT TIME ZONE %(zone)s
        FROM spaces sp CROSS JOIN days
        JOIN venues_openinghours h ON h.space_id = sp.id AND h.weekday = extract(isodow FROM days.day)::int - 1
        WHERE NOT EXISTS (SELECT 1 FROM venues_openingexception e
                          WHERE e.space_id = sp.id AND e.date = days.day::date)
    ),
    held AS MATERIALIZED (
        SELECT DISTINCT sp.id AS space_id, bl.booking_id, bl.held
        FROM spaces sp JOIN venues_bookingleaf bl ON bl.leaf_id = ANY(sp.leaf_ids)
        WHERE bl.held && tstzrange(%(first)s::date::timestamp AT TIME ZONE %(zone)s,
                                  (%(first)s::date::timestamp + %(days)s * interval '1 day') AT TIME ZONE %(zone)s
                                  + (SELECT max(gap) FROM spaces))
    ),
    slots AS (
        SELECT w.space_id, t AS slot_start, t + sp.step AS slot_end
        FROM windows w JOIN spaces sp ON sp.id = w.space_id
        CROSS JOIN LATERAL generate_series(w.opens, w.closes - sp.step, sp.step) t
        WHERE t >= now() + make_interval(hours => sp.min_notice_hours)
          AND t <= now() + make_interval(days => sp.max_days_ahead)
          AND NOT EXISTS (SELECT 1 FROM held h
                          WHERE h.space_id = w.space_id AND h.held && tstzrange(t, t + sp.step + sp.gap))
    ),
    per_space AS (
        SELECT space_id, json_agg(json_build_object('start', {_local_iso("slot_start")},
                                                    'end', {_local_iso("slot_end")}) ORDER BY slot_start) AS slots
        FROM slots GROUP BY space_id
    )
    SELECT json_build_object(
        'venue', %(venue)s, 'date', %(first)s, 'days', %(days)s, 'time_zone', %(zone)s,
        'spaces', COALESCE(json_agg(json_build_object(
            'id', sp.id, 'code', sp.code, 'name_ar', sp.name_ar, 'name_en', sp.name_en, 'parent', sp.parent_id,
            'price_per_hour', sp.price_per_hour::text,
            'rules', json_build_object(
                'slot_minutes', sp.slot_minutes, 'min_minutes', sp.min_minutes, 'max_minutes', sp.max_minutes,
                'buffer_minutes', sp.buffer_minutes, 'min_notice_hours', sp.min_notice_hours,
                'max_days_ahead', sp.max_days_ahead, 'approval_required', sp.approval_required,
                'cancellation_hours', sp.cancellation_hours, 'max_active_per_user', sp.max_active_per_user),
            'slots', COALESCE(ps.slots, '[]'::json)
        ) ORDER BY sp.code), '[]'::json)
    )::text
    FROM spaces sp LEFT JOIN per_space ps ON ps.space_id = sp.id
"""

# No two live bookings overlap: per leaf space, no booking starts before an earlier one has ended.
# Sorting beats a self-join at a million rows, and it does not lean on the constraint's own index.
OVERLAPS_SQL = f"""
    SELECT count(*) FROM (
        SELECT lower(b.during) AS starts,
               max(upper(b.during)) OVER (PARTITION BY leaf ORDER BY lower(b.during), b.id
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
        FROM venues_booking b CROSS JOIN unnest(b.leaves) AS leaf
        WHERE b.status IN {LIVE}
    ) ordered
    WHERE starts < earlier_end
"""


T = TypeVar("T")


def time_side_by_side(
    calls: dict[str, Callable[[T], object]], inputs: Sequence[T], *, warmup: int = 50
) -> dict[str, Timing]:
    """Like `stats.time_each` for several ways of doing the same thing, run one input at a time in
    turn (the first way rotating), so a drift of this shared machine's speed during the run, or a
    cache warmed by the previous way, weighs on every way alike."""
    names = list(calls)
    for item in inputs[:warmup]:
        for name in names:
            calls[name](item)
    durations: dict[str, list[float]] = {name: [] for name in names}
    for index, item in enumerate(inputs):
        turn = index % len(names)
        for name in names[turn:] + names[:turn]:
            start = time.perf_counter()
            calls[name](item)
            durations[name].append((time.perf_counter() - start) * 1000)
    timings = {}
    for name, values in durations.items():
        values.sort()
        timings[name] = Timing(
            p50_ms=values[len(values) // 2],
            p95_ms=values[int(len(values) * 0.95)],
            mean_ms=statistics.fmean(values),
        )
    return timings


# --- Data ------------------------------------------------------------------------------------------------


def _bench_jurisdiction() -> Jurisdiction:
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code=JURISDICTION,
        defaults={
            "name_ar": "قياس الحجوزات",
            "name_en": "Booking benchmark",
            "time_zone": ZONE,
            "currency": "SAR",
        },
    )
    return jurisdiction


def _require_bench_database() -> None:
    name = connection.settings_dict["NAME"]
    if name != "amanah_bench":
        raise SystemExit(f"refusing to empty the venue tables of {name!r}: only the benchmark database")


def _current_data(jurisdiction: Jurisdiction, *, venues: int, bookings: int, first: date) -> bool:
    """Whether the data of an earlier run has the requested sizes and its booked week is still ahead."""
    with connection.cursor() as cursor:
        # Bookings made by the throughput clients of an earlier run are not part of the data.
        cursor.execute(
            "DELETE FROM venues_booking WHERE user_id IN (SELECT id FROM auth_user WHERE username LIKE %s)",
            ["bench-client-%"],
        )
        cursor.execute("SELECT count(*) FROM venues_venue WHERE jurisdiction_id = %s", [jurisdiction.pk])
        (venue_count,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM venues_venue")
        (all_venues,) = cursor.fetchone()
        cursor.execute("SELECT count(*), min(lower(during)) FROM venues_booking")
        booking_count, earliest = cursor.fetchone()
    return (
        venue_count == all_venues == venues
        and booking_count == bookings
        and earliest is not None
        and earliest.astimezone(ZoneInfo(ZONE)).date() == first
    )


def _ensure_districts(jurisdiction: Jurisdiction) -> None:
    if not District.objects.filter(jurisdiction=jurisdiction).exists():
        generate_districts(jurisdiction, count=DISTRICTS, vertices=200, seed=0.61)


def generate(jurisdiction: Jurisdiction, *, venues: int, bookings: int, first: date) -> None:
    """Replace every venue of the benchmark database: `venues` pitches and `bookings` bookings over the
    `BOOKED_DAYS` local dates from `first`. Set-based statements inside PostGIS."""
    per_venue = math.ceil(bookings / venues)
    blocks = BOOKED_DAYS * BLOCKS_PER_DAY
    if per_venue > blocks:
        raise SystemExit(f"at most {blocks} bookings per venue fit the generated week")
    _require_bench_database()
    steps: list[tuple[str, float]] = []
    with connection.cursor() as cursor:

        def step(name: str, sql: str, params: Any = None) -> None:
            started = time.perf_counter()
            cursor.execute(sql, params)
            steps.append((name, time.perf_counter() - started))

        cursor.execute("SET statement_timeout = 0")
        # TRUNCATE fires no row triggers: deleting 300,000 spaces one trigger call at a time is slow.
        step(
            "truncate",
            "TRUNCATE venues_bookingleaf, venues_booking, venues_course, venues_openingexception, venues_openinghours, "
            "venues_space, venues_venue RESTART IDENTITY",
        )
        cursor.execute("SELECT setseed(0.3)")
        step(
            "venues",
            """
            INSERT INTO venues_venue (jurisdiction_id, district_id, kind, code, name_ar, name_en, description_ar,
                description_en, location, capacity, amenities, accessibility_ar, accessibility_en,
                contact_phone, contact_email, active)
            SELECT %(j)s, d.district_id, 'sports_pitch', 'v' || p.g, 'ملعب ' || p.g, 'Pitch ' || p.g, '', '',
                   p.geom, 22, '[]', '', '', '', '', true
            FROM (
                SELECT g, ST_SetSRID(ST_MakePoint(%(lon)s + random() * %(span)s,
                                                  %(lat)s + random() * %(span)s), 4326) AS geom
                FROM generate_series(1, %(count)s) g
            ) p
            -- the district the pitch lies in (the nearest, for the few points off the wiggly edge)
            CROSS JOIN LATERAL (
                SELECT COALESCE(
                    (SELECT part.district_id FROM core_districtpart part
                     WHERE part.jurisdiction_id = %(j)s AND ST_Covers(part.geom, p.geom)
                     ORDER BY part.district_id LIMIT 1),
                    (SELECT part.district_id FROM core_districtpart part WHERE part.jurisdiction_id = %(j)s
                     ORDER BY part.geom <-> p.geom, part.district_id LIMIT 1)
                ) AS district_id
            ) d
            """,
            {"j": jurisdiction.pk, "lon": MIN_LON, "lat": MIN_LAT, "span": SPAN, "count": venues},
        )
        # Without row triggers (nor foreign-key checks), which have nothing to do here: no booking
        # exists yet for the hierarchy trigger to re-write, and every half's parent is its own venue's
        # full pitch, which the parent check (one venue row lock per space) would only confirm.
        cursor.execute("SET session_replication_role = replica")
        try:
            step(
                "spaces",
                f"""
                INSERT INTO venues_space (venue_id, parent_id, code, name_ar, name_en, {_RULES})
                SELECT id, NULL, 'full', 'الملعب كاملا', 'Full pitch', {_RULE_VALUES} FROM venues_venue ORDER BY id;
                INSERT INTO venues_space (venue_id, parent_id, code, name_ar, name_en, {_RULES})
                SELECT s.venue_id, s.id, half.code, half.name_ar, half.name_en, {_RULE_VALUES}
                FROM venues_space s
                CROSS JOIN (VALUES ('a', 'النصف أ', 'Half A'), ('b', 'النصف ب', 'Half B')) half(code, name_ar, name_en)
                WHERE s.code = 'full' ORDER BY s.venue_id, half.code
                """,
            )
        finally:
            # Bookings must go through their trigger: it writes the leaves the constraint compares.
            cursor.execute("RESET session_replication_role")
        step(
            "opening hours",
            """
            INSERT INTO venues_openinghours (space_id, weekday, opens, closes)
            SELECT s.id, d, '06:00', '23:00' FROM venues_space s CROSS JOIN generate_series(0, 6) d
            ORDER BY s.id, d
            """,
        )
        # 3% of the venues change one day of the week: half of them closed, half open 16:00-22:00.
        step(
            "exceptions",
            """
            INSERT INTO venues_openingexception (space_id, date, opens, closes, reason_ar, reason_en)
            SELECT s.id, %(first)s::date + c.day, CASE WHEN c.closed THEN NULL ELSE '16:00'::time END,
                   CASE WHEN c.closed THEN NULL ELSE '22:00'::time END, '', ''
            FROM (
                SELECT id, floor(random() * %(days)s)::int AS day, random() < 0.5 AS closed
                FROM venues_venue WHERE random() < 0.03
            ) c
            JOIN venues_space s ON s.venue_id = c.id
            """,
            {"first": first, "days": BOOKED_DAYS},
        )
        step(
            "citizens",
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined)
            SELECT '!', false, 'bench-citizen-' || g, '', '', '', false, true, now()
            FROM generate_series(1, %(count)s) g
            ON CONFLICT (username) DO NOTHING
            """,
            {"count": CITIZENS},
        )
        # Through the trigger that writes `leaves` and `held`, and the exclusion constraint; one
        # statement per round (every venue's k-th booking), so a slow insert shows as it goes.
        started = time.perf_counter()
        for k in range(per_venue):
            last = min((k + 1) * venues, bookings) - 1
            cursor.execute(
                BOOKINGS_SQL,
                {
                    "venues": venues,
                    "from": k * venues,
                    "to": last,
                    "band": blocks // per_venue,
                    "first": first,
                    "zone": ZONE,
                },
            )
            print(
                f"    bookings: {last + 1:,} of {bookings:,} after {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        steps.append(("bookings", time.perf_counter() - started))
        step(
            "vacuum analyze",
            "VACUUM ANALYZE venues_venue, venues_space, venues_openinghours, venues_openingexception, "
            "venues_booking, auth_user",
        )
        cursor.execute("RESET statement_timeout")
    print("    generation: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps))


def _describe(jurisdiction: Jurisdiction) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM venues_venue WHERE jurisdiction_id = %s),
                   (SELECT count(*) FROM venues_space),
                   (SELECT count(*) FROM venues_openingexception),
                   count(*), count(*) FILTER (WHERE status = 'confirmed'),
                   count(*) FILTER (WHERE status = 'requested'), count(*) FILTER (WHERE status = 'cancelled'),
                   (SELECT count(*) FROM core_district WHERE jurisdiction_id = %s)
            FROM venues_booking
            """,
            [jurisdiction.pk, jurisdiction.pk],
        )
        venues, spaces, exceptions, bookings, confirmed, requested, cancelled, districts = cursor.fetchone()
    return (
        f"{venues:,} venues in {districts} districts, {spaces:,} spaces, {exceptions:,} dated exceptions; "
        f"{bookings:,} bookings ({confirmed:,} confirmed, {requested:,} requested, {cancelled:,} cancelled)"
    )


# --- (1) nearby + free window ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSample:
    index: int
    lon: float
    lat: float
    free_from: datetime  # aware, local zone
    free_to: datetime


def _search_samples(count: int, first: date) -> list[SearchSample]:
    rng = random.Random(11)
    zone = ZoneInfo(ZONE)
    samples = []
    for index in range(count):
        day = first + timedelta(days=rng.randrange(BOOKED_DAYS))
        start = datetime.combine(day, clock(rng.randrange(7, 22)), tzinfo=zone)
        samples.append(
            SearchSample(
                index=index,
                lon=MIN_LON + rng.random() * SPAN,
                lat=MIN_LAT + rng.random() * SPAN,
                free_from=start,
                free_to=start + timedelta(hours=rng.choice((1, 2))),
            )
        )
    return samples


def _venues_found(document: bytes | str) -> list[tuple[int, list[int]]]:
    """(venue id, free space ids) in the order of the answer."""
    features = json.loads(document)["features"]
    return [(f["id"], sorted(s["id"] for s in f["properties"]["free_spaces"] or [])) for f in features]


def _measure_search(jurisdiction: Jurisdiction, samples: list[SearchSample]) -> dict[str, Any]:
    zone = ZoneInfo(ZONE)
    kind_labels = json.dumps({kind.value: str(kind.label) for kind in VenueKind})
    answers: dict[str, dict[int, bytes | str]] = {"bare": {}, "selector": {}, "endpoint": {}}

    def bare(sample: SearchSample) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                BARE_SEARCH,
                {
                    "jurisdiction": jurisdiction.pk,
                    "lon": sample.lon,
                    "lat": sample.lat,
                    "radius": RADIUS_M,
                    "free_from": sample.free_from,
                    "free_to": sample.free_to,
                    "zone": ZONE,
                    "limit": LIMIT,
                    "kind_labels": kind_labels,
                },
            )
            answers["bare"][sample.index] = cursor.fetchone()[0]

    def selector(sample: SearchSample) -> None:
        answers["selector"][sample.index] = selectors.search_venues(
            selectors.VenueSearch(
                jurisdiction_id=jurisdiction.pk,
                zone=zone,
                near=LonLat(sample.lon, sample.lat),
                radius_m=RADIUS_M,
                free_from=sample.free_from,
                free_to=sample.free_to,
                limit=LIMIT,
            )
        )

    def endpoint(sample: SearchSample) -> None:
        status, body = inprocess.get(
            "/api/v1/venues/",
            {
                "near": f"{sample.lat:.6f},{sample.lon:.6f}",
                "radius": str(int(RADIUS_M)),
                "free_from": sample.free_from.isoformat(),
                "free_to": sample.free_to.isoformat(),
                "jurisdiction": JURISDICTION,
            },
        )
        assert status == 200, (status, body[:300])
        answers["endpoint"][sample.index] = body

    # The endpoint gets the point to 6 decimals (0.1 m); the bare query and the selector get the same.
    samples = [
        SearchSample(s.index, round(s.lon, 6), round(s.lat, 6), s.free_from, s.free_to) for s in samples
    ]
    timings = time_side_by_side({"bare": bare, "selector": selector, "endpoint": endpoint}, samples)
    returned = []
    for sample in samples:
        expected = _venues_found(answers["bare"][sample.index])
        for way in ("selector", "endpoint"):
            found = _venues_found(answers[way][sample.index])
            assert found == expected, (way, sample, found[:5], expected[:5])
        returned.append(len(expected))
    within, free = _search_context(jurisdiction, samples[:50])
    print(f"(1) nearby + free window, bare SQL:  {timings['bare']}")
    print(f"(1) search_venues:                   {timings['selector']}")
    print(f"(1) GET /api/v1/venues/?near&radius&free_from&free_to: {timings['endpoint']}")
    print(
        f"    radius {RADIUS_M:,.0f} m, limit {LIMIT}: {within:.0f} venues within the radius on average, "
        f"{free:.0%} of their spaces free for the window; {statistics.fmean(returned):.1f} venues returned; "
        f"the same venues, order and free spaces as the bare SQL in all {len(samples)} samples"
    )
    return {
        "search_bare_p50_ms": timings["bare"].p50_ms,
        "search_bare_p95_ms": timings["bare"].p95_ms,
        "search_selector_p50_ms": timings["selector"].p50_ms,
        "search_selector_p95_ms": timings["selector"].p95_ms,
        "search_endpoint_p50_ms": timings["endpoint"].p50_ms,
        "search_endpoint_p95_ms": timings["endpoint"].p95_ms,
    }


def _search_context(jurisdiction: Jurisdiction, samples: list[SearchSample]) -> tuple[float, float]:
    """Mean venues within the radius, and the share of their spaces with no live booking in the window."""
    counts, shares = [], []
    with connection.cursor() as cursor:
        for sample in samples:
            cursor.execute(
                f"""
                SELECT count(DISTINCT v.id), avg((NOT EXISTS (
                    SELECT 1 FROM venues_bookingleaf bl
                    WHERE bl.leaf_id = ANY(venues_space_leaves(s.id))
                      AND bl.held && tstzrange(%(free_from)s,
                                              %(free_to)s + make_interval(mins => s.buffer_minutes))))::int)
                FROM venues_venue v JOIN venues_space s ON s.venue_id = v.id
                WHERE v.jurisdiction_id = %(j)s AND ST_DWithin(v.location::geography, {_POINT}, %(radius)s)
                """,
                {
                    "j": jurisdiction.pk,
                    "lon": sample.lon,
                    "lat": sample.lat,
                    "radius": RADIUS_M,
                    "free_from": sample.free_from,
                    "free_to": sample.free_to,
                },
            )
            count, share = cursor.fetchone()
            counts.append(count)
            if share is not None:
                shares.append(float(share))
    return statistics.fmean(counts), statistics.fmean(shares) if shares else 0.0


# --- (2) 7-day availability ---------------------------------------------------------------------------------


def _slots(document: bytes | str) -> dict[int, list[tuple[str, str]]]:
    return {
        space["id"]: [(slot["start"], slot["end"]) for slot in space["slots"]]
        for space in json.loads(document)["spaces"]
    }


def _measure_availability(jurisdiction: Jurisdiction, count: int, first: date, days: int) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute(
            "SELECT id FROM venues_venue WHERE jurisdiction_id = %s ORDER BY random() LIMIT %s",
            [jurisdiction.pk, count],
        )
        venue_ids = [row[0] for row in cursor.fetchall()]
    answers: dict[str, dict[int, bytes | str]] = {"bare": {}, "endpoint": {}}
    selector_slots: dict[int, dict[int, list[tuple[str, str]]]] = {}
    zone = ZoneInfo(ZONE)

    def bare(venue_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                BARE_AVAILABILITY, {"venue": venue_id, "first": first.isoformat(), "days": days, "zone": ZONE}
            )
            answers["bare"][venue_id] = cursor.fetchone()[0]

    def selector(venue_id: int) -> None:
        venue = selectors.active_venue(venue_id)
        assert venue is not None
        availability = selectors.venue_availability(venue, first, days, now=timezone.now())
        selector_slots[venue_id] = {
            item.space.pk: [
                (slot.start.astimezone(zone).isoformat(), slot.end.astimezone(zone).isoformat())
                for slot in item.slots
            ]
            for item in availability.spaces
        }

    def endpoint(venue_id: int) -> None:
        status, body = inprocess.get(
            f"/api/v1/venues/{venue_id}/availability/", {"date": first.isoformat(), "days": str(days)}
        )
        assert status == 200, (status, body[:300])
        answers["endpoint"][venue_id] = body

    timings = time_side_by_side({"bare": bare, "selector": selector, "endpoint": endpoint}, venue_ids)
    free = []
    for venue_id in venue_ids:
        expected = _slots(answers["bare"][venue_id])
        assert selector_slots[venue_id] == expected, ("selector", venue_id)
        assert _slots(answers["endpoint"][venue_id]) == expected, ("endpoint", venue_id)
        free.append(sum(len(slots) for slots in expected.values()))
    print(f"(2) {days}-day availability, bare SQL: {timings['bare']}")
    print(f"(2) active_venue + venue_availability: {timings['selector']}")
    print(f"(2) GET /api/v1/venues/{{id}}/availability/?date&days={days}: {timings['endpoint']}")
    print(
        f"    from {first.isoformat()}, 3 spaces a venue: {statistics.fmean(free):.0f} free slots per venue on "
        f"average ({3 * days * 17} when nothing is booked); the same slots as the bare SQL in all {len(venue_ids)} venues"
    )
    return {
        "availability_bare_p50_ms": timings["bare"].p50_ms,
        "availability_bare_p95_ms": timings["bare"].p95_ms,
        "availability_selector_p50_ms": timings["selector"].p50_ms,
        "availability_selector_p95_ms": timings["selector"].p95_ms,
        "availability_endpoint_p50_ms": timings["endpoint"].p50_ms,
        "availability_endpoint_p95_ms": timings["endpoint"].p95_ms,
    }


# --- (3) booking throughput -----------------------------------------------------------------------------------


def overlapping_bookings() -> int:
    """Live bookings that overlap an earlier live booking of a shared leaf space: must be 0."""
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute(OVERLAPS_SQL)
        (count,) = cursor.fetchone()
        cursor.execute("RESET statement_timeout")
    return int(count)


def _measure_throughput(
    jurisdiction: Jurisdiction, first: date, *, clients: int, attempts: int
) -> dict[str, Any]:
    user_model = get_user_model()
    users = [user_model.objects.get_or_create(username=f"bench-client-{i}")[0] for i in range(clients)]
    # A small pool of venues and the first booked evening, so clients really compete for slots (and
    # meet the generated bookings).
    spaces = list(Space.objects.filter(venue__jurisdiction=jurisdiction).order_by("venue_id", "id")[:30])
    base = datetime.combine(first, clock(18), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    results = {"won": 0, "conflict": 0, "error": 0}
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(index)
        close_old_connections()
        try:
            for _ in range(attempts):
                space = rng.choice(spaces)
                start = base + timedelta(hours=rng.randrange(0, 5))
                try:
                    services.book_space(
                        user=users[index], space_id=space.pk, start=start, end=start + timedelta(hours=1)
                    )
                    outcome = "won"
                except Conflict:
                    outcome = "conflict"
                except Exception:  # counted: any other failure would be a 500 for a citizen
                    outcome = "error"
                with lock:
                    results[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = sum(results.values())
    started = time.perf_counter()
    overlaps = overlapping_bookings()
    check_s = time.perf_counter() - started
    print(
        f"(3) booking throughput: {total / elapsed:,.0f} attempts/s with {clients} concurrent clients "
        f"({results['won']} booked, {results['conflict']} refused as taken, {results['error']} errors); "
        f"overlapping live bookings afterwards: {overlaps} (checked over all bookings in {check_s:.1f} s)"
    )
    return {"attempts_per_s": total / elapsed, "errors": results["error"], "overlaps": overlaps}


def run(*, venues: int, bookings: int, samples: int, clients: int, attempts: int) -> dict[str, Any]:
    jurisdiction = _bench_jurisdiction()
    _ensure_districts(jurisdiction)
    first = timezone.now().astimezone(ZoneInfo(ZONE)).date() + timedelta(days=1)
    started = time.perf_counter()
    if _current_data(jurisdiction, venues=venues, bookings=bookings, first=first):
        how = f"reused from an earlier run ({time.perf_counter() - started:.1f} s to check)"
    else:
        generate(jurisdiction, venues=venues, bookings=bookings, first=first)
        how = f"generated in {time.perf_counter() - started:.1f} s"
    print(f"venues: {_describe(jurisdiction)}; booked {first.isoformat()} + {BOOKED_DAYS - 1} days; {how}")

    results: dict[str, Any] = {}
    results.update(_measure_search(jurisdiction, _search_samples(samples, first)))
    results.update(_measure_availability(jurisdiction, samples, first, days=7))
    results.update(_measure_throughput(jurisdiction, first, clients=clients, attempts=attempts))
    return results

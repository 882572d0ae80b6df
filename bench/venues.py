"""Venues and bookings at scale (issue "venues"): booking throughput under concurrent clients with
zero overlaps, on synthetic venues generated inside PostGIS.

Every booking goes through `services.book_space` (rules, venue lock, exclusion constraint); after the
run a self-join over all live bookings proves that no two overlap.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from bench.synthetic import MIN_LAT, MIN_LON, SPAN
from geo_services.core.errors import Conflict
from geo_services.core.models import District, Jurisdiction
from geo_services.venues import services
from geo_services.venues.models import Space


def generate_venues(jurisdiction: Jurisdiction, district: District, *, count: int) -> None:
    """`count` venues, each with a pitch split into two halves, open 06:00-23:00 every day."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM venues_booking WHERE space_id IN (SELECT s.id FROM venues_space s "
            "JOIN venues_venue v ON v.id = s.venue_id WHERE v.jurisdiction_id = %s)",
            [jurisdiction.pk],
        )
        cursor.execute("DELETE FROM venues_venue WHERE jurisdiction_id = %s", [jurisdiction.pk])
        cursor.execute("SELECT setseed(0.3)")
        cursor.execute(
            """
            INSERT INTO venues_venue (jurisdiction_id, district_id, kind, code, name_ar, name_en, description_ar,
                description_en, location, capacity, amenities, accessibility_ar, accessibility_en,
                contact_phone, contact_email, active)
            SELECT %(j)s, %(d)s, 'sports_pitch', 'v' || g, 'ملعب ' || g, 'Pitch ' || g, '', '',
                   ST_SetSRID(ST_MakePoint(%(lon)s + random() * %(span)s, %(lat)s + random() * %(span)s), 4326),
                   22, '[]', '', '', '', '', true
            FROM generate_series(1, %(count)s) g
            """,
            {
                "j": jurisdiction.pk,
                "d": district.pk,
                "lon": MIN_LON,
                "lat": MIN_LAT,
                "span": SPAN,
                "count": count,
            },
        )
        rules = (
            "slot_minutes, min_minutes, max_minutes, buffer_minutes, min_notice_hours, max_days_ahead, "
            "approval_required, price_per_hour, cancellation_hours, max_active_per_user, bookable"
        )
        values = "60, 60, 120, 0, 0, 60, false, 0, 24, 1000, true"
        cursor.execute(
            f"INSERT INTO venues_space (venue_id, code, name_ar, name_en, {rules}) "
            f"SELECT id, 'full', 'كامل', 'Full', {values} FROM venues_venue WHERE jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        for half in ("a", "b"):
            cursor.execute(
                f"INSERT INTO venues_space (venue_id, parent_id, code, name_ar, name_en, {rules}) "
                f"SELECT v.id, s.id, %s, %s, %s, {values} FROM venues_venue v "
                "JOIN venues_space s ON s.venue_id = v.id AND s.code = 'full' WHERE v.jurisdiction_id = %s",
                [half, half, half, jurisdiction.pk],
            )
        cursor.execute(
            "INSERT INTO venues_openinghours (space_id, weekday, opens, closes) "
            "SELECT s.id, d, '06:00', '23:00' FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id "
            "CROSS JOIN generate_series(0, 6) d WHERE v.jurisdiction_id = %s",
            [jurisdiction.pk],
        )
        cursor.execute("ANALYZE venues_venue; ANALYZE venues_space; ANALYZE venues_openinghours")


def overlapping_pairs(jurisdiction: Jurisdiction) -> int:
    """Pairs of live bookings that share a leaf space and overlapping time: must be 0."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM venues_booking a JOIN venues_booking b
              ON a.id < b.id AND a.leaves && b.leaves AND a.during && b.during
            JOIN venues_space s ON s.id = a.space_id JOIN venues_venue v ON v.id = s.venue_id
            WHERE v.jurisdiction_id = %s AND a.status IN ('requested', 'confirmed')
              AND b.status IN ('requested', 'confirmed')
            """,
            [jurisdiction.pk],
        )
        return int(cursor.fetchone()[0])


def run(*, venues: int, clients: int, attempts: int) -> dict[str, float]:
    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code="bench", defaults={"name_ar": "قياس", "name_en": "Benchmark", "time_zone": "Asia/Riyadh"}
    )
    district = District.objects.filter(jurisdiction=jurisdiction).first()
    if district is None:
        raise SystemExit("run the routing benchmark first: it creates the benchmark districts")
    started = time.perf_counter()
    generate_venues(jurisdiction, district, count=venues)
    print(f"venues: {venues:,} venues x 3 spaces generated in {time.perf_counter() - started:.1f} s")

    user_model = get_user_model()
    users = [user_model.objects.get_or_create(username=f"bench-client-{i}")[0] for i in range(clients)]
    # A small pool of venues and tomorrow's evening hours, so clients really compete for slots.
    spaces = list(Space.objects.filter(venue__jurisdiction=jurisdiction).order_by("venue_id", "id")[:30])
    base = (datetime.now(UTC) + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
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
    overlaps = overlapping_pairs(jurisdiction)
    print(
        f"booking throughput: {total / elapsed:,.0f} attempts/s with {clients} concurrent clients "
        f"({results['won']} booked, {results['conflict']} refused as taken, {results['error']} errors); "
        f"overlapping live bookings afterwards: {overlaps}"
    )
    return {"attempts_per_s": total / elapsed, "errors": results["error"], "overlaps": overlaps}

"""Data of the load benchmark, in the Amman demo jurisdiction of a database of its own.

On top of `load_demo` (the 22 GAM districts, departments, service categories, the demo venues,
checklists and initiatives), generated inside PostGIS at points drawn inside the districts
(`ST_GeneratePoints`, as many per district as its share of the city's area):

- venues: pitches, halls and community centres, each a whole floor and two halves open 06:00-23:00,
  with about ten bookings each over the seven days from tomorrow (written through the triggers and
  the exclusion constraint, each in a two-hour block of its own, so they never collide), booked by
  generated citizens;
- service requests: reports of the demo's categories spread over the past year, each with the
  district it lies in and the category's department;
- inspectors: accounts with API tokens, and a day of jobs each, due today, created by a dispatcher
  through `inspections.services.create_job` (the jobs are consumed by the run: made again each run);
- planners: accounts with API tokens (and a password, for HTTP Basic);
- an Open311 api_key for the citizens' reports (a new one every run: only its hash is stored).

Venues and requests are kept between runs and generated again only when their number differs from the
one asked (bookings also when their week is no longer the coming one); the reports posted by an
earlier run are removed first.
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

DATABASE = "amanah_bench_load"
JURISDICTION = "amman"
ZONE = "Asia/Amman"
VENUE_PREFIX = "load-v"
CITIZEN_PREFIX = "load-citizen-"
INSPECTOR_PREFIX = "load-inspector-"
PLANNER_PREFIX = "load-planner-"
DISPATCHER = "load-dispatcher"
TEMPLATE = "load-site-visit"
# device_id of the generated reports, and of those the scenario posts (removed before each run).
GENERATED_DEVICE = "bench-load"
POSTED_DEVICE = "bench-load-citizen"
CITIZENS = 2_000
BOOKED_DAYS = 7
BLOCKS_PER_DAY = 8
PLANNER_PASSWORD = "load-planner-password"  # noqa: S105 - benchmark accounts in the benchmark database
USER_AGENT = "Amanah load benchmark"

# Points inside the jurisdiction's districts, as many per district as its share of the area.
POINTS_SQL = """
    WITH d AS (
        SELECT id, geom, ST_Area(geom::geography) AS area FROM core_district WHERE jurisdiction_id = %(j)s
    ),
    t AS (SELECT sum(area) AS total FROM d)
    SELECT d.id AS district_id, p.geom
    FROM d CROSS JOIN t
    CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(d.geom, GREATEST(1, ceil(%(count)s * d.area / t.total))::int,
                                                 %(seed)s)) p
"""

VENUES_SQL = f"""
    INSERT INTO venues_venue (jurisdiction_id, district_id, kind, code, name_ar, name_en, description_ar,
        description_en, location, capacity, amenities, accessibility_ar, accessibility_en,
        contact_phone, contact_email, active)
    SELECT %(j)s, district_id,
           (ARRAY['sports_pitch', 'sports_pitch', 'hall', 'community_centre'])[1 + (i %% 4)::int],
           '{VENUE_PREFIX}' || i, 'مرفق ' || i, 'Venue ' || i, '', '', geom, 60, '[]', '', '', '', '', true
    FROM (SELECT row_number() OVER (ORDER BY random()) AS i, district_id, geom FROM ({POINTS_SQL}) p) n
    WHERE i <= %(count)s
"""


def _spaces_sql() -> str:
    """A whole floor and two halves per generated venue, with bench.venues' booking rules."""
    from bench.venues import _RULE_VALUES, _RULES

    return f"""
    INSERT INTO venues_space (venue_id, parent_id, code, name_ar, name_en, {_RULES})
    SELECT id, NULL, 'full', 'كامل', 'Whole', {_RULE_VALUES}
    FROM venues_venue WHERE code LIKE '{VENUE_PREFIX}%%' ORDER BY id;
    INSERT INTO venues_space (venue_id, parent_id, code, name_ar, name_en, {_RULES})
    SELECT s.venue_id, s.id, half.code, half.name_ar, half.name_en, {_RULE_VALUES}
    FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id AND v.code LIKE '{VENUE_PREFIX}%%'
    CROSS JOIN (VALUES ('a', 'النصف أ', 'Half A'), ('b', 'النصف ب', 'Half B')) half(code, name_ar, name_en)
    WHERE s.code = 'full' ORDER BY s.venue_id, half.code
"""


HOURS_SQL = f"""
    INSERT INTO venues_openinghours (space_id, weekday, opens, closes)
    SELECT s.id, d, '06:00', '23:00'
    FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id AND v.code LIKE '{VENUE_PREFIX}%%'
    CROSS JOIN generate_series(0, 6) d
    ORDER BY s.id, d
"""

# Booking g is the (g / venues)-th of venue (g mod venues); the k-th booking of a venue lies in the
# k-th band of its week's blocks, so no two bookings of a venue share a block (as bench.venues does).
BOOKINGS_SQL = f"""
    WITH venue_spaces AS (
        SELECT row_number() OVER (ORDER BY v.id) - 1 AS n,
               min(s.id) FILTER (WHERE s.code = 'full') AS full_id,
               min(s.id) FILTER (WHERE s.code = 'a') AS a_id,
               min(s.id) FILTER (WHERE s.code = 'b') AS b_id
        FROM venues_venue v JOIN venues_space s ON s.venue_id = v.id
        WHERE v.code LIKE '{VENUE_PREFIX}%%' GROUP BY v.id
    ),
    citizens AS (
        SELECT array_agg(id ORDER BY id) AS ids FROM auth_user WHERE username LIKE '{CITIZEN_PREFIX}%%'
    ),
    picks AS (
        SELECT g %% %(venues)s AS n,
               (g / %(venues)s) * %(band)s + floor(random() * %(band)s)::int AS block,
               random() AS r_space, random() AS r_length, random() AS r_hour, random() AS r_status,
               random() AS r_user
        FROM generate_series(0, %(count)s - 1) g
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

REQUESTS_SQL = f"""
    WITH categories AS (
        SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, default_department_id, sla_hours
        FROM service_requests_servicecategory WHERE jurisdiction_id = %(j)s AND active
    ),
    points AS (
        SELECT row_number() OVER (ORDER BY random()) AS i, district_id, geom FROM ({POINTS_SQL}) p
    ),
    picked AS (
        SELECT p.*, c.id AS category_id, c.default_department_id, c.sla_hours,
               (ARRAY['new', 'new', 'new', 'assigned', 'in_progress', 'resolved', 'resolved', 'resolved',
                      'not_actionable', 'referred'])[1 + floor(random() * 10)::int] AS status,
               %(now)s - random() * interval '365 days' AS requested_at
        FROM points p JOIN categories c ON c.n = p.i %% (SELECT count(*) FROM categories)
        WHERE p.i <= %(count)s
    )
    INSERT INTO service_requests_servicerequest (
        jurisdiction_id, category_id, department_id, district_id, location, address, description,
        attributes, status, token, requested_at, updated_at, expected_at, closed_at, contact_first_name,
        contact_last_name, contact_email, contact_phone, device_id, photo, photo_thumbnail, media_url)
    SELECT %(j)s, category_id, default_department_id, district_id, geom, '', '', '{{}}',
           status, gen_random_uuid(), requested_at, requested_at,
           requested_at + make_interval(hours => sla_hours),
           CASE WHEN status IN ('resolved', 'not_actionable', 'referred')
                THEN requested_at + interval '30 hours' END,
           '', '', '', '', '{GENERATED_DEVICE}', '', '', ''
    FROM picked
    ORDER BY requested_at
"""


@dataclass
class LoadData:
    jurisdiction_id: int
    sizes: dict[str, int] = field(default_factory=dict)
    generated: list[str] = field(default_factory=list)
    api_key: str = ""
    template_version: int = 0
    inspectors: list[dict[str, Any]] = field(default_factory=list)
    planners: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        text = "data: " + ", ".join(f"{name} {count:,}" for name, count in self.sizes.items())
        if self.generated:
            text += "; generated now: " + ", ".join(self.generated)
        return text


def _require_load_database() -> None:
    name = connection.settings_dict["NAME"]
    if name != DATABASE:
        raise SystemExit(f"refusing to replace rows of {name!r}: only the load benchmark's database")


def _scalar(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _timed(label: str, started: float) -> str:
    return f"{label} in {time.perf_counter() - started:.0f} s"


def local_today() -> date:
    from geo_services.inspections import services

    return services.local_today(ZONE)


def points_inside(jurisdiction_id: int, count: int, *, seed: int) -> list[tuple[float, float]]:
    """`count` (lon, lat) points inside the districts, spread by area, in a seeded random order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_X(geom), ST_Y(geom) FROM ({POINTS_SQL}) p",
            {"j": jurisdiction_id, "count": count, "seed": seed},
        )
        points = [(round(lon, 6), round(lat, 6)) for lon, lat in cursor.fetchall()]
    random.Random(seed).shuffle(points)
    return points[:count]


def _ensure_demo() -> int:
    from django.core.management import call_command

    from geo_services.core.models import Jurisdiction

    # Idempotent; its summary (in Arabic) is not part of the benchmark's output.
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    return Jurisdiction.objects.get(code=JURISDICTION).pk


def _remove_posted_reports(data: LoadData) -> None:
    """The reports the scenario posted in an earlier run, with their history."""
    with connection.cursor() as cursor:
        posted = "SELECT id FROM service_requests_servicerequest WHERE device_id = %s"
        cursor.execute(
            f"DELETE FROM service_requests_statuschange WHERE request_id IN ({posted})", [POSTED_DEVICE]
        )
        cursor.execute(
            f"DELETE FROM service_requests_servicerequest_followers WHERE servicerequest_id IN ({posted})",
            [POSTED_DEVICE],
        )
        cursor.execute("DELETE FROM service_requests_servicerequest WHERE device_id = %s", [POSTED_DEVICE])


def _ensure_citizens() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined)
            SELECT '!', false, '{CITIZEN_PREFIX}' || g, '', '', '', false, true, now()
            FROM generate_series(1, %(count)s) g
            ON CONFLICT (username) DO NOTHING
            """,
            {"count": CITIZENS},
        )


def _ensure_venues(data: LoadData, *, count: int, bookings_per_venue: int) -> None:
    j = data.jurisdiction_id
    like = f"{VENUE_PREFIX}%"
    have = _scalar("SELECT count(*) FROM venues_venue WHERE code LIKE %s", [like])
    spaces = (
        f"SELECT s.id FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id WHERE v.code LIKE '{like}'"
    )
    first = local_today() + timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        if have != count:
            started = time.perf_counter()
            cursor.execute(f"DELETE FROM venues_booking WHERE space_id IN ({spaces})")
            cursor.execute(f"DELETE FROM venues_openingexception WHERE space_id IN ({spaces})")
            cursor.execute(f"DELETE FROM venues_openinghours WHERE space_id IN ({spaces})")
            # Halves before the whole floor they belong to.
            cursor.execute(f"DELETE FROM venues_space WHERE id IN ({spaces}) AND parent_id IS NOT NULL")
            cursor.execute(f"DELETE FROM venues_space WHERE id IN ({spaces})")
            cursor.execute("DELETE FROM venues_venue WHERE code LIKE %s", [like])
            cursor.execute(VENUES_SQL, {"j": j, "count": count, "seed": 31})
            # As bench.venues does: the spaces without row triggers, which have nothing to check here
            # (no booking yet, every half's parent is its own venue's whole floor).
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(_spaces_sql())
            finally:
                cursor.execute("RESET session_replication_role")
            cursor.execute(HOURS_SQL)
            data.generated.append(_timed("venues", started))
        per_venue = bookings_per_venue
        expected = count * per_venue
        cursor.execute(
            f"SELECT count(*), min(lower(during)) FROM venues_booking WHERE space_id IN ({spaces})"
        )
        booked, earliest = cursor.fetchone()
        current = booked == expected and (
            expected == 0 or (earliest is not None and earliest.astimezone(ZoneInfo(ZONE)).date() == first)
        )
        if not current:
            started = time.perf_counter()
            _ensure_citizens()
            cursor.execute(f"DELETE FROM venues_booking WHERE space_id IN ({spaces})")
            if expected:
                blocks = BOOKED_DAYS * BLOCKS_PER_DAY
                if per_venue > blocks:
                    raise SystemExit(f"at most {blocks} bookings per venue fit the generated week")
                cursor.execute("SELECT setseed(0.37)")
                cursor.execute(
                    BOOKINGS_SQL,
                    {
                        "venues": count,
                        "count": expected,
                        "band": blocks // per_venue,
                        "first": first,
                        "zone": ZONE,
                    },
                )
            data.generated.append(_timed("bookings", started))
        cursor.execute("VACUUM ANALYZE venues_venue, venues_space, venues_openinghours, venues_booking")
        cursor.execute("RESET statement_timeout")
    data.sizes["venues"] = _scalar(
        "SELECT count(*) FROM venues_venue WHERE jurisdiction_id = %s AND active", [j]
    )
    data.sizes["bookable spaces"] = _scalar(
        "SELECT count(*) FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id "
        "WHERE v.jurisdiction_id = %s AND s.bookable",
        [j],
    )
    data.sizes["bookings"] = _scalar(
        "SELECT count(*) FROM venues_booking b JOIN venues_space s ON s.id = b.space_id "
        "JOIN venues_venue v ON v.id = s.venue_id WHERE v.jurisdiction_id = %s",
        [j],
    )


def _ensure_requests(data: LoadData, *, count: int) -> None:
    from django.utils import timezone

    j = data.jurisdiction_id
    have = _scalar(
        "SELECT count(*) FROM service_requests_servicerequest WHERE device_id = %s", [GENERATED_DEVICE]
    )
    if have != count:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            generated = "SELECT id FROM service_requests_servicerequest WHERE device_id = %s"
            cursor.execute(
                f"DELETE FROM service_requests_statuschange WHERE request_id IN ({generated})",
                [GENERATED_DEVICE],
            )
            cursor.execute(
                "DELETE FROM service_requests_servicerequest WHERE device_id = %s", [GENERATED_DEVICE]
            )
            cursor.execute("SELECT setseed(0.53)")
            # Without the foreign-key triggers (as bench.layers_data does): every row names a category,
            # department and jurisdiction read above and the district its point was drawn in.
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(REQUESTS_SQL, {"j": j, "count": count, "seed": 47, "now": timezone.now()})
            finally:
                cursor.execute("RESET session_replication_role")
            cursor.execute("VACUUM ANALYZE service_requests_servicerequest")
            cursor.execute("RESET statement_timeout")
        data.generated.append(_timed("service requests", started))
    data.sizes["service requests"] = _scalar(
        "SELECT count(*) FROM service_requests_servicerequest WHERE jurisdiction_id = %s", [j]
    )


def _checklist() -> list[dict[str, Any]]:
    """A site visit without photo items: the scenario sends answers (photo uploads are measured by
    the field sync benchmark)."""
    return [
        {
            "key": "safe",
            "type": "yes_no",
            "label_ar": "الموقع آمن",
            "label_en": "Site safe",
            "weight": 1,
            "critical": True,
            "required": True,
        },
        {
            "key": "condition",
            "type": "score",
            "label_ar": "الحالة العامة",
            "label_en": "General condition",
            "weight": 2,
            "max_score": 4,
            "required": True,
        },
        {
            "key": "defects",
            "type": "number",
            "label_ar": "عدد العيوب",
            "label_en": "Defects found",
            "weight": 1,
            "min_value": 0,
            "max_value": 3,
        },
        {"key": "notes", "type": "text", "label_ar": "ملاحظات", "label_en": "Notes", "weight": 0},
    ]


def _staff(username: str, role: Any, jurisdiction: Any, *, password: str | None = None) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from geo_services.core.models import StaffMember

    user, created = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    StaffMember.objects.get_or_create(user=user, defaults={"jurisdiction": jurisdiction})
    return user


def _ensure_staff(data: LoadData, *, inspectors: int, jobs_per_inspector: int, planners: int) -> None:
    from django.contrib.gis.geos import Point
    from rest_framework.authtoken.models import Token

    from geo_services.core.models import Jurisdiction
    from geo_services.core.roles import Role
    from geo_services.inspections import services
    from geo_services.inspections.checklists import parse_items
    from geo_services.inspections.models import ChecklistTemplate, TargetKind, TemplateKind

    jurisdiction = Jurisdiction.objects.get(pk=data.jurisdiction_id)
    dispatcher = _staff(DISPATCHER, Role.DISPATCHER, jurisdiction)
    audit = services.Audit(actor=dispatcher, user_agent=USER_AGENT)
    template = ChecklistTemplate.objects.filter(jurisdiction=jurisdiction, code=TEMPLATE).first()
    items = parse_items(_checklist())
    if template is None:
        version = services.create_template(
            audit=audit,
            jurisdiction=jurisdiction,
            code=TEMPLATE,
            kind=TemplateKind.FACILITY,
            name_ar="زيارة موقع",
            name_en="Site visit",
            items=items,
            min_gps_accuracy_m=25.0,
            max_distance_m=100.0,
            pass_score=Decimal(70),
        )
    else:
        version, _published = services.publish_template_version(
            audit=audit,
            template_id=template.pk,
            items=items,
            min_gps_accuracy_m=25.0,
            max_distance_m=100.0,
            pass_score=Decimal(70),
        )
    data.template_version = version.number

    users = [
        _staff(f"{INSPECTOR_PREFIX}{n:02d}", Role.INSPECTOR, jurisdiction) for n in range(1, inspectors + 1)
    ]
    _clear_jobs([user.pk for user in users])
    started = time.perf_counter()
    today = local_today()
    points = points_inside(data.jurisdiction_id, inspectors * jobs_per_inspector, seed=61)
    for index, user in enumerate(users):
        token, _ = Token.objects.get_or_create(user=user)
        jobs = []
        # An inspector's day lies in one part of the city: consecutive points of one district's share.
        mine = sorted(points[index * jobs_per_inspector : (index + 1) * jobs_per_inspector])
        for number, (lon, lat) in enumerate(mine, start=1):
            job = services.create_job(
                audit=audit,
                template_code=TEMPLATE,
                inspector_id=user.pk,
                due_date=today,
                target=services.JobTarget(
                    kind=TargetKind.POINT,
                    location=Point(lon, lat, srid=4326),
                    label=f"زيارة {number} / Visit {number}",
                ),
            )
            jobs.append({"id": job.pk, "lon": lon, "lat": lat})
        data.inspectors.append({"username": user.username, "token": token.key, "jobs": jobs})
    data.generated.append(_timed(f"{inspectors * jobs_per_inspector:,} jobs", started))
    data.sizes["inspectors"] = inspectors
    data.sizes["jobs due today"] = inspectors * jobs_per_inspector

    for n in range(1, planners + 1):
        user = _staff(f"{PLANNER_PREFIX}{n:02d}", Role.PLANNER, jurisdiction, password=PLANNER_PASSWORD)
        token, _ = Token.objects.get_or_create(user=user)
        data.planners.append({"username": user.username, "password": PLANNER_PASSWORD, "token": token.key})
    data.sizes["planners"] = planners


def _clear_jobs(inspector_ids: list[int]) -> None:
    """The load inspectors' jobs and inspections of an earlier run. The audit trail is append-only
    (a trigger refuses deletions); in this benchmark's own database the trigger is set aside for this
    one transaction and only these inspectors' events go (as bench.field_sync does)."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE inspections_auditevent DISABLE TRIGGER insp_audit_append_only")
        cursor.execute(
            """
            DELETE FROM inspections_auditevent
            WHERE job_id IN (SELECT id FROM inspections_inspectionjob WHERE inspector_id = ANY(%(i)s))
               OR inspection_id IN (SELECT id FROM inspections_inspection WHERE inspector_id = ANY(%(i)s))
            """,
            {"i": inspector_ids},
        )
        cursor.execute("ALTER TABLE inspections_auditevent ENABLE TRIGGER insp_audit_append_only")
        cursor.execute(
            """
            DELETE FROM inspections_inspectionphoto
            WHERE inspection_id IN (SELECT id FROM inspections_inspection WHERE inspector_id = ANY(%s))
            """,
            [inspector_ids],
        )
        cursor.execute("DELETE FROM inspections_inspection WHERE inspector_id = ANY(%s)", [inspector_ids])
        cursor.execute("DELETE FROM inspections_inspectionjob WHERE inspector_id = ANY(%s)", [inspector_ids])


def open_jobs(data: LoadData) -> list[dict[str, Any]]:
    """The inspectors with the jobs still open (an earlier step consumed some)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM inspections_inspectionjob WHERE status = 'assigned' AND id = ANY(%s)",
            [[job["id"] for inspector in data.inspectors for job in inspector["jobs"]]],
        )
        still_open = {row[0] for row in cursor.fetchall()}
    return [
        {**inspector, "jobs": [job for job in inspector["jobs"] if job["id"] in still_open]}
        for inspector in data.inspectors
    ]


def ensure(
    *,
    venues: int,
    bookings_per_venue: int,
    requests: int,
    inspectors: int,
    jobs_per_inspector: int,
    planners: int,
) -> LoadData:
    from geo_services.core.models import Jurisdiction
    from geo_services.service_requests import services as request_services

    _require_load_database()
    started = time.perf_counter()
    data = LoadData(jurisdiction_id=_ensure_demo())
    data.generated.append(_timed("demo checked", started))
    data.sizes["districts"] = _scalar(
        "SELECT count(*) FROM core_district WHERE jurisdiction_id = %s", [data.jurisdiction_id]
    )
    _remove_posted_reports(data)
    _ensure_venues(data, count=venues, bookings_per_venue=bookings_per_venue)
    _ensure_requests(data, count=requests)
    _ensure_staff(data, inspectors=inspectors, jobs_per_inspector=jobs_per_inspector, planners=planners)
    _record, data.api_key = request_services.create_open311_key(
        jurisdiction=Jurisdiction.objects.get(pk=data.jurisdiction_id), name="Load benchmark"
    )
    return data

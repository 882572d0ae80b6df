"""Killing the process in the middle of a write (SIGKILL, no graceful stop) leaves no partial write,
and doing the write again afterwards completes it exactly once.

Each test makes the kill land mid-write on purpose (see tests/security/interrupting.py): it holds a
lock the write needs only after it has written rows, waits until PostgreSQL shows the writing backend
blocked on that lock with rows written, kills the process, releases the lock and waits until the
orphaned backend is gone. The processes are real: the management commands, and the app served by
gunicorn for the HTTP writes. The data they read is committed (transactional tests) in the test
database, which the processes are pointed at.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, connection, transaction
from rest_framework.authtoken.models import Token

from geo_services.core.models import District, DistrictPart, Jurisdiction
from geo_services.inspections.models import (
    AuditAction,
    AuditEvent,
    Inspection,
    InspectionJob,
    InspectionPhoto,
    JobStatus,
)
from geo_services.venues.models import Booking, BookingLeaf, Course, Venue
from tests.factories import DistrictFactory, JurisdictionFactory, square
from tests.inspections.conftest import jpeg_bytes, submission
from tests.security import interrupting
from tests.security.interrupting import holding

pytestmark = pytest.mark.django_db(transaction=True)


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` to the end, in a process of its own on the test's database."""
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=interrupting.REPO_ROOT,
        env=interrupting.child_env(interrupting.new_app_name("retry")),
        capture_output=True,
        text=True,
        timeout=120,
    )


def kill_when_blocked(process: subprocess.Popen[bytes], app_name: str, holder) -> interrupting.BlockedBackend:
    """Once the process's backend waits for the held lock: kill the process, release the lock and wait
    until PostgreSQL has ended the orphaned backend (rolling its transaction back)."""
    try:
        blocked = interrupting.wait_until_blocked(app_name, process)
    finally:
        interrupting.kill(process)
        holder.rollback()
    interrupting.wait_until_gone(app_name)
    assert process.returncode == -9, interrupting.output_of(process)
    return blocked


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


# --- Imports --------------------------------------------------------------------------------------

VENUE_ROWS = 25


def venue_features(count: int) -> list[dict]:
    return [
        {
            "type": "Feature",
            "properties": {
                "code": f"hall-{n:04d}",
                "kind": "hall",
                "name_ar": f"قاعة {n}",
                "name_en": f"Hall {n}",
            },
            "geometry": {
                "type": "Point",
                "coordinates": [46.61 + (n % 50) * 0.001, 24.61 + (n // 50) * 0.001],
            },
        }
        for n in range(1, count + 1)
    ]


def test_a_layer_import_killed_while_inserting_writes_nothing(tmp_path):
    city = JurisdictionFactory.create(code="kill-layer")
    district = DistrictFactory.create(jurisdiction=city, code="kill-centre", geom=square(46.6, 24.6, 0.2))
    path = geojson(tmp_path / "venues.geojson", venue_features(VENUE_ROWS))
    last_code = f"hall-{VENUE_ROWS:04d}"
    app_name = interrupting.new_app_name("import-layer")
    args = ["import_layer", "venues", str(path), "--set", f"jurisdiction={city.code}"]

    # The test's own transaction inserts (and does not commit) a venue with the file's last code: the
    # import cannot see it, so its checks pass, but its INSERT, having written the rows before the last,
    # must wait at the last one to learn whether that code is taken.
    with holding(
        "INSERT INTO venues_venue (jurisdiction_id, district_id, kind, code, name_ar, name_en, description_ar,"
        " description_en, location, amenities, accessibility_ar, accessibility_en, contact_phone, contact_email,"
        " active) VALUES (%s, %s, 'hall', %s, 'x', 'x', '', '', ST_SetSRID(ST_MakePoint(46.7, 24.7), 4326),"
        " '[]', '', '', '', '', true)",
        [city.pk, district.pk, last_code],
    ) as holder:
        process = interrupting.start_command(args, app_name=app_name, log_path=tmp_path / "killed.log")
        blocked = kill_when_blocked(process, app_name, holder)

    assert blocked.xid is not None, "the import's transaction had not written yet"
    assert "venues_venue" in blocked.written
    assert blocked.wait_event == "transactionid"  # waiting for the test's transaction, on the unique code
    assert not Venue.objects.filter(jurisdiction=city).exists()

    retry = run_command(*args)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert sorted(Venue.objects.filter(jurisdiction=city).values_list("code", flat=True)) == [
        f"hall-{n:04d}" for n in range(1, VENUE_ROWS + 1)
    ]
    # Once: the same file again is refused (every code exists) and writes nothing.
    again = run_command(*args)
    assert again.returncode != 0
    assert f"{VENUE_ROWS}" in again.stderr
    assert Venue.objects.filter(jurisdiction=city).count() == VENUE_ROWS


def district_feature(code: str, name: str, geometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name_en": name, "name_ar": f"لواء {name}"},
        "geometry": json.loads(geometry.json),
    }


def boundary_state(jurisdiction: Jurisdiction) -> tuple:
    districts = list(
        District.objects.filter(jurisdiction=jurisdiction)
        .order_by("code")
        .values_list("code", "name_en", "name_ar", "population", "geom", "updated_at")
    )
    parts = sorted(
        DistrictPart.objects.filter(jurisdiction=jurisdiction)
        .values_list("district_id", "geom")
        .order_by("district_id", "id"),
        key=lambda part: (part[0], part[1].wkb.tobytes()),
    )
    boundary = Jurisdiction.objects.values_list("boundary", "updated_at").get(pk=jurisdiction.pk)
    return districts, [(d, g.wkt) for d, g in parts], boundary


def test_a_boundary_import_killed_before_its_last_update_writes_nothing(tmp_path):
    city = JurisdictionFactory.create(code="kill-boundaries")
    DistrictFactory.create(
        jurisdiction=city, code="north", name_en="North", name_ar="الشمال", geom=square(46.6, 24.7, 0.1)
    )
    with connection.cursor() as cursor:  # the jurisdiction's boundary as an import leaves it
        cursor.execute(
            "UPDATE core_jurisdiction SET boundary = (SELECT ST_Multi(ST_Union(geom)) FROM core_district"
            " WHERE jurisdiction_id = %s) WHERE id = %s",
            [city.pk, city.pk],
        )
    before = boundary_state(city)
    # North changes its shape and name; south and east are new.
    path = geojson(
        tmp_path / "districts.geojson",
        [
            district_feature("north", "North Liwa", square(46.6, 24.7, 0.12)),
            district_feature("south", "South", square(46.6, 24.6, 0.1)),
            district_feature("east", "East", square(46.7, 24.6, 0.1)),
        ],
    )
    args = [
        "import_boundaries",
        str(path),
        "--jurisdiction",
        city.code,
        "--code-field",
        "code",
        "--name-field",
        "name_en",
        "--name-ar-field",
        "name_ar",
    ]
    app_name = interrupting.new_app_name("import-boundaries")
    # The jurisdiction's row, which the import updates last (its boundary, the union of the districts).
    # NO KEY UPDATE leaves the district rows' foreign key checks free: only that last UPDATE waits.
    with holding("SELECT 1 FROM core_jurisdiction WHERE id = %s FOR NO KEY UPDATE", [city.pk]) as holder:
        process = interrupting.start_command(args, app_name=app_name, log_path=tmp_path / "killed.log")
        blocked = kill_when_blocked(process, app_name, holder)

    assert blocked.xid is not None
    # Districts created and updated, and their parts rewritten by the trigger, before the kill.
    assert {"core_district", "core_districtpart"} <= blocked.written
    assert boundary_state(city) == before

    retry = run_command(*args)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    districts = {d.code: d for d in District.objects.filter(jurisdiction=city)}
    assert set(districts) == {"north", "south", "east"}
    assert districts["north"].name_en == "North Liwa"
    assert districts["north"].geom.equals_exact(GEOSGeometry(square(46.6, 24.7, 0.12).wkt, srid=4326), 1e-9)
    city.refresh_from_db()
    assert city.boundary is not None
    assert city.boundary.area == pytest.approx(sum(d.geom.area for d in districts.values()))
    # Once: the same file again changes nothing (no district, part or boundary rewritten).
    after = boundary_state(city)
    assert run_command(*args).returncode == 0
    assert boundary_state(city) == after


# --- Writes through the HTTP API, served by gunicorn ----------------------------------------------


def in_background(call: Callable[[], requests.Response]) -> Future[requests.Response]:
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call)
    finally:
        pool.shutdown(wait=False)


def assert_cut_off(answer: Future[requests.Response]) -> None:
    """The killed server never answered the request."""
    with pytest.raises(requests.ConnectionError):
        answer.result(timeout=interrupting.WAIT_SECONDS)


def token_of(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}", "Accept-Language": "en"}


COURSES = "/api/v1/courses/"


def course_rows() -> tuple[int, int, int]:
    return Course.objects.count(), Booking.objects.count(), BookingLeaf.objects.count()


def test_a_course_booking_killed_after_its_sessions_are_written_books_nothing(
    tmp_path, citizen, booking_space, tomorrow
):
    space = booking_space()
    headers = token_of(citizen)
    # Every day for two weeks: 14 sessions, booked all or none.
    body = {
        "space": space.pk,
        "title": "دورة الخط العربي",
        "weekdays": list(range(7)),
        "first_date": tomorrow.isoformat(),
        "weeks": 2,
        "start_time": "10:00",
        "end_time": "11:00",
    }
    app_name = interrupting.new_app_name("course")
    media = tmp_path / "media"
    with interrupting.app_server(
        app_name=app_name, log_path=tmp_path / "killed.log", media_root=media
    ) as server:
        # The course row and its 14 bookings are inserted first; the bookings' trigger then writes
        # which floor each one holds (venues_bookingleaf), and that needs a lock SHARE refuses (reading
        # the table, which the collision check does before, is still allowed).
        with holding("LOCK TABLE venues_bookingleaf IN SHARE MODE") as holder:
            answer = in_background(
                lambda: requests.post(f"{server.url}{COURSES}", json=body, headers=headers, timeout=60)
            )
            blocked = kill_when_blocked(server.process, app_name, holder)
        assert_cut_off(answer)

    assert blocked.xid is not None
    assert {"venues_course", "venues_booking"} <= blocked.written
    assert "venues_bookingleaf" in blocked.waiting_for
    assert course_rows() == (0, 0, 0)

    with interrupting.app_server(
        app_name=interrupting.new_app_name("course-retry"), log_path=tmp_path / "retry.log", media_root=media
    ) as server:
        retry = requests.post(f"{server.url}{COURSES}", json=body, headers=headers, timeout=60)
        assert retry.status_code == 201, retry.text
        assert course_rows() == (1, 14, 14)
        assert Booking.objects.filter(course_id=retry.json()["id"], user=citizen).count() == 14
        # Once: the same course again collides with every one of its own sessions and books nothing.
        again = requests.post(f"{server.url}{COURSES}", json=body, headers=headers, timeout=60)
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "course_collides"
        assert len(again.json()["error"]["details"]["colliding"]) == 14
    assert course_rows() == (1, 14, 14)


def inspection_url(server, key: str) -> str:
    return f"{server.url}/api/v1/field/inspections/{key}/"


def photo_url(server, key: str, photo: str) -> str:
    return f"{server.url}/api/v1/field/inspections/{key}/photos/{photo}/"


class Tablet:
    """What the app's outbox sends for each finished inspection: the inspection, then its photo."""

    def __init__(self, inspector, jobs) -> None:
        self.headers = {**token_of(inspector), "X-Device-Id": str(uuid.uuid4())}
        self.outbox = []
        for n, job in enumerate(jobs):
            photo = jpeg_bytes(colour=(40 * n, 120, 200))
            photo_uuid = str(uuid.uuid4())
            body = submission(job, photo=photo, photo_uuid=photo_uuid)
            self.outbox.append((str(uuid.uuid4()), body, photo_uuid, photo))

    def send_inspection(self, server, n: int) -> requests.Response:
        key, body, _photo_uuid, _photo = self.outbox[n]
        return requests.put(inspection_url(server, key), json=body, headers=self.headers, timeout=60)

    def send_photo(self, server, n: int) -> requests.Response:
        key, _body, photo_uuid, photo = self.outbox[n]
        return requests.put(
            photo_url(server, key, photo_uuid),
            data=photo,
            headers={**self.headers, "Content-Type": "image/jpeg"},
            timeout=60,
        )

    def sync(self, server, n: int) -> tuple[int, int]:
        """Send record n whole; the statuses of the inspection and of its photo."""
        inspection, photo = self.send_inspection(server, n), self.send_photo(server, n)
        assert photo.json()["complete"] is True, photo.text
        return inspection.status_code, photo.status_code


def received(job: InspectionJob) -> list[str]:
    return list(
        AuditEvent.objects.filter(job=job)
        .exclude(action=AuditAction.JOB_CREATED)
        .order_by("id")
        .values_list("action", flat=True)
    )


WHOLE = [AuditAction.INSPECTION_RECEIVED, AuditAction.PHOTO_RECEIVED, AuditAction.JOB_DONE]


def test_a_sync_killed_while_storing_an_inspection_keeps_whole_records_only(tmp_path, inspector, make_job):
    jobs = [make_job(label=f"حديقة {n}") for n in range(3)]
    tablet = Tablet(inspector, jobs)
    media = tmp_path / "media"
    app_name = interrupting.new_app_name("sync")
    with interrupting.app_server(
        app_name=app_name, log_path=tmp_path / "killed.log", media_root=media
    ) as server:
        assert tablet.sync(server, 0) == (201, 201)
        # The inspection and its declared photo rows are inserted first, then its audit event: SHARE
        # on the audit trail lets the job's lock and the inserts through and stops that last insert.
        with holding("LOCK TABLE inspections_auditevent IN SHARE MODE") as holder:
            answer = in_background(lambda: tablet.send_inspection(server, 1))
            blocked = kill_when_blocked(server.process, app_name, holder)
        assert_cut_off(answer)

    assert blocked.xid is not None
    assert {"inspections_inspection", "inspections_inspectionphoto"} <= blocked.written
    assert "inspections_auditevent" in blocked.waiting_for
    # The protocol commits one inspection (and one photo) per request: the first record is whole,
    # the interrupted one left nothing at all.
    first, second, third = jobs
    assert Inspection.objects.get(job=first).completed_at is not None
    assert received(first) == WHOLE
    for job in (second, third):
        job.refresh_from_db()
        assert job.status == JobStatus.ASSIGNED
        assert not Inspection.objects.filter(job=job).exists()
        assert received(job) == []
    assert not InspectionPhoto.objects.filter(uuid=tablet.outbox[1][2]).exists()

    # The tablet sends its outbox again, with the same UUIDs, to the restarted server.
    with interrupting.app_server(
        app_name=interrupting.new_app_name("sync-retry"), log_path=tmp_path / "retry.log", media_root=media
    ) as server:
        assert tablet.sync(server, 0) == (200, 200)
        assert tablet.sync(server, 1) == (201, 201)
        assert tablet.sync(server, 2) == (201, 201)
        assert tablet.sync(server, 1) == (200, 200)

    assert Inspection.objects.count() == 3
    for (key, _body, _photo_uuid, _photo), job in zip(tablet.outbox, jobs, strict=True):
        inspection = Inspection.objects.get(uuid=key)
        assert inspection.job_id == job.pk
        assert inspection.completed_at is not None
        assert received(job) == WHOLE
    # A duplicate of a stored inspection is refused by the database itself.
    duplicate = Inspection.objects.get(job=second)
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_sync_killed_while_storing_a_photo_leaves_no_photo_and_the_retry_no_stray_file(
    tmp_path, inspector, make_job
):
    job = make_job()
    tablet = Tablet(inspector, [job])
    key, _body, photo_uuid, _photo = tablet.outbox[0]
    folder = tmp_path / "media" / "inspections" / key
    app_name = interrupting.new_app_name("photo")
    with interrupting.app_server(
        app_name=app_name, log_path=tmp_path / "killed.log", media_root=tmp_path / "media"
    ) as server:
        assert tablet.send_inspection(server, 0).status_code == 201
        # The photo's files are written and its row updated; then the job's row lock is needed (to
        # complete the inspection), which the test holds.
        with holding("SELECT 1 FROM inspections_inspectionjob WHERE id = %s FOR UPDATE", [job.pk]) as holder:
            answer = in_background(lambda: tablet.send_photo(server, 0))
            blocked = kill_when_blocked(server.process, app_name, holder)
        assert_cut_off(answer)

    assert blocked.xid is not None
    assert "inspections_inspectionphoto" in blocked.written
    photo = InspectionPhoto.objects.get(uuid=photo_uuid)
    assert photo.received_at is None
    assert not photo.image
    assert not photo.thumbnail
    job.refresh_from_db()
    assert job.status == JobStatus.ASSIGNED
    assert received(job) == [AuditAction.INSPECTION_RECEIVED]
    # The files were written before the commit; a killed process cannot remove them.
    leftovers = [f"{photo_uuid}-thumbnail.jpg", f"{photo_uuid}.jpg"]
    assert sorted(p.name for p in folder.iterdir()) == leftovers

    with interrupting.app_server(
        app_name=interrupting.new_app_name("photo-retry"),
        log_path=tmp_path / "retry.log",
        media_root=tmp_path / "media",
    ) as server:
        assert tablet.sync(server, 0) == (200, 201)
        assert tablet.sync(server, 0) == (200, 200)

    photo.refresh_from_db()
    assert photo.received_at is not None
    assert received(job) == WHOLE
    # The files the killed request had written are replaced, not left beside the stored ones.
    assert photo.image.name == f"inspections/{key}/{photo_uuid}.jpg"
    assert photo.thumbnail.name == f"inspections/{key}/{photo_uuid}-thumbnail.jpg"
    assert sorted(p.name for p in folder.iterdir()) == leftovers

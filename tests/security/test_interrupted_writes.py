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
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from geo_services.core.models import District, DistrictPart, Jurisdiction
from geo_services.venues.models import Venue
from tests.factories import DistrictFactory, JurisdictionFactory, square
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

"""make backup / make restore: a backup restored into a new database holds every row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from geo_services.core.backups import table_counts
from geo_services.service_requests.services import submit_request


@pytest.fixture
def restored_name(transactional_db) -> Iterator[str]:
    name = f"restore_{uuid.uuid4().hex[:12]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_a_backup_restores_into_a_new_database_with_the_same_rows(amman, restored_name, tmp_path: Path):
    submit_request(
        jurisdiction_code="amman",
        service_code="pothole",
        point=Point(35.9393, 31.9516, srid=4326),
        answers={"size": ["large"]},
    )
    archive = tmp_path / "amanah.dump"
    call_command("backup_database", str(archive), stdout=StringIO())
    assert archive.stat().st_size > 0
    out = StringIO()
    call_command("restore_database", str(archive), "--into", restored_name, stdout=out)
    source, restored = table_counts(), table_counts(restored_name)
    assert restored == source
    assert source["service_requests_servicerequest"] == 1
    assert source["core_district"] == 22
    assert f"restored into {restored_name}" in out.getvalue()


def test_a_restore_never_writes_over_an_existing_database(amman, tmp_path: Path):
    archive = tmp_path / "amanah.dump"
    call_command("backup_database", str(archive), stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (current,) = cursor.fetchone()
    with translation.override("en"), pytest.raises(CommandError, match="exists already"):
        call_command("restore_database", str(archive), "--into", current, stdout=StringIO())


def test_a_broken_archive_leaves_no_database_behind(restored_name, tmp_path: Path):
    archive = tmp_path / "broken.dump"
    archive.write_bytes(b"PGDMP not really an archive")
    with translation.override("en"), pytest.raises(CommandError, match="pg_restore failed"):
        call_command("restore_database", str(archive), "--into", restored_name, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restored_name])
        assert cursor.fetchone() is None


@pytest.mark.parametrize("name", ["Bad-Name", "x; DROP DATABASE amanah", ""])
def test_only_plain_new_database_names(db, tmp_path: Path, name):
    archive = tmp_path / "a.dump"
    archive.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("restore_database", str(archive), "--into", name, stdout=StringIO())


def test_the_make_targets_run_these_commands():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "\nbackup: " in makefile
    assert "$(MANAGE) backup_database $(FILE)" in makefile
    assert "\nrestore: " in makefile
    assert "$(MANAGE) restore_database $(FILE) --into $(INTO)" in makefile

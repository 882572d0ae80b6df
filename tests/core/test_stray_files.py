"""remove_stray_files: uploaded files no row names (left by a write killed before its commit)."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import translation

from geo_services.service_requests.models import ServiceRequest
from geo_services.service_requests.services import submit_request

TWO_HOURS = 2 * 3600


def write(root: Path, name: str, *, age_seconds: float = 0) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 not really a jpeg")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("remove_stray_files", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_only_old_files_no_row_names_are_listed_then_removed(amman, media):
    report = submit_request(
        jurisdiction_code="amman",
        service_code="pothole",
        point=Point(35.9393, 31.9516, srid=4326),
        answers={"size": ["large"]},
    )
    stored = f"requests/{report.request.token}/photo.jpg"
    ServiceRequest.objects.filter(pk=report.request.pk).update(photo=stored)
    kept = write(media, stored, age_seconds=TWO_HOURS)
    stray = write(media, "requests/killed-before-commit/photo.jpg", age_seconds=TWO_HOURS)
    stray_thumbnail = write(media, "requests/killed-before-commit/thumbnail.jpg", age_seconds=TWO_HOURS)
    in_progress = write(media, "requests/still-being-written/photo.jpg")

    listed = run()
    assert "requests/killed-before-commit/photo.jpg" in listed
    assert "requests/killed-before-commit/thumbnail.jpg" in listed
    assert stored not in listed
    assert "still-being-written" not in listed
    assert "2 stray files" in listed
    assert stray.exists()  # a dry run unless told
    assert stray_thumbnail.exists()

    assert "2 stray files removed" in run("--delete")
    assert not stray.exists()
    assert not stray.parent.exists()  # the folder left empty goes too
    assert kept.exists()
    assert in_progress.exists()
    assert "0 stray files" in run("--delete")


def test_the_grace_period_is_a_choice(db, media):
    stray = write(media, "initiatives/proposals/999/photo.jpg", age_seconds=600)
    assert "0 stray files" in run("--delete")
    assert stray.exists()
    assert "1 stray files removed" in run("--delete", "--older-than", "0.1")
    assert not stray.exists()

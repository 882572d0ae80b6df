"""The tablet's sync API (docs/field-sync.md) under hostile input: an inspection whose position is
not a finite WGS84 number, and photos that are not photos though declared and sent as image/jpeg."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from geo_services.inspections.models import InspectionPhoto
from tests.inspections.conftest import (  # noqa: F401 - fixtures used by name
    as_user,
    checklist,
    dispatcher,
    inspection_url,
    inspector,
    jpeg_bytes,
    make_job,
    photo_url,
    roads,
    sha256,
    submission,
)
from tests.security.hostile import raw_json, table_counts
from tests.security.test_hostile_uploads import NOT_PHOTOS

BAD_POSITIONS: list[tuple[str, Any]] = [
    ("not a number", {"lon": "east", "lat": 31.9, "accuracy_m": 5}),
    ("null", {"lon": None, "lat": 31.9, "accuracy_m": 5}),
    ("boolean", {"lon": True, "lat": 31.9, "accuracy_m": 5}),
    ("out of range", {"lon": 200.0, "lat": 100.0, "accuracy_m": 5}),
    ("a list", [35.9, 31.9]),
]
BAD_LITERALS = ["NaN", "Infinity", "-Infinity", "1e400"]


def _put(client: Any, key: str, text: str) -> Any:
    return client.generic("PUT", inspection_url(key), text, content_type="application/json")


def test_hostile_positions_are_refused_and_nothing_is_written(as_user, inspector, make_job):  # noqa: F811
    job = make_job()
    client = as_user(inspector)
    before = table_counts()
    failures: list[Any] = []
    bodies = [(name, raw_json(submission(job, position=position))) for name, position in BAD_POSITIONS]
    for literal in BAD_LITERALS:
        body = submission(job, position={"lon": "@", "lat": 31.9, "accuracy_m": 5})
        bodies.append((literal, raw_json(body, **{"@": literal})))
    for name, text in bodies:
        response = _put(client, str(uuid.uuid4()), text)
        if response.status_code != 400 or not response.json()["error"]["message"]:
            failures.append((name, response.status_code, response.content[:200]))
    assert failures == []
    assert table_counts() == before
    assert _put(client, str(uuid.uuid4()), raw_json(submission(job))).status_code in (200, 201)


def test_declared_photos_that_are_not_photos_are_refused(as_user, inspector, make_job, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    client = as_user(inspector)
    failures: list[Any] = []
    for name, _filename, data in NOT_PHOTOS:
        job = make_job()
        key, photo = str(uuid.uuid4()), str(uuid.uuid4())
        # The inspection declares the file by its hash, so the server gets as far as decoding it.
        assert _put(client, key, raw_json(submission(job, photo=data, photo_uuid=photo))).status_code in (
            200,
            201,
        )
        before = table_counts()
        response = client.generic("PUT", photo_url(key, photo), data, content_type="image/jpeg")
        if response.status_code not in (400, 413) or not response.json()["error"]["message"]:
            failures.append((name, response.status_code, response.content[:200]))
        elif table_counts() != before or InspectionPhoto.objects.filter(received_at__isnull=False).exists():
            failures.append((name, "stored"))
    assert failures == []
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]

    job = make_job()
    key, photo, data = str(uuid.uuid4()), str(uuid.uuid4()), jpeg_bytes()
    _put(client, key, raw_json(submission(job, photo=data, photo_uuid=photo)))
    assert client.generic("PUT", photo_url(key, photo), data, content_type="image/jpeg").status_code in (
        200,
        201,
    )
    assert InspectionPhoto.objects.filter(received_at__isnull=False).count() == 1


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

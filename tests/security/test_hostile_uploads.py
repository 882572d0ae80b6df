"""Files that are not photos, decompression bombs and bodies over the limits, at every photo upload
(Open311, the report page, progress updates, proposals, inspection photos) and at forms: a 4xx with
a message, nothing written and no file left behind.

Each endpoint takes a real photo at the end, so the refusals are of the file, not of the request.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from geo_services.core.errors import InvalidInput
from geo_services.core.models import Jurisdiction
from geo_services.core.photos import clean_photo
from tests.factories import UserFactory, make_staff
from tests.initiatives.factories import InitiativeFactory, box
from tests.security.hostile import table_counts
from tests.service_requests import new_key

pytestmark = pytest.mark.usefixtures("no_rate_limits")

DOWNTOWN = {"lat": "31.9516", "long": "35.9393"}


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header declares width x height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" + bytes(3 * 64) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


JPEG = _image("JPEG")
NOT_PHOTOS: list[tuple[str, str, bytes]] = [
    ("text renamed .jpg", "photo.jpg", b"This is a letter, not a photo.\n" * 20),
    ("empty file", "photo.jpg", b""),
    ("truncated JPEG", "photo.jpg", JPEG[: len(JPEG) // 2]),
    ("JPEG header only", "photo.jpg", JPEG[:20]),
    (
        "SVG with a script",
        "photo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
    ),
    ("HTML renamed .png", "photo.png", b"<html><script>alert(1)</script></html>"),
    ("PDF", "photo.jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"),
    ("decompression bomb (30000 x 30000)", "photo.png", _png_declaring(30_000, 30_000)),
    ("over the pixel limit (7000 x 7000)", "photo.png", _png_declaring(7_000, 7_000)),
    ("GIF", "photo.gif", _image("GIF")),
    ("TIFF", "photo.tif", _image("TIFF")),
    ("BMP", "photo.bmp", _image("BMP")),
]


def test_clean_photo_refuses_each_case_with_a_reason():
    for name, filename, data in NOT_PHOTOS:
        with translation.override("en"), pytest.raises(InvalidInput) as refused:
            clean_photo(SimpleUploadedFile(filename, data))
        assert refused.value.message, name
        assert refused.value.status in (400, 413), name
    assert clean_photo(SimpleUploadedFile("photo.jpg", JPEG)).width == 64


def test_a_photo_over_the_byte_limit_is_a_413(settings):
    settings.AMANAH_MAX_PHOTO_BYTES = 1000
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        clean_photo(SimpleUploadedFile("photo.jpg", _image("JPEG", (400, 400))))
    assert refused.value.status == 413
    assert "1000 bytes" in refused.value.message


@dataclass(frozen=True)
class PhotoUpload:
    name: str
    send: Callable[[Any, Any, str, bytes], Any]  # (world, client, filename, data) -> response
    client: Callable[[Any], Any]


def _open311(world: Any, client: Any, filename: str, data: bytes) -> Any:
    form = {
        "api_key": world.key,
        "service_code": "street-light",
        **DOWNTOWN,
        "attribute[problem]": "out",
        "media": SimpleUploadedFile(filename, data),
    }
    return client.post("/open311/v2/requests.json", form)


def _report_page(world: Any, client: Any, filename: str, data: bytes) -> Any:
    form = {
        "service_code": "street-light",
        "lat": DOWNTOWN["lat"],
        "lon": DOWNTOWN["long"],
        "description": "The lamp is out",
        "attribute[problem]": "out",
        "photo": SimpleUploadedFile(filename, data),
    }
    return client.post("/", form)


def _progress(world: Any, client: Any, filename: str, data: bytes) -> Any:
    photo = io.BytesIO(data)
    photo.name = filename
    return client.post(
        f"/api/v1/initiatives/{world.initiative.pk}/progress/",
        {"percent": "10", "photo": photo},
        format="multipart",
    )


def _proposal(world: Any, client: Any, filename: str, data: bytes) -> Any:
    photo = io.BytesIO(data)
    photo.name = filename
    body = {
        "jurisdiction": "amman",
        "title": "Trees",
        "description": "Shade",
        "geometry": '{"type": "Point", "coordinates": [35.9393, 31.9516]}',
        "photo": photo,
    }
    return client.post("/api/v1/proposals/", body, format="multipart")


def _api_client(role: str) -> Callable[[Any], Any]:
    def make(world: Any) -> Any:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        user = UserFactory.create(roles=[role])
        if role != "citizen":
            make_staff(user, jurisdiction=world.amman)
        client.force_authenticate(user)
        return client

    return make


def _page_client(world: Any) -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return client


UPLOADS = [
    PhotoUpload("open311 media", _open311, _page_client),
    PhotoUpload("report page photo", _report_page, _page_client),
    PhotoUpload("progress update photo", _progress, _api_client("inspector")),
    PhotoUpload("proposal photo", _proposal, _api_client("citizen")),
]


@dataclass
class World:
    amman: Jurisdiction
    key: str
    initiative: Any


@pytest.fixture
def world(amman: Jurisdiction, settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    initiative = InitiativeFactory.create(
        jurisdiction=amman, department=amman.departments.first(), geom=box(35.936, 31.950, 35.940, 31.953)
    )
    return World(amman=amman, key=new_key(amman), initiative=initiative)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.mark.parametrize("upload", UPLOADS, ids=lambda upload: upload.name)
def test_files_that_are_not_photos_are_refused(world, upload, settings):
    client = upload.client(world)
    before = table_counts()
    failures: list[Any] = []
    with translation.override("en"):
        for name, filename, data in NOT_PHOTOS:
            response = upload.send(world, client, filename, data)
            if response.status_code not in (400, 413) or not response.content.strip():
                failures.append((name, response.status_code, response.content[:200]))
            elif table_counts() != before:
                failures.append((name, "wrote rows"))
    assert failures == []
    assert _files(Path(settings.MEDIA_ROOT)) == []

    response = upload.send(world, client, "photo.jpg", JPEG)
    assert response.status_code in (200, 201, 302), response.content[:300]
    assert table_counts() != before
    assert _files(Path(settings.MEDIA_ROOT))


def test_inspection_photos_refuse_what_is_not_a_photo(world):
    """The tablet's photo upload (a PUT of the image itself) checks the image with the same
    clean_photo as above (inspections.services); tests/inspections covers the declared-photo workflow.
    Here only: a PUT that is not a photo, for a photo never declared, is a 4xx with a message."""
    client = _api_client("inspector")(world)
    with translation.override("en"):
        response = client.generic(
            "PUT",
            "/api/v1/field/inspections/00000000-0000-4000-8000-000000000000/photos/00000000-0000-4000-8000-000000000001/",
            b"not a photo",
            content_type="image/jpeg",
        )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]


# --- bodies over the limits ----------------------------------------------------------------------


@pytest.mark.django_db
class TestBodiesOverTheLimits:
    def test_a_declared_body_over_the_request_cap_is_413_on_pages_and_apis(self, settings):
        settings.AMANAH_MAX_REQUEST_BYTES = 10_000
        body = b"x" * 20_000
        with translation.override("en"):
            api = Client().generic("POST", "/api/v1/layers/districts/features/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
            page = Client().generic("POST", "/", body, content_type="application/x-www-form-urlencoded")
        assert api.status_code == 413
        assert "10000 bytes" in api.json()["error"]["message"]
        assert page.status_code == 413
        assert "10000" in page.content.decode()

    def test_a_form_over_the_in_memory_limit_is_413_with_a_message_on_the_page(self, settings, amman):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
        before = table_counts()
        client = Client()
        client.cookies["django_language"] = "en"
        response = client.post("/", {"service_code": "street-light", "description": "x" * 20_000})
        assert response.status_code == 413
        assert "10000 bytes" in response.content.decode()
        urlencoded = client.post(
            "/", "description=" + "x" * 20_000, content_type="application/x-www-form-urlencoded"
        )
        assert urlencoded.status_code == 413
        assert table_counts() == before

    def test_too_many_form_fields_is_413_on_a_page(self, amman):
        client = Client()
        client.cookies["django_language"] = "en"
        response = client.post("/", "&".join(f"f{i}=1" for i in range(1500)), content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert response.status_code == 413
        assert "fields" in response.content.decode()

    def test_a_json_body_over_the_in_memory_limit_is_413_at_every_json_api(self, settings, amman):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        user = UserFactory.create(is_superuser=True, roles=["citizen", "inspector", "dispatcher", "planner"])
        make_staff(user, jurisdiction=amman)
        client.force_authenticate(user)
        body = '{"description": "' + "x" * 20_000 + '"}'
        failures: list[Any] = []
        with translation.override("en"):
            for path in (
                "/api/v1/initiatives/",
                "/api/v1/proposals/",
                "/api/v1/partners/",
                "/api/v1/bookings/",
                "/api/v1/courses/",
                "/api/v1/inspections/jobs/",
                "/api/v1/layers/districts/features/",
                "/api/v1/layers/districts/aggregate/",
            ):
                response = client.post(path, body, content_type="application/json")
                if response.status_code != 413 or response.json()["error"]["code"] != "request_too_large":
                    failures.append((path, response.status_code, response.content[:150]))
        assert failures == []

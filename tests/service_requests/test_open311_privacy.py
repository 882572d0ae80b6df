"""Public Open311 answers hold no personal data: no contact fields, and no EXIF in the served photo."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from geo_services.service_requests.models import ServiceRequest
from tests.service_requests import (
    CONTACT,
    DOWNTOWN,
    GPS_IFD,
    OPEN311,
    REQUEST_FIELDS,
    jpeg_with_gps,
    new_key,
    photo_upload,
)

PUBLIC_FIELDS = set(REQUEST_FIELDS)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def posted(client, amman) -> dict[str, str]:
    response = client.post(
        f"{OPEN311}requests.json",
        {
            "api_key": new_key(amman),
            "service_code": "street-light",
            **DOWNTOWN,
            "attribute[problem]": "out",
            "media": photo_upload(jpeg_with_gps()),
            **CONTACT,
        },
    )
    assert response.status_code == 200, response.content
    (created,) = response.json()
    stored = ServiceRequest.objects.get(pk=created["service_request_id"])
    # The contact data did arrive and is kept for staff.
    assert (stored.contact_email, stored.contact_phone, stored.device_id) == (
        CONTACT["email"],
        CONTACT["phone"],
        CONTACT["device_id"],
    )
    return created


def test_public_answers_hold_no_contact_data(client, posted):
    request_id, token = posted["service_request_id"], posted["token"]
    paths = [
        f"requests.{fmt}?{query}"
        for fmt in ("json", "xml")
        for query in ("", f"service_request_id={request_id}", "service_code=street-light", "status=open")
    ] + [f"{kind}.{fmt}" for kind in (f"requests/{request_id}", f"tokens/{token}") for fmt in ("json", "xml")]
    for path in paths:
        response = client.get(f"{OPEN311}{path}")
        assert response.status_code == 200, path
        body = response.content.decode()
        assert request_id in body, path
        for value in CONTACT.values():
            assert value not in body, (path, value)
        for name in ("email", "phone", "first_name", "last_name", "device_id", "account"):
            assert name not in body, (path, name)


def test_a_public_request_lists_only_public_fields(client, posted):
    (item,) = client.get(f"{OPEN311}requests/{posted['service_request_id']}.json").json()
    assert set(item) == PUBLIC_FIELDS


def test_the_served_photo_has_no_exif(client, posted):
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(GPS_IFD), (
        "the uploaded photo must carry GPS for this test to mean anything"
    )

    (item,) = client.get(f"{OPEN311}requests/{posted['service_request_id']}.json").json()
    response = client.get(item["media_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    served = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(served))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert b"Exif" not in served
    assert b"Canon" not in served

    thumbnail = client.get(item["media_url"].replace("photo.jpg", "thumbnail.jpg"))
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    thumbnail_bytes = b"".join(thumbnail.streaming_content)
    assert dict(Image.open(io.BytesIO(thumbnail_bytes)).getexif()) == {}


class TestMediaUrls:
    def test_a_request_without_photo_has_its_own_media_url_or_none(self, client, amman, submit):
        linked = submit(media_url="https://photos.example.org/123.jpg").request
        bare = submit(point=linked.location).request
        (linked_item,) = client.get(f"{OPEN311}requests/{linked.pk}.json").json()
        (bare_item,) = client.get(f"{OPEN311}requests/{bare.pk}.json").json()
        assert linked_item["media_url"] == "https://photos.example.org/123.jpg"
        assert bare_item["media_url"] == ""
        assert client.get(f"/media/requests/{bare.token}/photo.jpg").status_code == 404
        assert client.get(f"/media/requests/{bare.token}/thumbnail.jpg").status_code == 404

    def test_unknown_token_and_other_names_are_404(self, client, posted):
        token = posted["token"]
        assert client.get("/media/requests/00000000-0000-4000-8000-000000000000/photo.jpg").status_code == 404
        assert client.get(f"/media/requests/{token}/original.jpg").status_code == 404
        assert client.get(f"/media/requests/{token}/../photo.jpg").status_code == 404
        assert client.get("/media/requests/not-a-token/photo.jpg").status_code == 404

    def test_a_photo_missing_from_storage_is_404(self, client, posted, tmp_path):
        for path in tmp_path.rglob("photo.jpg"):
            path.unlink()
        assert client.get(f"/media/requests/{posted['token']}/photo.jpg").status_code == 404

    def test_photos_are_read_only(self, client, posted):
        assert client.post(f"/media/requests/{posted['token']}/photo.jpg").status_code == 405

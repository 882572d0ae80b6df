"""Progress updates over HTTP: they move the initiative's progress and status, carry a cleaned photo,
never go backwards or above 100 %, and only staff of the initiative's municipality may post them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from geo_services.initiatives.models import Initiative, ProgressUpdate
from tests.initiatives.conftest import row_counts
from tests.initiatives.factories import InitiativeFactory


def progress_url(initiative_id: int) -> str:
    return f"/api/v1/initiatives/{initiative_id}/progress/"


def client_for(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def jpeg_with_exif() -> io.BytesIO:
    image = Image.new("RGB", (640, 480), (40, 160, 60))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x9286] = "private comment"  # UserComment
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "site.jpg"
    return buffer


@pytest.fixture
def park(city) -> Initiative:
    return InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)


class TestProgressMovesTheInitiative:
    def test_an_inspector_reports_progress_until_done(self, park, people):
        client = client_for(people.inspector)
        started = client.post(progress_url(park.pk), {"percent": 35, "note": "Soil laid"}, format="json")
        assert started.status_code == 201, started.content
        assert (started.json()["status"], started.json()["progress_percent"]) == ("in_progress", 35)
        assert started.json()["actual_start"] is not None
        assert started.json()["actual_end"] is None

        done = client.post(progress_url(park.pk), {"percent": 100}, format="json")
        assert done.status_code == 201
        park.refresh_from_db()
        assert (park.status, park.progress_percent) == ("done", 100)
        assert park.actual_end is not None
        assert [u.percent for u in ProgressUpdate.objects.filter(initiative=park)] == [35, 100]

    def test_a_zero_update_leaves_a_planned_initiative_planned(self, park, people):
        response = client_for(people.planner).post(
            progress_url(park.pk), {"percent": 0, "note": "Survey"}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["status"] == "planned"

    def test_a_photo_is_stored_without_exif_with_a_thumbnail_and_shown_to_anyone(
        self, park, people, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        response = client_for(people.inspector).post(
            progress_url(park.pk),
            {"percent": "50", "note": "Planting", "photo": jpeg_with_exif()},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        item = response.json()["progress"][-1]
        public = APIClient()
        photo = public.get(item["photo_url"])
        assert photo.status_code == 200
        assert photo["Content-Type"] == "image/jpeg"
        stored = Image.open(io.BytesIO(b"".join(photo.streaming_content)))
        assert stored.size == (640, 480)
        assert dict(stored.getexif()) == {}
        thumbnail = Image.open(io.BytesIO(b"".join(public.get(item["thumbnail_url"]).streaming_content)))
        assert max(thumbnail.size) <= 320

    def test_the_public_history_has_no_authors_and_staff_see_them(self, park, people):
        client_for(people.inspector).post(progress_url(park.pk), {"percent": 20}, format="json")
        public = APIClient().get(progress_url(park.pk)).json()["progress"]
        assert "author" not in public[0]
        staff = client_for(people.planner).get(progress_url(park.pk)).json()["progress"]
        assert staff[0]["author"] == people.inspector.username


class TestRefusedProgress:
    @pytest.mark.parametrize(
        ("body", "code", "words"),
        [
            ({"percent": 101}, "out_of_range", "between 0 and 100"),
            ({"percent": -1}, "out_of_range", "between 0 and 100"),
            ({"percent": "lots"}, "invalid_input", "whole number"),
            ({"percent": 12.5}, "out_of_range", "whole number"),
            ({}, "missing_parameter", "percent is required"),
            ({"percent": 30}, "progress_backwards", "already at 40 %"),
            ({"percent": 60, "inspection": "not-a-uuid"}, "invalid_inspection", "UUID"),
            (
                {"percent": 60, "inspection": "5b0b6c52-9a53-4b54-8f0e-3c1f2a1b9c11"},
                "unknown_inspection",
                "inspection",
            ),
        ],
    )
    def test_bad_progress_is_400_and_nothing_moves(self, park, people, body, code, words):
        client = client_for(people.planner)
        assert client.post(progress_url(park.pk), {"percent": 40}, format="json").status_code == 201
        before = row_counts()
        with translation.override("en"):
            response = client.post(progress_url(park.pk), body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
        assert words in response.json()["error"]["message"]
        assert row_counts() == before
        park.refresh_from_db()
        assert park.progress_percent == 40

    def test_a_file_that_is_not_an_image_is_refused(self, park, people, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fake = io.BytesIO(b"%PDF-1.4 not a photo")
        fake.name = "site.jpg"
        before = row_counts()
        response = client_for(people.inspector).post(
            progress_url(park.pk), {"percent": 10, "photo": fake}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_an_image"
        assert row_counts() == before
        assert list(tmp_path.rglob("*.jpg")) == []

    @pytest.mark.parametrize(
        ("who", "status"), [("citizen", 403), ("outside_planner", 403), ("roads_dispatcher", 403)]
    )
    def test_who_may_not_report(self, park, people, who, status):
        before = row_counts()
        response = client_for(getattr(people, who)).post(
            progress_url(park.pk), {"percent": 10}, format="json"
        )
        assert response.status_code == status
        assert row_counts() == before

    def test_anonymous_may_not_report(self, park, db):
        response = APIClient().post(progress_url(park.pk), {"percent": 10}, format="json")
        assert response.status_code in (401, 403)
        assert ProgressUpdate.objects.count() == 0

    def test_an_unknown_initiative_is_404(self, people, db):
        response = client_for(people.planner).post(progress_url(999_999), {"percent": 10}, format="json")
        assert response.status_code == 404

"""The public status page: public notes only, no personal data, the survivor of a merge, 404s."""

from __future__ import annotations

import re
import uuid
import zoneinfo

import pytest
from django.contrib.gis.geos import Point
from django.utils import dateformat, formats, translation

from geo_services.core import selectors as core_selectors
from geo_services.core.models import Department, Jurisdiction
from geo_services.service_requests import services
from geo_services.service_requests.models import ServiceCategory, Status
from geo_services.service_requests.services import Contact
from tests.factories import ServiceCategoryFactory, UserFactory, make_staff

ENGLISH = {"django_language": "en"}


@pytest.fixture
def pothole(amman: Jurisdiction) -> ServiceCategory:
    return ServiceCategoryFactory.create(
        jurisdiction=amman,
        code="deep-hole",
        name_ar="حفرة عميقة",
        name_en="Deep hole",
        group="roads",
        default_department=Department.objects.get(jurisdiction=amman, code="public-works-roads"),
    )


@pytest.fixture
def dispatcher(amman: Jurisdiction):
    user = UserFactory.create(username="roads-dispatcher", roles=["dispatcher"])
    make_staff(
        user,
        jurisdiction=amman,
        department=Department.objects.get(jurisdiction=amman, code="public-works-roads"),
    )
    return user


@pytest.fixture
def downtown(amman: Jurisdiction) -> Point:
    point = core_selectors.point_for_place_name("amman", "al-madina")
    assert point is not None
    return point


def submit(point: Point, **kwargs):
    return services.submit_request(
        jurisdiction_code="amman", service_code="deep-hole", point=point, **kwargs
    ).request


@pytest.mark.django_db
class TestStatusPage:
    def test_public_notes_but_no_staff_notes_and_no_personal_data(
        self, client, pothole, downtown, dispatcher
    ):
        request = submit(
            downtown,
            description="My house is next to it",
            contact=Contact(
                first_name="Yazan", last_name="Khoury", email="yazan@example.org", phone="0790000001"
            ),
        )
        services.change_status(
            actor=dispatcher,
            request_id=request.pk,
            to_status=Status.IN_PROGRESS,
            note="A crew is on its way.",
            public=True,
        )
        services.change_status(
            actor=dispatcher,
            request_id=request.pk,
            to_status=Status.RESOLVED,
            note="Resident is the mayor's cousin; handle with care.",
            public=False,
        )
        response = client.get(f"/requests/{request.token}/")
        html = response.content.decode()

        assert response.status_code == 200
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        assert "حفرة عميقة" in html
        assert "المدينة" in html  # the district
        assert "إدارة الأشغال العامة والطرق" in html  # the department
        assert 'data-status="resolved"' in html
        assert "A crew is on its way." in html
        assert "mayor" not in html
        for personal in ("Yazan", "Khoury", "yazan@example.org", "0790000001", "My house"):
            assert personal not in html

    def test_expected_resolution_in_the_jurisdictions_time_zone(self, client, pothole, downtown):
        request = submit(downtown)
        client.cookies.load(ENGLISH)
        html = client.get(f"/requests/{request.token}/").content.decode()
        local = request.expected_at.astimezone(zoneinfo.ZoneInfo("Asia/Amman"))
        with translation.override("en"):
            shown = dateformat.format(local, formats.get_format("TIME_FORMAT"))
            utc_shown = dateformat.format(
                request.expected_at.astimezone(zoneinfo.ZoneInfo("UTC")), formats.get_format("TIME_FORMAT")
            )
        expected_block = re.search(r"<time datetime=\"[^\"]+\" data-expected>([^<]+)</time>", html)
        assert expected_block is not None
        assert expected_block.group(1).endswith(shown)
        assert shown != utc_shown
        assert "Asia/Amman" in html

    def test_thumbnail_when_there_is_a_photo(self, client, pothole, downtown, settings, tmp_path):
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        settings.MEDIA_ROOT = tmp_path
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 90, 70)).save(out, format="PNG")
        request = submit(
            downtown, photo=SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")
        )
        html = client.get(f"/requests/{request.token}/").content.decode()
        assert f'src="/media/requests/{request.token}/thumbnail.jpg"' in html
        assert "photo.jpg" not in html  # the full-size original is not linked

        without = submit(Point(35.99, 31.985, srid=4326))
        assert "thumbnail.jpg" not in client.get(f"/requests/{without.token}/").content.decode()

    def test_a_merged_report_shows_the_request_that_survives(self, client, pothole, downtown, dispatcher):
        survivor = submit(downtown)
        duplicate = submit(downtown)
        services.change_status(
            actor=dispatcher, request_id=survivor.pk, to_status=Status.IN_PROGRESS, note="", public=False
        )
        services.merge_requests(actor=dispatcher, duplicate_id=duplicate.pk, survivor_id=survivor.pk)

        html = client.get(f"/requests/{duplicate.token}/").content.decode()
        assert f'data-survivor="{survivor.pk}"' in html
        assert 'data-survivor-status="in_progress"' in html
        assert f'href="/requests/{survivor.token}/"' in html
        assert 'data-status="duplicate"' in html

    def test_the_page_costs_a_fixed_number_of_queries(
        self, client, pothole, downtown, dispatcher, django_assert_num_queries
    ):
        request = submit(downtown)
        for note in ("one", "two", "three"):
            services.change_status(
                actor=dispatcher, request_id=request.pk, to_status=Status.IN_PROGRESS, note=note, public=True
            )
            services.change_status(
                actor=dispatcher, request_id=request.pk, to_status=Status.ASSIGNED, note=note, public=False
            )
        submit(downtown)
        # The request (with its jurisdiction), the nearby search and its rows, the history.
        with django_assert_num_queries(4):
            client.get(f"/requests/{request.token}/")

    def test_similar_reports_nearby_are_listed(self, client, pothole, downtown):
        first = submit(downtown)
        second = submit(downtown)
        html = client.get(f"/requests/{second.token}/").content.decode()
        assert "similar-title" in html
        assert f"#{first.pk}" in html

    @pytest.mark.parametrize("token", [str(uuid.UUID(int=7)), "not-a-token", "1" * 200])
    def test_an_unknown_token_is_a_404_page(self, client, amman, token):
        response = client.get(f"/requests/{token}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert re.search(r'<html[^>]*dir="rtl"', html)
        assert 'action="/requests/"' in html  # the form to try another number


@pytest.mark.django_db
class TestTrackingForm:
    def test_the_report_page_offers_it(self, client, amman):
        html = client.get("/").content.decode()
        assert re.search(r'<form class="track-form" method="get" action="/requests/">', html)

    def test_a_tracking_number_opens_the_status_page(self, client, amman):
        token = uuid.uuid4()
        response = client.get("/requests/", {"token": f"  {str(token).upper()} "})
        assert response.status_code == 302
        assert response["Location"] == f"/requests/{token}/"

    def test_a_pasted_link_works_too(self, client, amman):
        token = uuid.uuid4()
        response = client.get("/requests/", {"token": f"https://amanah.example/requests/{token}/"})
        assert response["Location"] == f"/requests/{token}/"

    def test_something_else_is_explained(self, client, amman):
        client.cookies.load(ENGLISH)
        response = client.get("/requests/", {"token": "my pothole"})
        assert response.status_code == 400
        assert "That is not a tracking number." in response.content.decode()

    def test_an_empty_form(self, client, amman):
        assert client.get("/requests/").status_code == 200

"""The citizen's report page: the form, a routed submission, and each refusal re-rendered with a 4xx."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from geo_services.core import selectors as core_selectors
from geo_services.core.models import Department, Jurisdiction
from geo_services.service_requests.models import AttributeType, ServiceCategory, ServiceRequest
from tests.factories import CategoryAttributeFactory, ServiceCategoryFactory, UserFactory

ENGLISH = {"django_language": "en"}


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def lamp_out(amman: Jurisdiction) -> ServiceCategory:
    """A category with one question of every datatype (the required one is a single choice)."""
    category = ServiceCategoryFactory.create(
        jurisdiction=amman,
        code="lamp-out",
        name_ar="مصباح شارع مطفأ",
        name_en="Street lamp out",
        group="lighting",
        sla_hours=72,
        default_department=Department.objects.get(jurisdiction=amman, code="lighting"),
    )
    questions = [
        ("problem", AttributeType.SINGLE_VALUE_LIST, True, "ما العطل؟", "What is wrong?"),
        ("pole", AttributeType.STRING, False, "رقم العمود", "Pole number"),
        ("details", AttributeType.TEXT, False, "تفاصيل أخرى", "Other details"),
        ("lamps", AttributeType.NUMBER, False, "عدد المصابيح", "Number of lamps"),
        ("since", AttributeType.DATETIME, False, "منذ متى؟", "Since when?"),
        ("hazards", AttributeType.MULTI_VALUE_LIST, False, "هل من خطر؟", "Any danger?"),
    ]
    choices = {
        "problem": [
            {"key": "dark", "name_ar": "لا يضيء", "name_en": "Not lit"},
            {"key": "flicker", "name_ar": "يومض", "name_en": "Flickering"},
        ],
        "hazards": [
            {"key": "wires", "name_ar": "أسلاك مكشوفة", "name_en": "Bare wires"},
            {"key": "leaning", "name_ar": "عمود مائل", "name_en": "Leaning pole"},
        ],
    }
    for order, (code, datatype, required, question_ar, question_en) in enumerate(questions):
        CategoryAttributeFactory.create(
            category=category,
            code=code,
            datatype=datatype,
            required=required,
            order=order,
            description_ar=question_ar,
            description_en=question_en,
            values=choices.get(code, []),
        )
    return category


@pytest.fixture
def downtown(amman: Jurisdiction) -> Point:
    point = core_selectors.point_for_place_name("amman", "al-madina")
    assert point is not None
    return point


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def report_data(point: Point, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "service_code": "lamp-out",
        "lat": f"{point.y:.6f}",
        "lon": f"{point.x:.6f}",
        "description": "العمود أمام المسجد مطفأ منذ أسبوع",
        "address": "قرب المسجد الحسيني",
        "attribute[problem]": "dark",
        "attribute[pole]": "A-113",
        "attribute[since]": "2026-05-01T20:30",
        "attribute[hazards]": ["wires", "leaning"],
        "first_name": "ليلى",
        "last_name": "حداد",
        "email": "layla@example.org",
        "phone": "+962 7 9000 0000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
class TestReportForm:
    def test_the_page_is_arabic_right_to_left_and_mobile_sized(self, client, lamp_out):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        html = response.content.decode()
        assert response.status_code == 200
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        assert 'name="viewport" content="width=device-width' in html
        assert 'enctype="multipart/form-data"' in html
        assert "مصباح شارع مطفأ" in html  # the category in Arabic
        assert "Street lamp out" not in html

    def test_categories_are_grouped_with_their_questions(self, client, lamp_out):
        html = client.get("/").content.decode()
        with translation.override("ar"):
            lighting = translation.gettext("Street lighting")
        group = re.search(rf'<optgroup label="{lighting}">(.*?)</optgroup>', html, re.S)
        assert group is not None
        assert 'value="lamp-out"' in group.group(1)
        questions = re.search(
            r'data-questions-for="lamp-out"(.*?)</fieldset>\s*(?=<fieldset class="questions|<div class="field">)',
            html,
            re.S,
        )
        assert questions is not None
        block = questions.group(1)
        assert '<select id="q-lamp-out-problem" name="attribute[problem]" required' in block
        assert 'value="dark"' in block
        assert "لا يضيء" in block
        assert 'name="attribute[pole]" type="text"' in block
        assert '<textarea id="q-lamp-out-details" name="attribute[details]"' in block
        assert 'name="attribute[lamps]" type="number"' in block
        assert 'name="attribute[since]" type="datetime-local"' in block
        assert block.count('type="checkbox" name="attribute[hazards]"') == 2
        # Hidden and disabled until the category is chosen, so other categories' answers are not sent.
        assert re.search(r'data-questions-for="lamp-out" hidden disabled', html)

    def test_photo_input_takes_pictures_and_contact_fields_are_there(self, client, lamp_out):
        html = client.get("/").content.decode()
        assert '<input type="file" name="photo" accept="image/*" capture="environment"' in html
        for name in ("first_name", "last_name", "email", "phone"):
            assert f'name="{name}"' in html

    def test_nothing_is_loaded_from_another_site(self, client, lamp_out):
        html = client.get("/").content.decode()
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
        assert "/static/leaflet/leaflet.js" in html
        assert "<script>" not in html
        assert "onclick" not in html

    def test_the_form_costs_three_queries_however_many_categories(
        self, client, lamp_out, django_assert_num_queries
    ):
        # The jurisdiction, the categories, and all their questions in one prefetch.
        with django_assert_num_queries(3):
            client.get("/")

    def test_english_after_the_language_switch(self, client, lamp_out):
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        html = client.get("/").content.decode()
        assert re.search(r'<html[^>]*lang="en"[^>]*dir="ltr"', html)
        assert "Street lamp out" in html
        assert "What is wrong?" in html


@pytest.mark.django_db
class TestSubmit:
    def test_a_report_is_routed_stored_and_shown(self, client, lamp_out, downtown, media):
        photo = SimpleUploadedFile("lamp.png", png_bytes(), content_type="image/png")
        response = client.post("/", {**report_data(downtown), "photo": photo})

        assert response.status_code == 302
        request = ServiceRequest.objects.get()
        assert response["Location"] == f"/requests/{request.token}/"
        assert request.category == lamp_out
        assert request.district.code == "al-madina"
        assert request.department.code == "lighting"
        assert request.account is None
        assert request.contact_email == "layla@example.org"
        assert request.description == "العمود أمام المسجد مطفأ منذ أسبوع"
        # The phone's local date and time is read as Amman time.
        assert request.attributes == {
            "problem": "dark",
            "pole": "A-113",
            "since": "2026-05-01T20:30:00+03:00",
            "hazards": ["wires", "leaning"],
        }
        assert request.photo
        assert request.photo_thumbnail
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "alert--success" in page.content.decode()

    def test_a_signed_in_resident_is_the_account(self, client, lamp_out, downtown):
        resident = UserFactory.create(roles=["citizen"])
        client.force_login(resident)
        response = client.post("/", report_data(downtown))
        assert response.status_code == 302
        assert ServiceRequest.objects.get().account == resident


def refused(client, data: dict[str, object], *, status: int) -> str:
    response = client.post("/", data)
    assert response.status_code == status, response.content.decode()[:500]
    assert ServiceRequest.objects.count() == 0
    html = response.content.decode()
    assert 'role="alert"' in html
    return html


@pytest.mark.django_db
class TestRefusals:
    """Each refusal comes back as the form, with the person's input and the error's own 4xx status."""

    def test_no_pin(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, lat="", lon=""), status=400)
        assert "Mark the place of the problem: tap the map, or use “Use my location”." in html
        assert "العمود أمام المسجد مطفأ منذ أسبوع" in html  # what was typed is kept
        assert 'value="layla@example.org"' in html
        assert 'class="map-wrap field--invalid"' in html

    def test_no_pin_in_arabic(self, client, lamp_out, downtown):
        html = refused(client, report_data(downtown, lat="", lon=""), status=400)
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        with translation.override("ar"):
            expected = translation.gettext(
                "Mark the place of the problem: tap the map, or use “Use my location”."
            )
        assert expected in html

    def test_a_point_outside_amman(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(Point(35.0, 29.53, srid=4326)), status=404)
        assert "The pin is outside Greater Amman Municipality." in html
        assert 'value="29.530000"' in html

    def test_coordinates_that_are_not_numbers(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, lat="north"), status=400)
        assert "The coordinates are not valid." in html
        assert 'value="north"' in html

    def test_an_unknown_category(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, service_code="no-such-thing"), status=400)
        assert "That kind of problem is not offered here; choose one from the list." in html

    def test_no_category(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, service_code=""), status=400)
        assert "Choose the kind of problem from the list." in html

    def test_a_missing_required_answer(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        data = report_data(downtown)
        del data["attribute[problem]"]
        html = refused(client, data, status=400)
        assert "Please answer the question “What is wrong?”." in html
        # The chosen category's questions are open again, the other answers kept, the question marked.
        assert re.search(r'data-questions-for="lamp-out">', html)
        assert 'value="A-113"' in html
        assert 'value="2026-05-01T20:30"' in html
        assert re.search(r'value="wires" checked', html)
        assert re.search(
            r'id="q-lamp-out-problem" name="attribute\[problem\]" required aria-invalid="true"', html
        )

    def test_a_wrong_answer(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, **{"attribute[lamps]": "many"}), status=400)
        assert "Check your answer to “Number of lamps”." in html

    def test_a_file_that_is_not_an_image(self, client, lamp_out, downtown, media):
        client.cookies.load(ENGLISH)
        fake = SimpleUploadedFile("lamp.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
        html = refused(client, {**report_data(downtown), "photo": fake}, status=400)
        assert "The file is not an image that can be read" in html
        assert "Please attach the photo again." in html
        assert list(media.rglob("*.jpg")) == []

    def test_an_invalid_email(self, client, lamp_out, downtown):
        client.cookies.load(ENGLISH)
        html = refused(client, report_data(downtown, email="layla-at-example"), status=400)
        assert "is not an e-mail address" in html

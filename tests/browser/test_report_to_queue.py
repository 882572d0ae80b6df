"""A resident reports a problem on a phone, in Arabic; the department's dispatcher finds it in the queue.

Debian's chromium through Playwright against the live server, with every request to another host
refused (a closed network): only the optional basemap tiles may be asked for, and nothing the pages
need may fail.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import call_command
from PIL import Image

from geo_services.core import selectors as core_selectors
from geo_services.core.models import Department, Jurisdiction
from geo_services.service_requests.models import AttributeType, ServiceRequest, Status
from tests.browser.support import record_local_failures
from tests.factories import (
    TEST_PASSWORD,
    CategoryAttributeFactory,
    ServiceCategoryFactory,
    UserFactory,
    make_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def png_photo() -> bytes:
    image = Image.new("RGB", (640, 480), (40, 90, 160))
    for x in range(200, 440):
        for y in range(180, 300):
            image.putpixel((x, y), (250, 210, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def closed_network(browser, live_server):
    """A browser context that reaches only the live server (and records what else was asked for)."""
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="en-US", device_scale_factor=2
    )
    blocked: list[str] = []
    failed_local = record_local_failures(context, server_host)

    def only_this_server(route):
        if urlparse(route.request.url).hostname == server_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    yield context, blocked, failed_local
    context.close()


def test_a_report_from_a_phone_reaches_the_dispatchers_queue(live_server, closed_network, settings_media):
    call_command("load_demo", "--no-users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    amman = Jurisdiction.objects.get(code="amman")
    lighting = Department.objects.get(jurisdiction=amman, code="lighting")
    category = ServiceCategoryFactory.create(
        jurisdiction=amman,
        code="lamp-out",
        name_ar="مصباح شارع مطفأ",
        name_en="Street lamp out",
        group="lighting",
        default_department=lighting,
    )
    CategoryAttributeFactory.create(
        category=category,
        code="problem",
        datatype=AttributeType.SINGLE_VALUE_LIST,
        required=True,
        description_ar="ما العطل؟",
        description_en="What is wrong?",
        values=[
            {"key": "dark", "name_ar": "لا يضيء", "name_en": "Not lit"},
            {"key": "flicker", "name_ar": "يومض", "name_en": "Flickering"},
        ],
    )
    dispatcher = UserFactory.create(username="lighting-dispatcher", roles=["dispatcher"])
    make_staff(dispatcher, jurisdiction=amman, department=lighting)
    inspector = UserFactory.create(username="lamp-inspector", roles=["inspector"])
    make_staff(inspector, jurisdiction=amman, department=lighting)
    context, blocked, failed_local = closed_network
    page = context.new_page()

    # --- The resident, on the Arabic report page --------------------------------------------------
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.wait_for_selector("#report-map .leaflet-overlay-pane path", timeout=15_000)  # district outlines

    page.select_option("#id_service_code", "lamp-out")
    question = page.locator("#q-lamp-out-problem")
    question.wait_for(state="visible")
    question.select_option("dark")

    page.locator("#report-map").tap()  # the middle of the map: inside Amman once the outlines frame it
    page.wait_for_function("() => document.querySelector('#id_lat').value !== ''")
    lat = float(page.input_value("#id_lat"))
    lon = float(page.input_value("#id_lon"))
    district = core_selectors.district_for_point(
        Point(lon, lat, srid=4326), jurisdiction_code="amman"
    ).district
    # The page looked the district up and names it.
    page.wait_for_function(
        "name => document.querySelector('[data-pin-status]').textContent.includes(name)",
        arg=district.name_ar,
    )

    page.fill("#id_description", "المصباح أمام المدرسة لا يضيء منذ ثلاثة أيام")
    page.set_input_files(
        "#id_photo", files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": png_photo()}]
    )
    page.locator("[data-photo-preview]").wait_for(state="visible")
    page.click("[data-submit]")

    page.wait_for_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    token = page.url.rstrip("/").rsplit("/", 1)[1]
    request = ServiceRequest.objects.get(token=token)
    assert request.category == category
    assert request.district.code == district.code
    assert request.department == lighting
    assert request.attributes == {"problem": "dark"}
    assert request.photo
    assert request.photo_thumbnail
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "مصباح شارع مطفأ"
    assert page.locator('[data-status="new"]').count() == 1
    assert page.locator(".alert--success").count() == 1

    # --- The dispatcher signs in and finds it in the queue -------------------------------------------
    page.goto(f"{live_server.url}/dispatch/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/dispatch/$"))
    page.fill("#id_username", "lighting-dispatcher")
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dispatch/")

    item = page.locator(f'.queue-item[data-request-id="{request.pk}"]')
    item.wait_for(timeout=15_000)
    assert "مصباح شارع مطفأ" in item.inner_text()
    assert district.name_ar in item.inner_text()
    page.wait_for_selector("#queue-map .leaflet-interactive", timeout=15_000)  # its marker

    # Open it; an action the API refuses shows the API's own message.
    item.click()
    detail = page.locator("[data-detail]")
    detail.wait_for(state="visible")
    page.wait_for_function(
        "id => document.querySelector('[data-detail]').dataset.requestId === String(id)", arg=request.pk
    )
    page.fill("[data-action=merge] input[name=into]", "987654")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=merge] button[type=submit]")
    error = page.locator("[data-detail-error]")
    error.wait_for(state="visible")
    assert "987654" in error.inner_text()

    # Assign it to the inspector, then move it on with a note for the resident (CSRF-protected POSTs).
    page.locator("[data-action=assign] select[name=inspector] option[value]").nth(1).wait_for(
        state="attached"
    )
    page.select_option("[data-action=assign] select[name=inspector]", str(inspector.pk))
    page.click("[data-action=assign] button[type=submit]")
    page.locator(f'.queue-item[data-request-id="{request.pk}"] .badge--assigned').wait_for()
    request.refresh_from_db()
    assert request.assigned_to == inspector
    assert request.status == Status.ASSIGNED
    page.locator("[data-action=status] select[name=status]").select_option("in_progress")
    page.fill("[data-action=status] textarea[name=note]", "الفريق في الطريق")
    page.check("[data-action=status] input[name=public]")
    page.click("[data-action=status] button[type=submit]")
    page.locator("[data-detail-saved]").wait_for(state="visible")
    assert page.locator("[data-detail-error]").is_hidden()
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    # The list is reloaded with the new status.
    page.locator(f'.queue-item[data-request-id="{request.pk}"] .badge--in_progress').wait_for()

    # The resident's status page now says so, with the public note.
    page.goto(f"{live_server.url}/requests/{token}/")
    assert page.locator('[data-status="in_progress"]').count() == 1
    assert "الفريق في الطريق" in page.locator(".timeline").inner_text()
    page.wait_for_selector("#status-map .leaflet-overlay-pane path", timeout=15_000)
    # Nothing may still be in flight when the test database is emptied for the next test.
    page.wait_for_load_state("networkidle")
    page.close()

    basemap_host = urlparse(settings.BASEMAP_TILE_URL).hostname if settings.BASEMAP_TILE_URL else None
    assert all(urlparse(url).hostname == basemap_host for url in blocked), blocked
    assert failed_local == []


@pytest.fixture
def settings_media(settings, tmp_path):
    """Uploaded photos go to a temporary folder, not the project's media folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path

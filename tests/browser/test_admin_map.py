"""The admin's district map works in a real browser with no internet: Leaflet is served by the app."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command

from geo_services.core.models import District
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_map_widget_renders_offline(live_server, browser):
    call_command("load_demo", "--no-users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    UserFactory.create(username="boss", is_superuser=True, is_staff=True)
    district = District.objects.get(code="al-madina")
    server_host = urlparse(live_server.url).hostname
    basemap_host = urlparse(settings.BASEMAP_TILE_URL).hostname if settings.BASEMAP_TILE_URL else None

    context = browser.new_context()
    blocked: list[str] = []

    def only_this_server(route):
        # Behave like a closed network: anything not served by the app fails.
        if urlparse(route.request.url).hostname == server_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    failed_local: list[str] = []
    page.on("requestfailed", lambda r: failed_local.append(r.url) if server_host in r.url else None)

    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_username", "boss")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    failed_local.clear()
    page.goto(f"{live_server.url}/admin/core/district/{district.pk}/change/")
    page.wait_for_load_state("networkidle")

    page.wait_for_selector(".leaflet-container", timeout=15_000)
    # The district's polygon is drawn as an SVG path on the map.
    page.wait_for_selector(".leaflet-overlay-pane path", timeout=15_000)
    assert page.evaluate("typeof L") == "object"
    assert failed_local == []
    # Only the optional basemap was asked of the outside world; nothing the page needs.
    assert all(urlparse(url).hostname == basemap_host for url in blocked), blocked
    context.close()

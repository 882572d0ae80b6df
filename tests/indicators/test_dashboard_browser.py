"""The dashboard in Debian's chromium on a closed network: a planner signs in, opens /planning/ in
Arabic (right to left), and the folium map draws exactly one choropleth shape per district and the
initiatives coloured by status, with every request the page makes answered by the app itself."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD, UserFactory
from tests.indicators.town import build_town

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_draws_one_shape_per_district_from_the_app_alone(live_server, browser, settings):
    settings.BASEMAP_TILE_URL = ""  # a closed network: no basemap
    build_town()
    UserFactory.create(username="planner", roles=["planner"])
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(viewport=DESKTOP, locale="ar-JO", timezone_id="Asia/Riyadh")
    failed_local = record_local_failures(context, server_host)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlparse(route.request.url).hostname == server_host else route.abort()
        ),
    )
    page = context.new_page()
    target = "/planning/?jurisdiction=test-indicators&from=2026-01-01&to=2026-06-30"
    page.goto(f"{live_server.url}{target}")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill("#id_username", "planner")
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(re.compile(r"/planning/\?jurisdiction=test-indicators"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"

    page.select_option("#indicators-indicator", "waste_points_per_10k")
    page.click(".indicators-form button[type=submit]")
    page.wait_for_url(re.compile(r"indicator=waste_points_per_10k"))
    the_map = page.frame_locator("iframe.indicators-map")
    the_map.locator("path.indicator-district").first.wait_for()
    assert the_map.locator("path.indicator-district").count() == 2  # one shape per district
    # Eleven initiatives in the town, each drawn once, coloured by its status.
    assert the_map.locator("path.indicator-initiative").count() == 11
    assert the_map.locator("path.indicator-initiative--in_progress").count() == 1  # park C
    assert the_map.locator(".indicator-legend").count() == 1

    # The district's name (Arabic) and figure come up when pointing at it.
    the_map.locator("path.indicator-district").nth(1).hover(position={"x": 30, "y": 30}, force=True)
    tooltip = the_map.locator(".foliumtooltip")
    tooltip.wait_for()
    assert re.search("الغربية|الشرقية", tooltip.inner_text())

    # The table links each district's page.
    assert page.locator("[data-districts] tbody tr").count() == 2
    page.locator('[data-district="west"] a').click()
    page.wait_for_url(re.compile(r"/planning/districts/west/\?"))
    page.frame_locator("iframe.indicators-map").locator("path.indicator-initiative").first.wait_for()
    assert page.locator("[data-trend] rect.trend-bar").count() > 0

    outside = [
        url
        for url in requested
        if url.startswith(("http:", "https:")) and urlparse(url).hostname != server_host
    ]
    assert requested
    assert outside == []
    assert failed_local == []
    context.close()

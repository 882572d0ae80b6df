"""The community pages, /community/coverage/ and /community/proposals/: Arabic first, right to left,
only the app's own scripts; and in Chromium a resident proposes by clicking the map and another
resident supports it."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client

from geo_services.initiatives.models import Proposal, ProposalSupport
from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD, UserFactory
from tests.initiatives.factories import PartnerFactory, ServiceKindFactory, make_city

DESKTOP = {"width": 1280, "height": 900}


def only_own_scripts(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith("/") for source in sources)


@pytest.fixture
def riyadh(city, settings) -> Any:
    settings.AMANAH_DEFAULT_JURISDICTION = city.jurisdiction.code
    return city


class TestPagesRender:
    def test_the_coverage_page_is_arabic_with_the_chosen_service(self, riyadh, db):
        ServiceKindFactory.create(code="greening", name_ar="تشجير", name_en="Greening")
        response = Client().get("/community/coverage/?service=greening")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'dir="rtl"' in page
        assert 'lang="ar"' in page
        assert "تشجير" in page
        config = json.loads(re.search(r'id="coverage-config"[^>]*>(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
        assert config["service"] == "greening"
        assert config["coverageUrl"] == "/api/v1/partners/coverage/"
        assert config["jurisdiction"] == riyadh.jurisdiction.code
        only_own_scripts(page)

    def test_the_proposals_page_offers_the_form_to_residents_only(self, riyadh, people):
        visitor = Client().get("/community/proposals/").content.decode()
        assert 'dir="rtl"' in visitor
        assert "data-proposal-form" not in visitor
        assert "/accounts/login/?next=/community/proposals/" in visitor
        only_own_scripts(visitor)
        resident = Client()
        resident.force_login(people.citizen)
        assert "data-proposal-form" in resident.get("/community/proposals/").content.decode()
        planner = Client()
        planner.force_login(people.planner)
        assert "data-proposal-form" not in planner.get("/community/proposals/").content.decode()

    def test_english_is_left_to_right(self, riyadh, db):
        response = Client().get("/community/proposals/", HTTP_ACCEPT_LANGUAGE="en")
        assert 'dir="ltr"' in response.content.decode()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/community/proposals/")
    page.click("a[href^='/accounts/login/']")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{base}/community/proposals/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_proposes_on_the_map_and_another_supports_it(live_server, browser, settings):
    city = make_city()
    settings.AMANAH_DEFAULT_JURISDICTION = city.jurisdiction.code
    UserFactory.create(username="layla", roles=["citizen"])
    UserFactory.create(username="sami", roles=["citizen"])
    server_host = urlparse(live_server.url).hostname

    def new_page() -> tuple[Any, Any, list[str]]:
        context = browser.new_context(viewport=DESKTOP, locale="ar-JO", timezone_id="Asia/Riyadh")
        failed = record_local_failures(context, server_host)
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if urlparse(route.request.url).hostname == server_host else route.abort()
            ),
        )
        return context, context.new_page(), failed

    context, page, failed = new_page()
    sign_in(page, live_server.url, "layla")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    # Once the district outlines are drawn the map shows the city; a click a third of the way in
    # from the left lands in the west district.
    page.locator("#proposals-map .leaflet-overlay-pane path").first.wait_for()
    page.wait_for_timeout(300)  # the map's fit to the districts
    box = page.locator("#proposals-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.5)
    page.locator("#proposals-map .leaflet-marker-icon").wait_for()
    page.fill("#proposal-title", "أشجار في شارعنا")
    page.fill("#proposal-description", "ظل للأطفال في الطريق إلى المدرسة")
    page.click("[data-submit]")
    page.locator("[data-form-done]").wait_for()
    page.locator("[data-proposal] [data-supporters='1']").wait_for()
    assert page.locator("[data-form-error]").is_hidden()
    context.close()

    proposal = Proposal.objects.get()
    assert proposal.district_id == city.west.pk
    assert proposal.geom.geom_type == "Point"

    context, page, failed_second = new_page()
    sign_in(page, live_server.url, "sami")
    page.locator(f"[data-support='{proposal.pk}']").click()
    page.locator(f"[data-proposal='{proposal.pk}'] [data-supporters='2']").wait_for()
    assert page.locator(f"[data-support='{proposal.pk}']").is_disabled()  # supported: once only
    page.wait_for_load_state("networkidle")
    context.close()

    proposal.refresh_from_db()
    assert proposal.supporters_count == 2
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 2
    assert failed == []
    assert failed_second == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_coverage_map_and_table_show_the_gaps(live_server, browser, settings):
    city = make_city()
    settings.AMANAH_DEFAULT_JURISDICTION = city.jurisdiction.code
    greening = ServiceKindFactory.create(code="greening", name_ar="تشجير", name_en="Greening")
    ServiceKindFactory.create(code="social-care", name_ar="رعاية اجتماعية", name_en="Social care")
    team = PartnerFactory.create(jurisdiction=city.jurisdiction, name_ar="فريق الغرب", name_en="West team")
    team.services.set([greening])
    team.districts.set([city.west])
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(viewport=DESKTOP, locale="ar-JO", timezone_id="Asia/Riyadh")
    failed = record_local_failures(context, server_host)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlparse(route.request.url).hostname == server_host else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/community/coverage/?service=greening")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("[data-rows][aria-busy=false] tr").first.wait_for()
    rows = {
        row.get_attribute("data-district"): (
            row.get_attribute("class") or "",
            row.locator("td").all_inner_texts(),
        )
        for row in page.locator("[data-rows] tr").all()
    }
    assert rows[city.west.code] == ("", ["1", "فريق الغرب"])
    assert rows[city.east.code][0] == "coverage-gap"
    assert rows[city.east.code][1][0] == "0"
    # One coloured shape per district: the gap in the gap colour.
    page.wait_for_function(
        "() => document.querySelectorAll('#coverage-map path[fill=\"#c0392b\"]').length === 1"
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#coverage-map path[fill=\"#a8d5ba\"]').length === 1"
    )

    page.select_option("[data-service]", "social-care")
    page.wait_for_function(
        "() => document.querySelectorAll('#coverage-map path[fill=\"#c0392b\"]').length === 2"
    )
    assert page.locator("[data-rows] tr.coverage-gap").count() == 2
    assert "service=social-care" in page.url
    page.wait_for_load_state("networkidle")
    context.close()
    assert failed == []

"""The supervisor's overview in Chromium: the day's jobs on the map by state, and each inspector's progress.

A dispatcher opens /dispatch/inspections/ on a closed network (only the live server answers) and sees
one marker per job of the day, plus the jobs left over from earlier days, coloured by state; the
progress by inspector; the overdue jobs; the inspection that failed a critical item; and another day
through the date picker.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from geo_services.inspections import services
from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD, UserFactory, make_staff
from tests.fieldapp import builders
from tests.fieldapp.tablet import snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def closed_network(browser, live_server):
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(viewport=DESKTOP, locale="ar-JO", timezone_id="Asia/Amman")
    failed_local = record_local_failures(context, server_host)

    def only_this_server(route):
        if urlparse(route.request.url).hostname == server_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_this_server)
    yield context, failed_local
    context.close()


def markers(page, state: str = "") -> int:
    return page.locator(f"#overview-map path.job-marker{'--' + state if state else ''}").count()


def progress(page) -> dict[str, list[str]]:
    rows = {}
    for row in page.locator("[data-progress-rows] tr").all():
        cells = [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_supervisor_sees_the_day_on_the_map_and_each_inspectors_progress(
    live_server, closed_network, settings, tmp_path, amman
):
    settings.MEDIA_ROOT = tmp_path
    version = builders.park_checklist(amman)
    salma = builders.inspector(amman, "salma", first_name="سلمى", last_name="الحسن")
    omar = builders.inspector(amman, "omar", first_name="عمر", last_name="خليل")
    open_job = builders.job(version, salma, label="حديقة الملك عبدالله")
    failed_job = builders.job(version, salma, at=builders.MARKET, label="سوق الخضار")
    builders.inspect(failed_job, clean=False, inspector=salma)  # "clean" is critical: failed
    cancelled = builders.job(version, salma, at=(35.9200, 31.9600), label="ملعب الحي")
    services.cancel_job(audit=services.Audit(actor=builders.root()), job_id=cancelled.pk, reason="مغلق")
    builders.job(version, omar, at=(35.9350, 31.9450), label="حديقة الحسين")
    late = builders.make_overdue(builders.job(version, omar, at=(35.9100, 31.9700), label="ساحة البلدية"))
    dispatcher = UserFactory.create(username="supervisor", roles=["dispatcher"])
    make_staff(dispatcher, jurisdiction=amman)
    context, failed_local = closed_network
    page = context.new_page()

    page.goto(f"{live_server.url}/dispatch/inspections/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/dispatch/inspections/$"))
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dispatch/inspections/")
    assert page.locator("html").get_attribute("dir") == "rtl"

    # Four jobs due today and the one left from yesterday: five markers, coloured by state.
    page.wait_for_function("() => document.querySelectorAll('#overview-map path.job-marker').length === 5")
    assert markers(page, "assigned") == 2
    assert markers(page, "done") == 1
    assert markers(page, "cancelled") == 1
    assert markers(page, "overdue") == 1
    assert page.locator(".legend li").count() == 4
    assert page.locator('[data-total="done"]').inner_text() == "1"
    assert page.locator('[data-total="overdue"]').inner_text() == "1"

    page.locator(f'[data-progress-rows] tr[data-inspector="{salma.pk}"]').wait_for()
    assert progress(page) == {"سلمى الحسن": ["1", "1", "0"], "عمر خليل": ["1", "0", "1"]}
    assert page.locator("[data-overdue] li").count() == 1
    assert page.locator("[data-overdue] li").get_attribute("data-job-id") == str(late.pk)
    failed = page.locator("[data-failed] li")
    assert failed.count() == 1
    assert failed.get_attribute("data-job-id") == str(failed_job.pk)
    assert "هل الحديقة نظيفة؟" in failed.inner_text()  # the failed item, by its question
    assert page.locator(f'[data-failed] li[data-job-id="{open_job.pk}"]').count() == 0
    snapshot(page, "supervisor")

    # Yesterday: only the job that was due then, and still is.
    yesterday = (builders.amman_today() - timedelta(days=1)).isoformat()
    page.fill("[data-date]", yesterday)
    page.click("[data-date-form] button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#overview-map path.job-marker').length === 1")
    assert markers(page, "overdue") == 1
    assert page.url.endswith(f"?date={yesterday}")
    page.wait_for_load_state("networkidle")
    page.close()
    assert failed_local == []

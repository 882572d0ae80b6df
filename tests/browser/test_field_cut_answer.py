"""The server stored the inspection but its answer was cut off on the way back: the tablet cannot know
the outcome, so the record stays waiting (not failed) and the next sync completes it — once."""

from __future__ import annotations

import pytest

from geo_services.inspections.models import Inspection, InspectionPhoto
from tests.fieldapp import builders
from tests.fieldapp.tablet import fill_the_park_checklist, sign_in, tablet, wait_for_service_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_cut_off_answer_leaves_the_record_waiting_and_the_next_sync_completes_it(
    browser, live_server, media, amman
):
    version = builders.park_checklist(amman)
    inspector = builders.inspector(amman)
    park = builders.job(version, inspector)
    with tablet(browser, live_server) as (context, _failed_local):
        page = context.new_page()
        sign_in(page, live_server, inspector.username)
        page.locator(f'.job[data-job-id="{park.pk}"]').wait_for()
        wait_for_service_worker(page)

        cut: list[str] = []

        def cut_the_answer(route):
            # The request reaches the server (which stores the inspection); only the first bytes of
            # its answer reach the tablet.
            if route.request.method != "PUT" or "/photos/" in route.request.url or cut:
                route.fallback()
                return
            answer = route.fetch()
            cut.append(route.request.url)
            route.fulfill(status=answer.status, headers=answer.headers, body=answer.body()[:12])

        page.route("**/api/v1/field/inspections/**", cut_the_answer)
        page.click(f'.job[data-job-id="{park.pk}"]')
        page.locator('[data-item="clean"]').wait_for()
        fill_the_park_checklist(page)
        page.click("[data-submit]")

        record = page.locator("[data-outbox-record]")
        record.wait_for()
        ours = record.get_attribute("data-outbox-record")
        assert ours is not None
        # The record starts "waiting" before the sync picks it up: first wait for the cut itself.
        for _ in range(200):
            if cut:
                break
            page.wait_for_timeout(100)
        assert cut, "the answer to the inspection was never cut"
        page.wait_for_function(
            "uuid => document.querySelector(`[data-outbox-record='${uuid}']`).dataset.state !== 'sending'",
            arg=ours,
            timeout=20_000,
        )
        # Not refused: the tablet does not know the outcome, so it keeps the record to send again.
        assert record.get_attribute("data-state") in ("waiting", "sent")
        assert Inspection.objects.filter(uuid=ours).count() == 1  # the server did store it

        page.unroute("**/api/v1/field/inspections/**")
        page.click("[data-sync-now]")
        page.locator(f'[data-outbox-record="{ours}"][data-state="sent"]').wait_for(timeout=20_000)
        assert Inspection.objects.count() == 1
        assert InspectionPhoto.objects.filter(inspection__uuid=ours).exclude(image="").count() == 1
        page.close()

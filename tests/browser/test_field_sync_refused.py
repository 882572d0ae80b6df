"""A sync the server refuses: the record shows "failed" with the server's reason and stays on the tablet.

The job is inspected from another tablet while this one fills its checklist; this tablet's inspection
is then refused (409 job_already_inspected). Nothing of it may be lost: the record, its reason and
its photo stay on the tablet, after a retry and after a reload.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from geo_services.inspections.models import Inspection, InspectionPhoto
from tests.fieldapp import builders
from tests.fieldapp.tablet import (
    fill_the_park_checklist,
    sign_in,
    snapshot,
    stored_photo_blobs,
    tablet,
    wait_for_service_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_refused_inspection_is_kept_with_the_servers_reason(browser, live_server, media, amman):
    version = builders.park_checklist(amman)
    inspector = builders.inspector(amman)
    park = builders.job(version, inspector)
    with translation.override("ar"):
        refusal = translation.gettext("Job %(id)s already has an inspection with another UUID.") % {
            "id": park.pk
        }
    with tablet(browser, live_server) as (context, failed_local):
        page = context.new_page()
        sign_in(page, live_server, inspector.username)
        page.locator(f'.job[data-job-id="{park.pk}"]').wait_for()
        wait_for_service_worker(page)

        page.click(f'.job[data-job-id="{park.pk}"]')
        page.locator('[data-item="clean"]').wait_for()
        fill_the_park_checklist(page)
        # Meanwhile the same job is inspected from another tablet.
        other = builders.inspect(park, clean=True, inspector=inspector)
        page.click("[data-submit]")

        record = page.locator("[data-outbox-record]")
        record.wait_for()
        ours = record.get_attribute("data-outbox-record")
        assert ours != other
        page.locator(f'[data-outbox-record="{ours}"][data-state="failed"]').wait_for(timeout=20_000)
        reason = page.locator(f'[data-outbox-record="{ours}"] [data-reason]').inner_text()
        assert refusal in reason
        snapshot(page, "field-5-refused")
        assert page.locator(f'[data-outbox-record="{ours}"] .state--failed').count() == 1
        # The server holds the other tablet's inspection only; ours is kept here, photo and all.
        assert [str(i.uuid) for i in Inspection.objects.all()] == [other]
        assert InspectionPhoto.objects.count() == 1
        assert stored_photo_blobs(page) == 1
        # A failed job is not done on this tablet.
        assert page.locator(f'.job[data-job-id="{park.pk}"][data-done="true"]').count() == 0

        # Trying again gets the same answer, and the record is still there after a reload.
        with page.expect_response(lambda r: r.request.method == "PUT" and r.status == 409):
            page.click(f'[data-outbox-record="{ours}"] button')
        page.locator(f'[data-outbox-record="{ours}"][data-state="failed"]').wait_for(timeout=20_000)
        page.reload()
        page.locator(f'[data-outbox-record="{ours}"][data-state="failed"]').wait_for(timeout=20_000)
        assert refusal in page.locator(f'[data-outbox-record="{ours}"] [data-reason]').inner_text()
        assert stored_photo_blobs(page) == 1
        assert Inspection.objects.count() == 1
        page.wait_for_load_state("networkidle")
        page.close()
        # The refusal is an answer, not a failed request.
        assert failed_local == []

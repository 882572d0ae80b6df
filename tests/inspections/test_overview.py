"""The supervisor's overview: the day's jobs by status, overdue jobs, each inspector's progress and
the inspections that failed a critical item — within the supervisor's districts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.inspections.conftest import MARKA, OVERVIEW, inspection_url, local_today, photo_url, submission

pytestmark = pytest.mark.django_db


def finish(client, job, *, clean: bool = True) -> None:
    from tests.inspections.conftest import jpeg_bytes

    photo = jpeg_bytes()
    key = str(uuid.uuid4())
    body = submission(job, photo=photo)
    body["answers"]["clean"] = clean
    assert client.put(inspection_url(key), body, format="json").status_code == 201
    assert (
        client.generic(
            "PUT", photo_url(key, body["photos"][0]["uuid"]), photo, content_type="image/jpeg"
        ).status_code
        == 201
    )


@pytest.fixture
def day(as_user, dispatcher, inspector, other_inspector, make_job, overdue):
    """Today: inspector has 3 jobs (one passed, one failed a critical item, one open) and one overdue
    in Marka; the other inspector has one open job in Marka and one cancelled; one job is tomorrow."""
    client = as_user(inspector)
    passed, failed, _open = make_job(), make_job(), make_job()
    finish(client, passed)
    finish(client, failed, clean=False)
    late = overdue(location=MARKA)
    make_job(assignee=other_inspector, location=MARKA)
    cancelled = make_job(assignee=other_inspector)
    client.force_authenticate(dispatcher)
    assert (
        client.post(f"/api/v1/inspections/jobs/{cancelled.pk}/cancel/", {}, format="json").status_code == 200
    )
    make_job(due_date=local_today() + timedelta(days=1))
    return {"failed": failed, "late": late}


def test_the_numbers_of_the_day(as_user, dispatcher, day):
    document = as_user(dispatcher).get(OVERVIEW).json()
    assert document["date"] == local_today().isoformat()
    assert document["today"] == local_today().isoformat()
    assert document["jurisdiction"]["code"] == "amman"
    assert document["jobs"] == {"total": 5, "by_status": {"assigned": 2, "done": 2, "cancelled": 1}}
    assert document["overdue"]["count"] == 1
    assert [f["id"] for f in document["overdue"]["jobs"]["features"]] == [day["late"].pk]
    progress = {
        i["username"]: (i["assigned"], i["done"], i["cancelled"], i["overdue"])
        for i in document["inspectors"]
    }
    assert progress == {"field-inspector": (1, 2, 0, 1), "other-inspector": (1, 0, 1, 0)}
    [failed] = document["failed_critical"]
    assert failed["job"] == day["failed"].pk
    assert failed["failed_critical"] == ["clean"]
    assert failed["failed_critical_items"] == [{"key": "clean", "label_ar": "نظيف", "label_en": "Clean"}]
    assert failed["inspector"]["username"] == "field-inspector"
    assert failed["completed_at"].endswith("+03:00")


def test_a_district_supervisor_sees_only_their_districts(as_user, madina_dispatcher, day):
    document = as_user(madina_dispatcher).get(OVERVIEW).json()
    assert document["jobs"]["by_status"] == {"assigned": 1, "done": 2, "cancelled": 1}
    assert document["overdue"]["count"] == 0  # the overdue job is in Marka
    assert {i["username"] for i in document["inspectors"]} == {"field-inspector", "other-inspector"}


def test_another_day(as_user, dispatcher, day):
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    document = as_user(dispatcher).get(OVERVIEW, {"date": tomorrow}).json()
    assert document["jobs"] == {"total": 1, "by_status": {"assigned": 1, "done": 0, "cancelled": 0}}
    assert document["failed_critical"] == []
    assert document["overdue"]["count"] == 1  # overdue is always as of now


def test_who_may_see_it_and_bad_dates(as_user, api_client, inspector, user_with_role, dispatcher):
    assert api_client.get(OVERVIEW).status_code == 401
    for user in (inspector, user_with_role("planner"), user_with_role("citizen")):
        assert as_user(user).get(OVERVIEW).status_code == 403
    client = as_user(dispatcher)
    assert client.get(OVERVIEW, {"date": "2026-13-01"}).status_code == 400
    assert client.get(OVERVIEW, {"jurisdiction": "riyadh"}).status_code == 404

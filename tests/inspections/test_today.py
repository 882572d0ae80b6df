"""The inspector's day: open jobs due today or overdue, in visiting order, with their checklists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo_services.inspections.models import InspectionJob, JobStatus
from tests.inspections.conftest import DOWNTOWN, MARKA, TODAY_URL, local_today

pytestmark = pytest.mark.django_db

# Three stops along a line west to east from downtown: the order from the west end is obvious.
WEST = Point(35.90, 31.955, srid=4326)
MIDDLE = Point(35.93, 31.955, srid=4326)
EAST = Point(35.96, 31.955, srid=4326)


def order(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [feature["id"] for feature in response.json()["jobs"]["features"]]


def test_only_own_open_jobs_due_today_or_overdue(as_user, inspector, other_inspector, make_job, overdue):
    mine = make_job()
    late = overdue(location=MARKA)
    make_job(due_date=local_today() + timedelta(days=1))  # not yet
    make_job(assignee=other_inspector)  # someone else's
    cancelled = make_job()
    InspectionJob.objects.filter(pk=cancelled.pk).update(
        status=JobStatus.CANCELLED, cancelled_at=late.created_at
    )
    response = as_user(inspector).get(TODAY_URL)
    assert set(order(response)) == {mine.pk, late.pk}
    document = response.json()
    assert document["date"] == local_today().isoformat()
    assert document["time_zone"] == "Asia/Amman"
    assert document["start"] is None
    overdue_flags = {f["id"]: f["properties"]["overdue"] for f in document["jobs"]["features"]}
    assert overdue_flags == {mine.pk: False, late.pk: True}


def test_visiting_order_from_the_inspectors_position(as_user, inspector, make_job):
    east, west, middle = make_job(location=EAST), make_job(location=WEST), make_job(location=MIDDLE)
    client = as_user(inspector)
    from_west = client.get(TODAY_URL, {"lon": 35.89, "lat": 31.955})
    assert order(from_west) == [west.pk, middle.pk, east.pk]
    assert order(client.get(TODAY_URL, {"lon": 35.97, "lat": 31.955})) == [east.pk, middle.pk, west.pk]
    document = from_west.json()
    legs = [f["properties"]["leg_distance_m"] for f in document["jobs"]["features"]]
    # 0.01 and 0.03 degrees of longitude at 31.955 N: about 944 m and 2,832 m.
    assert 930 < legs[0] < 960
    assert 2800 < legs[1] < 2860
    assert abs(document["total_distance_m"] - sum(legs)) < 0.5
    assert [f["properties"]["visit"] for f in document["jobs"]["features"]] == [1, 2, 3]
    assert document["start"] == {"lon": 35.89, "lat": 31.955}


def test_without_a_position_the_route_still_covers_every_job(as_user, inspector, make_job):
    jobs = {make_job(location=p).pk for p in (EAST, WEST, MIDDLE)}
    document = as_user(inspector).get(TODAY_URL).json()
    assert {f["id"] for f in document["jobs"]["features"]} == jobs
    assert document["jobs"]["features"][0]["properties"]["leg_distance_m"] == 0.0


def test_the_checklists_come_along_for_offline_use(as_user, inspector, make_job):
    make_job()
    make_job(template_code="sidewalk-condition", location=DOWNTOWN)
    templates = as_user(inspector).get(TODAY_URL).json()["templates"]
    assert [(t["code"], t["version"]) for t in templates] == [("sidewalk-condition", 1), ("test-park", 1)]
    park = templates[1]
    assert park["min_gps_accuracy_m"] == 20
    assert park["max_distance_m"] == 50
    assert park["pass_score"] == 70
    assert park["items"][3]["choices"][0] == {
        "value": "none",
        "label_ar": "لا شيء",
        "label_en": "None",
        "points": 1,
    }
    assert park["items"][1]["max_score"] == 4


def test_an_empty_day(as_user, inspector):
    document = as_user(inspector).get(TODAY_URL).json()
    assert document["jobs"] == {"type": "FeatureCollection", "features": []}
    assert document["templates"] == []
    assert document["total_distance_m"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "91", "lon": "35.9"},
        {"lat": "31.9", "lon": "-181"},
        {"lat": "nan", "lon": "35.9"},
        {"lat": "31.9"},
        {"lon": "x", "lat": "1"},
    ],
)
def test_a_bad_position_is_400(as_user, inspector, params):
    response = as_user(inspector).get(TODAY_URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_only_inspectors(api_client, user_with_role, as_user):
    assert api_client.get(TODAY_URL).status_code == 401
    for role in ("dispatcher", "planner", "citizen"):
        assert as_user(user_with_role(role)).get(TODAY_URL).status_code == 403


def test_the_number_of_queries_does_not_grow_with_the_day(
    client, inspector, make_job, django_assert_num_queries
):
    client.force_login(inspector)
    make_job()
    # Session, user, the role check, the day's jobs, their checklists.
    with django_assert_num_queries(5):
        assert client.get(TODAY_URL).status_code == 200
    for location in (MARKA, WEST, MIDDLE, EAST):
        make_job(location=location)
    make_job(template_code="sidewalk-condition")
    with django_assert_num_queries(5):
        assert len(client.get(TODAY_URL).json()["jobs"]["features"]) == 6


def test_a_day_above_the_cap_lists_the_most_urgent_and_says_more_are_due(
    as_user, inspector, make_job, overdue, monkeypatch
):
    from geo_services.inspections import selectors

    monkeypatch.setattr(selectors, "MAX_DAY_JOBS", 2)
    oldest = overdue(days=3)
    older = overdue(days=1)
    make_job()
    day = as_user(inspector).get(TODAY_URL).json()
    assert day["job_limit"] == 2
    assert day["more_jobs"] is True
    assert {f["id"] for f in day["jobs"]["features"]} == {oldest.pk, older.pk}

    InspectionJob.objects.filter(due_date=local_today()).update(
        status=JobStatus.CANCELLED, cancelled_at=timezone.now()
    )
    day = as_user(inspector).get(TODAY_URL).json()
    assert day["more_jobs"] is False
    assert len(day["jobs"]["features"]) == 2

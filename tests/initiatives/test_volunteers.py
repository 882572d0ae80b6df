"""Volunteers and work days: planning a day in the jurisdiction's time, signing up once per person
and day, the cap held by the database (also under a race of threads), cancelling, the initiative's
volunteer count following the sign-ups, names for staff only, and bad input refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from rest_framework.test import APIClient

from geo_services.initiatives.models import Initiative, VolunteerSignup, WorkDay
from tests.factories import UserFactory
from tests.initiatives.factories import InitiativeFactory
from tests.initiatives.racing import post_together
from tests.initiatives.test_api import client_for


def days_url(initiative_id: int) -> str:
    return f"/api/v1/initiatives/{initiative_id}/work-days/"


def signup_url(work_day_id: int) -> str:
    return f"/api/v1/work-days/{work_day_id}/signup/"


def volunteers_url(work_day_id: int) -> str:
    return f"/api/v1/work-days/{work_day_id}/volunteers/"


FUTURE = (timezone.now() + timedelta(days=30)).date().isoformat()


def day_body(**overrides: Any) -> dict[str, Any]:
    return {
        "date": FUTURE,
        "start": "08:00",
        "end": "12:00",
        "place": "North gate of the park",
        "capacity": 2,
        **overrides,
    }


@pytest.fixture
def park(city) -> Initiative:
    return InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)


@pytest.fixture
def work_day(park, people) -> dict[str, Any]:
    response = client_for(people.planner).post(days_url(park.pk), day_body(), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def volunteer() -> Any:
    return UserFactory.create(roles=["citizen"])


def counts() -> tuple[int, int]:
    return WorkDay.objects.count(), VolunteerSignup.objects.count()


class TestWorkDays:
    def test_a_planned_day_is_in_the_jurisdictions_time(self, work_day):
        assert work_day["date"] == FUTURE
        assert work_day["starts_at"] == f"{FUTURE}T08:00:00+03:00"  # Riyadh
        assert WorkDay.objects.get(pk=work_day["id"]).starts_at.hour == 5  # stored in UTC
        assert (work_day["capacity"], work_day["signups_count"], work_day["places_left"]) == (2, 0, 2)

    @pytest.mark.parametrize(
        ("overrides", "code"),
        [
            ({"end": "07:00"}, "times_out_of_order"),
            ({"capacity": 0}, "out_of_range"),
            ({"capacity": "ten"}, "out_of_range"),
            ({"capacity": 2.5}, "out_of_range"),
            ({"place": ""}, "missing_parameter"),
            ({"date": "next Friday"}, "invalid_date"),
            ({"start": "8 o'clock"}, "invalid_time"),
            ({"date": "2020-01-01"}, "in_the_past"),
        ],
    )
    def test_bad_days_are_400_and_nothing_is_written(self, park, people, overrides, code):
        before = counts()
        with translation.override("en"):
            response = client_for(people.planner).post(
                days_url(park.pk), day_body(**overrides), format="json"
            )
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
        assert counts() == before

    def test_only_those_who_manage_the_initiative_plan_days(self, park, people):
        before = counts()
        for who in ("citizen", "inspector", "roads_dispatcher", "outside_planner"):
            response = client_for(getattr(people, who)).post(days_url(park.pk), day_body(), format="json")
            assert response.status_code == 403, who
        assert APIClient().post(days_url(park.pk), day_body(), format="json").status_code in (401, 403)
        assert counts() == before
        assert (
            client_for(people.parks_dispatcher).post(days_url(park.pk), day_body(), format="json").status_code
            == 201
        )


class TestSignUps:
    def test_sign_up_once_until_full_and_cancel(self, park, work_day):
        first, second, third = volunteer(), volunteer(), volunteer()
        answer = client_for(first).post(signup_url(work_day["id"]))
        assert answer.status_code == 201
        assert (answer.json()["signups_count"], answer.json()["volunteers_count"]) == (1, 1)
        again = client_for(first).post(signup_url(work_day["id"]))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "already_signed_up"
        assert client_for(second).post(signup_url(work_day["id"])).status_code == 201
        before = counts()
        full = client_for(third).post(signup_url(work_day["id"]))
        assert full.status_code == 409
        assert full.json()["error"]["code"] == "work_day_full"
        assert counts() == before

        cancelled = client_for(first).delete(signup_url(work_day["id"]))
        assert cancelled.status_code == 200
        assert cancelled.json()["signups_count"] == 1
        assert client_for(first).delete(signup_url(work_day["id"])).status_code == 404
        assert client_for(third).post(signup_url(work_day["id"])).status_code == 201
        park.refresh_from_db()
        assert park.volunteers_count == 2

    def test_one_person_on_two_days_counts_once_for_the_initiative(self, park, people, work_day):
        second_day = client_for(people.planner).post(
            days_url(park.pk), day_body(start="14:00", end="17:00"), format="json"
        )
        person = volunteer()
        client_for(person).post(signup_url(work_day["id"]))
        client_for(person).post(signup_url(second_day.json()["id"]))
        client_for(volunteer()).post(signup_url(work_day["id"]))
        park.refresh_from_db()
        assert park.volunteers_count == 2
        public = APIClient().get(days_url(park.pk)).json()
        assert public["volunteers_count"] == 2
        assert [d["signups_count"] for d in public["work_days"]] == [2, 1]

    def test_names_are_for_staff_only(self, park, people, work_day):
        person = UserFactory.create(
            roles=["citizen"], first_name="Huda", last_name="Saleh", email="huda@example.org"
        )
        client_for(person).post(signup_url(work_day["id"]))
        public = APIClient().get(days_url(park.pk)).content.decode()
        for personal in ("Huda", "huda@example.org", person.username):
            assert personal not in public
        mine = client_for(person).get(days_url(park.pk)).json()["work_days"][0]
        assert mine["signed_up"] is True
        staff = client_for(people.planner).get(volunteers_url(work_day["id"]))
        assert staff.status_code == 200
        assert staff.json()["volunteers"][0]["name"] == "Huda Saleh"
        for who in ("citizen", "inspector", "outside_planner", "roads_dispatcher"):
            assert client_for(getattr(people, who)).get(volunteers_url(work_day["id"])).status_code == 403, (
                who
            )
        assert APIClient().get(volunteers_url(work_day["id"])).status_code in (401, 403)

    def test_a_started_day_takes_no_sign_up_and_unknown_days_are_404(self, park):
        started = WorkDay.objects.create(
            initiative=park,
            starts_at=timezone.now() - timedelta(hours=1),
            ends_at=timezone.now() + timedelta(hours=2),
            place="Here",
            capacity=5,
        )
        before = counts()
        assert (
            client_for(volunteer()).post(signup_url(started.pk)).json()["error"]["code"] == "work_day_started"
        )
        assert client_for(volunteer()).post(signup_url(999_999)).status_code == 404
        assert APIClient().post(signup_url(started.pk)).status_code in (401, 403)
        assert counts() == before

    def test_volunteers_count_is_not_set_by_hand_any_more(self, park, people):
        response = client_for(people.planner).patch(
            f"/api/v1/initiatives/{park.pk}/", {"volunteers_count": 40}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_editable"


def raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_signup(work_day_id: int, user_id: int) -> None:
    raw(
        "INSERT INTO initiatives_volunteersignup (work_day_id, user_id, created_at) VALUES (%s, %s, now())",
        [work_day_id, user_id],
    )


class TestDatabaseRules:
    def test_the_cap_and_once_per_person_hold_against_raw_sql(self, park, work_day):
        first, second, third = volunteer(), volunteer(), volunteer()
        raw_signup(work_day["id"], first.pk)
        with pytest.raises(IntegrityError, match="initiatives_signup_once"):
            raw_signup(work_day["id"], first.pk)
        raw_signup(work_day["id"], second.pk)
        with pytest.raises(IntegrityError, match="initiatives_workday_within_capacity"):
            raw_signup(work_day["id"], third.pk)
        assert WorkDay.objects.get(pk=work_day["id"]).signups_count == 2
        with pytest.raises(IntegrityError, match="initiatives_workday_within_capacity"):
            raw("UPDATE initiatives_workday SET capacity = 1 WHERE id = %s", [work_day["id"]])
        with pytest.raises(IntegrityError, match="initiatives_workday_capacity_positive"):
            raw(
                "UPDATE initiatives_workday SET capacity = 0, signups_count = 0 WHERE id = %s",
                [work_day["id"]],
            )

    def test_derived_counts_cannot_be_written_by_hand(self, park, work_day):
        raw_signup(work_day["id"], volunteer().pk)
        raw("UPDATE initiatives_workday SET signups_count = 0 WHERE id = %s", [work_day["id"]])
        raw("UPDATE initiatives_initiative SET volunteers_count = 99 WHERE id = %s", [park.pk])
        assert WorkDay.objects.get(pk=work_day["id"]).signups_count == 1
        park.refresh_from_db()
        assert park.volunteers_count == 1

    def test_deleting_an_initiative_by_raw_sql_takes_its_days_and_sign_ups(self, park, work_day):
        raw_signup(work_day["id"], volunteer().pk)
        raw("DELETE FROM initiatives_initiative WHERE id = %s", [park.pk])
        assert counts() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_race_of_sign_ups_fills_exactly_the_capacity(city, people):
    park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
    day = client_for(people.planner).post(days_url(park.pk), day_body(capacity=3), format="json").json()
    volunteers = [volunteer() for _ in range(7)]
    statuses = post_together(signup_url(day["id"]), volunteers)
    assert sorted(statuses, key=str) == [201, 201, 201, 409, 409, 409, 409], statuses
    assert VolunteerSignup.objects.filter(work_day_id=day["id"]).count() == 3
    assert WorkDay.objects.get(pk=day["id"]).signups_count == 3
    park.refresh_from_db()
    assert park.volunteers_count == 3

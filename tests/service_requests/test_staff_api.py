"""The staff REST API: who sees which requests, the queue's filters and actions, bad input."""

from __future__ import annotations

import pytest

from geo_services.core.models import Department, District
from geo_services.service_requests.models import ServiceRequest, Status
from tests.factories import UserFactory, make_staff
from tests.service_requests.conftest import DOWNTOWN, MARKA

QUEUE = "/api/v1/requests/"


@pytest.fixture
def filed(submit, categories):
    """Two road reports (downtown, Marka) and one street-light report (lighting department)."""
    return {
        "downtown_pothole": submit("pothole", DOWNTOWN).request,
        "marka_pothole": submit("pothole", MARKA).request,
        "light": submit("street-light", DOWNTOWN, answers={"problem": ["out"]}).request,
    }


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.django_db
class TestWhoSeesWhat:
    def test_dispatcher_sees_only_their_department(self, api_client, dispatcher, filed):
        api_client.force_authenticate(dispatcher)
        response = api_client.get(QUEUE)
        assert response.status_code == 200
        assert ids(response) == {filed["downtown_pothole"].pk, filed["marka_pothole"].pk}
        # Another department's request does not exist for them.
        assert api_client.get(f"{QUEUE}{filed['light'].pk}/").status_code == 404
        response = api_client.post(
            f"{QUEUE}{filed['light'].pk}/status/", {"status": "resolved"}, format="json"
        )
        assert response.status_code == 404
        assert ServiceRequest.objects.get(pk=filed["light"].pk).status == Status.NEW

    def test_lighting_dispatcher_sees_nothing_of_roads(self, api_client, amman, filed):
        lighting = Department.objects.get(jurisdiction=amman, code="lighting")
        user = UserFactory.create(roles=["dispatcher"])
        make_staff(user, jurisdiction=amman, department=lighting)
        api_client.force_authenticate(user)
        assert ids(api_client.get(QUEUE)) == {filed["light"].pk}

    def test_district_scope(self, api_client, amman, roads, filed):
        user = UserFactory.create(roles=["dispatcher"])
        make_staff(user, jurisdiction=amman, department=roads, districts=[District.objects.get(code="marka")])
        api_client.force_authenticate(user)
        assert ids(api_client.get(QUEUE)) == {filed["marka_pothole"].pk}

    def test_dispatcher_without_staff_record_sees_nothing(self, api_client, filed):
        api_client.force_authenticate(UserFactory.create(roles=["dispatcher"]))
        assert ids(api_client.get(QUEUE)) == set()

    def test_inspector_sees_only_assigned_and_cannot_act(self, api_client, dispatcher, inspector, filed):
        api_client.force_authenticate(dispatcher)
        api_client.post(
            f"{QUEUE}{filed['marka_pothole'].pk}/assign/", {"inspector": inspector.pk}, format="json"
        )
        api_client.force_authenticate(inspector)
        assert ids(api_client.get(QUEUE)) == {filed["marka_pothole"].pk}
        response = api_client.post(
            f"{QUEUE}{filed['marka_pothole'].pk}/status/", {"status": "resolved"}, format="json"
        )
        assert response.status_code == 403

    def test_citizen_and_anonymous_are_refused(self, api_client, filed):
        assert api_client.get(QUEUE).status_code == 401
        api_client.force_authenticate(UserFactory.create(roles=["citizen"]))
        assert api_client.get(QUEUE).status_code == 403
        assert api_client.get("/api/v1/inspectors/").status_code == 403

    def test_admin_sees_all(self, api_client, filed):
        api_client.force_authenticate(UserFactory.create(is_superuser=True))
        assert ids(api_client.get(QUEUE)) == {r.pk for r in filed.values()}

    def test_staff_see_contact_data(self, api_client, dispatcher, submit):
        from geo_services.service_requests.services import Contact

        request = submit(contact=Contact(email="rana@example.org", phone="+962790000000")).request
        api_client.force_authenticate(dispatcher)
        item = api_client.get(f"{QUEUE}{request.pk}/").json()
        assert item["contact"]["email"] == "rana@example.org"


@pytest.mark.django_db
class TestQueue:
    def test_filters(self, api_client, dispatcher, filed):
        api_client.force_authenticate(dispatcher)
        assert ids(api_client.get(QUEUE, {"district": "marka"})) == {filed["marka_pothole"].pk}
        assert ids(api_client.get(QUEUE, {"status": "resolved"})) == set()
        assert ids(api_client.get(QUEUE, {"category": "pothole", "overdue": "false"})) == {
            filed["downtown_pothole"].pk,
            filed["marka_pothole"].pk,
        }

    def test_geojson(self, api_client, dispatcher, filed):
        api_client.force_authenticate(dispatcher)
        response = api_client.get(QUEUE, {"format": "geojson"})
        assert response["Content-Type"] == "application/geo+json"
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        marka = next(f for f in collection["features"] if f["id"] == filed["marka_pothole"].pk)
        assert marka["geometry"]["coordinates"] == [MARKA.x, MARKA.y]
        assert marka["properties"]["district"]["code"] == "marka"

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "done"},
            {"overdue": "maybe"},
            {"limit": "0"},
            {"limit": "5000"},
            {"limit": "ten"},
            {"offset": "-1"},
            {"format": "xml"},
        ],
    )
    def test_bad_filters_are_400(self, api_client, dispatcher, params):
        api_client.force_authenticate(dispatcher)
        response = api_client.get(QUEUE, params)
        assert response.status_code == 400
        assert response.json()["error"]["message"]

    def test_queue_has_no_n_plus_one(self, api_client, dispatcher, submit, django_assert_max_num_queries):
        for _ in range(12):
            submit()
        api_client.force_authenticate(dispatcher)
        # session/permission look-ups, the page, the count — not one query per request.
        with django_assert_max_num_queries(8):
            response = api_client.get(QUEUE)
        assert response.json()["count"] == 12


@pytest.mark.django_db
class TestActions:
    def test_assign_status_merge(self, api_client, dispatcher, inspector, filed, submit):
        api_client.force_authenticate(dispatcher)
        pothole = filed["downtown_pothole"]
        inspectors = api_client.get("/api/v1/inspectors/").json()
        assert [i["username"] for i in inspectors] == ["roads-inspector"]

        assigned = api_client.post(f"{QUEUE}{pothole.pk}/assign/", {"inspector": inspector.pk}, format="json")
        assert assigned.status_code == 200
        assert assigned.json()["status"] == "assigned"
        assert assigned.json()["assigned_to"]["username"] == "roads-inspector"

        resolved = api_client.post(
            f"{QUEUE}{pothole.pk}/status/",
            {"status": "resolved", "note": "Filled", "public": True},
            format="json",
        )
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["history"][-1] == {
            "from_status": "assigned",
            "to_status": "resolved",
            "changed_by": "roads-dispatcher",
            "changed_at": resolved.json()["history"][-1]["changed_at"],
            "note": "Filled",
            "public": True,
        }

        again = submit("pothole", MARKA).request
        merged = api_client.post(
            f"{QUEUE}{again.pk}/merge/", {"into": filed["marka_pothole"].pk}, format="json"
        )
        assert merged.status_code == 200
        assert merged.json()["id"] == filed["marka_pothole"].pk
        assert ServiceRequest.objects.get(pk=again.pk).duplicate_of_id == filed["marka_pothole"].pk

    def test_detail_lists_likely_duplicates(self, api_client, dispatcher, submit, categories):
        first = submit().request
        second = submit().request
        api_client.force_authenticate(dispatcher)
        assert api_client.get(f"{QUEUE}{second.pk}/").json()["likely_duplicates"] == [first.pk]

    @pytest.mark.parametrize(
        ("path", "body", "status"),
        [
            ("status", {"status": "done"}, 400),
            ("status", {"status": "duplicate"}, 400),
            ("status", {"status": "resolved", "public": "sometimes"}, 400),
            ("status", {"status": 7}, 400),
            ("status", ["resolved"], 400),
            ("assign", {"inspector": "abc"}, 400),
            ("assign", {"inspector": True}, 400),
            ("assign", {}, 400),
            ("assign", {"inspector": 999999}, 400),
            ("merge", {"into": 999999}, 404),
            ("merge", {"into": "x"}, 400),
        ],
    )
    def test_bad_action_input_is_4xx_and_changes_nothing(
        self, api_client, dispatcher, filed, path, body, status
    ):
        pothole = filed["downtown_pothole"]
        api_client.force_authenticate(dispatcher)
        response = api_client.post(f"{QUEUE}{pothole.pk}/{path}/", body, format="json")
        assert response.status_code == status, response.content
        assert response.json()["error"]["message"]
        pothole.refresh_from_db()
        assert pothole.status == Status.NEW
        assert pothole.history.count() == 1

    def test_malformed_json_is_400(self, api_client, dispatcher, filed):
        api_client.force_authenticate(dispatcher)
        response = api_client.generic(
            "POST",
            f"{QUEUE}{filed['downtown_pothole'].pk}/status/",
            '{"status": ',
            content_type="application/json",
        )
        assert response.status_code == 400

    def test_transition_conflict_is_409(self, api_client, dispatcher, filed):
        api_client.force_authenticate(dispatcher)
        url = f"{QUEUE}{filed['downtown_pothole'].pk}/status/"
        api_client.post(url, {"status": "resolved"}, format="json")
        response = api_client.post(url, {"status": "in_progress"}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_transition"

"""The jobs API for supervisors: create, list (GeoJSON by PostGIS), cancel, reassign; who sees what."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from geo_services.inspections.models import AuditAction, AuditEvent, InspectionJob, JobStatus
from tests.inspections.conftest import DOWNTOWN, JOBS, MARKA, local_today

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {feature["id"] for feature in response.json()["features"]}


def new_job(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "template": "test-park",
        "due_date": local_today().isoformat(),
        "location": {"lon": DOWNTOWN.x, "lat": DOWNTOWN.y},
        "label": "حديقة الملك / King's park",
    }
    body.update(changes)
    return body


class TestCreating:
    def test_a_point_job_gets_its_district_and_the_latest_version(
        self, as_user, dispatcher, inspector, checklist
    ):
        device = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
        response = as_user(dispatcher).post(
            JOBS, new_job(inspector=inspector.pk), format="json", headers={"X-Device-Id": device}
        )
        assert response.status_code == 201, response.content
        feature = response.json()
        properties = feature["properties"]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [DOWNTOWN.x, DOWNTOWN.y]}
        assert properties["status"] == "assigned"
        assert properties["district"]["code"] == "al-madina"
        assert properties["template"]["code"] == "test-park"
        assert properties["template"]["version"] == 1
        assert properties["inspector"]["username"] == "field-inspector"
        assert properties["target"] == {
            "kind": "point",
            "id": None,
            "label": "حديقة الملك / King's park",
            "location": {"type": "Point", "coordinates": [DOWNTOWN.x, DOWNTOWN.y]},
        }
        assert properties["overdue"] is False
        assert properties["result"] is None
        assert properties["created_at"].endswith("+03:00")
        event = AuditEvent.objects.get(action=AuditAction.JOB_CREATED, job_id=feature["id"])
        assert event.actor == dispatcher
        assert event.device_id == device
        assert event.details["inspector"] == "field-inspector"

    def test_a_venue_job_takes_the_venues_place_and_name(self, as_user, dispatcher, inspector, checklist):
        from geo_services.venues.models import Venue

        venue = Venue.objects.get(code="marka-community-centre")
        body = new_job(inspector=inspector.pk, venue=venue.pk)
        del body["location"], body["label"]
        properties = as_user(dispatcher).post(JOBS, body, format="json").json()["properties"]
        assert properties["target"]["kind"] == "venue"
        assert properties["target"]["id"] == venue.pk
        assert properties["target"]["label"] == f"{venue.name_ar} / {venue.name_en}"
        assert properties["district"]["code"] == "marka"

    @pytest.mark.parametrize(
        ("changes", "status", "code"),
        [
            ({"location": {"lon": 46.7, "lat": 24.7}}, 404, "outside_districts"),  # Riyadh
            ({"location": {"lon": 35.9, "lat": 95}}, 400, "out_of_range"),
            ({"location": {"lon": "nan", "lat": 31.9}}, 400, "invalid_input"),
            ({"location": [35.9, 31.9]}, 400, "invalid_target"),
            ({"venue": 5}, 400, "invalid_target"),  # two targets
            ({"location": None}, 400, "invalid_target"),  # none
            ({"label": ""}, 400, "missing_label"),
            ({"template": "no-such-template"}, 400, "unknown_template"),
            ({"template": None}, 400, "missing_parameter"),
            ({"inspector": "x"}, 400, "invalid_input"),
            ({"due_date": "23/11/2026"}, 400, "invalid_date"),
            ({"due_date": "2026-02-30"}, 400, "invalid_date"),
            ({"due_date": "2001-01-01"}, 400, "due_date_in_past"),
            ({"target_kind": "venue"}, 400, "invalid_target"),
        ],
    )
    def test_bad_input_is_4xx_and_writes_nothing(
        self, as_user, dispatcher, inspector, checklist, changes, status, code
    ):
        body = new_job(**{"inspector": inspector.pk, **changes})
        response = as_user(dispatcher).post(JOBS, body, format="json")
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
        assert not InspectionJob.objects.exists()

    def test_unknown_venue_and_non_inspector(self, as_user, dispatcher, checklist, user_with_role, inspector):
        client = as_user(dispatcher)
        body = new_job(inspector=inspector.pk, venue=999999)
        del body["location"]
        assert client.post(JOBS, body, format="json").status_code == 404
        planner = user_with_role("planner")
        response = client.post(JOBS, new_job(inspector=planner.pk), format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_an_inspector"
        assert client.generic("POST", JOBS, "[1]", content_type="application/json").status_code == 400
        assert (
            client.generic("POST", JOBS, '{"template": ', content_type="application/json").status_code == 400
        )
        assert not InspectionJob.objects.exists()

    def test_a_district_dispatcher_creates_only_in_their_districts(
        self, as_user, madina_dispatcher, inspector, checklist
    ):
        client = as_user(madina_dispatcher)
        outside = client.post(
            JOBS, new_job(inspector=inspector.pk, location={"lon": MARKA.x, "lat": MARKA.y}), format="json"
        )
        assert outside.status_code == 403
        assert outside.json()["error"]["code"] == "outside_your_districts"
        assert client.post(JOBS, new_job(inspector=inspector.pk), format="json").status_code == 201

    def test_only_dispatchers_and_admins_create(self, api_client, inspector, checklist, user_with_role):
        body = new_job(inspector=inspector.pk)
        assert api_client.post(JOBS, body, format="json").status_code == 401
        for role in ("inspector", "planner", "citizen"):
            api_client.force_authenticate(user_with_role(role))
            assert api_client.post(JOBS, body, format="json").status_code == 403
        from tests.factories import UserFactory

        api_client.force_authenticate(UserFactory.create(is_superuser=True))
        assert api_client.post(JOBS, body, format="json").status_code == 201


class TestListing:
    @pytest.fixture
    def jobs(self, make_job, overdue, inspector, other_inspector) -> dict[str, InspectionJob]:
        return {
            "downtown": make_job(),
            "marka": make_job(location=MARKA),
            "tomorrow": make_job(due_date=local_today() + timedelta(days=1), assignee=other_inspector),
            "late": overdue(location=MARKA),
        }

    def test_a_feature_collection_built_by_the_database(self, as_user, dispatcher, jobs):
        response = as_user(dispatcher).get(JOBS)
        assert response["Content-Type"] == "application/geo+json"
        document = json.loads(response.content)
        assert document["type"] == "FeatureCollection"
        assert [f["id"] for f in document["features"]] == [
            jobs["late"].pk,
            jobs["downtown"].pk,
            jobs["marka"].pk,
            jobs["tomorrow"].pk,
        ]  # by due date, then id

    def test_filters(self, as_user, dispatcher, jobs, other_inspector):
        client = as_user(dispatcher)
        assert ids(client.get(JOBS, {"date": local_today().isoformat()})) == {
            jobs["downtown"].pk,
            jobs["marka"].pk,
        }
        assert ids(client.get(JOBS, {"overdue": "true"})) == {jobs["late"].pk}
        assert ids(client.get(JOBS, {"district": "marka"})) == {jobs["marka"].pk, jobs["late"].pk}
        assert ids(client.get(JOBS, {"inspector": other_inspector.pk})) == {jobs["tomorrow"].pk}
        assert ids(client.get(JOBS, {"status": "done,cancelled"})) == set()
        assert len(ids(client.get(JOBS, {"limit": 2}))) == 2
        late = client.get(JOBS, {"overdue": "true"}).json()["features"][0]["properties"]
        assert late["overdue"] is True

    @pytest.mark.parametrize(
        "params",
        [
            {"date": "tomorrow"},
            {"status": "lost"},
            {"overdue": "maybe"},
            {"limit": "0"},
            {"limit": "99999"},
            {"inspector": "x"},
        ],
    )
    def test_bad_filters_are_400(self, as_user, dispatcher, params):
        response = as_user(dispatcher).get(JOBS, params)
        assert response.status_code == 400
        assert response.json()["error"]["message"]

    def test_who_sees_which_jobs(
        self, as_user, api_client, jobs, dispatcher, madina_dispatcher, inspector, user_with_role
    ):
        everyone = {job.pk for job in jobs.values()}
        assert ids(as_user(dispatcher).get(JOBS)) == everyone
        assert ids(as_user(madina_dispatcher).get(JOBS)) == {jobs["downtown"].pk, jobs["tomorrow"].pk}
        assert ids(as_user(inspector).get(JOBS)) == {jobs["downtown"].pk, jobs["marka"].pk, jobs["late"].pk}
        assert as_user(madina_dispatcher).get(f"{JOBS}{jobs['marka'].pk}/").status_code == 404
        assert as_user(inspector).get(f"{JOBS}{jobs['tomorrow'].pk}/").status_code == 404
        api_client.force_authenticate(None)
        assert api_client.get(JOBS).status_code == 401
        for role in ("planner", "citizen"):
            assert as_user(user_with_role(role)).get(JOBS).status_code == 403

    def test_a_dispatcher_without_a_staff_record_sees_nothing(self, as_user, jobs, user_with_role):
        assert ids(as_user(user_with_role("dispatcher")).get(JOBS)) == set()


class TestCancelAndReassign:
    def test_cancel_is_recorded_and_repeating_it_changes_nothing(self, as_user, dispatcher, make_job):
        job = make_job()
        client = as_user(dispatcher)
        response = client.post(f"{JOBS}{job.pk}/cancel/", {"reason": "Shop closed"}, format="json")
        assert response.status_code == 200
        assert response.json()["properties"]["status"] == "cancelled"
        assert response.json()["properties"]["cancel_reason"] == "Shop closed"
        assert client.post(f"{JOBS}{job.pk}/cancel/", {}, format="json").status_code == 200
        events = AuditEvent.objects.filter(action=AuditAction.JOB_CANCELLED, job=job)
        assert [e.details["reason"] for e in events] == ["Shop closed"]
        # A cancelled job cannot be given to someone else.
        response = client.post(f"{JOBS}{job.pk}/reassign/", {"inspector": job.inspector_id}, format="json")
        assert response.status_code == 409

    def test_reassign_to_another_inspector_and_day(
        self, as_user, dispatcher, inspector, other_inspector, make_job
    ):
        job = make_job()
        tomorrow = (local_today() + timedelta(days=1)).isoformat()
        response = as_user(dispatcher).post(
            f"{JOBS}{job.pk}/reassign/",
            {"inspector": other_inspector.pk, "due_date": tomorrow},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["properties"]["inspector"]["username"] == "other-inspector"
        assert response.json()["properties"]["due_date"] == tomorrow
        event = AuditEvent.objects.get(action=AuditAction.JOB_ASSIGNED, job=job)
        assert event.details["inspector"] == {"from": "field-inspector", "to": "other-inspector"}
        # The first inspector no longer sees it.
        assert as_user(inspector).get(f"{JOBS}{job.pk}/").status_code == 404

    def test_a_job_with_an_inspection_stays_put(
        self, as_user, dispatcher, inspector, other_inspector, make_job
    ):
        import uuid

        from tests.inspections.conftest import inspection_url, submission

        job = make_job()
        as_user(inspector).put(inspection_url(str(uuid.uuid4())), submission(job), format="json")
        client = as_user(dispatcher)
        reassigned = client.post(
            f"{JOBS}{job.pk}/reassign/", {"inspector": other_inspector.pk}, format="json"
        )
        assert reassigned.status_code == 409
        assert "waiting for its photos" in reassigned.json()["error"]["message"]
        assert client.post(f"{JOBS}{job.pk}/cancel/", {}, format="json").status_code == 409
        assert InspectionJob.objects.get(pk=job.pk).inspector == inspector

    def test_scope_and_roles(self, as_user, madina_dispatcher, inspector, other_inspector, make_job):
        job = make_job(location=MARKA)
        assert (
            as_user(madina_dispatcher).post(f"{JOBS}{job.pk}/cancel/", {}, format="json").status_code == 404
        )
        assert as_user(inspector).post(f"{JOBS}{job.pk}/cancel/", {}, format="json").status_code == 403
        reassign = as_user(madina_dispatcher).post(
            f"{JOBS}{job.pk}/reassign/", {"inspector": other_inspector.pk}, format="json"
        )
        assert reassign.status_code == 404
        assert InspectionJob.objects.get(pk=job.pk).status == JobStatus.ASSIGNED
        assert as_user(madina_dispatcher).post(f"{JOBS}999999/cancel/", {}, format="json").status_code == 404

    def test_bad_reassign_input(self, as_user, dispatcher, make_job):
        job = make_job()
        client = as_user(dispatcher)
        for body in ({}, {"inspector": "abc"}, {"inspector": job.inspector_id, "due_date": "2001-01-01"}):
            response = client.post(f"{JOBS}{job.pk}/reassign/", body, format="json")
            assert response.status_code == 400, body
        assert client.post(f"{JOBS}{job.pk}/cancel/", {"reason": "x" * 600}, format="json").status_code == 400
        assert not AuditEvent.objects.filter(
            action__in=[AuditAction.JOB_ASSIGNED, AuditAction.JOB_CANCELLED]
        ).exists()


class TestTemplates:
    def test_staff_read_the_latest_versions_of_their_jurisdiction(
        self, as_user, dispatcher, checklist, user_with_role
    ):
        templates = as_user(dispatcher).get("/api/v1/inspections/templates/").json()
        by_code = {t["code"]: t for t in templates}
        assert by_code["test-park"]["version"] == 1
        assert [i["key"] for i in by_code["test-park"]["items"]] == [
            "clean",
            "lighting",
            "temperature",
            "litter",
            "notes",
            "before",
        ]
        assert by_code["test-park"]["items"][1] == {
            "key": "lighting",
            "type": "score",
            "label_ar": "الإنارة",
            "label_en": "Lighting",
            "weight": 2.0,
            "critical": False,
            "required": True,
            "max_score": 4,
        }
        assert "request-followup" in by_code
        assert as_user(user_with_role("citizen")).get("/api/v1/inspections/templates/").status_code == 403

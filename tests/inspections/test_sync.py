"""Sending inspections and photos from the tablet: idempotent, re-checked by the server, audited."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from geo_services.inspections.models import (
    AuditAction,
    AuditEvent,
    Inspection,
    InspectionJob,
    InspectionPhoto,
    JobStatus,
)
from tests.factories import TEST_PASSWORD
from tests.inspections.conftest import MARKA, inspection_url, jpeg_bytes, photo_url, sha256, submission

pytestmark = pytest.mark.django_db


def put(client: APIClient, key: str, body: object, **headers: str):
    return client.put(inspection_url(key), body, format="json", headers=headers or None)


def put_photo(client: APIClient, key: str, photo: str, data: bytes, content_type: str = "image/jpeg"):
    return client.generic("PUT", photo_url(key, photo), data, content_type=content_type)


def nothing_written() -> bool:
    return not Inspection.objects.exists() and not InspectionPhoto.objects.exists()


class TestSendingAnInspection:
    def test_first_time_201_then_the_same_again_200_and_one_record(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        first = put(client, key, body)
        assert first.status_code == 201, first.content
        document = first.json()
        assert document["uuid"] == key
        assert document["job"] == job.pk
        assert document["template"] == {"code": "test-park", "version": 1}
        assert document["score"] == 87.5
        again = put(client, key, body)
        assert again.status_code == 200
        assert again.json() == document
        assert Inspection.objects.count() == 1
        assert InspectionPhoto.objects.count() == 1
        assert AuditEvent.objects.filter(action=AuditAction.INSPECTION_RECEIVED).count() == 1

    def test_the_server_computes_the_score(self, as_user, inspector, make_job):
        job = make_job()
        body = submission(job)
        # clean 1/1, lighting 2 x 3/4, temperature in range 1/1, litter weight 0: 3.5 of 4 = 87.5
        body["answers"]["lighting"] = 3
        body["score"] = 100  # ignored: the tablet never decides the score
        document = put(as_user(inspector), str(uuid.uuid4()), body).json()
        assert document["score"] == 87.5
        assert document["passed"] is True
        assert document["failed_critical"] == []

    def test_a_failed_critical_item_fails_the_inspection(self, as_user, inspector, make_job):
        job = make_job()
        body = submission(job)
        body["answers"].update(clean=False, lighting=4)
        document = put(as_user(inspector), str(uuid.uuid4()), body).json()
        assert document["score"] == 75.0
        assert document["passed"] is False
        assert document["failed_critical"] == ["clean"]

    def test_different_content_under_the_same_uuid_is_409_naming_what_differs(
        self, as_user, inspector, make_job
    ):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        assert put(client, key, body).status_code == 201
        changed = json.loads(json.dumps(body))
        changed["answers"]["lighting"] = 1
        changed["finished_at"] = "2026-11-23T07:30:00Z"
        response = put(client, key, changed)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "inspection_conflict"
        assert "answers.lighting" in error["message"]
        assert "finished_at" in error["message"]
        assert error["details"]["differs"] == ["answers.lighting", "finished_at"]
        assert Inspection.objects.get().answers["lighting"] == 3

    def test_a_photo_uuid_declared_with_another_hash_is_409(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        put(client, key, body)
        body["photos"][0]["sha256"] = sha256(b"other bytes")
        response = put(client, key, body)
        assert response.status_code == 409
        assert "photos" in response.json()["error"]["details"]["differs"]

    def test_times_with_another_offset_for_the_same_moment_are_the_same(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        put(client, key, body)
        body["started_at"] = "2026-11-23T10:10:00+03:00"
        assert put(client, key, body).status_code == 200

    def test_a_second_uuid_for_an_inspected_job_is_409(self, as_user, inspector, make_job):
        job = make_job()
        client = as_user(inspector)
        put(client, str(uuid.uuid4()), submission(job))
        response = put(client, str(uuid.uuid4()), submission(job))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "job_already_inspected"
        assert Inspection.objects.count() == 1

    def test_times_are_shown_in_the_jurisdictions_zone(self, as_user, inspector, make_job):
        job = make_job()
        document = put(as_user(inspector), str(uuid.uuid4()), submission(job)).json()
        assert document["started_at"] == "2026-11-23T10:10:00+03:00"
        assert Inspection.objects.get().started_at.isoformat() == "2026-11-23T07:10:00+00:00"


class TestPhotos:
    def test_declared_photos_are_missing_until_sent_then_the_job_is_done(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        first, second = jpeg_bytes((10, 200, 10)), jpeg_bytes((10, 10, 200))
        p1, p2 = str(uuid.uuid4()), str(uuid.uuid4())
        body = submission(job, photo=first, photo_uuid=p1)
        body["answers"]["before"] = [p1, p2]
        body["photos"].append({"uuid": p2, "item": "before", "sha256": sha256(second)})
        client = as_user(inspector)
        stored = put(client, key, body).json()
        assert stored["missing_photos"] == [p1, p2]
        assert stored["complete"] is False
        job.refresh_from_db()
        assert job.status == JobStatus.ASSIGNED

        sent = put_photo(client, key, p1, first)
        assert sent.status_code == 201, sent.content
        # A retry after a cut connection: the inspection again, then only what is still missing.
        retry = put(client, key, body).json()
        assert retry["missing_photos"] == [p2]
        assert put_photo(client, key, p1, first).status_code == 200  # sent twice: still one
        last = put_photo(client, key, p2, second)
        assert last.status_code == 201
        assert last.json()["complete"] is True
        assert last.json()["missing_photos"] == []
        job.refresh_from_db()
        assert job.status == JobStatus.DONE
        assert job.done_at is not None
        assert InspectionPhoto.objects.filter(received_at__isnull=False).count() == 2
        assert Inspection.objects.get().completed_at is not None

    def test_the_stored_photo_is_cleaned_and_can_be_read_back(self, as_user, inspector, dispatcher, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        photo = jpeg_bytes(size=(120, 80))
        body = submission(job, photo=photo)
        client = as_user(inspector)
        put(client, key, body)
        document = put_photo(client, key, body["photos"][0]["uuid"], photo).json()
        stored = InspectionPhoto.objects.get()
        assert (stored.width, stored.height) == (120, 80)
        assert stored.sha256 == sha256(photo)  # the received bytes' hash is what is kept
        assert document["photos"][0]["received"] is True
        client.force_authenticate(dispatcher)
        image = client.get(document["photos"][0]["url"])
        assert image.status_code == 200
        assert image["Content-Type"] == "image/jpeg"
        assert b"".join(image.streaming_content).startswith(b"\xff\xd8")

    def test_other_bytes_for_a_stored_photo_are_409(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        photo = jpeg_bytes()
        body = submission(job, photo=photo)
        client = as_user(inspector)
        put(client, key, body)
        photo_uuid = body["photos"][0]["uuid"]
        put_photo(client, key, photo_uuid, photo)
        response = put_photo(client, key, photo_uuid, jpeg_bytes((0, 0, 0)))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "photo_conflict"

    def test_bytes_not_matching_the_declared_hash_are_400(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        put(client, key, body)
        response = put_photo(client, key, body["photos"][0]["uuid"], jpeg_bytes((1, 2, 3)))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "sha256_mismatch"
        assert "SHA-256" in response.json()["error"]["message"]
        assert not InspectionPhoto.objects.filter(received_at__isnull=False).exists()

    def test_bytes_that_are_not_an_image_are_400(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        data = b"%PDF-1.4 not a photo at all"
        body = submission(job, photo=data)
        client = as_user(inspector)
        put(client, key, body)
        response = put_photo(client, key, body["photos"][0]["uuid"], data)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_an_image"
        assert not InspectionPhoto.objects.filter(received_at__isnull=False).exists()

    def test_an_oversized_photo_is_413(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        photo = jpeg_bytes(size=(400, 400))
        body = submission(job, photo=photo)
        client = as_user(inspector)
        put(client, key, body)
        with override_settings(AMANAH_MAX_PHOTO_BYTES=len(photo) - 1):
            response = put_photo(client, key, body["photos"][0]["uuid"], photo)
        assert response.status_code == 413
        assert str(len(photo) - 1) in response.json()["error"]["message"]
        with override_settings(AMANAH_MAX_PHOTO_PIXELS=100):
            response = put_photo(client, key, body["photos"][0]["uuid"], photo)
        assert response.status_code == 413
        assert "pixels" in response.json()["error"]["message"]
        assert not InspectionPhoto.objects.filter(received_at__isnull=False).exists()

    def test_an_undeclared_photo_is_404_and_a_wrong_type_is_415(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        body = submission(job)
        client = as_user(inspector)
        put(client, key, body)
        response = put_photo(client, key, str(uuid.uuid4()), jpeg_bytes())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_photo"
        response = put_photo(client, key, body["photos"][0]["uuid"], jpeg_bytes(), content_type="text/plain")
        assert response.status_code == 415
        response = put_photo(client, key, body["photos"][0]["uuid"], b"", content_type="image/jpeg")
        assert response.status_code == 400

    def test_another_inspectors_photo_cannot_be_sent(self, as_user, inspector, other_inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        photo = jpeg_bytes()
        body = submission(job, photo=photo)
        client = as_user(inspector)
        put(client, key, body)
        client.force_authenticate(other_inspector)
        assert put_photo(client, key, body["photos"][0]["uuid"], photo).status_code == 404
        assert not InspectionPhoto.objects.filter(received_at__isnull=False).exists()


class TestServerRules:
    def test_a_missing_required_answer_and_photo_are_400_naming_the_items(self, as_user, inspector, make_job):
        job = make_job()
        body = submission(job)
        del body["answers"]["lighting"]
        body["answers"]["before"] = []
        body["photos"] = []
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_answers"
        assert "lighting" in error["message"]
        assert "before" in error["message"]
        assert {d["item"]: d["code"] for d in error["details"]} == {
            "lighting": "required",
            "before": "required",
        }
        assert nothing_written()

    @pytest.mark.parametrize(
        ("item", "value"),
        [
            ("clean", "yes"),
            ("clean", 1),
            ("lighting", 5),
            ("lighting", 2.5),
            ("lighting", True),
            ("temperature", "warm"),
            ("litter", "some"),
            ("notes", 12),
            ("before", "not-a-list"),
        ],
    )
    def test_wrong_answer_types_are_400(self, as_user, inspector, make_job, item, value):
        job = make_job()
        body = submission(job)
        body["answers"][item] = value
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["item"] == item
        assert nothing_written()

    def test_unknown_items_and_undeclared_photos_are_400(self, as_user, inspector, make_job):
        job = make_job()
        body = submission(job)
        body["answers"]["colour"] = "green"
        body["answers"]["before"].append(str(uuid.uuid4()))
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 400
        codes = {d["item"]: d["code"] for d in response.json()["error"]["details"]}
        assert codes == {"colour": "unknown_item", "before": "undeclared_photo"}
        assert nothing_written()

    def test_coarse_gps_and_distance_are_accepted_with_flags(self, as_user, inspector, make_job):
        job = make_job()
        body = submission(job)
        # 0.001 degrees of longitude at 32 N is about 94 m: farther than the 50 m allowed.
        body["position"] = {
            "lon": job.target_location.x + 0.001,
            "lat": job.target_location.y,
            "accuracy_m": 35,
        }
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 201
        document = response.json()
        assert document["flags"] == ["gps_inaccurate", "too_far_from_target"]
        assert 93 < document["distance_m"] < 96

    def test_close_and_precise_has_no_flags_and_no_position_is_flagged(self, as_user, inspector, make_job):
        near = put(as_user(inspector), str(uuid.uuid4()), submission(make_job())).json()
        assert near["flags"] == []
        assert 9 < near["distance_m"] < 10  # 0.0001 degrees of longitude
        body = submission(make_job(location=MARKA), position=None)
        assert put(as_user(inspector), str(uuid.uuid4()), body).json()["flags"] == ["no_position"]

    def test_the_jobs_checklist_version_must_be_used(self, as_user, inspector, make_job):
        job = make_job()
        response = put(as_user(inspector), str(uuid.uuid4()), submission(job, template_version=2))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "wrong_template_version"
        assert nothing_written()

    def test_another_inspectors_job_is_refused(self, as_user, other_inspector, make_job):
        job = make_job()
        response = put(as_user(other_inspector), str(uuid.uuid4()), submission(job))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_job"
        assert nothing_written()

    def test_a_cancelled_job_is_409(self, as_user, inspector, dispatcher, make_job):
        job = make_job()
        InspectionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.CANCELLED, cancelled_at=timezone.now()
        )
        response = put(as_user(inspector), str(uuid.uuid4()), submission(job))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "job_cancelled"


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"position": {"lon": 35.9, "lat": 91, "accuracy_m": 5}}, "out_of_range"),
            ({"position": {"lon": 181, "lat": 31.9, "accuracy_m": 5}}, "out_of_range"),
            ({"position": {"lon": "NaN", "lat": 31.9, "accuracy_m": 5}}, "invalid_input"),
            ({"position": {"lon": 35.9, "lat": 31.9, "accuracy_m": -1}}, "out_of_range"),
            ({"position": {"lon": 35.9, "lat": 31.9}}, "missing_parameter"),
            ({"position": [35.9, 31.9]}, "invalid_position"),
            ({"job": "twelve"}, "invalid_input"),
            ({"job": None}, "missing_parameter"),
            ({"answers": ["clean"]}, "invalid_answers"),
            ({"started_at": "yesterday"}, "invalid_datetime"),
            ({"started_at": "2026-11-23T07:10:00"}, "invalid_datetime"),
            ({"finished_at": "2026-11-23T07:00:00Z"}, "invalid_datetime"),
            ({"photos": [{"uuid": "x", "item": "before", "sha256": "0" * 64}]}, "invalid_uuid"),
            ({"photos": [{"uuid": str(uuid.uuid4()), "item": "before", "sha256": "abc"}]}, "invalid_photos"),
        ],
    )
    def test_wrong_fields_are_400_with_a_message(self, as_user, inspector, make_job, change, code):
        body = submission(make_job(), **change)
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
        assert nothing_written()

    def test_nan_as_a_json_number_is_400(self, as_user, inspector, make_job):
        job = make_job()
        text = json.dumps(submission(job)).replace('"accuracy_m": 8.5', '"accuracy_m": NaN')
        response = as_user(inspector).generic(
            "PUT", inspection_url(str(uuid.uuid4())), text, content_type="application/json"
        )
        assert response.status_code == 400
        assert nothing_written()

    def test_malformed_json_non_object_and_form_bodies(self, as_user, inspector, make_job):
        make_job()
        client = as_user(inspector)
        url = inspection_url(str(uuid.uuid4()))
        malformed = client.generic("PUT", url, '{"job": ', content_type="application/json")
        assert malformed.status_code == 400
        assert "JSON" in malformed.json()["error"]["message"]
        listed = client.put(url, [1, 2], format="json")
        assert listed.status_code == 400
        assert listed.json()["error"]["code"] == "invalid_body"
        form = client.generic("PUT", url, "job=1", content_type="application/x-www-form-urlencoded")
        assert form.status_code == 400  # only JSON is read
        assert nothing_written()

    def test_a_huge_body_is_413(self, as_user, inspector, make_job):
        body = submission(make_job())
        body["answers"]["notes"] = "x" * (6 * 1024 * 1024)
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert nothing_written()

    def test_a_long_text_answer_is_400(self, as_user, inspector, make_job):
        body = submission(make_job())
        body["answers"]["notes"] = "x" * 5000
        response = put(as_user(inspector), str(uuid.uuid4()), body)
        assert response.status_code == 400
        assert response.json()["error"]["details"][0] == {
            "item": "notes",
            "code": "too_long",
            "message": "the text is longer than 4000 characters.",
        }

    def test_a_bad_uuid_in_the_url_is_400(self, as_user, inspector, dispatcher, make_job):
        client = as_user(inspector)
        response = put(client, "not-a-uuid", submission(make_job()))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_uuid"
        assert "not-a-uuid" in response.json()["error"]["message"]
        assert put_photo(client, str(uuid.uuid4()), "zzz", jpeg_bytes()).status_code == 400
        client.force_authenticate(dispatcher)
        assert client.get(inspection_url("12")).status_code == 400
        assert nothing_written()

    def test_an_unknown_job_is_404(self, as_user, inspector, make_job):
        make_job()
        response = put(as_user(inspector), str(uuid.uuid4()), submission(make_job(), job=999999))
        assert response.status_code == 404
        assert "999999" in response.json()["error"]["message"]


class TestWhoMaySend:
    def test_planner_citizen_and_anonymous_are_refused(self, api_client, make_job, user_with_role):
        body = submission(make_job())
        assert put(api_client, str(uuid.uuid4()), body).status_code == 401
        for role in ("planner", "citizen", "dispatcher"):
            api_client.force_authenticate(user_with_role(role))
            assert put(api_client, str(uuid.uuid4()), body).status_code == 403
        assert nothing_written()

    def test_the_tablets_session_needs_the_csrf_token(self, inspector, make_job):
        body = submission(make_job())
        client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
        assert client.login(username=inspector.username, password=TEST_PASSWORD)
        refused = client.put(inspection_url(str(uuid.uuid4())), body, format="json")
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["error"]["message"]
        client.get("/accounts/login/")  # the page sets the CSRF cookie, as the app's page does
        token = client.cookies["csrftoken"].value
        accepted = client.put(
            inspection_url(str(uuid.uuid4())), body, format="json", headers={"X-CSRFToken": token}
        )
        assert accepted.status_code == 201, accepted.content

    def test_token_auth_works_without_csrf(self, inspector, make_job):
        token = Token.objects.create(user=inspector)
        client = APIClient(enforce_csrf_checks=True)
        response = client.put(
            inspection_url(str(uuid.uuid4())),
            submission(make_job()),
            format="json",
            headers={"Authorization": f"Token {token.key}"},
        )
        assert response.status_code == 201

    def test_get_shows_the_inspection_to_its_inspector_and_staff_in_scope(
        self, as_user, inspector, other_inspector, dispatcher, madina_dispatcher, make_job, user_with_role
    ):
        key = str(uuid.uuid4())
        client = as_user(inspector)
        put(client, key, submission(make_job(location=MARKA)))
        assert client.get(inspection_url(key)).status_code == 200
        client.force_authenticate(dispatcher)
        assert client.get(inspection_url(key)).json()["uuid"] == key
        for outsider in (other_inspector, madina_dispatcher):
            client.force_authenticate(outsider)
            assert client.get(inspection_url(key)).status_code == 404
        client.force_authenticate(user_with_role("planner"))
        assert client.get(inspection_url(key)).status_code == 403


class TestAudit:
    def test_each_step_is_recorded_with_device_and_browser(self, as_user, inspector, make_job):
        job = make_job()
        key = str(uuid.uuid4())
        device = str(uuid.uuid4())
        photo = jpeg_bytes()
        body = submission(job, photo=photo)
        client = as_user(inspector)
        headers = {"X-Device-Id": device, "User-Agent": "Tablet/1.0 " + "x" * 400}
        assert put(client, key, body, **headers).status_code == 201
        client.generic(
            "PUT",
            photo_url(key, body["photos"][0]["uuid"]),
            photo,
            content_type="image/jpeg",
            headers=headers,
        )
        events = list(AuditEvent.objects.filter(job=job).order_by("id"))
        assert [e.action for e in events] == [
            AuditAction.JOB_CREATED,
            AuditAction.INSPECTION_RECEIVED,
            AuditAction.PHOTO_RECEIVED,
            AuditAction.JOB_DONE,
        ]
        received = events[1]
        assert received.actor == inspector
        assert received.device_id == device
        assert received.user_agent.startswith("Tablet/1.0")
        assert len(received.user_agent) == 300
        assert received.inspection is not None
        assert received.inspection.uuid == uuid.UUID(key)
        assert received.details["score"] == 87.5
        assert events[2].details["sha256"] == sha256(photo)
        assert events[0].device_id == ""  # created by a client without a device id

    def test_a_device_id_that_is_not_a_uuid_is_400(self, as_user, inspector, make_job):
        response = put(
            as_user(inspector), str(uuid.uuid4()), submission(make_job()), **{"X-Device-Id": "tablet-7"}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_device_id"
        assert nothing_written()

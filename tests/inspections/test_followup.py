"""A service request assigned to an inspector gets a follow-up job; its inspection settles the request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from geo_services.inspections.models import (
    AuditAction,
    AuditEvent,
    ChecklistTemplate,
    InspectionJob,
    JobStatus,
)
from geo_services.service_requests import services as request_services
from geo_services.service_requests.models import ServiceRequest, Status
from tests.inspections.conftest import (
    DOWNTOWN,
    JOBS,
    inspection_url,
    jpeg_bytes,
    local_today,
    photo_url,
    sha256,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pothole(amman) -> ServiceRequest:
    return request_services.submit_request(
        jurisdiction_code="amman", service_code="pothole", point=DOWNTOWN, answers={"size": ["large"]}
    ).request


def assign(dispatcher, request: ServiceRequest, inspector) -> InspectionJob:
    request_services.assign_request(actor=dispatcher, request_id=request.pk, inspector_id=inspector.pk)
    return InspectionJob.objects.select_related("template_version__template").get(
        service_request=request, status=JobStatus.ASSIGNED
    )


def followup_answers(job: InspectionJob, *, fixed: bool) -> tuple[dict[str, Any], bytes]:
    photo = jpeg_bytes()
    photo_uuid = str(uuid.uuid4())
    return (
        {
            "job": job.pk,
            "template_version": job.template_version.number,
            "answers": {
                "problem_fixed": fixed,
                "work_quality": 4 if fixed else 1,
                "site_clean": True,
                "after": [photo_uuid],
            },
            "position": {"lon": DOWNTOWN.x, "lat": DOWNTOWN.y, "accuracy_m": 5},
            "started_at": "2026-11-23T07:10:00Z",
            "finished_at": "2026-11-23T07:25:00Z",
            "photos": [{"uuid": photo_uuid, "item": "after", "sha256": sha256(photo)}],
        },
        photo,
    )


def send(client, job: InspectionJob, *, fixed: bool) -> dict[str, Any]:
    body, photo = followup_answers(job, fixed=fixed)
    key = str(uuid.uuid4())
    assert client.put(inspection_url(key), body, format="json").status_code == 201
    response = client.generic(
        "PUT", photo_url(key, body["photos"][0]["uuid"]), photo, content_type="image/jpeg"
    )
    assert response.status_code == 201, response.content
    return response.json()


class TestAssigningCreatesTheJob:
    def test_the_job_follows_the_request(self, dispatcher, inspector, pothole):
        job = assign(dispatcher, pothole, inspector)
        assert job.template_version.template.kind == "request_followup"
        assert job.target_kind == "service_request"
        assert job.target_id == pothole.pk
        assert job.inspector == inspector
        assert job.district.code == "al-madina"
        assert job.target_location.equals(pothole.location)
        assert job.due_date >= local_today()
        assert pothole.category.name_en in job.target_label
        assert (
            AuditEvent.objects.get(action=AuditAction.JOB_CREATED, job=job).service_request_id == pothole.pk
        )

    def test_assigning_again_hands_over_the_open_job(self, dispatcher, inspector, other_inspector, pothole):
        first = assign(dispatcher, pothole, inspector)
        second = assign(dispatcher, pothole, other_inspector)
        assert first.pk == second.pk
        assert second.inspector == other_inspector
        assert InspectionJob.objects.filter(service_request=pothole).count() == 1

    def test_without_a_followup_template_the_assignment_stands_alone(self, dispatcher, inspector, pothole):
        ChecklistTemplate.objects.filter(kind="request_followup").update(active=False)
        request_services.assign_request(actor=dispatcher, request_id=pothole.pk, inspector_id=inspector.pk)
        pothole.refresh_from_db()
        assert pothole.status == Status.ASSIGNED
        assert not InspectionJob.objects.exists()

    def test_the_jobs_api_assigns_the_request(self, as_user, dispatcher, inspector, pothole):
        body = {
            "template": "request-followup",
            "inspector": inspector.pk,
            "due_date": local_today().isoformat(),
            "service_request": pothole.pk,
        }
        response = as_user(dispatcher).post(JOBS, body, format="json")
        assert response.status_code == 201, response.content
        properties = response.json()["properties"]
        assert properties["service_request"] == pothole.pk
        assert properties["target"]["kind"] == "service_request"
        pothole.refresh_from_db()
        assert pothole.assigned_to == inspector
        assert pothole.status == Status.ASSIGNED

    def test_reassigning_the_job_reassigns_the_request(
        self, as_user, dispatcher, inspector, other_inspector, pothole
    ):
        job = assign(dispatcher, pothole, inspector)
        response = as_user(dispatcher).post(
            f"{JOBS}{job.pk}/reassign/", {"inspector": other_inspector.pk}, format="json"
        )
        assert response.status_code == 200
        pothole.refresh_from_db()
        assert pothole.assigned_to == other_inspector
        assert InspectionJob.objects.get(pk=job.pk).inspector == other_inspector

    def test_no_personal_data_of_the_citizen_in_the_job(self, as_user, dispatcher, inspector, amman):
        from geo_services.service_requests.services import Contact

        request = request_services.submit_request(
            jurisdiction_code="amman",
            service_code="pothole",
            point=DOWNTOWN,
            answers={"size": ["large"]},
            contact=Contact(first_name="Rana", email="rana@example.org", phone="+962790000000"),
        ).request
        job = assign(dispatcher, request, inspector)
        text = as_user(inspector).get(f"{JOBS}{job.pk}/").content.decode()
        for private in ("Rana", "rana@example.org", "+962790000000"):
            assert private not in text


class TestTheResultSettlesTheRequest:
    def test_passed_resolves_the_request_with_a_note(self, as_user, dispatcher, inspector, pothole):
        job = assign(dispatcher, pothole, inspector)
        document = send(as_user(inspector), job, fixed=True)
        assert document["passed"] is True
        pothole.refresh_from_db()
        assert pothole.status == Status.RESOLVED
        last = pothole.history.order_by("-id").first()
        assert last.changed_by == inspector
        assert document["uuid"] in last.note
        assert AuditEvent.objects.get(action=AuditAction.REQUEST_UPDATED).details["to_status"] == "resolved"

    def test_failed_puts_the_request_in_progress(self, as_user, dispatcher, inspector, pothole):
        job = assign(dispatcher, pothole, inspector)
        document = send(as_user(inspector), job, fixed=False)
        assert document["failed_critical"] == ["problem_fixed"]
        pothole.refresh_from_db()
        assert pothole.status == Status.IN_PROGRESS
        assert "problem_fixed" in pothole.history.order_by("-id").first().note

    def test_nothing_happens_to_the_request_before_the_photos_are_in(
        self, as_user, dispatcher, inspector, pothole
    ):
        job = assign(dispatcher, pothole, inspector)
        body, _photo = followup_answers(job, fixed=True)
        as_user(inspector).put(inspection_url(str(uuid.uuid4())), body, format="json")
        pothole.refresh_from_db()
        assert pothole.status == Status.ASSIGNED

    def test_a_request_closed_meanwhile_is_left_alone_and_the_reason_kept(
        self, as_user, dispatcher, inspector, pothole
    ):
        job = assign(dispatcher, pothole, inspector)
        request_services.change_status(
            actor=dispatcher, request_id=pothole.pk, to_status=Status.NOT_ACTIONABLE
        )
        send(as_user(inspector), job, fixed=True)
        pothole.refresh_from_db()
        assert pothole.status == Status.NOT_ACTIONABLE
        event = AuditEvent.objects.get(action=AuditAction.REQUEST_NOT_UPDATED)
        assert event.details["to_status"] == "resolved"
        assert event.details["reason"]
        assert InspectionJob.objects.get(pk=job.pk).status == JobStatus.DONE

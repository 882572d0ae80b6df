"""The administrators' pages: templates (saving a changed checklist publishes a version), jobs
(through the services), and read-only inspections, versions and audit trail."""

from __future__ import annotations

import copy
import json
import re
import uuid

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from geo_services.inspections.models import (
    AuditAction,
    AuditEvent,
    ChecklistTemplate,
    Inspection,
    InspectionJob,
    JobStatus,
    TemplateVersion,
)
from tests.factories import UserFactory
from tests.inspections.conftest import CHECKLIST, inspection_url, local_today, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages are Arabic unless chosen otherwise
    return client


def management_form(page: str) -> dict[str, str]:
    """The hidden inputs of the page's inline formsets (TOTAL_FORMS and the like)."""
    found = re.findall(
        r'<input type="hidden" name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"', page
    )
    return dict(found)


def test_every_inspections_page_opens_with_data(superuser_client, as_user, inspector, make_job):
    job = make_job()
    as_user(inspector).put(inspection_url(str(uuid.uuid4())), submission(job), format="json")
    for model in (ChecklistTemplate, TemplateVersion, InspectionJob, Inspection, AuditEvent):
        info = (model._meta.app_label, model._meta.model_name)
        assert model in admin.site._registry
        assert superuser_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, info
        first = model._default_manager.first()
        assert first is not None, info
        response = superuser_client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        assert response.status_code == 200, info
    for model in (ChecklistTemplate, InspectionJob):
        info = (model._meta.app_label, model._meta.model_name)
        assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info


def test_editing_a_template_publishes_a_new_version(superuser_client, checklist):
    url = reverse("admin:inspections_checklisttemplate_change", args=[checklist.template_id])
    page = superuser_client.get(url).content.decode()
    assert "lighting" in page  # the current checklist is in the form
    edited = copy.deepcopy(CHECKLIST)
    edited.append({"key": "bench", "type": "yes_no", "label_ar": "مقاعد", "label_en": "Benches"})
    data = {
        "kind": "park",
        "name_ar": "فحص تجريبي",
        "name_en": "Test check",
        "active": "on",
        "min_gps_accuracy_m": "20",
        "max_distance_m": "50",
        "pass_score": "70",
        "items": json.dumps(edited),
        "note": "benches added",
        **management_form(page),
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    latest = TemplateVersion.objects.filter(template_id=checklist.template_id).order_by("-number")[0]
    assert latest.number == 2
    assert latest.note == "benches added"
    assert [i.key for i in latest.items.all()][-1] == "bench"
    assert AuditEvent.objects.filter(action=AuditAction.TEMPLATE_PUBLISHED, template_version=latest).exists()
    # Saving the same checklist again publishes nothing.
    superuser_client.post(url, {**data, **management_form(superuser_client.get(url).content.decode())})
    assert TemplateVersion.objects.filter(template_id=checklist.template_id).count() == 2


def test_a_wrong_checklist_is_shown_as_a_form_error(superuser_client, checklist):
    url = reverse("admin:inspections_checklisttemplate_change", args=[checklist.template_id])
    page = superuser_client.get(url).content.decode()
    data = {
        "kind": "park",
        "name_ar": "فحص",
        "name_en": "Check",
        "min_gps_accuracy_m": "20",
        "max_distance_m": "50",
        "pass_score": "70",
        "items": json.dumps([{"key": "a", "type": "score", "label_ar": "أ", "label_en": "A"}]),
        **management_form(page),
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 200
    assert "max_score must be a whole number" in response.content.decode()
    assert TemplateVersion.objects.filter(template_id=checklist.template_id).count() == 1


def test_adding_a_template_publishes_version_one(superuser_client, amman):
    url = reverse("admin:inspections_checklisttemplate_add")
    page = superuser_client.get(url).content.decode()
    response = superuser_client.post(
        url,
        {
            "jurisdiction": amman.pk,
            "code": "kiosk",
            "kind": "business",
            "name_ar": "الأكشاك",
            "name_en": "Kiosks",
            "active": "on",
            "min_gps_accuracy_m": "30",
            "max_distance_m": "80",
            "pass_score": "60",
            "items": json.dumps(CHECKLIST[:2]),
            **management_form(page),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    version = TemplateVersion.objects.get(template__code="kiosk")
    assert (version.number, version.max_distance_m, version.items.count()) == (1, 80, 2)


def test_jobs_are_created_reassigned_and_cancelled_through_the_services(
    superuser_client, checklist, inspector, other_inspector
):
    add = reverse("admin:inspections_inspectionjob_add")
    response = superuser_client.post(
        add,
        {
            "template": checklist.template_id,
            "inspector_user": inspector.pk,
            "due_date": local_today().isoformat(),
            "kind": "point",
            "target_location": json.dumps({"type": "Point", "coordinates": [35.9393, 31.9516]}),
            "target_label": "Kiosk",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    job = InspectionJob.objects.get()
    assert job.district.code == "al-madina"
    assert AuditEvent.objects.filter(action=AuditAction.JOB_CREATED, actor__username="root").exists()

    change = reverse("admin:inspections_inspectionjob_change", args=[job.pk])
    response = superuser_client.post(
        change, {"inspector": other_inspector.pk, "due_date": job.due_date.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert InspectionJob.objects.get().inspector == other_inspector
    assert AuditEvent.objects.filter(action=AuditAction.JOB_ASSIGNED).count() == 1

    changelist = reverse("admin:inspections_inspectionjob_changelist")
    superuser_client.post(changelist, {"action": "cancel_jobs", "_selected_action": [job.pk]})
    assert InspectionJob.objects.get().status == JobStatus.CANCELLED


def test_a_job_outside_every_district_is_a_form_error(superuser_client, checklist, inspector):
    response = superuser_client.post(
        reverse("admin:inspections_inspectionjob_add"),
        {
            "template": checklist.template_id,
            "inspector_user": inspector.pk,
            "due_date": local_today().isoformat(),
            "kind": "point",
            "target_location": json.dumps({"type": "Point", "coordinates": [46.7, 24.7]}),
            "target_label": "Far away",
        },
    )
    assert response.status_code == 200
    assert "outside every known district" in response.content.decode()
    assert not InspectionJob.objects.exists()

"""Fixtures for inspections on the demo Amman data: staff, a checklist with every item type, jobs,
and helpers to build what a tablet sends."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation
from PIL import Image

from geo_services.core.models import Department, District, Jurisdiction
from geo_services.inspections import services
from geo_services.inspections.checklists import parse_items
from geo_services.inspections.models import InspectionJob, TargetKind, TemplateVersion
from tests.factories import UserFactory, make_staff

DOWNTOWN = Point(35.9393, 31.9516, srid=4326)  # al-madina
MARKA = Point(35.99, 31.985, srid=4326)
JOBS = "/api/v1/inspections/jobs/"
TODAY_URL = "/api/v1/field/today/"
OVERVIEW = "/api/v1/inspections/overview/"


def inspection_url(key: str) -> str:
    return f"/api/v1/field/inspections/{key}/"


def photo_url(key: str, photo: str) -> str:
    return f"/api/v1/field/inspections/{key}/photos/{photo}/"


# Every item type: 3 scored items of weight 1, 2, 1 and evidence.
CHECKLIST = [
    {
        "key": "clean",
        "type": "yes_no",
        "label_ar": "نظيف",
        "label_en": "Clean",
        "weight": 1,
        "critical": True,
    },
    {
        "key": "lighting",
        "type": "score",
        "label_ar": "الإنارة",
        "label_en": "Lighting",
        "weight": 2,
        "max_score": 4,
        "required": True,
    },
    {
        "key": "temperature",
        "type": "number",
        "label_ar": "الحرارة",
        "label_en": "Temperature",
        "weight": 1,
        "min_value": 0,
        "max_value": 5,
    },
    {
        "key": "litter",
        "type": "choice",
        "label_ar": "النفايات",
        "label_en": "Litter",
        "weight": 0,
        "choices": [
            {"value": "none", "label_ar": "لا شيء", "label_en": "None", "points": 1},
            {"value": "lots", "label_ar": "كثيرة", "label_en": "Lots", "points": 0},
        ],
    },
    {"key": "notes", "type": "text", "label_ar": "ملاحظات", "label_en": "Notes", "weight": 0},
    {
        "key": "before",
        "type": "photo",
        "label_ar": "صورة",
        "label_en": "Photo",
        "weight": 0,
        "required": True,
    },
]


def local_today() -> date:
    return services.local_today("Asia/Amman")


def jpeg_bytes(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def submission(
    job: InspectionJob, /, *, photo: bytes | None = None, photo_uuid: str | None = None, **changes: Any
) -> dict[str, Any]:
    """A complete, valid inspection body for `job` (the test checklist), with one declared photo."""
    photo = photo if photo is not None else jpeg_bytes()
    photo_uuid = photo_uuid or str(uuid.uuid4())
    body: dict[str, Any] = {
        "job": job.pk,
        "template_version": job.template_version.number,
        "answers": {
            "clean": True,
            "lighting": 3,
            "temperature": 4.5,
            "litter": "none",
            "notes": "كل شيء جيد",
            "before": [photo_uuid],
        },
        "position": {"lon": job.target_location.x + 0.0001, "lat": job.target_location.y, "accuracy_m": 8.5},
        "started_at": "2026-11-23T07:10:00Z",
        "finished_at": "2026-11-23T07:25:00+00:00",
        "photos": [{"uuid": photo_uuid, "item": "before", "sha256": sha256(photo)}],
    }
    body.update(changes)
    return body


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English, whatever the catalogue holds: the tests read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def roads(amman: Jurisdiction) -> Department:
    return Department.objects.get(jurisdiction=amman, code="public-works-roads")


def district(amman: Jurisdiction, code: str) -> District:
    return District.objects.get(jurisdiction=amman, code=code)


@pytest.fixture
def dispatcher(amman, roads):
    user = UserFactory.create(username="supervisor", roles=["dispatcher"])
    make_staff(user, jurisdiction=amman, department=roads)
    return user


@pytest.fixture
def madina_dispatcher(amman, roads):
    """A dispatcher of al-Madina only."""
    user = UserFactory.create(username="madina-supervisor", roles=["dispatcher"])
    make_staff(user, jurisdiction=amman, department=roads, districts=[district(amman, "al-madina")])
    return user


@pytest.fixture
def inspector(amman, roads):
    user = UserFactory.create(username="field-inspector", roles=["inspector"])
    make_staff(user, jurisdiction=amman, department=roads)
    return user


@pytest.fixture
def other_inspector(amman, roads):
    user = UserFactory.create(username="other-inspector", roles=["inspector"])
    make_staff(user, jurisdiction=amman, department=roads)
    return user


@pytest.fixture
def checklist(amman, dispatcher) -> TemplateVersion:
    """Version 1 of a park checklist with every item type (GPS 20 m, distance 50 m, pass 70)."""
    return services.create_template(
        audit=services.Audit(actor=dispatcher),
        jurisdiction=amman,
        code="test-park",
        kind="park",
        name_ar="فحص تجريبي",
        name_en="Test check",
        items=parse_items(CHECKLIST),
        min_gps_accuracy_m=20,
        max_distance_m=50,
        pass_score=Decimal(70),
    )


@pytest.fixture
def make_job(dispatcher, inspector, checklist):
    def make(
        *,
        location: Point = DOWNTOWN,
        assignee=None,
        due_date: date | None = None,
        template_code: str = "test-park",
        label: str = "حديقة / Park",
        kind: str = TargetKind.POINT,
    ) -> InspectionJob:
        job = services.create_job(
            audit=services.Audit(actor=dispatcher),
            template_code=template_code,
            inspector_id=(assignee or inspector).pk,
            due_date=due_date or local_today(),
            target=services.JobTarget(kind=kind, location=location, label=label),
        )
        return InspectionJob.objects.select_related("template_version__template").get(pk=job.pk)

    return make


@pytest.fixture
def overdue(make_job):
    """Make a job and move its due date into the past (the API refuses past due dates)."""

    def make(days: int = 2, **kwargs: Any) -> InspectionJob:
        job = make_job(**kwargs)
        InspectionJob.objects.filter(pk=job.pk).update(due_date=local_today() - timedelta(days=days))
        job.refresh_from_db()
        return job

    return make


@pytest.fixture
def as_user(api_client):
    """The API client signed in as `user`, asking for English messages (tests read them)."""
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login

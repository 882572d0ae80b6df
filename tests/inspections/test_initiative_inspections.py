"""An inspection of an initiative is one of its progress updates."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from geo_services.initiatives.models import Initiative, ProgressUpdate
from geo_services.inspections import services
from geo_services.inspections.checklists import parse_items
from geo_services.inspections.models import InspectionJob, JobStatus, TargetKind
from tests.inspections.conftest import JOBS, inspection_url, local_today

SIDEWALK_CHECK = [
    {
        "key": "ramps_ok",
        "type": "yes_no",
        "label_ar": "المنحدرات سليمة",
        "label_en": "Ramps fine",
        "weight": 1,
    },
    {
        "key": "progress",
        "type": "number",
        "label_ar": "نسبة الإنجاز",
        "label_en": "Progress (%)",
        "weight": 0,
        "min_value": 0,
        "max_value": 100,
    },
]


@pytest.fixture
def sidewalk(amman) -> Initiative:
    """The demo's model sidewalk, set back to 20 %."""
    initiative = Initiative.objects.get(jurisdiction=amman, feature_type="sidewalk_segment")
    ProgressUpdate.objects.filter(initiative=initiative).delete()
    Initiative.objects.filter(pk=initiative.pk).update(progress_percent=20, status="in_progress")
    initiative.refresh_from_db()
    return initiative


@pytest.fixture
def sidewalk_check(amman, dispatcher):
    return services.create_template(
        audit=services.Audit(actor=dispatcher),
        jurisdiction=amman,
        code="sidewalk-works",
        kind="sidewalk",
        name_ar="متابعة الرصيف",
        name_en="Sidewalk works",
        items=parse_items(SIDEWALK_CHECK),
        min_gps_accuracy_m=50,
        max_distance_m=200,
        pass_score=Decimal(50),
    )


def initiative_job(as_user, dispatcher, inspector, initiative: Initiative) -> InspectionJob:
    response = as_user(dispatcher).post(
        JOBS,
        {
            "template": "sidewalk-works",
            "inspector": inspector.pk,
            "due_date": local_today().isoformat(),
            "initiative": initiative.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return InspectionJob.objects.get(pk=response.json()["id"])


def body(job: InspectionJob, progress: float | None) -> dict[str, object]:
    answers: dict[str, object] = {"ramps_ok": True}
    if progress is not None:
        answers["progress"] = progress
    return {
        "job": job.pk,
        "template_version": job.template_version.number,
        "answers": answers,
        "position": {"lon": job.target_location.x, "lat": job.target_location.y, "accuracy_m": 5},
        "started_at": "2026-11-23T07:10:00Z",
        "finished_at": "2026-11-23T07:25:00Z",
        "photos": [],
    }


def test_a_job_on_an_initiative_stands_on_its_shape(as_user, dispatcher, inspector, sidewalk, sidewalk_check):
    job = initiative_job(as_user, dispatcher, inspector, sidewalk)
    assert job.target_kind == TargetKind.INITIATIVE_SEGMENT
    assert job.target_id == sidewalk.pk
    assert sidewalk.geom.distance(job.target_location) < 1e-9
    assert sidewalk.name_ar in job.target_label


def test_the_inspection_moves_the_initiative_forward_once(
    as_user, dispatcher, inspector, sidewalk, sidewalk_check
):
    job = initiative_job(as_user, dispatcher, inspector, sidewalk)
    key = str(uuid.uuid4())
    client = as_user(inspector)
    assert client.put(inspection_url(key), body(job, 65), format="json").status_code == 201
    # The tablet sends again (its answer was lost): still one update.
    assert client.put(inspection_url(key), body(job, 65), format="json").status_code == 200
    [update] = ProgressUpdate.objects.filter(initiative=sidewalk)
    assert update.percent == 65
    assert update.inspection is not None
    assert str(update.inspection.uuid) == key
    assert update.author == inspector
    sidewalk.refresh_from_db()
    assert sidewalk.progress_percent == 65
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


@pytest.mark.parametrize("progress", [None, 10])
def test_without_a_higher_progress_the_visit_is_recorded_at_the_current_one(
    as_user, dispatcher, inspector, sidewalk, sidewalk_check, progress
):
    job = initiative_job(as_user, dispatcher, inspector, sidewalk)
    response = as_user(inspector).put(inspection_url(str(uuid.uuid4())), body(job, progress), format="json")
    assert response.status_code == 201, response.content
    [update] = ProgressUpdate.objects.filter(initiative=sidewalk)
    assert update.percent == 20
    sidewalk.refresh_from_db()
    assert sidewalk.progress_percent == 20


def test_an_unknown_initiative_is_a_clear_404(as_user, dispatcher, inspector, sidewalk_check):
    response = as_user(dispatcher).post(
        JOBS,
        {
            "template": "sidewalk-works",
            "inspector": inspector.pk,
            "due_date": local_today().isoformat(),
            "initiative": 999_999,
        },
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_initiative"
    assert not InspectionJob.objects.exists()

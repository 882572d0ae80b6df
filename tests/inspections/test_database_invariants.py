"""The database itself refuses what must never be stored, whatever writes the row (raw SQL here)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from geo_services.inspections.models import Inspection, InspectionPhoto, TemplateVersion
from tests.inspections.conftest import inspection_url, submission

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def stored(as_user, inspector, make_job) -> Inspection:
    key = str(uuid.uuid4())
    as_user(inspector).put(inspection_url(key), submission(make_job()), format="json")
    return Inspection.objects.get(uuid=key)


def _copy_inspection(inspection: Inspection, *, uuid_value: str, job_id: int) -> None:
    raw(
        """
        INSERT INTO inspections_inspection (uuid, job_id, jurisdiction_id, template_version_id, inspector_id,
            answers, started_at, finished_at, received_at, score, passed, failed_critical, flags, device_id)
        SELECT %s, %s, jurisdiction_id, template_version_id, inspector_id, answers, started_at, finished_at,
            now(), score, passed, failed_critical, flags, ''
        FROM inspections_inspection WHERE id = %s
        """,
        [uuid_value, job_id, inspection.pk],
    )


class TestNoDuplicates:
    def test_one_inspection_per_uuid(self, stored, make_job):
        other_job = make_job()
        with pytest.raises(IntegrityError, match="uuid"):
            _copy_inspection(stored, uuid_value=str(stored.uuid), job_id=other_job.pk)

    def test_one_inspection_per_job(self, stored):
        with pytest.raises(IntegrityError, match="job_id"):
            _copy_inspection(stored, uuid_value=str(uuid.uuid4()), job_id=stored.job_id)

    def test_one_photo_per_inspection_and_photo_uuid(self, stored):
        photo = InspectionPhoto.objects.get(inspection=stored)
        with pytest.raises(IntegrityError, match="insp_photo_unique_uuid"):
            raw(
                "INSERT INTO inspections_inspectionphoto (inspection_id, uuid, item_key, sha256, image, thumbnail)"
                " VALUES (%s, %s, 'before', %s, '', '')",
                [stored.pk, str(photo.uuid), "b" * 64],
            )

    def test_a_photo_hash_is_hex_and_an_image_comes_with_its_time(self, stored):
        with pytest.raises(IntegrityError, match="insp_photo_sha256_hex"):
            raw(
                "UPDATE inspections_inspectionphoto SET sha256 = 'not-a-hash' WHERE inspection_id = %s",
                [stored.pk],
            )
        with pytest.raises(IntegrityError, match="insp_photo_image_when_received"):
            raw(
                "UPDATE inspections_inspectionphoto SET image = 'x.jpg' WHERE inspection_id = %s", [stored.pk]
            )


class TestInspectionRows:
    def test_score_range_and_position_parts(self, stored):
        with pytest.raises(IntegrityError, match="insp_inspection_score_range"):
            raw("UPDATE inspections_inspection SET score = 101 WHERE id = %s", [stored.pk])
        with pytest.raises(IntegrityError, match="insp_inspection_position_whole"):
            raw("UPDATE inspections_inspection SET accuracy_m = NULL WHERE id = %s", [stored.pk])
        with pytest.raises(IntegrityError, match="insp_inspection_finished_after_start"):
            raw(
                "UPDATE inspections_inspection SET finished_at = started_at - interval '1 minute' WHERE id = %s",
                [stored.pk],
            )
        with pytest.raises(IntegrityError, match="insp_inspection_json_shapes"):
            raw("UPDATE inspections_inspection SET answers = '[]' WHERE id = %s", [stored.pk])

    def test_an_inspection_uses_its_jobs_checklist_version(self, stored, checklist, dispatcher):
        other = TemplateVersion.objects.exclude(pk=stored.template_version_id).first()
        assert other is not None
        with pytest.raises(IntegrityError, match="job's checklist version"):
            raw(
                "UPDATE inspections_inspection SET template_version_id = %s WHERE id = %s",
                [other.pk, stored.pk],
            )


class TestJobRows:
    def test_status_times_and_targets(self, make_job):
        job = make_job()
        with pytest.raises(IntegrityError, match="insp_job_status_known"):
            raw("UPDATE inspections_inspectionjob SET status = 'lost' WHERE id = %s", [job.pk])
        with pytest.raises(IntegrityError, match="insp_job_done_at_when_done"):
            raw("UPDATE inspections_inspectionjob SET status = 'done' WHERE id = %s", [job.pk])
        with pytest.raises(IntegrityError, match="insp_job_record_target_has_id"):
            raw("UPDATE inspections_inspectionjob SET target_kind = 'venue' WHERE id = %s", [job.pk])
        with pytest.raises(IntegrityError, match="insp_job_request_target_is_the_request"):
            raw(
                "UPDATE inspections_inspectionjob SET target_kind = 'service_request', target_id = 1 WHERE id = %s",
                [job.pk],
            )
        with pytest.raises(IntegrityError, match="insp_job_target_location_not_empty"):
            raw(
                "UPDATE inspections_inspectionjob SET target_location = ST_GeomFromText('POINT EMPTY', 4326)"
                " WHERE id = %s",
                [job.pk],
            )

    def test_one_open_followup_per_request(self, dispatcher, inspector, amman):
        from geo_services.service_requests import services as request_services
        from tests.inspections.conftest import DOWNTOWN

        request = request_services.submit_request(
            jurisdiction_code="amman", service_code="pothole", point=DOWNTOWN, answers={"size": ["large"]}
        ).request
        request_services.assign_request(actor=dispatcher, request_id=request.pk, inspector_id=inspector.pk)
        copy = """
            INSERT INTO inspections_inspectionjob (jurisdiction_id, district_id, template_version_id, inspector_id,
                status, due_date, target_kind, target_id, target_label, target_location, service_request_id,
                created_by_id, created_at, updated_at, cancel_reason, done_at)
            SELECT jurisdiction_id, district_id, template_version_id, inspector_id, %s, due_date, target_kind,
                target_id, target_label, target_location, service_request_id, created_by_id, now(), now(), '',
                CASE WHEN %s = 'done' THEN now() END
            FROM inspections_inspectionjob WHERE service_request_id = %s
        """
        with pytest.raises(IntegrityError, match="insp_job_one_open_followup"):
            raw(copy, ["assigned", "assigned", request.pk])
        raw(copy, ["done", "done", request.pk])  # earlier follow-ups, done, may be many


class TestAuditTrail:
    def test_audit_events_cannot_be_changed_or_deleted(self, stored):
        with pytest.raises(IntegrityError, match="never changed or deleted"):
            raw("UPDATE inspections_auditevent SET action = 'job_cancelled'")
        with pytest.raises(IntegrityError, match="never changed or deleted"):
            raw("DELETE FROM inspections_auditevent")

    def test_an_unknown_action_is_refused(self, stored):
        with pytest.raises(IntegrityError, match="insp_audit_action_known"):
            raw(
                "INSERT INTO inspections_auditevent (at, device_id, user_agent, action, details)"
                " VALUES (now(), '', '', 'coffee_break', '{}')"
            )


class TestChecklistRows:
    def _item(self, version_id: int, **fields: object) -> None:
        row = {
            "version_id": version_id,
            "position": 99,
            "key": "extra",
            "type": "yes_no",
            "label_ar": "س",
            "label_en": "Q",
            "weight": 1,
            "critical": False,
            "required": False,
            "max_score": None,
            "min_value": None,
            "max_value": None,
            "choices": "[]",
            **fields,
        }
        columns = ", ".join(row)
        placeholders = ", ".join(["%s"] * len(row))
        raw(f"INSERT INTO inspections_checklistitem ({columns}) VALUES ({placeholders})", list(row.values()))

    @pytest.fixture
    def draft(self, checklist):
        """An unpublished version, as publish_template_version holds one inside its transaction;
        published at the end, as that function does before its transaction commits."""
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inspections_templateversion (template_id, number, min_gps_accuracy_m, max_distance_m,"
                " pass_score, note, published, published_at) VALUES (%s, 7, 10, 10, 50, '', false, now()) RETURNING id",
                [checklist.template_id],
            )
            version_id = cursor.fetchone()[0]
        yield version_id
        raw("UPDATE inspections_templateversion SET published = true WHERE id = %s", [version_id])

    @pytest.mark.parametrize(
        ("fields", "constraint"),
        [
            ({"type": "colour", "weight": 0}, "insp_item_type_known"),
            ({"weight": -1}, "insp_item_weight_not_negative"),
            ({"type": "score", "max_score": 0}, "insp_item_score_has_max"),
            ({"type": "score"}, "insp_item_score_has_max"),
            ({"type": "number", "min_value": 5, "max_value": 1}, "insp_item_number_range_ordered"),
            ({"type": "choice", "choices": "[]"}, "insp_item_choices_only_for_choice"),
            (
                {"type": "choice", "choices": json.dumps([{"value": "a", "points": 2}])},
                "insp_item_choices_only_for_choice",
            ),
            (
                {"type": "choice", "choices": json.dumps([{"value": "a"}])},
                "insp_item_choices_only_for_choice",
            ),
            ({"choices": json.dumps({"value": "a"})}, "insp_item_choices_is_list"),
            ({"type": "text", "weight": 1}, "insp_item_evidence_not_scored"),
            ({"critical": True, "required": False}, "insp_item_critical_required"),
            ({"key": "clean", "position": 1}, "insp_item_unique_key"),
        ],
    )
    def test_bad_items_are_refused(self, draft, fields, constraint):
        self._item(draft, key="clean", position=1)
        with pytest.raises(IntegrityError, match=constraint):
            self._item(draft, **({"key": "other", "position": 2} | fields))

    def test_a_good_choice_item_is_accepted(self, draft):
        self._item(draft, type="choice", choices=json.dumps([{"value": "a", "points": 0.5, "label_en": "A"}]))

    def test_a_published_version_and_its_items_never_change(self, checklist):
        with pytest.raises(IntegrityError, match="published"):
            raw("UPDATE inspections_templateversion SET pass_score = 10 WHERE id = %s", [checklist.pk])
        with pytest.raises(IntegrityError, match="published"):
            raw("DELETE FROM inspections_templateversion WHERE id = %s", [checklist.pk])
        with pytest.raises(IntegrityError, match="published checklist version"):
            raw("UPDATE inspections_checklistitem SET weight = 5 WHERE version_id = %s", [checklist.pk])
        with pytest.raises(IntegrityError, match="published checklist version"):
            raw("DELETE FROM inspections_checklistitem WHERE version_id = %s", [checklist.pk])
        with pytest.raises(IntegrityError, match="published checklist version"):
            self._item(checklist.pk)

    def test_version_numbers_are_unique_per_template(self, checklist):
        with pytest.raises(IntegrityError, match="insp_version_unique_number"):
            raw(
                "INSERT INTO inspections_templateversion (template_id, number, min_gps_accuracy_m, max_distance_m,"
                " pass_score, note, published, published_at) VALUES (%s, 1, 10, 10, 50, '', true, now())",
                [checklist.template_id],
            )

    def test_a_version_left_unpublished_cannot_be_committed(self, draft):
        with (
            pytest.raises(IntegrityError, match="never published"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # What COMMIT would do: run the deferred check now.
            cursor.execute("SET CONSTRAINTS insp_version_published IMMEDIATE")

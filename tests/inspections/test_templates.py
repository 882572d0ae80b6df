"""Checklist templates are versioned: editing publishes a new version; jobs and finished inspections
keep the version they used."""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal

import pytest

from geo_services.core.errors import InvalidInput
from geo_services.inspections import services
from geo_services.inspections.checklists import parse_items
from geo_services.inspections.models import AuditAction, AuditEvent, Inspection, TemplateKind, TemplateVersion
from tests.inspections.conftest import CHECKLIST, inspection_url, submission

pytestmark = pytest.mark.django_db


def publish(version: TemplateVersion, items: list[dict], **settings: object) -> tuple[TemplateVersion, bool]:
    return services.publish_template_version(
        audit=services.Audit(actor=None),
        template_id=version.template_id,
        items=parse_items(items),
        min_gps_accuracy_m=settings.get("min_gps_accuracy_m", version.min_gps_accuracy_m),  # type: ignore[arg-type]
        max_distance_m=settings.get("max_distance_m", version.max_distance_m),  # type: ignore[arg-type]
        pass_score=settings.get("pass_score", version.pass_score),  # type: ignore[arg-type]
        note="test",
    )


class TestVersions:
    def test_editing_publishes_a_new_version_and_nothing_changed_publishes_none(self, checklist, dispatcher):
        same, published = publish(checklist, CHECKLIST)
        assert (same.pk, published) == (checklist.pk, False)
        edited = copy.deepcopy(CHECKLIST)
        edited[1]["weight"] = 3
        second, published = publish(checklist, edited)
        assert published is True
        assert second.number == 2
        assert [i.weight for i in second.items.all()][1] == Decimal(3)
        assert [i.weight for i in checklist.items.all()][1] == Decimal(2)  # version 1 as it was
        third, published = publish(second, edited, pass_score=Decimal(80))
        assert (third.number, published) == (3, True)
        event = AuditEvent.objects.filter(action=AuditAction.TEMPLATE_PUBLISHED).latest("id")
        assert event.template_version == third
        assert event.details["version"] == 3

    def test_a_job_and_its_inspection_keep_their_version(self, as_user, inspector, checklist, make_job):
        job = make_job()
        edited = copy.deepcopy(CHECKLIST)
        edited[0]["critical"] = False
        new_version, _ = publish(checklist, edited)
        job.refresh_from_db()
        assert job.template_version == checklist  # the job was made with version 1
        key = str(uuid.uuid4())
        response = as_user(inspector).put(inspection_url(key), submission(job), format="json")
        assert response.json()["template"] == {"code": "test-park", "version": 1}
        stored = Inspection.objects.get(uuid=key)
        assert stored.template_version == checklist
        # A job made now uses the new version; the finished inspection stays on version 1.
        assert make_job().template_version == new_version
        stored.refresh_from_db()
        assert stored.template_version.number == 1

    def test_the_demo_has_a_template_of_every_kind(self, amman):
        from geo_services.inspections.models import ChecklistTemplate

        kinds = set(ChecklistTemplate.objects.filter(jurisdiction=amman).values_list("kind", flat=True))
        assert kinds == set(TemplateKind.values)
        for version in TemplateVersion.objects.filter(template__jurisdiction=amman):
            assert all(item.label_ar and item.label_en for item in version.items.all())


class TestReadingAChecklist:
    def test_every_problem_is_named(self):
        with pytest.raises(InvalidInput) as raised:
            parse_items(
                [
                    {"key": "a", "type": "yes_no", "label_ar": "أ", "label_en": "A"},
                    {"key": "a", "type": "yes_no", "label_ar": "أ", "label_en": "A"},
                    {"key": "b", "type": "score", "label_ar": "ب", "label_en": "B"},
                    {
                        "key": "c",
                        "type": "choice",
                        "label_ar": "ج",
                        "label_en": "C",
                        "choices": [{"value": "x", "points": 3}],
                    },
                    {"key": "d", "type": "text", "label_ar": "د", "label_en": "D", "weight": 2},
                    {
                        "key": "e",
                        "type": "number",
                        "label_ar": "",
                        "label_en": "E",
                        "min_value": 9,
                        "max_value": 1,
                    },
                    {"key": "Bad Key", "type": "yes_no"},
                    {"key": "f", "type": "colour"},
                ]
            )
        problems = {(p["item"], p["message"]) for p in raised.value.details}
        items = {item for item, _ in problems}
        assert items == {"a", "b", "c.choices[0]", "d", "e", "items[6]", "f"}
        assert raised.value.code == "invalid_checklist"

    def test_critical_items_are_required_and_evidence_weighs_nothing_by_default(self):
        items = parse_items(
            [
                {"key": "a", "type": "yes_no", "label_ar": "أ", "label_en": "A", "critical": True},
                {"key": "p", "type": "photo", "label_ar": "ص", "label_en": "P"},
            ]
        )
        assert items[0].required is True
        assert items[1].weight == 0

    @pytest.mark.parametrize("raw", [None, [], {"key": "a"}, "items"])
    def test_a_checklist_is_a_non_empty_list(self, raw):
        with pytest.raises(InvalidInput):
            parse_items(raw)

    def test_version_settings_are_checked(self, checklist):
        with pytest.raises(InvalidInput, match="GPS"):
            publish(checklist, CHECKLIST, min_gps_accuracy_m=0)
        with pytest.raises(InvalidInput, match="pass score"):
            publish(checklist, CHECKLIST, pass_score=Decimal(101))

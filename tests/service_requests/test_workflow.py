"""Submitting, routing, the workflow, duplicates and merging — the rules in services.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone, translation

from geo_services.core.errors import Conflict, InvalidInput, NotFound, OutsideDistricts
from geo_services.service_requests import services
from geo_services.service_requests.models import ServiceRequest, Status, StatusChange
from tests.factories import UserFactory
from tests.service_requests.conftest import DOWNTOWN, MARKA


@pytest.fixture(autouse=True)
def _english():
    """The rules' messages are matched in English (the project's default language is Arabic)."""
    with translation.override("en"):
        yield


@pytest.mark.django_db
class TestSubmitAndRoute:
    def test_routed_to_district_department_and_sla(self, submit, categories):
        before = timezone.now()
        created = submit("pothole", DOWNTOWN, description="Deep hole", answers={"size": ["large"]})
        request = created.request
        assert request.district.code == "al-madina"
        assert request.department.code == "public-works-roads"
        assert request.status == Status.NEW
        assert request.attributes == {"size": "large"}
        expected = before + timedelta(hours=categories["pothole"].sla_hours)
        assert abs((request.expected_at - expected).total_seconds()) < 5
        assert list(request.history.values_list("to_status", flat=True)) == ["new"]

    def test_routing_rule_overrides_the_default_department(self, submit):
        in_marka = submit("pest-control", MARKA, answers={"pests": ["rodents"]}).request
        downtown = submit("pest-control", DOWNTOWN, answers={"pests": ["rodents"]}).request
        assert in_marka.district.code == "marka"
        assert in_marka.department.code == "environment-waste"
        assert downtown.department.code == "public-health"

    def test_outside_every_district_writes_nothing(self, submit):
        with pytest.raises(OutsideDistricts):
            submit("pothole", Point(35.0, 29.53, srid=4326))
        assert ServiceRequest.objects.count() == 0
        assert StatusChange.objects.count() == 0

    def test_a_district_name_as_address_is_placed(self, amman, categories):
        created = services.submit_request(
            jurisdiction_code="amman", service_code="sidewalk-damage", point=None, address="  Sweileh "
        )
        assert created.request.district.code == "sweileh"

    def test_an_unknown_address_is_refused(self, amman, categories):
        with pytest.raises(InvalidInput, match="cannot be placed"):
            services.submit_request(
                jurisdiction_code="amman",
                service_code="sidewalk-damage",
                point=None,
                address="Rainbow Street 12",
            )

    @pytest.mark.parametrize(
        ("service_code", "answers", "code"),
        [
            ("pothole", {}, "invalid_attribute"),  # required answer missing
            ("pothole", {"size": ["enormous"]}, "invalid_attribute"),
            ("pothole", {"size": ["small", "large"]}, "invalid_attribute"),
            ("pothole", {"size": ["small"], "colour": ["red"]}, "unknown_attribute"),
            ("tree-pruning", {"blocking": ["road"], "tree_count": ["many"]}, "invalid_attribute"),
            ("tree-pruning", {"blocking": ["road"], "tree_count": ["nan"]}, "invalid_attribute"),
            ("illegal-dumping", {"seen_at": ["yesterday"]}, "invalid_attribute"),
            ("illegal-dumping", {"waste_type": ["household", "nuclear"]}, "invalid_attribute"),
            ("no-such-service", {}, "unknown_service_code"),
            ("", {}, "missing_service_code"),
        ],
    )
    def test_bad_answers_are_refused_and_nothing_is_written(
        self, submit, categories, service_code, answers, code
    ):
        with pytest.raises(InvalidInput) as caught:
            submit(service_code, DOWNTOWN, answers=answers)
        assert caught.value.code == code
        assert ServiceRequest.objects.count() == 0

    def test_typed_answers(self, submit, categories):
        request = submit(
            "illegal-dumping",
            DOWNTOWN,
            answers={
                "waste_type": ["household", "green", "household"],
                "seen_at": ["2026-05-01T14:30:00+03:00"],
            },
        ).request
        assert request.attributes == {
            "waste_type": ["household", "green"],
            "seen_at": "2026-05-01T14:30:00+03:00",
        }
        number = submit(
            "tree-pruning", DOWNTOWN, answers={"blocking": ["wires"], "tree_count": ["3"]}
        ).request
        assert number.attributes == {"blocking": "wires", "tree_count": 3.0}

    def test_bad_contact_and_media_url(self, submit, categories):
        with pytest.raises(InvalidInput, match="not an e-mail"):
            submit(contact=services.Contact(email="not-an-email"))
        with pytest.raises(InvalidInput, match="media_url"):
            submit(media_url="javascript:alert(1)")
        assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
class TestDuplicates:
    def test_open_same_category_within_50_m_in_30_days(self, submit, categories):
        first = submit().request
        # ~30 m north-east of the first report.
        near = Point(DOWNTOWN.x + 0.0002, DOWNTOWN.y + 0.0002, srid=4326)
        second = submit(point=near)
        assert [r.pk for r in second.likely_duplicates] == [first.pk]

    def test_not_offered_when_far_other_category_closed_or_old(self, submit, categories, dispatcher):
        far = submit(point=Point(DOWNTOWN.x + 0.001, DOWNTOWN.y, srid=4326)).request  # ~95 m away
        other = submit("sidewalk-damage").request
        closed = submit().request
        services.change_status(actor=dispatcher, request_id=closed.pk, to_status=Status.RESOLVED)
        old = submit().request
        ServiceRequest.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=31))
        fresh = submit()
        assert far.pk not in [r.pk for r in fresh.likely_duplicates]
        assert other.pk not in [r.pk for r in fresh.likely_duplicates]
        assert fresh.likely_duplicates == []

    @override_settings(AMANAH_DUPLICATE_RADIUS_M=150)
    def test_radius_is_a_setting(self, submit, categories):
        far = submit(point=Point(DOWNTOWN.x + 0.001, DOWNTOWN.y, srid=4326)).request
        assert [r.pk for r in submit().likely_duplicates] == [far.pk]

    def test_merge_makes_the_citizen_follow_the_survivor(self, submit, categories, dispatcher):
        citizen = UserFactory.create(username="reporter", roles=["citizen"])
        survivor = submit().request
        duplicate = submit(account=citizen).request
        services.merge_requests(actor=dispatcher, duplicate_id=duplicate.pk, survivor_id=survivor.pk)
        duplicate.refresh_from_db()
        assert duplicate.status == Status.DUPLICATE
        assert duplicate.duplicate_of_id == survivor.pk
        assert duplicate.closed_at is not None
        assert citizen in survivor.followers.all()
        notes = list(duplicate.history.filter(public=True).values_list("note", flat=True))
        assert any(str(survivor.pk) in note for note in notes)

    def test_merge_refusals(self, submit, categories, dispatcher):
        a = submit().request
        b = submit().request
        other = submit("sidewalk-damage").request
        with pytest.raises(InvalidInput):
            services.merge_requests(actor=dispatcher, duplicate_id=a.pk, survivor_id=a.pk)
        with pytest.raises(InvalidInput, match="same service"):
            services.merge_requests(actor=dispatcher, duplicate_id=a.pk, survivor_id=other.pk)
        services.merge_requests(actor=dispatcher, duplicate_id=a.pk, survivor_id=b.pk)
        with pytest.raises(Conflict):
            services.merge_requests(actor=dispatcher, duplicate_id=a.pk, survivor_id=b.pk)


@pytest.mark.django_db
class TestWorkflow:
    def test_full_life_with_history(self, submit, categories, dispatcher, inspector):
        request = submit().request
        services.assign_request(actor=dispatcher, request_id=request.pk, inspector_id=inspector.pk)
        services.change_status(actor=dispatcher, request_id=request.pk, to_status=Status.IN_PROGRESS)
        services.change_status(
            actor=dispatcher, request_id=request.pk, to_status=Status.RESOLVED, note="Filled", public=True
        )
        request.refresh_from_db()
        assert request.assigned_to == inspector
        assert request.closed_at is not None
        history = list(request.history.values_list("from_status", "to_status", "changed_by__username"))
        assert history == [
            ("", "new", None),
            ("new", "assigned", "roads-dispatcher"),
            ("assigned", "in_progress", "roads-dispatcher"),
            ("in_progress", "resolved", "roads-dispatcher"),
        ]
        # Reopening clears the closing time.
        services.change_status(actor=dispatcher, request_id=request.pk, to_status=Status.NEW)
        request.refresh_from_db()
        assert request.closed_at is None
        assert request.assigned_to is None

    def test_invalid_moves(self, submit, categories, dispatcher):
        request = submit().request
        with pytest.raises(InvalidInput, match="merge"):
            services.change_status(actor=dispatcher, request_id=request.pk, to_status=Status.DUPLICATE)
        with pytest.raises(InvalidInput):
            services.change_status(actor=dispatcher, request_id=request.pk, to_status="done")
        services.change_status(actor=dispatcher, request_id=request.pk, to_status=Status.RESOLVED)
        with pytest.raises(Conflict):
            services.change_status(actor=dispatcher, request_id=request.pk, to_status=Status.IN_PROGRESS)

    def test_assign_needs_an_inspector(self, submit, categories, dispatcher):
        request = submit().request
        citizen = UserFactory.create(roles=["citizen"])
        with pytest.raises(InvalidInput, match="not an active inspector"):
            services.assign_request(actor=dispatcher, request_id=request.pk, inspector_id=citizen.pk)

    def test_overdue_flag(self, submit, categories, dispatcher):
        from geo_services.service_requests.selectors import QueueFilters, dispatcher_queue

        late = submit().request
        submit()
        ServiceRequest.objects.filter(pk=late.pk).update(expected_at=timezone.now() - timedelta(hours=1))
        overdue = list(dispatcher_queue(dispatcher, QueueFilters(overdue=True)))
        assert [r.pk for r in overdue] == [late.pk]

    def test_dispatcher_cannot_touch_another_departments_request(self, submit, categories, dispatcher):
        lights = submit("street-light", answers={"problem": ["out"]}).request
        with pytest.raises(NotFound):
            services.change_status(actor=dispatcher, request_id=lights.pk, to_status=Status.RESOLVED)


@pytest.mark.django_db
class TestDatabaseInvariants:
    def _raw(self, sql: str, params: list) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    def test_duplicate_without_survivor_is_refused(self, submit, categories):
        request = submit().request
        with pytest.raises(IntegrityError, match="sr_request_duplicate_points_to_survivor"):
            self._raw(
                "UPDATE service_requests_servicerequest SET status = 'duplicate', closed_at = now() WHERE id = %s",
                [request.pk],
            )

    def test_duplicate_of_itself_is_refused(self, submit, categories):
        request = submit().request
        with pytest.raises(IntegrityError, match="sr_request_not_duplicate_of_itself"):
            self._raw(
                "UPDATE service_requests_servicerequest SET status = 'duplicate', closed_at = now(),"
                " duplicate_of_id = id WHERE id = %s",
                [request.pk],
            )

    def test_unknown_status_and_open_with_closed_at_are_refused(self, submit, categories):
        request = submit().request
        # An unknown status breaks two rules; PostgreSQL reports whichever it checks first.
        with pytest.raises(IntegrityError, match=r"sr_request_(status_known|closed_at_when_closed)"):
            self._raw(
                "UPDATE service_requests_servicerequest SET status = 'done' WHERE id = %s", [request.pk]
            )
        with pytest.raises(IntegrityError, match="sr_request_closed_at_when_closed"):
            self._raw(
                "UPDATE service_requests_servicerequest SET closed_at = now() WHERE id = %s", [request.pk]
            )

    def test_empty_location_is_refused(self, submit, categories):
        request = submit().request
        with pytest.raises(IntegrityError, match="sr_request_location_not_empty"):
            self._raw(
                "UPDATE service_requests_servicerequest SET location = 'SRID=4326;POINT EMPTY' WHERE id = %s",
                [request.pk],
            )

"""GET requests: statuses and notes, time zones, the default window and limit, and no N+1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from geo_services.service_requests import services
from geo_services.service_requests.models import ServiceRequest, StatusChange
from tests.factories import UserFactory
from tests.service_requests import DOWNTOWN, OPEN311, new_key, photo_upload, xml_root

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(amman):
    return UserFactory.create(username="open311-admin", roles=["admin"])


def _get(client, path: str, params: dict[str, str] | None = None) -> list[dict]:
    response = client.get(f"{OPEN311}{path}", params or {}, **EN)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(client, params: dict[str, str] | None = None) -> list[str]:
    return [r["service_request_id"] for r in _get(client, "requests.json", params)]


def _set_requested_at(request: ServiceRequest, moment: datetime) -> None:
    ServiceRequest.objects.filter(pk=request.pk).update(requested_at=moment)


class TestStatuses:
    def test_a_merged_duplicate_is_closed_with_its_public_note(self, client, submit, admin):
        survivor = submit().request
        duplicate = submit().request
        services.merge_requests(actor=admin, duplicate_id=duplicate.pk, survivor_id=survivor.pk)
        note = StatusChange.objects.filter(request=duplicate, public=True).latest("changed_at").note
        assert str(survivor.pk) in note

        (item,) = _get(client, f"requests/{duplicate.pk}.json")
        assert item["status"] == "closed"
        assert item["status_notes"] == note
        duplicate.refresh_from_db()
        assert item["updated_datetime"] == timezone.localtime(duplicate.closed_at).isoformat(
            timespec="seconds"
        )
        # The survivor stays open; its staff-only note about the merge is not shown.
        (survivor_item,) = _get(client, f"requests/{survivor.pk}.json")
        assert survivor_item["status"] == "open"
        assert survivor_item["status_notes"] == ""

    def test_status_notes_show_the_latest_public_note_only(self, client, submit, admin):
        request = submit().request
        services.change_status(
            actor=admin, request_id=request.pk, to_status="in_progress", note="Crew sent.", public=True
        )
        services.change_status(
            actor=admin, request_id=request.pk, to_status="resolved", note="Internal: cost 40 JOD."
        )
        (item,) = _get(client, f"requests/{request.pk}.json")
        assert item["status"] == "closed"
        assert item["status_notes"] == "Crew sent."
        assert _ids(client, {"status": "closed"}) == [str(request.pk)]
        assert _ids(client, {"status": "open"}) == []

    def test_every_open_workflow_status_is_open(self, client, submit, admin):
        new = submit().request
        assigned = submit().request
        services.change_status(actor=admin, request_id=assigned.pk, to_status="in_progress")
        assert set(_ids(client, {"status": "open"})) == {str(new.pk), str(assigned.pk)}


class TestTimes:
    def test_datetimes_carry_the_amman_offset(self, client, submit):
        request = submit().request
        _set_requested_at(request, datetime(2026, 1, 15, 9, 30, tzinfo=UTC))
        (item,) = _get(client, "requests.json", {"service_request_id": str(request.pk)})
        assert item["requested_datetime"] == "2026-01-15T12:30:00+03:00"
        for name in ("updated_datetime", "expected_datetime"):
            assert item[name].endswith("+03:00")
            assert datetime.fromisoformat(item[name]).utcoffset() == timedelta(hours=3)

    def test_default_window_is_the_last_90_days(self, client, submit):
        recent = submit().request
        old = submit().request
        _set_requested_at(old, timezone.now() - timedelta(days=100))
        assert _ids(client) == [str(recent.pk)]
        # A start_date alone opens a 90-day window from it.
        start = (timezone.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert _ids(client, {"start_date": start}) == [str(old.pk)]
        # Asked for by id, any age.
        assert _ids(client, {"service_request_id": f"{old.pk},{recent.pk}"}) == [str(recent.pk), str(old.pk)]

    def test_dates_in_several_w3c_forms(self, client, submit):
        request = submit().request
        _set_requested_at(request, datetime(2026, 3, 10, 21, 30, tzinfo=UTC))  # 00:30 on 11 March in Amman
        expected = [str(request.pk)]
        assert _ids(client, {"start_date": "2026-03-11", "end_date": "2026-03-11"}) == expected
        assert _ids(client, {"start_date": "2026-03-10", "end_date": "2026-03-10"}) == []
        assert (
            _ids(client, {"start_date": "2026-03-11T00:00:00+03:00", "end_date": "2026-03-12T00:00:00Z"})
            == expected
        )
        assert _ids(client, {"start_date": "2026-03-10T21:00:00Z", "end_date": "2026-03-10T21:29:59Z"}) == []
        # An unencoded "+" arrives as a space; the offset is still understood.
        response = client.get(
            f"{OPEN311}requests.json?start_date=2026-03-11T00:00:00+03:00&end_date=2026-03-11T01:00:00+03:00"
        )
        assert [r["service_request_id"] for r in response.json()] == expected

    def test_empty_optional_parameters_are_ignored(self, client, submit):
        request = submit().request
        empty = {"service_request_id": "", "service_code": "", "start_date": "", "end_date": "", "status": ""}
        assert _ids(client, empty) == [str(request.pk)]


def test_text_xml_cannot_hold_is_left_out_of_xml_only(client, submit):
    request = submit(description="bell\x07 rings\nall night").request
    (item,) = _get(client, f"requests/{request.pk}.json")
    assert item["description"] == "bell\x07 rings\nall night"
    response = client.get(f"{OPEN311}requests/{request.pk}.xml")
    (element,) = xml_root(response)
    assert element.findtext("description") == "bell rings\nall night"


def test_head_answers_like_get_without_writing(client, submit):
    submit()
    assert client.head(f"{OPEN311}requests.json").status_code == 200


def test_newest_first_and_at_most_1000(client, submit):
    template = submit().request
    now = timezone.now()
    ServiceRequest.objects.bulk_create(
        [
            ServiceRequest(
                jurisdiction_id=template.jurisdiction_id,
                category_id=template.category_id,
                district_id=template.district_id,
                department_id=template.department_id,
                location=template.location,
                expected_at=now + timedelta(days=2),
            )
            for _ in range(1005)
        ]
    )
    items = _get(client, "requests.json")
    assert len(items) == 1000
    moments = [datetime.fromisoformat(i["requested_datetime"]) for i in items]
    assert moments == sorted(moments, reverse=True)


def test_post_names_likely_duplicates_in_service_notice(client, amman):
    key = new_key(amman)
    form = {"api_key": key, "service_code": "street-light", **DOWNTOWN, "attribute[problem]": "out"}
    first = client.post(f"{OPEN311}requests.json", form, **EN).json()[0]
    assert "nearby" not in first["service_notice"]
    second = client.post(f"{OPEN311}requests.json", form, **EN).json()[0]
    assert "nearby" in second["service_notice"]
    assert first["service_request_id"] in second["service_notice"]


class TestQueryCounts:
    @pytest.fixture
    def several(self, submit, admin):
        made = [
            submit().request,
            submit("street-light", answers={"problem": ["out"]}).request,
            submit(
                "tree-pruning", answers={"blocking": ["road"]}, media_url="https://example.org/a.jpg"
            ).request,
            submit("sidewalk-damage", photo=photo_upload()).request,
            submit("pest-control", answers={"pests": ["rodents"]}).request,
            submit("illegal-dumping").request,
        ]
        services.change_status(
            actor=admin, request_id=made[0].pk, to_status="resolved", note="Done.", public=True
        )
        services.merge_requests(
            actor=admin,
            duplicate_id=made[1].pk,
            survivor_id=submit("street-light", answers={"problem": ["out"]}).request.pk,
        )
        return made

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_requests_list_is_two_queries_however_many_requests(
        self, client, several, django_assert_num_queries, fmt
    ):
        # One for the jurisdiction, one for the requests with category, department and latest note.
        with django_assert_num_queries(2):
            response = client.get(f"{OPEN311}requests.{fmt}")
        assert response.status_code == 200
        assert response.content.count(b"service_request_id") >= len(several) * (1 if fmt == "json" else 2)
        assert b"/media/requests/" in response.content

    def test_single_request_is_two_queries(self, client, several, django_assert_num_queries):
        with django_assert_num_queries(2):
            assert client.get(f"{OPEN311}requests/{several[0].pk}.json").status_code == 200

    def test_services_is_three_queries(self, client, amman, django_assert_num_queries):
        # The jurisdiction, the categories, their attributes (prefetched).
        with django_assert_num_queries(3):
            assert len(client.get(f"{OPEN311}services.json").json()) == 8

"""Residents' proposals: proposing on the map, support counted once per resident (the proposer too),
staff accepting into an initiative or declining with a reason, the status history, what is public,
bad input refused with nothing written, and the database holding the rules against raw SQL and races."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from geo_services.initiatives.models import (
    Initiative,
    Proposal,
    ProposalStatusChange,
    ProposalSupport,
)
from tests.factories import UserFactory
from tests.initiatives.factories import BORDER_LON, InitiativeFactory, geojson_box, make_city, point
from tests.initiatives.racing import post_together
from tests.initiatives.test_api import client_for

PROPOSALS = "/api/v1/proposals/"


def detail(proposal_id: int) -> str:
    return f"{PROPOSALS}{proposal_id}/"


def support_url(proposal_id: int) -> str:
    return f"{PROPOSALS}{proposal_id}/support/"


def proposal_body(city: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": city.jurisdiction.code,
        "title": "Trees along our street",
        "description": "Shade for the children walking to school.",
        "geometry": point(46.65, 24.65),
    }
    body.update(overrides)
    return body


def counts() -> tuple[int, int, int, int]:
    """Proposals, supports, status changes, initiatives: what a refused request must leave as it was."""
    return (
        Proposal.objects.count(),
        ProposalSupport.objects.count(),
        ProposalStatusChange.objects.count(),
        Initiative.objects.count(),
    )


def resident(name: str = "") -> Any:
    return UserFactory.create(roles=["citizen"], **({"username": name} if name else {}))


@pytest.fixture
def proposal(city, people) -> dict[str, Any]:
    response = client_for(people.citizen).post(PROPOSALS, proposal_body(city), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def jpeg(size: tuple[int, int] = (64, 48)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 140, 60)).save(out, format="JPEG")
    out.seek(0)
    out.name = "street.jpg"
    return out


class TestProposeAndSupport:
    def test_the_proposer_counts_once_and_so_does_everyone_else(self, city, people, proposal):
        assert proposal["properties"]["supporters_count"] == 1
        assert proposal["properties"]["supported_by_me"] is True
        assert proposal["properties"]["district"] == city.west.code
        assert proposal["properties"]["status"] == "open"

        own_again = client_for(people.citizen).post(support_url(proposal["id"]))
        assert own_again.status_code == 409
        assert own_again.json()["error"]["code"] == "already_supported"

        neighbour = client_for(resident())
        first = neighbour.post(support_url(proposal["id"]))
        assert first.status_code == 201
        assert first.json()["supporters_count"] == 2
        second = neighbour.post(support_url(proposal["id"]))
        assert second.status_code == 409
        assert Proposal.objects.get(pk=proposal["id"]).supporters_count == 2
        assert ProposalSupport.objects.filter(proposal_id=proposal["id"]).count() == 2

    def test_withdrawing_support_lowers_the_count_and_twice_is_404(self, people, proposal):
        neighbour = client_for(resident())
        neighbour.post(support_url(proposal["id"]))
        assert neighbour.delete(support_url(proposal["id"])).json()["supporters_count"] == 1
        assert neighbour.delete(support_url(proposal["id"])).status_code == 404
        assert Proposal.objects.get(pk=proposal["id"]).supporters_count == 1

    def test_an_area_proposal_across_the_border_belongs_to_its_larger_part(self, city, people):
        area = geojson_box(BORDER_LON - 0.01, 24.65, BORDER_LON + 0.03, 24.66)
        response = client_for(people.citizen).post(
            PROPOSALS, proposal_body(city, geometry=area), format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["properties"]["district"] == city.east.code
        assert response.json()["geometry"]["type"] == "Polygon"

    def test_the_public_list_has_counts_but_no_identities(self, city, people, proposal):
        people.citizen.email = "layla@example.org"
        people.citizen.save()
        supporter = resident("neighbour-sami")
        client_for(supporter).post(support_url(proposal["id"]))
        for client in (APIClient(), client_for(resident())):
            response = client.get(PROPOSALS, {"jurisdiction": city.jurisdiction.code})
            assert response.status_code == 200
            assert response["Content-Type"] == "application/geo+json"
            text = response.content.decode()
            for personal in (people.citizen.username, "layla@example.org", "neighbour-sami", "proposer"):
                assert personal not in text.replace("proposed_by_me", "")
            feature = response.json()["features"][0]
            assert feature["properties"]["supporters_count"] == 2
            assert feature["properties"]["supported_by_me"] is False
            assert feature["properties"]["created_at"].endswith("+03:00")  # Riyadh time
        mine = client_for(supporter).get(PROPOSALS, {"jurisdiction": city.jurisdiction.code}).json()
        assert mine["features"][0]["properties"]["supported_by_me"] is True
        detail_text = APIClient().get(detail(proposal["id"])).content.decode()
        assert people.citizen.username not in detail_text
        assert "neighbour-sami" not in detail_text

    def test_a_photo_is_cleaned_and_served_to_anyone(self, city, people, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        body = {**proposal_body(city), "geometry": json.dumps(point(46.65, 24.65)), "photo": jpeg((640, 480))}
        response = client_for(people.citizen).post(PROPOSALS, body, format="multipart")
        assert response.status_code == 201, response.content
        properties = response.json()["properties"]
        photo = APIClient().get(properties["photo_url"])
        assert photo.status_code == 200
        assert Image.open(io.BytesIO(b"".join(photo.streaming_content))).size == (640, 480)
        thumbnail = APIClient().get(properties["thumbnail_url"])
        assert max(Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size) <= 320
        listed = APIClient().get(PROPOSALS, {"jurisdiction": city.jurisdiction.code}).json()["features"][0]
        assert listed["properties"]["thumbnail_url"] == properties["thumbnail_url"]


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[46.62, 24.62], [46.63, 24.63], [46.63, 24.62], [46.62, 24.63], [46.62, 24.62]]],
}


class TestBadProposals:
    @pytest.mark.parametrize(
        ("overrides", "code", "words"),
        [
            ({"geometry": point(10.0, 10.0)}, "outside_jurisdiction", "outside the districts"),
            (
                {"geometry": geojson_box(BORDER_LON + 0.05, 24.65, BORDER_LON + 0.15, 24.66)},
                "outside_jurisdiction",
                "50.0 %",
            ),
            ({"geometry": BOW_TIE}, "invalid_geometry", "Self-intersection"),
            (
                {"geometry": {"type": "LineString", "coordinates": [[46.61, 24.61], [46.62, 24.62]]}},
                "invalid_geometry",
                "Point / Polygon",
            ),
            (
                {
                    "geometry": {
                        **point(46.65, 24.65),
                        "crs": {"type": "name", "properties": {"name": "EPSG:32638"}},
                    }
                },
                "unknown_srid",
                "EPSG:32638",
            ),
            ({"geometry": {"type": "Point", "coordinates": ["46.65", 24.65]}}, "invalid_geometry", "finite"),
            ({"geometry": {"type": "Point", "coordinates": [24.65, 96.0]}}, "invalid_geometry", "longitude"),
            ({"geometry": None}, "invalid_geometry", "GeoJSON"),
            ({"title": ""}, "missing_parameter", "title"),
            ({"title": 12}, "invalid_input", "title must be text"),
            ({"description": "x" * 5001}, "too_long", "description"),
            ({"jurisdiction": "atlantis"}, "unknown_jurisdiction", "atlantis"),
        ],
    )
    def test_bad_proposals_are_400_and_nothing_is_written(self, city, people, overrides, code, words):
        before = counts()
        with translation.override("en"):
            response = client_for(people.citizen).post(
                PROPOSALS, proposal_body(city, **overrides), format="json"
            )
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == code
        assert words in response.json()["error"]["message"]
        assert counts() == before

    def test_malformed_json_and_a_body_that_is_not_an_object(self, city, people):
        before = counts()
        client = client_for(people.citizen)
        assert client.post(PROPOSALS, '{"title": ', content_type="application/json").status_code == 400
        assert client.post(PROPOSALS, "[1, 2]", content_type="application/json").status_code == 400
        geometry_text = {**proposal_body(city), "geometry": '{"type": "Point", "coordinates": [NaN, 24.6]}'}
        assert client.post(PROPOSALS, geometry_text, format="multipart").status_code == 400
        assert counts() == before

    def test_a_file_that_is_not_an_image_or_too_large_writes_nothing(self, city, people, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        before = counts()
        fake = io.BytesIO(b"%PDF-1.4 not a photo")
        fake.name = "street.jpg"
        body = {**proposal_body(city), "geometry": json.dumps(point(46.65, 24.65))}
        refused = client_for(people.citizen).post(PROPOSALS, {**body, "photo": fake}, format="multipart")
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "not_an_image"
        settings.AMANAH_MAX_PHOTO_BYTES = 200
        too_large = client_for(people.citizen).post(
            PROPOSALS, {**body, "photo": jpeg((640, 480))}, format="multipart"
        )
        assert too_large.status_code == 413
        assert too_large.json()["error"]["code"] == "photo_too_large"
        assert counts() == before
        assert list(tmp_path.rglob("*.jpg")) == []

    def test_only_signed_in_residents_propose_and_support(self, city, people, proposal):
        before = counts()
        assert APIClient().post(PROPOSALS, proposal_body(city), format="json").status_code in (401, 403)
        assert (
            client_for(people.planner).post(PROPOSALS, proposal_body(city), format="json").status_code == 403
        )
        assert APIClient().post(support_url(proposal["id"])).status_code in (401, 403)
        assert client_for(people.inspector).post(support_url(proposal["id"])).status_code == 403
        assert client_for(resident()).post(support_url(999_999)).status_code == 404
        assert counts() == before


def accept_url(proposal_id: int) -> str:
    return f"{PROPOSALS}{proposal_id}/accept/"


def decline_url(proposal_id: int) -> str:
    return f"{PROPOSALS}{proposal_id}/decline/"


class TestDecisions:
    def test_a_planner_accepts_into_an_existing_initiative(self, city, people, proposal):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        response = client_for(people.planner).post(
            accept_url(proposal["id"]),
            {"initiative": park.pk, "note": "Joined to the park works"},
            format="json",
        )
        assert response.status_code == 200, response.content
        properties = response.json()["properties"]
        assert (properties["status"], properties["initiative"]) == ("accepted", park.pk)
        assert [(h["previous_status"], h["status"]) for h in properties["history"]] == [
            (None, "open"),
            ("open", "accepted"),
        ]
        assert properties["history"][1]["by"] == people.planner.username
        public = APIClient().get(detail(proposal["id"])).json()["properties"]["history"]
        assert "by" not in public[1]
        # Decided: no more support, no second decision.
        assert client_for(resident()).post(support_url(proposal["id"])).status_code == 409
        again = client_for(people.planner).post(decline_url(proposal["id"]), {"reason": "x"}, format="json")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "proposal_decided"

    def test_accepting_with_a_plan_makes_an_initiative_of_the_proposed_area(self, city, people):
        area = geojson_box(46.62, 24.62, 46.63, 24.63)
        made = (
            client_for(people.citizen)
            .post(PROPOSALS, proposal_body(city, geometry=area), format="json")
            .json()
        )
        plan = {
            "kind": "green_space",
            "feature_type": "park",
            "name_ar": "حديقة مقترحة",
            "name_en": "Proposed park",
            "planned_start": "2026-03-01",
            "planned_end": "2026-10-31",
            "department": "parks",
        }
        response = client_for(people.planner).post(accept_url(made["id"]), {"plan": plan}, format="json")
        assert response.status_code == 200, response.content
        initiative = Initiative.objects.get(pk=response.json()["properties"]["initiative"])
        assert initiative.name_en == "Proposed park"
        assert initiative.geom.equals(Proposal.objects.get(pk=made["id"]).geom)
        assert initiative.district_id == city.west.pk

    def test_a_refused_plan_leaves_the_proposal_open(self, city, people, proposal):
        before = counts()
        plan = {
            "kind": "green_space",
            "feature_type": "park",  # a park is a polygon; the proposal is a point
            "name_ar": "حديقة",
            "name_en": "Park",
            "planned_start": "2026-03-01",
            "planned_end": "2026-10-31",
            "department": "parks",
        }
        response = client_for(people.planner).post(accept_url(proposal["id"]), {"plan": plan}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "wrong_geometry_type"
        assert counts() == before
        assert Proposal.objects.get(pk=proposal["id"]).status == "open"

    def test_declining_needs_a_reason_that_residents_see(self, city, people, proposal):
        before = counts()
        for body in ({}, {"reason": "   "}, {"reason": 5}):
            with translation.override("en"):
                response = client_for(people.planner).post(decline_url(proposal["id"]), body, format="json")
            assert response.status_code == 400, body
        assert counts() == before
        reason = "The street is too narrow for trees; a planted strip is planned nearby."
        response = client_for(people.planner).post(
            decline_url(proposal["id"]), {"reason": reason}, format="json"
        )
        assert response.status_code == 200
        listed = APIClient().get(PROPOSALS, {"jurisdiction": city.jurisdiction.code}).json()["features"][0]
        assert (listed["properties"]["status"], listed["properties"]["decision_reason"]) == (
            "declined",
            reason,
        )
        history = ProposalStatusChange.objects.filter(proposal_id=proposal["id"]).order_by("id")
        assert [(h.status, h.reason) for h in history] == [("open", ""), ("declined", reason)]

    @pytest.mark.parametrize("who", ["citizen", "inspector", "parks_dispatcher", "outside_planner"])
    def test_only_planners_of_the_jurisdiction_and_admins_decide(self, city, people, proposal, who):
        before = counts()
        client = client_for(getattr(people, who))
        assert client.post(decline_url(proposal["id"]), {"reason": "no"}, format="json").status_code == 403
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        before = counts()
        assert (
            client.post(accept_url(proposal["id"]), {"initiative": park.pk}, format="json").status_code == 403
        )
        assert counts() == before

    def test_an_initiative_of_another_jurisdiction_cannot_take_the_proposal(self, city, people, proposal):
        dammam = make_city("test-mecca")
        other = InitiativeFactory.create(jurisdiction=dammam.jurisdiction, department=dammam.parks)
        before = counts()
        response = client_for(people.admin).post(
            accept_url(proposal["id"]), {"initiative": other.pk}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unknown_initiative"
        assert counts() == before

    def test_accept_with_neither_or_both_is_a_400(self, city, people, proposal):
        client = client_for(people.planner)
        assert client.post(accept_url(proposal["id"]), {}, format="json").status_code == 400
        assert (
            client.post(accept_url(proposal["id"]), {"initiative": "seven"}, format="json").status_code == 400
        )
        assert client.post(accept_url(999_999), {"initiative": 1}, format="json").status_code == 404


def raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


class TestDatabaseRules:
    def test_a_second_support_by_one_resident_is_refused(self, people, proposal):
        with pytest.raises(IntegrityError, match="initiatives_support_once"):
            raw(
                "INSERT INTO initiatives_proposalsupport (proposal_id, user_id, created_at) VALUES (%s, %s, now())",
                [proposal["id"], people.citizen.pk],
            )
        assert Proposal.objects.get(pk=proposal["id"]).supporters_count == 1

    def test_the_count_cannot_be_written_by_hand(self, proposal):
        raw("UPDATE initiatives_proposal SET supporters_count = 500 WHERE id = %s", [proposal["id"]])
        assert Proposal.objects.get(pk=proposal["id"]).supporters_count == 1

    def test_a_decline_without_reason_and_a_reopening_are_refused(self, people, proposal):
        with pytest.raises(IntegrityError, match="initiatives_proposal_decision"):
            raw(
                "UPDATE initiatives_proposal SET status = 'declined', decided_at = now(), decision_reason = ' '"
                " WHERE id = %s",
                [proposal["id"]],
            )
        raw(
            "UPDATE initiatives_proposal SET status = 'declined', decided_at = now(), decision_reason = 'no room'"
            " WHERE id = %s",
            [proposal["id"]],
        )
        with pytest.raises(IntegrityError, match="final"):
            raw(
                "UPDATE initiatives_proposal SET status = 'open', decided_at = NULL, decision_reason = ''"
                " WHERE id = %s",
                [proposal["id"]],
            )
        with pytest.raises(IntegrityError, match="not open"):
            raw(
                "INSERT INTO initiatives_proposalsupport (proposal_id, user_id, created_at) VALUES (%s, %s, now())",
                [proposal["id"], people.planner.pk],
            )

    def test_a_proposal_outside_the_districts_is_refused(self, city, people):
        with pytest.raises(IntegrityError, match="outside"):
            raw(
                "INSERT INTO initiatives_proposal (jurisdiction_id, proposer_id, title, description, geom, photo,"
                " photo_thumbnail, status, supporters_count, decision_reason, created_at)"
                " VALUES (%s, %s, 't', 'd', ST_SetSRID(ST_MakePoint(10, 10), 4326), '', '', 'open', 0, '', now())",
                [city.jurisdiction.pk, people.citizen.pk],
            )


@pytest.mark.django_db(transaction=True)
def test_concurrent_supports_count_each_resident_once(city, people):
    made = client_for(people.citizen).post(PROPOSALS, proposal_body(city), format="json").json()
    twice = resident()
    others = [resident() for _ in range(3)]
    senders = [twice, twice, twice, *others]
    statuses = post_together(support_url(made["id"]), senders)
    assert sorted(statuses, key=str) == [201, 201, 201, 201, 409, 409], statuses
    assert Proposal.objects.get(pk=made["id"]).supporters_count == 5  # the proposer and four residents
    assert ProposalSupport.objects.filter(proposal_id=made["id"]).count() == 5

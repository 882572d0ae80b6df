"""The layers each domain app registers: what they publish, and to whom."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from geo_services.service_requests import services as request_services
from geo_services.service_requests.models import ServiceRequest
from layers.registry import registry
from tests.factories import UserFactory, make_staff

DOWNTOWN = Point(35.9393, 31.9516, srid=4326)  # al-madina
PRIVATE = ("رقم هاتفي 0790000000", "resident@example.org", "0790000000", "سلمى", "عمارة 12")


@pytest.fixture
def reported(amman) -> ServiceRequest:
    return request_services.submit_request(
        jurisdiction_code="amman",
        service_code="pothole",
        point=DOWNTOWN,
        address="عمارة 12",
        description="رقم هاتفي 0790000000",
        answers={"size": ["large"]},
        contact=request_services.Contact(first_name="سلمى", email="resident@example.org", phone="0790000000"),
    ).request


def signed_in(roles: list[str], amman=None) -> Client:
    client = Client()
    user = UserFactory.create(roles=roles)
    if amman is not None:
        make_staff(user, jurisdiction=amman)
    client.force_login(user)
    return client


class TestServiceRequestsLayer:
    def test_anyone_reads_the_public_fields_and_nothing_personal(self, client, reported):
        response = client.get("/ogc/collections/service-requests/items?f=json")
        assert response.status_code == 200
        document = response.json()
        assert document["numberMatched"] == 1
        feature = document["features"][0]
        assert feature["id"] == reported.pk
        assert feature["properties"]["category"] == "pothole"
        assert feature["properties"]["district_code"] == reported.district.code
        assert feature["properties"]["jurisdiction"] == "amman"
        assert feature["properties"]["status"] == reported.status
        assert feature["geometry"]["coordinates"] == pytest.approx([DOWNTOWN.x, DOWNTOWN.y])
        text = response.content.decode()
        for private in PRIVATE:
            assert private not in text
        layer = registry.get("service-requests")
        assert layer is not None
        assert not {"description", "address", "contact_email", "contact_phone"} & set(layer.attribute_by_name)

    def test_the_layer_is_temporal_over_the_report_time(self, client, reported):
        document = client.get("/ogc/collections/service-requests?f=json").json()
        interval = document["extent"]["temporal"]["interval"][0]
        assert interval[0] is not None
        assert interval[0][:10] == reported.requested_at.date().isoformat()

    def test_attribute_filters_work_on_joined_codes(self, client, reported):
        found = client.get(
            f"/ogc/collections/service-requests/items?district_code={reported.district.code}"
        ).json()
        assert found["numberReturned"] == 1
        other = client.get("/ogc/collections/service-requests/items?category=no-such-category").json()
        assert other["numberReturned"] == 0


class TestInspectionsLayer:
    @pytest.mark.parametrize("roles", [[], ["citizen"], ["inspector"], ["dispatcher"]])
    def test_only_planners_and_admins_read_it(self, amman, make_job, roles):
        make_job()
        client = signed_in(roles, amman) if roles else Client()
        assert client.get("/ogc/collections/inspections/items?f=json").status_code == 404
        collections = client.get("/ogc/collections?f=json").json()["collections"]
        assert "inspections" not in {c["id"] for c in collections}

    @pytest.mark.parametrize("roles", [["planner"], ["admin"]])
    def test_planners_and_admins_see_each_job_at_its_target(self, amman, make_job, roles):
        job = make_job()
        client = signed_in(roles, amman)
        response = client.get("/ogc/collections/inspections/items?f=json")
        assert response.status_code == 200
        feature = response.json()["features"][0]
        assert feature["id"] == job.pk
        assert feature["properties"]["status"] == job.status
        assert feature["properties"]["district_code"] == job.district.code
        assert feature["properties"]["passed"] is None  # not inspected yet
        # No inspector's name in the layer.
        assert job.inspector.username not in json.dumps(feature)


def test_districts_carry_their_municipality_code(client, amman):
    document = client.get("/ogc/collections/districts/items?f=json&jurisdiction=amman&limit=50").json()
    assert document["numberMatched"] == 22
    assert {f["properties"]["jurisdiction"] for f in document["features"]} == {"amman"}

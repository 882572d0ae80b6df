"""Requests POSTed through Open311 are routed by the real OSM boundaries of Amman's districts (liwa).

A routing rule sends one category in Sahab district to another department; everywhere else the
category's default department answers. The department shows as agency_responsible.
"""

from __future__ import annotations

import pytest

from geo_services.core.models import District
from geo_services.service_requests.models import RoutingRule, ServiceCategory, ServiceRequest
from tests.factories import DepartmentFactory, ServiceCategoryFactory
from tests.service_requests import DOWNTOWN, OPEN311, SAHAB, new_key

LIWA = {"jurisdiction_id": "amman-liwa"}


@pytest.fixture
def pothole(liwa) -> ServiceCategory:
    roads = DepartmentFactory.create(
        jurisdiction=liwa, code="roads", name_en="Roads Department", name_ar="دائرة الطرق"
    )
    category = ServiceCategoryFactory.create(
        jurisdiction=liwa, code="pothole", name_en="Pothole", name_ar="حفرة", default_department=roads
    )
    sahab_works = DepartmentFactory.create(
        jurisdiction=liwa, code="sahab-works", name_en="Sahab Works Office", name_ar="مكتب أشغال سحاب"
    )
    RoutingRule.objects.create(
        category=category,
        district=District.objects.get(jurisdiction=liwa, code="sahab-district"),
        department=sahab_works,
    )
    return category


@pytest.fixture
def key(liwa) -> str:
    return new_key(liwa)


def _post(client, key: str, **fields: str) -> ServiceRequest:
    response = client.post(
        f"{OPEN311}requests.json", {"api_key": key, **LIWA, "service_code": "pothole", **fields}
    )
    assert response.status_code == 200, response.content
    (created,) = response.json()
    return ServiceRequest.objects.select_related("district", "department").get(
        pk=created["service_request_id"]
    )


def _agency(client, request: ServiceRequest, language: str) -> str:
    response = client.get(f"{OPEN311}requests/{request.pk}.json", LIWA, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return response.json()[0]["agency_responsible"]


def test_downtown_goes_to_qasabah_and_the_default_department(client, pothole, key):
    request = _post(client, key, **DOWNTOWN)
    assert request.district.code == "amman-qasabah-district"
    assert request.department.code == "roads"
    assert _agency(client, request, "en") == "Roads Department"
    assert _agency(client, request, "ar") == "دائرة الطرق"


def test_sahab_goes_to_the_department_of_its_routing_rule(client, pothole, key):
    request = _post(client, key, **SAHAB)
    assert request.district.code == "sahab-district"
    assert request.department.code == "sahab-works"
    assert _agency(client, request, "en") == "Sahab Works Office"
    assert _agency(client, request, "ar") == "مكتب أشغال سحاب"


@pytest.mark.parametrize("name", ["Sahab District", "لواء سحاب", "sahab-district"])
def test_a_district_name_as_address_string_is_routed_there(client, pothole, key, name):
    request = _post(client, key, address_string=name)
    assert request.district.code == "sahab-district"
    assert request.department.code == "sahab-works"
    assert request.address == name


def test_services_and_requests_are_per_jurisdiction(client, amman, pothole, key):
    liwa_request = _post(client, key, **SAHAB)
    liwa_codes = [s["service_code"] for s in client.get(f"{OPEN311}services.json", LIWA).json()]
    assert liwa_codes == ["pothole"]
    # Without jurisdiction_id the default (demo Amman) answers: its own services, not liwa's requests.
    amman_codes = {s["service_code"] for s in client.get(f"{OPEN311}services.json").json()}
    assert "street-light" in amman_codes
    listed = [r["service_request_id"] for r in client.get(f"{OPEN311}requests.json").json()]
    assert str(liwa_request.pk) not in listed
    in_liwa = [r["service_request_id"] for r in client.get(f"{OPEN311}requests.json", LIWA).json()]
    assert in_liwa == [str(liwa_request.pk)]


def test_a_liwa_key_cannot_submit_to_the_default_jurisdiction(client, amman, pothole, key):
    response = client.post(f"{OPEN311}requests.json", {"api_key": key, "service_code": "pothole", **DOWNTOWN})
    assert response.status_code == 403

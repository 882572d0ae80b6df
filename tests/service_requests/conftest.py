"""Fixtures for service requests on the demo Amman data."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from geo_services.core.models import Department, District, Jurisdiction
from geo_services.service_requests import services
from geo_services.service_requests.models import ServiceCategory
from tests.factories import UserFactory, make_staff

DOWNTOWN = Point(35.9393, 31.9516, srid=4326)  # al-madina
MARKA = Point(35.99, 31.985, srid=4326)


@pytest.fixture
def categories(amman: Jurisdiction) -> dict[str, ServiceCategory]:
    """The demo categories (load_demo loads them with the districts)."""
    return {c.code: c for c in ServiceCategory.objects.filter(jurisdiction=amman)}


@pytest.fixture
def roads(amman: Jurisdiction) -> Department:
    return Department.objects.get(jurisdiction=amman, code="public-works-roads")


@pytest.fixture
def dispatcher(amman: Jurisdiction, roads: Department):
    user = UserFactory.create(username="roads-dispatcher", roles=["dispatcher"])
    make_staff(user, jurisdiction=amman, department=roads)
    return user


@pytest.fixture
def inspector(amman: Jurisdiction, roads: Department):
    user = UserFactory.create(username="roads-inspector", roles=["inspector"])
    make_staff(user, jurisdiction=amman, department=roads)
    return user


@pytest.fixture
def submit(amman: Jurisdiction):
    def make(service_code: str = "pothole", point: Point = DOWNTOWN, **kwargs):
        kwargs.setdefault("answers", {"size": ["large"]} if service_code == "pothole" else {})
        return services.submit_request(
            jurisdiction_code="amman", service_code=service_code, point=point, **kwargs
        )

    return make


def district(amman: Jurisdiction, code: str) -> District:
    return District.objects.get(jurisdiction=amman, code=code)

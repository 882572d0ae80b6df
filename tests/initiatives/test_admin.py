"""The initiatives admin: the map form saves a good shape and explains a bad one (never a 500)."""

from __future__ import annotations

import pytest
from django.utils import translation

from geo_services.initiatives.models import Initiative, Partner
from tests.factories import UserFactory
from tests.initiatives.conftest import row_counts

ADD = "/admin/initiatives/initiative/add/"


def form(city, geom: str, **overrides: str) -> dict[str, str]:
    data = {
        "jurisdiction": str(city.jurisdiction.pk),
        "code": "admin-park",
        "kind": "green_space",
        "feature_type": "park",
        "name_ar": "حديقة",
        "name_en": "Admin park",
        "description_ar": "",
        "description_en": "",
        "planned_start": "2026-03-01",
        "planned_end": "2026-09-30",
        "department": str(city.parks.pk),
        "volunteers_count": "0",
        "geom": geom,
        "surface": "",
        # The read-only inlines still send their management forms.
        "district_shares-TOTAL_FORMS": "0",
        "district_shares-INITIAL_FORMS": "0",
        "progress_updates-TOTAL_FORMS": "0",
        "progress_updates-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    return client


def test_the_admin_saves_a_park_drawn_on_the_map(admin_client, city):
    geom = '{"type": "Polygon", "coordinates": [[[46.62, 24.62], [46.63, 24.62], [46.63, 24.63], [46.62, 24.62]]]}'
    response = admin_client.post(ADD, form(city, geom))
    assert response.status_code == 302, response.content[:2000]
    park = Initiative.objects.get(code="admin-park")
    assert park.district_id == city.west.pk
    assert park.area_m2 is not None
    assert park.area_m2 > 0


@pytest.mark.parametrize(
    ("geom", "words"),
    [
        (
            '{"type": "Polygon", "coordinates": [[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]]}',
            "outside the districts",
        ),
        ('{"type": "Point", "coordinates": [46.65, 24.65]}', "is drawn as a Polygon"),
    ],
)
def test_the_admin_explains_a_shape_it_cannot_take(admin_client, city, geom, words):
    before = row_counts()
    admin_client.cookies["django_language"] = "en"  # the language switch's choice
    with translation.override("en"):
        response = admin_client.post(ADD, form(city, geom))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert row_counts() == before


def test_the_partner_admin_explains_an_area_outside_the_districts(admin_client, city):
    outside = '{"type": "MultiPolygon", "coordinates": [[[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]]]}'
    data = {
        "jurisdiction": str(city.jurisdiction.pk),
        "kind": "charity",
        "name_ar": "جمعية",
        "name_en": "Admin charity",
        "active": "on",
        "served_area": outside,
    }
    admin_client.cookies["django_language"] = "en"  # the language switch's choice
    response = admin_client.post("/admin/initiatives/partner/add/", data)
    assert response.status_code == 200
    assert b"outside the districts" in response.content
    assert not Partner.objects.filter(name_en="Admin charity").exists()
    inside = '{"type": "MultiPolygon", "coordinates": [[[[46.62, 24.62], [46.63, 24.62], [46.63, 24.63], [46.62, 24.62]]]]}'
    response = admin_client.post("/admin/initiatives/partner/add/", {**data, "served_area": inside})
    assert response.status_code == 302, response.content[:2000]
    assert Partner.objects.get(name_en="Admin charity").served_area is not None

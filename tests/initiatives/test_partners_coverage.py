"""Partners and their coverage: who provides which service in which district, and the gaps.

The fixture: three districts (west, east, north), two services (greening, social care) and partners
serving by whole district, by a drawn area reaching two districts, by an area only touching a border,
plus an inactive partner and one of another jurisdiction that must count nowhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from rest_framework.test import APIClient

from geo_services.core.models import District
from geo_services.initiatives import selectors
from geo_services.initiatives.models import Partner, PartnerKind, ServiceKind
from tests.initiatives.factories import (
    City,
    PartnerFactory,
    ServiceKindFactory,
    geojson_box,
    make_city,
    multi_box,
    third_district,
)
from tests.initiatives.test_api import client_for

COVERAGE = "/api/v1/partners/coverage/"
PARTNERS = "/api/v1/partners/"


@dataclass
class Fixture:
    city: City
    north: District
    greening: ServiceKind
    social: ServiceKind
    green_hands: Partner  # whole west district; greening
    care: Partner  # drawn area in east and north; social care
    edge_team: Partner  # drawn area in west touching the east border; greening
    asleep: Partner  # inactive; whole north district; greening
    elsewhere: Partner  # another jurisdiction; greening


@pytest.fixture
def coverage_city(city: City) -> Fixture:
    north = third_district(city)
    greening = ServiceKindFactory.create(code="greening", name_ar="تشجير", name_en="Greening")
    social = ServiceKindFactory.create(code="social-care", name_ar="رعاية اجتماعية", name_en="Social care")

    def partner(name: str, services: list[ServiceKind], *, districts=(), **fields: Any) -> Partner:
        made = PartnerFactory.create(
            jurisdiction=fields.pop("jurisdiction", city.jurisdiction), name_en=name, **fields
        )
        made.services.set(services)
        made.districts.set(districts)
        return made

    other = make_city("test-jeddah")
    return Fixture(
        city=city,
        north=north,
        greening=greening,
        social=social,
        green_hands=partner(
            "Green Hands",
            [greening],
            districts=[city.west],
            contact_name="Rania Haddad",
            contact_email="rania@example.org",
            contact_phone="+962790000001",
        ),
        care=partner(
            "Care Charity",
            [social],
            kind=PartnerKind.CHARITY,
            served_area=multi_box((46.72, 24.65, 46.78, 24.69), (46.62, 24.72, 46.65, 24.75)),
        ),
        edge_team=partner("Edge Team", [greening], served_area=multi_box((46.65, 24.61, 46.70, 24.62))),
        asleep=partner("Asleep Group", [greening], districts=[north], active=False),
        elsewhere=partner(
            "Jeddah Greens", [greening], jurisdiction=other.jurisdiction, districts=[other.west]
        ),
    )


def table(cells: list[dict[str, Any]], services: set[str]) -> dict[tuple[str, str], list[str]]:
    return {
        (cell["district"].rsplit("-", 1)[1], cell["service"]): [p["name_en"] for p in cell["partners"]]
        for cell in cells
        if cell["service"] in services
    }


class TestCoverage:
    def test_the_exact_table_with_its_gaps(self, coverage_city):
        response = APIClient().get(COVERAGE, {"jurisdiction": coverage_city.city.jurisdiction.code})
        assert response.status_code == 200
        cells = response.json()["cells"]
        assert table(cells, {"greening", "social-care"}) == {
            ("east", "greening"): [],
            ("east", "social-care"): ["Care Charity"],
            ("north", "greening"): [],  # only an inactive partner there
            ("north", "social-care"): ["Care Charity"],  # the drawn area's second part
            ("west", "greening"): ["Edge Team", "Green Hands"],  # the edge team only touches east
            ("west", "social-care"): [],
        }
        gaps = {(g["district"].rsplit("-", 1)[1], g["service"]) for g in response.json()["gaps"]}
        assert {("east", "greening"), ("north", "greening"), ("west", "social-care")} <= gaps
        assert not gaps & {("west", "greening"), ("east", "social-care"), ("north", "social-care")}
        # Every district crossed with every service kind, partners of Jeddah nowhere.
        assert len(cells) == 3 * ServiceKind.objects.count()
        assert "Jeddah Greens" not in response.content.decode()

    def test_one_service_and_the_counts(self, coverage_city):
        response = APIClient().get(
            COVERAGE, {"jurisdiction": coverage_city.city.jurisdiction.code, "service": "greening"}
        )
        counts = {c["district"].rsplit("-", 1)[1]: c["partners_count"] for c in response.json()["cells"]}
        assert counts == {"east": 0, "north": 0, "west": 2}
        assert {c["service"] for c in response.json()["cells"]} == {"greening"}

    def test_a_partner_made_active_fills_its_gap(self, coverage_city):
        coverage_city.asleep.active = True
        coverage_city.asleep.save()
        cells = selectors.coverage(coverage_city.city.jurisdiction.pk, service_code="greening")
        north = next(c for c in cells if c.district_code.endswith("north"))
        assert [p["name_en"] for p in north.partners] == ["Asleep Group"]
        assert not north.is_gap

    def test_coverage_is_one_query(self, coverage_city, django_assert_num_queries):
        with django_assert_num_queries(1):
            selectors.coverage(coverage_city.city.jurisdiction.pk)

    def test_public_answers_hold_no_contact(self, coverage_city):
        for url in (COVERAGE, PARTNERS):
            text = (
                APIClient().get(url, {"jurisdiction": coverage_city.city.jurisdiction.code}).content.decode()
            )
            assert "Green Hands" in text
            for personal in ("Rania", "rania@example.org", "+962790000001", "contact"):
                assert personal not in text

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ({"service": "juggling"}, "unknown_service"),
            ({"jurisdiction": "atlantis"}, "unknown_jurisdiction"),
        ],
    )
    def test_bad_queries_are_400(self, coverage_city, query, code):
        params = {"jurisdiction": coverage_city.city.jurisdiction.code, **query}
        with translation.override("en"):
            response = APIClient().get(COVERAGE, params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code


class TestPartnerList:
    def test_served_districts_are_derived_from_the_drawn_area(self, coverage_city):
        partners = {
            p["name_en"]: p
            for p in APIClient()
            .get(PARTNERS, {"jurisdiction": coverage_city.city.jurisdiction.code})
            .json()["partners"]
        }
        code = coverage_city.city.jurisdiction.code
        care = partners["Care Charity"]
        assert [(d["code"], d["whole_district"], d["by_area"]) for d in care["districts"]] == [
            (f"{code}-east", False, True),
            (f"{code}-north", False, True),
        ]
        assert care["served_area"]["type"] == "MultiPolygon"
        assert [d["code"] for d in partners["Edge Team"]["districts"]] == [f"{code}-west"]
        assert [s["code"] for s in partners["Green Hands"]["services"]] == ["greening"]
        assert partners["Asleep Group"]["active"] is False

    def test_filters_by_service_and_district(self, coverage_city):
        code = coverage_city.city.jurisdiction.code
        answer = APIClient().get(
            PARTNERS, {"jurisdiction": code, "service": "social-care", "district": f"{code}-north"}
        )
        assert [p["name_en"] for p in answer.json()["partners"]] == ["Care Charity"]
        answer = APIClient().get(PARTNERS, {"jurisdiction": code, "district": f"{code}-east"})
        assert [p["name_en"] for p in answer.json()["partners"]] == ["Care Charity"]
        unknown = APIClient().get(PARTNERS, {"jurisdiction": code, "district": "atlantis"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["code"] == "unknown_district"

    def test_staff_of_the_jurisdiction_see_contacts_others_do_not(self, coverage_city, people):
        code = coverage_city.city.jurisdiction.code

        def contact_of(user: Any) -> Any:
            partners = client_for(user).get(PARTNERS, {"jurisdiction": code}).json()["partners"]
            return next(p for p in partners if p["name_en"] == "Green Hands").get("contact")

        expected = {"name": "Rania Haddad", "email": "rania@example.org", "phone": "+962790000001"}
        assert contact_of(people.planner) == expected
        assert contact_of(people.inspector) == expected
        assert contact_of(people.admin) == expected
        assert contact_of(people.citizen) is None
        assert contact_of(people.outside_planner) is None


def partner_body(city: City, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": city.jurisdiction.code,
        "kind": "community_group",
        "name_ar": "جمعية الحي",
        "name_en": "Neighbourhood association",
        "services": ["greening"],
        "districts": [city.east.code],
        "served_area": geojson_box(46.62, 24.62, 46.64, 24.64),
        "contact_name": "Omar",
        "contact_phone": "+966500000000",
    }
    body.update(overrides)
    return body


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[46.62, 24.62], [46.63, 24.63], [46.63, 24.62], [46.62, 24.63], [46.62, 24.62]]],
}


def partner_rows() -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM initiatives_partner), (SELECT count(*) FROM initiatives_partner_services),"
            " (SELECT count(*) FROM initiatives_partner_districts)"
        )
        return cursor.fetchone()


class TestRegisterPartner:
    def test_a_planner_registers_a_partner_serving_a_district_and_an_area(self, city, people):
        ServiceKindFactory.create(code="greening")
        response = client_for(people.planner).post(PARTNERS, partner_body(city), format="json")
        assert response.status_code == 201, response.content
        partner = Partner.objects.get(pk=response.json()["id"])
        assert partner.served_area is not None
        assert partner.served_area.geom_type == "MultiPolygon"
        served = {row["code"] for row in _served(city, partner.pk)}
        assert served == {city.east.code, city.west.code}

    @pytest.mark.parametrize(
        ("overrides", "status", "code"),
        [
            ({"served_area": geojson_box(10.0, 10.0, 10.1, 10.1)}, 400, "outside_jurisdiction"),
            ({"served_area": BOW_TIE}, 400, "invalid_geometry"),
            ({"served_area": {"type": "Point", "coordinates": [46.62, 24.62]}}, 400, "invalid_geometry"),
            (
                {
                    "served_area": {
                        **geojson_box(46.62, 24.62, 46.64, 24.64),
                        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
                    }
                },
                400,
                "unknown_srid",
            ),
            ({"services": "greening"}, 400, "invalid_codes"),
            ({"services": ["juggling"]}, 400, "unknown_service"),
            ({"districts": ["atlantis"]}, 400, "unknown_district"),
            ({"kind": "club"}, 400, "invalid_choice"),
            ({"name_en": ""}, 400, "missing_parameter"),
            ({"name_ar": 5}, 400, "invalid_input"),
        ],
    )
    def test_bad_partners_are_refused_and_nothing_is_written(self, city, people, overrides, status, code):
        ServiceKindFactory.create(code="greening")
        before = partner_rows()
        with translation.override("en"):
            response = client_for(people.planner).post(
                PARTNERS, partner_body(city, **overrides), format="json"
            )
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code
        assert partner_rows() == before

    def test_malformed_json_is_a_400(self, city, people):
        before = partner_rows()
        response = client_for(people.planner).post(PARTNERS, '{"kind": ', content_type="application/json")
        assert response.status_code == 400
        assert partner_rows() == before

    @pytest.mark.parametrize("who", ["citizen", "outside_planner", "inspector"])
    def test_only_planners_of_the_jurisdiction_and_admins_register(self, city, people, who):
        ServiceKindFactory.create(code="greening")
        before = partner_rows()
        response = client_for(getattr(people, who)).post(PARTNERS, partner_body(city), format="json")
        assert response.status_code == 403
        assert partner_rows() == before
        assert APIClient().post(PARTNERS, partner_body(city), format="json").status_code in (401, 403)


def _served(city: City, partner_id: int) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.code FROM initiatives_partner_served_districts(%s) s JOIN core_district d ON d.id = s.district_id"
            " WHERE s.partner_id = %s",
            [city.jurisdiction.pk, partner_id],
        )
        return [{"code": row[0]} for row in cursor.fetchall()]


class TestDatabaseRules:
    def test_a_served_area_outside_the_districts_is_refused_by_the_database(self, city):
        partner = PartnerFactory.create(jurisdiction=city.jurisdiction)
        with (
            pytest.raises(IntegrityError, match="outside the districts"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE initiatives_partner SET served_area ="
                " ST_Multi(ST_MakeEnvelope(46.75, 24.65, 46.95, 24.69, 4326)) WHERE id = %s",
                [partner.pk],
            )

    def test_an_invalid_served_area_is_refused_by_the_database(self, city):
        partner = PartnerFactory.create(jurisdiction=city.jurisdiction)
        bow_tie = json.dumps({"type": "MultiPolygon", "coordinates": [BOW_TIE["coordinates"]]})
        with (
            pytest.raises(IntegrityError, match="valid"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE initiatives_partner SET served_area = ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326) WHERE id = %s",
                [bow_tie, partner.pk],
            )

    def test_a_district_of_another_jurisdiction_is_refused_by_the_database(self, city):
        other = make_city("test-khobar")
        partner = PartnerFactory.create(jurisdiction=city.jurisdiction)
        with pytest.raises(IntegrityError, match="jurisdiction"), transaction.atomic():
            partner.districts.add(other.west)


def test_the_amman_demo_has_partners_and_gaps(client, amman):
    cells = client.get(COVERAGE, {"jurisdiction": "amman", "service": "greening"}).json()["cells"]
    covered = {c["district"] for c in cells if not c["gap"]}
    assert covered == {"tla-al-ali", "zahran", "al-jubeiha"}
    assert len(cells) == 22
    social = client.get(COVERAGE, {"jurisdiction": "amman", "service": "social-care"}).json()["cells"]
    charity = {c["district"] for c in social if c["partners"]}
    assert {"al-madina", "marka"} <= charity

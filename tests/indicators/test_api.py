"""The indicators API over real HTTP: JSON and CSV of the districts and total, one district with its
monthly trend, and bad input answered with a 400 a person can act on."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import translation

from tests.factories import DistrictFactory, JurisdictionFactory, square
from tests.indicators.town import EAST_POPULATION, WEST_POPULATION, build_town, expected

URL = "/api/v1/indicators/"
RANGE = {"jurisdiction": "test-indicators", "from": "2026-01-01", "to": "2026-06-30"}


@pytest.fixture
def town(db):
    return build_town()


def test_json_has_every_district_the_total_and_the_definitions(api_client, town):
    response = api_client.get(URL, RANGE)  # anonymous: the figures are public
    assert response.status_code == 200
    body = response.json()
    assert body["jurisdiction"]["code"] == "test-indicators"
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-06-30")
    assert [d["code"] for d in body["districts"]] == ["east", "west"]
    west = next(d for d in body["districts"] if d["code"] == "west")
    assert west["name_ar"] == "الغربية"
    assert west["indicators"]["waste_points_per_10k"] == pytest.approx(1.0)
    assert west["indicators"]["booking_utilisation_percent"] is None
    assert body["total"]["population"] == WEST_POPULATION + EAST_POPULATION
    assert body["total"]["indicators"]["requests_per_1k"] == pytest.approx(0.16)
    assert body["total"]["measures"]["requests"] == 4
    units = {d["key"]: d["unit"] for d in body["definitions"]}
    assert set(units) == set(west["indicators"])
    assert all(units.values())


def test_csv_by_format_parameter_parses_back(api_client, town):
    response = api_client.get(URL, {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "indicators-test-indicators-2026-01-01-2026-06-30.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["district_code"] for r in rows] == ["east", "west", ""]
    east, west, total = rows
    assert west["name_ar"] == "الغربية"
    assert total["name_en"] == "Total"
    assert int(total["population"]) == 25_000
    want = expected()
    assert float(west["green_m2_per_resident"]) == pytest.approx(want.west_green / WEST_POPULATION, rel=0.003)
    assert float(east["booking_utilisation_percent"]) == pytest.approx(100 * 6 / 1800, rel=1e-3)
    assert west["booking_utilisation_percent"] == ""  # not computable: empty, not zero
    assert float(total["overdue_percent"]) == pytest.approx(50)


def test_csv_by_accept_header(api_client, town):
    response = api_client.get(URL, RANGE, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response.content.startswith("\ufeffdistrict_code,".encode())


def test_one_district_with_its_monthly_trend(api_client, town):
    response = api_client.get(f"{URL}districts/west/", RANGE)
    assert response.status_code == 200
    body = response.json()
    assert body["district"]["code"] == "west"
    assert body["district"]["measures"]["requests"] == 3
    assert [m["month"] for m in body["monthly"]] == [f"2026-0{m}" for m in range(1, 7)]
    assert body["monthly"][1]["to"] == "2026-02-28"
    assert [m["indicators"]["waste_points_per_10k"] for m in body["monthly"]] == [
        0.5,
        0.5,
        0.5,
        0.5,
        1.0,
        1.0,
    ]
    assert body["monthly"][1]["indicators"]["overdue_percent"] == pytest.approx(100)


@pytest.mark.parametrize(
    ("path", "params", "code", "words"),
    [
        (URL, {**RANGE, "jurisdiction": "atlantis"}, "unknown_jurisdiction", "Unknown jurisdiction"),
        (f"{URL}districts/north/", RANGE, "unknown_district", "has no district 'north'"),
        (URL, {**RANGE, "from": "2026-13-01"}, "invalid_date", "from must be a date written YYYY-MM-DD"),
        (URL, {**RANGE, "to": "30/06/2026"}, "invalid_date", "to must be a date written YYYY-MM-DD"),
        (URL, {**RANGE, "from": "2026-02-30"}, "invalid_date", "from must be a date"),
        (URL, {**RANGE, "from": "2026-07-01"}, "range_reversed", "is after to"),
        (URL, {**RANGE, "from": "2010-01-01"}, "range_too_long", "longer than 3653 days"),
        (URL, {**RANGE, "format": "xlsx"}, "unknown_format", "format must be json or csv"),
    ],
)
def test_bad_input_is_a_400_that_says_what_to_fix(api_client, town, path, params, code, words):
    with translation.override("en"):
        response = api_client.get(path, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]


def test_ten_years_are_accepted(api_client, town):
    response = api_client.get(URL, {**RANGE, "from": "2016-07-02"})
    assert response.status_code == 200


def test_the_schema_documents_both_endpoints(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    listing = paths["/api/v1/indicators/"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"jurisdiction", "from", "to", "format"}
    assert "text/csv" in listing["responses"]["200"]["content"]
    assert "/api/v1/indicators/districts/{district_code}/" in paths


def test_a_fixed_number_of_queries_whatever_the_number_of_districts_and_months(
    api_client, town, django_assert_num_queries
):
    # Jurisdiction; the four indicator statements; the bookable spaces, their weekly hours and
    # their exceptions (venues.hours). Twelve districts more or a longer trend change nothing.
    with django_assert_num_queries(8):
        assert api_client.get(URL, RANGE).status_code == 200
    with django_assert_num_queries(9):  # and the district (east: the one with a venue)
        assert api_client.get(f"{URL}districts/east/", {**RANGE, "from": "2024-01-01"}).status_code == 200
    for n in range(12):
        DistrictFactory.create(
            jurisdiction=town.jurisdiction, code=f"extra-{n}", geom=square(46.7, 24.6 + n * 0.01, 0.01)
        )
    with django_assert_num_queries(8):
        body = api_client.get(URL, RANGE).json()
    assert len(body["districts"]) == 14


def test_a_jurisdiction_without_districts_has_nothing_computable(api_client, db):
    JurisdictionFactory.create(code="empty-town")
    body = api_client.get(URL, {**RANGE, "jurisdiction": "empty-town"}).json()
    assert body["districts"] == []
    assert body["total"]["population"] is None
    assert body["total"]["indicators"]["green_m2_per_resident"] is None
    assert body["total"]["indicators"]["park_access_area_percent"] is None
    assert body["total"]["indicators"]["sidewalk_km_done"] == 0

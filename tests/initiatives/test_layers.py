"""The initiatives' layers: registered one geometry type each, readable through OGC API Features,
public attributes only; and the Amman demo's initiatives on them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.gis.geos import LineString, MultiPoint, Point
from django.test import Client

from geo_services.initiatives.models import Initiative
from layers.registry import registry
from tests.initiatives.factories import InitiativeFactory, box, sidewalk, station

LAYERS = {
    "green-spaces": "Polygon",
    "trees": "MultiPoint",
    "sidewalks": "LineString",
    "waste-points": "Point",
}


def items(client: Client, layer_id: str, **params: str) -> dict:
    response = client.get(f"/ogc/collections/{layer_id}/items", {"f": "json", **params})
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def test_each_layer_is_registered_with_one_geometry_type_over_the_initiatives():
    for layer_id, geometry_type in LAYERS.items():
        layer = registry.get(layer_id)
        assert layer is not None, layer_id
        assert layer.geometry_type == geometry_type
        assert layer.model is Initiative
        assert layer.readers is None  # public
        assert "budget" not in layer.attribute_by_name


@pytest.fixture
def mapped(city) -> dict[str, Initiative]:
    parks = {"jurisdiction": city.jurisdiction, "department": city.parks}
    return {
        "park": InitiativeFactory.create(**parks, planned_start=date(2026, 2, 1)),
        "strip": InitiativeFactory.create(
            **parks, feature_type="planted_strip", geom=box(46.75, 24.61, 46.76, 24.611)
        ),
        "trees": InitiativeFactory.create(
            **parks,
            feature_type="trees",
            geom=MultiPoint(Point(46.64, 24.64), Point(46.645, 24.64), srid=4326),
        ),
        "sidewalk": sidewalk(
            city, LineString((46.61, 24.61), (46.62, 24.615), srid=4326), surface="concrete", ramps_count=2
        ),
        "station": station(city, Point(46.75, 24.65, srid=4326)),
    }


def test_every_layer_holds_exactly_its_feature_types(client, city, mapped):
    expected = {
        "green-spaces": {mapped["park"].pk, mapped["strip"].pk},
        "trees": {mapped["trees"].pk},
        "sidewalks": {mapped["sidewalk"].pk},
        "waste-points": {mapped["station"].pk},
    }
    for layer_id, ids in expected.items():
        document = items(client, layer_id)
        assert {f["id"] for f in document["features"]} == ids, layer_id
        assert document["numberMatched"] == len(ids)
        assert {f["geometry"]["type"] for f in document["features"]} == {LAYERS[layer_id]}


def test_green_space_attributes_are_the_public_ones(client, city, mapped):
    document = items(client, "green-spaces", code=mapped["park"].code)
    (feature,) = document["features"]
    properties = feature["properties"]
    park = Initiative.objects.get(pk=mapped["park"].pk)
    assert properties["district_code"] == city.west.code
    assert properties["jurisdiction"] == city.jurisdiction.code
    assert properties["area_m2"] == pytest.approx(park.area_m2)
    assert properties["status"] == "planned"
    assert properties["progress_percent"] == 0
    assert properties["planned_start"] == "2026-02-01"
    assert "budget" not in properties


def test_sidewalk_attributes_include_length_width_surface_and_ramps(client, city, mapped):
    (feature,) = items(client, "sidewalks")["features"]
    properties = feature["properties"]
    assert properties["length_m"] > 1000
    assert (properties["width_m"], properties["surface"], properties["ramps_count"]) == (3, "concrete", 2)


def test_the_amman_demo_initiatives_are_on_the_layers(client, amman):
    green = items(client, "green-spaces", jurisdiction="amman")
    assert {f["properties"]["code"] for f in green["features"]} == {
        "demo-king-hussein-park-east",
        "demo-ras-al-ain-garden",
        "demo-zahran-planted-strip",
    }
    districts = {f["properties"]["code"]: f["properties"]["district_code"] for f in green["features"]}
    assert districts["demo-ras-al-ain-garden"] == "ras-al-ain"
    (rainbow,) = items(client, "sidewalks", jurisdiction="amman")["features"]
    assert rainbow["properties"]["district_code"] == "al-madina"
    assert 500 < rainbow["properties"]["length_m"] < 650
    assert len(items(client, "waste-points", jurisdiction="amman")["features"]) == 3
    assert len(items(client, "trees", jurisdiction="amman")["features"]) == 1

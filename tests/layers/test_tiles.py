"""Vector tiles at /tiles/: decoded tiles hold exactly the public features of the tile, simplified or
clustered at low zooms; TileJSON; ETag and Cache-Control; permissions; every kind of bad address."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import LinearRing, MultiPolygon, Point, Polygon
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.utils import translation

from geo_services.core.models import District
from geo_services.core.roles import Role
from geo_services.venues.models import Venue, VenueKind
from layers.registry import registry
from layers.tiles import service
from tests.factories import UserFactory

MVT = "application/vnd.mapbox-vector-tile"
UNITS = 4096  # MVT units across a tile
HALF_WORLD = 20_037_508.342_789_244  # metres from the Web Mercator origin to the edge of the world
# A point in central Amman and the zoom-14 tile around it.
AMMAN = (35.93, 31.95)
Z = 14


def mercator(lon: float, lat: float) -> tuple[float, float]:
    x = lon * HALF_WORLD / 180
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * HALF_WORLD / math.pi
    return x, y


def lon_lat(x: float, y: float) -> tuple[float, float]:
    return x * 180 / HALF_WORLD, math.degrees(2 * math.atan(math.exp(y * math.pi / HALF_WORLD)) - math.pi / 2)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    x, y = mercator(lon, lat)
    size = 2 * HALF_WORLD / 2**z
    return int((x + HALF_WORLD) // size), int((HALF_WORLD - y) // size)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """min x, min y, max x, max y of the tile in Web Mercator metres."""
    size = 2 * HALF_WORLD / 2**z
    return (
        -HALF_WORLD + x * size,
        HALF_WORLD - (y + 1) * size,
        -HALF_WORLD + (x + 1) * size,
        HALF_WORLD - y * size,
    )


def at_units(z: int, x: int, y: int, ux: float, uy: float) -> Point:
    """The WGS84 point at tile units (ux, uy) of tile z/x/y, counted from its south-west corner."""
    min_x, min_y, max_x, _ = tile_bounds(z, x, y)
    unit = (max_x - min_x) / UNITS
    return Point(*lon_lat(min_x + ux * unit, min_y + uy * unit), srid=4326)


def decode(response) -> list[dict[str, Any]]:
    """The features of the tile's one layer (y counted upwards from the tile's south-west corner)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == MVT
    layers = mapbox_vector_tile.decode(response.content)
    assert len(layers) == 1
    (layer,) = layers.values()
    assert layer["extent"] == UNITS
    return layer["features"]


def layer_name(response) -> str:
    return next(iter(mapbox_vector_tile.decode(response.content)))


def public_venue_ids_in_tile(z: int, x: int, y: int) -> set[int]:
    """What PostGIS itself says is in the tile: active venues intersecting the tile's envelope."""
    return ids_in_tile(
        "SELECT id FROM venues_venue WHERE active AND ST_Intersects(location, {tile})", z, x, y
    )


def ids_in_tile(sql: str, z: int, x: int, y: int) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(tile="ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)"), [z, x, y])
        return {row[0] for row in cursor.fetchall()}


def public_properties(layer_id: str, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The layer's public attributes of these features, read from its table."""
    layer = registry.get(layer_id)
    assert layer is not None
    columns = ", ".join(f'"{attribute.column}"' for attribute in layer.attributes)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{layer.id_column}", {columns} FROM "{layer.table}" WHERE "{layer.id_column}" = ANY(%s)',
            [list(ids)],
        )
        return {
            row[0]: {
                attribute.name: value for attribute, value in zip(layer.attributes, row[1:], strict=True)
            }
            for row in cursor.fetchall()
        }


def vertex_count(geometry: dict[str, Any]) -> int:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return sum(len(ring) for polygon in polygons for ring in polygon)


def error_of(response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]
    return error


def english(client: Client, url: str, **kwargs: Any):
    with translation.override("en"):
        return client.get(url, headers={"Accept-Language": "en"}, **kwargs)


def make_venue(amman, code: str, location: Point, *, active: bool = True, capacity: int | None = 40) -> Venue:
    return Venue.objects.create(
        jurisdiction=amman,
        district=District.objects.filter(jurisdiction=amman)[0],
        kind=VenueKind.HALL,
        code=code,
        name_ar=f"قاعة {code}",
        name_en=f"Hall {code}",
        location=location,
        capacity=capacity,
        active=active,
    )


@pytest.fixture(autouse=True)
def _fresh_tiles() -> Iterator[None]:
    # Built tiles are cached between requests; every test builds its own data.
    caches[service.TILE_CACHE].clear()
    yield
    caches[service.TILE_CACHE].clear()


@pytest.fixture
def tile_xy() -> tuple[int, int]:
    return tile_of(*AMMAN, Z)


@pytest.fixture
def venues_around_tile(amman, tile_xy) -> dict[str, Venue]:
    """Venues inside tile Z/x/y, just outside it (within the buffer lines get), far away, and one inactive."""
    x, y = tile_xy
    return {
        "inside": make_venue(amman, "inside", at_units(Z, x, y, 1000, 3000)),
        "inside_edge": make_venue(amman, "inside-edge", at_units(Z, x, y, 4090, 10), capacity=None),
        "just_east": make_venue(amman, "just-east", at_units(Z, x, y, UNITS + 10, 2000)),
        "just_north": make_venue(amman, "just-north", at_units(Z, x, y, 2000, UNITS + 10)),
        "far": make_venue(amman, "far", at_units(Z, x, y, 5 * UNITS, -7 * UNITS)),
        "inactive": make_venue(amman, "inactive", at_units(Z, x, y, 2000, 2000), active=False),
    }


@pytest.fixture
def zigzag_district(amman) -> District:
    """A square district ~1 km wide whose south edge zigzags by 3 tile units at zoom 12.

    The zigzag is finer than a pixel at zoom 12 (simplified away) but 12 units tall at zoom 14 (kept);
    without simplification it would survive at zoom 12 as well, since it is coarser than the MVT grid.
    """
    x14, y14 = tile_of(*AMMAN, 14)
    min_x, min_y, max_x, max_y = tile_bounds(14, x14, y14)
    unit12 = (max_x - min_x) * 4 / UNITS
    left, bottom = (min_x + max_x) / 2 - 200 * unit12, (min_y + max_y) / 2 - 200 * unit12
    south = [(left + step * 10 * unit12, bottom + (3 * unit12 if step % 2 else 0)) for step in range(0, 41)]
    ring = [*south, (left + 400 * unit12, bottom + 400 * unit12), (left, bottom + 400 * unit12), south[0]]
    polygon = Polygon(LinearRing([lon_lat(*corner) for corner in ring]), srid=4326)
    return District.objects.create(
        jurisdiction=amman, code="zigzag", name_ar="متعرجة", name_en="Zigzag", geom=MultiPolygon(polygon)
    )


class TestTileContent:
    def test_a_tile_holds_exactly_the_public_venues_in_it(
        self, client, venues_around_tile, tile_xy, settings
    ):
        settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM = Z
        x, y = tile_xy
        response = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        features = decode(response)
        assert layer_name(response) == "venues"
        ids = {feature["id"] for feature in features}
        assert ids == public_venue_ids_in_tile(Z, x, y)
        assert {venues_around_tile["inside"].pk, venues_around_tile["inside_edge"].pk} <= ids
        for outside in ("just_east", "just_north", "far", "inactive"):
            assert venues_around_tile[outside].pk not in ids

    def test_properties_are_the_public_attributes(self, client, venues_around_tile, tile_xy, settings):
        settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM = Z
        x, y = tile_xy
        features = decode(client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt"))
        by_id = {feature["id"]: feature for feature in features}
        expected = public_properties("venues", set(by_id))
        assert {"code", "kind", "name_ar", "name_en", "capacity"} <= set(
            expected[venues_around_tile["inside"].pk]
        )
        for venue_id, properties in expected.items():
            # MVT has no null: an empty attribute is left out.
            assert by_id[venue_id]["properties"] == {k: v for k, v in properties.items() if v is not None}
        assert by_id[venues_around_tile["inside"].pk]["properties"]["capacity"] == 40
        assert "capacity" not in by_id[venues_around_tile["inside_edge"].pk]["properties"]

    def test_points_are_placed_where_they_are(self, client, venues_around_tile, tile_xy, settings):
        settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM = Z
        x, y = tile_xy
        features = decode(client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt"))
        inside = next(f for f in features if f["id"] == venues_around_tile["inside"].pk)
        assert inside["geometry"]["type"] == "Point"
        ux, uy = inside["geometry"]["coordinates"]
        assert abs(ux - 1000) <= 1
        assert abs(uy - 3000) <= 1

    def test_a_tile_without_features_is_no_content(self, client, venues_around_tile):
        x, y = tile_of(-30.0, 10.0, Z)  # the Atlantic
        response = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        assert response.status_code == 204
        assert response.content == b""
        assert response["ETag"]
        assert response["Cache-Control"].startswith("public")

    def test_a_polygon_is_simplified_at_low_zoom_but_present(self, client, zigzag_district):
        stored_vertices = zigzag_district.geom.num_coords
        assert stored_vertices > 40

        def district_feature(z: int) -> dict[str, Any]:
            x, y = tile_of(*AMMAN, z)
            features = decode(client.get(f"/tiles/districts/{z}/{x}/{y}.mvt"))
            return next(f for f in features if f["id"] == zigzag_district.pk)

        assert vertex_count(district_feature(14)["geometry"]) >= 40  # the zigzag is kept when visible
        low = district_feature(12)
        assert vertex_count(low["geometry"]) <= 10
        assert low["properties"]["code"] == "zigzag"
        assert district_feature(9)["properties"]["name_en"] == "Zigzag"

    def test_points_are_clustered_with_counts_at_low_zoom(self, client, amman, settings):
        settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM = 13
        z = 12
        x, y = tile_of(*AMMAN, z)
        # Twenty venues close together (one cell), five spread over the tile, one inactive.
        for index in range(20):
            make_venue(amman, f"crowd-{index}", at_units(z, x, y, 2000 + index, 2000 + index))
        for index in range(5):
            make_venue(amman, f"spread-{index}", at_units(z, x, y, 300 + 800 * index, 3900 - 700 * index))
        make_venue(amman, "closed", at_units(z, x, y, 2005, 2005), active=False)
        # A few centimetres outside the tile: in no cell of it (single-precision boxes would let it in).
        for index in range(4):
            make_venue(
                amman, f"ledge-{index}", at_units(z, x, y, UNITS + 0.02 * (index + 1), 1000 + 700 * index)
            )
        expected = len(public_venue_ids_in_tile(z, x, y))
        assert expected >= 25

        features = decode(client.get(f"/tiles/venues/{z}/{x}/{y}.mvt"))
        assert all(set(f["properties"]) == {"count"} for f in features)
        assert all(f.get("id", 0) == 0 for f in features)  # the decoder's 0 stands for "no id"
        counts = [f["properties"]["count"] for f in features]
        assert sum(counts) == expected
        assert max(counts) >= 20
        assert len(features) < expected

        # From the threshold on, the same points come one by one with their attributes.
        lon, lat = at_units(z, x, y, 2000, 2000).coords
        x13, y13 = tile_of(lon, lat, 13)
        single = decode(client.get(f"/tiles/venues/13/{x13}/{y13}.mvt"))
        assert {f["id"] for f in single} == public_venue_ids_in_tile(13, x13, y13)
        assert all("count" not in f["properties"] for f in single)


class TestEveryLayer:
    def test_every_registered_layer_serves_tiles_and_tilejson(self, client, amman):
        """Each domain app's layer (views, conditions, geometry types) goes through the tile SQL."""
        reader = UserFactory.create(roles=[role.value for role in Role])
        client.force_login(reader)
        x, y = tile_of(*AMMAN, 10)
        layers = registry.all()
        assert {"districts", "venues"} <= {layer.id for layer in layers}
        for layer in layers:
            for z, tx, ty in ((10, x, y), (16, *tile_of(*AMMAN, 16))):
                response = client.get(f"/tiles/{layer.id}/{z}/{tx}/{ty}.mvt")
                assert response.status_code in (200, 204), (layer.id, response.content[:300])
                if response.status_code == 200:
                    assert layer_name(response) == layer.id
            document = client.get(f"/tiles/{layer.id}.json").json()
            assert document["vector_layers"][0]["id"] == layer.id


class TestTileJson:
    def test_fields_and_absolute_tile_url(self, client, venues_around_tile, settings):
        settings.AMANAH_TILE_MAX_ZOOM = 20
        response = english(client, "/tiles/venues.json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        document = response.json()
        assert document["tilejson"] == "3.0.0"
        assert document["name"] == "Venues"
        assert document["description"].startswith("Halls")
        assert document["tiles"] == ["http://testserver/tiles/venues/{z}/{x}/{y}.mvt"]
        assert (document["minzoom"], document["maxzoom"]) == (0, 20)
        extent = Venue.objects.filter(active=True).aggregate(e=Extent("location"))["e"]
        assert document["bounds"] == pytest.approx(list(extent))
        lon, lat, zoom = document["center"]
        assert extent[0] <= lon <= extent[2]
        assert extent[1] <= lat <= extent[3]
        assert 0 <= zoom <= 20
        (vector_layer,) = document["vector_layers"]
        assert vector_layer["id"] == "venues"
        layer = registry.get("venues")
        assert layer is not None
        mvt_types = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean"}
        assert vector_layer["fields"] == {
            **{attribute.name: mvt_types[attribute.type] for attribute in layer.attributes},
            "count": "Number",
        }
        assert vector_layer["fields"]["capacity"] == "Number"
        assert vector_layer["fields"]["name_en"] == "String"

    def test_arabic_by_default(self, client, amman):
        document = client.get("/tiles/districts.json").json()
        assert document["name"] == "المناطق"
        assert "count" not in document["vector_layers"][0]["fields"]

    def test_the_tile_url_template_serves_tiles(self, client, venues_around_tile, tile_xy):
        template = client.get("/tiles/venues.json").json()["tiles"][0]
        x, y = tile_xy
        url = template.replace("http://testserver", "").format(z=Z, x=x, y=y)
        assert client.get(url).status_code == 200


class TestCaching:
    def test_etag_and_not_modified(self, client, venues_around_tile, tile_xy):
        x, y = tile_xy
        first = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        etag = first["ETag"]
        assert etag.startswith('"')
        assert etag.endswith('"')
        again = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == etag
        other = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt", headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200
        assert other.content == first.content
        neighbour = client.get(f"/tiles/venues/{Z}/{x}/{y - 1}.mvt")
        assert neighbour["ETag"] != etag

    def test_head_answers_the_headers_only(self, client, venues_around_tile, tile_xy):
        x, y = tile_xy
        response = client.head(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        assert response.status_code == 200
        assert response["Content-Type"] == MVT
        assert response["ETag"]
        assert response.content == b""

    def test_public_layers_are_public_restricted_are_private(
        self, client, amman, planners_only_layer, user_with_role, settings
    ):
        settings.AMANAH_TILE_MAX_AGE_SECONDS = 123
        x, y = tile_of(*AMMAN, 10)
        assert client.get(f"/tiles/districts/10/{x}/{y}.mvt")["Cache-Control"] == "public, max-age=123"
        assert client.get("/tiles/districts.json")["Cache-Control"] == "public, max-age=123"
        client.force_login(user_with_role("planner"))
        restricted = client.get(f"/tiles/planning-districts/10/{x}/{y}.mvt")
        assert restricted.status_code == 200
        assert restricted["Cache-Control"] == "private, max-age=123"
        assert client.get("/tiles/planning-districts.json")["Cache-Control"] == "private, max-age=123"

    def test_a_cached_tile_is_answered_without_the_database(
        self, client, venues_around_tile, tile_xy, django_assert_num_queries
    ):
        x, y = tile_xy
        first = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        Venue.objects.filter(pk=venues_around_tile["inside"].pk).update(active=False)
        with django_assert_num_queries(0):
            second = client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt")
        # Until the cache entry expires the tile is the one built first (bounded staleness).
        assert second.content == first.content

    def test_the_cached_tile_takes_well_under_a_millisecond(self, venues_around_tile, tile_xy):
        x, y = tile_xy
        layer = registry.get("venues")
        assert layer is not None
        content = service.tile_bytes(layer, Z, x, y)
        assert content
        rounds = 200
        started = time.perf_counter()
        for _ in range(rounds):
            assert service.tile_bytes(layer, Z, x, y) == content
        assert (time.perf_counter() - started) / rounds < 0.001

    def test_the_cache_expires(self, client, venues_around_tile, tile_xy, settings):
        settings.AMANAH_TILE_CACHE_SECONDS = 0  # nothing is kept
        x, y = tile_xy
        before = decode(client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt"))
        Venue.objects.filter(pk=venues_around_tile["inside"].pk).update(active=False)
        after = decode(client.get(f"/tiles/venues/{Z}/{x}/{y}.mvt"))
        assert len(after) == len(before) - 1


class TestPermissions:
    def test_a_restricted_layer_is_unknown_to_others(
        self, client, amman, planners_only_layer, user_with_role
    ):
        x, y = tile_of(*AMMAN, 10)
        url = f"/tiles/planning-districts/10/{x}/{y}.mvt"
        for who in (None, "citizen"):
            if who:
                client.force_login(user_with_role(who))
            hidden = error_of(english(client, url), 404)
            unknown = error_of(english(client, f"/tiles/no-such-layer/10/{x}/{y}.mvt"), 404)
            assert hidden["code"] == unknown["code"] == "unknown_layer"
            assert "planning-districts" not in hidden["message"].split("Layers:")[1]
            assert error_of(client.get("/tiles/planning-districts.json"), 404)["code"] == "unknown_layer"

    def test_a_planner_reads_it(self, client, amman, planners_only_layer, user_with_role):
        client.force_login(user_with_role("planner"))
        x, y = tile_of(*AMMAN, 10)
        response = client.get(f"/tiles/planning-districts/10/{x}/{y}.mvt")
        assert layer_name(response) == "planning-districts"
        in_tile = ids_in_tile("SELECT id FROM core_district WHERE ST_Intersects(geom, {tile})", 10, x, y)
        assert len(in_tile) > 1
        assert {f["id"] for f in decode(response)} == in_tile
        assert client.get("/tiles/planning-districts.json").json()["vector_layers"][0]["id"] == (
            "planning-districts"
        )

    def test_a_tile_cached_for_a_planner_is_not_served_to_others(
        self, client, amman, planners_only_layer, user_with_role, django_assert_num_queries
    ):
        x, y = tile_of(*AMMAN, 10)
        url = f"/tiles/planning-districts/10/{x}/{y}.mvt"
        planner = Client()
        planner.force_login(user_with_role("planner"))
        assert planner.get(url).status_code == 200
        with django_assert_num_queries(0):  # the tile is in the cache now
            assert service.tile_bytes(planners_only_layer, 10, x, y)
        assert client.get(url).status_code == 404
        client.force_login(user_with_role("citizen"))
        assert client.get(url).status_code == 404
        etag = planner.get(url)["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


class TestBadAddresses:
    @pytest.mark.parametrize(
        ("url", "status", "code", "words"),
        [
            ("/tiles/venues/23/0/0.mvt", 400, "invalid_tile_address", "from 0 to 22"),
            ("/tiles/venues/-1/0/0.mvt", 400, "invalid_tile_address", "from 0 to 22"),
            ("/tiles/venues/a/0/0.mvt", 400, "invalid_tile_address", "'a'"),
            ("/tiles/venues/1.5/0/0.mvt", 400, "invalid_tile_address", "whole number"),
            ("/tiles/venues/2/4/0.mvt", 400, "invalid_tile_address", "At zoom 2 the tile x"),
            ("/tiles/venues/2/-1/0.mvt", 400, "invalid_tile_address", "from 0 to 3"),
            ("/tiles/venues/2/0/4.mvt", 400, "invalid_tile_address", "At zoom 2 the tile y"),
            ("/tiles/venues/2/0/y.mvt", 400, "invalid_tile_address", "tile y"),
            ("/tiles/venues/0/0/0.png", 400, "unknown_format", ".mvt"),
            ("/tiles/venues/0/0/0", 400, "unknown_format", ".mvt"),
            ("/tiles/venues/0/0/0.mvt?size=512", 400, "unknown_parameter", "size"),
            ("/tiles/venues.xml", 400, "unknown_format", ".json"),
            ("/tiles/venues", 400, "unknown_format", ".json"),
            ("/tiles/no-such-layer/0/0/0.mvt", 404, "unknown_layer", "venues"),
            ("/tiles/no-such-layer.json", 404, "unknown_layer", "venues"),
            ("/tiles/venues/0/0", 404, "not_found", "/tiles/{layer}/{z}/{x}/{y}.mvt"),
            ("/tiles/venues/0/0/0/0.mvt", 404, "not_found", "/tiles/{layer}/{z}/{x}/{y}.mvt"),
            ("/tiles/", 404, "not_found", "/tiles/{layer}.json"),
        ],
    )
    def test_refused_with_a_message(self, client, amman, url, status, code, words):
        error = error_of(english(client, url), status)
        assert error["code"] == code
        assert words in error["message"]

    def test_the_deepest_zoom_is_a_setting(self, client, amman, settings):
        settings.AMANAH_TILE_MAX_ZOOM = 16
        assert error_of(english(client, "/tiles/venues/17/0/0.mvt"), 400)["message"].count("16") == 1
        assert client.get("/tiles/venues/16/0/0.mvt").status_code == 204

    def test_writing_is_refused(self, client, amman):
        assert client.post("/tiles/venues/0/0/0.mvt").status_code == 405
        assert client.delete("/tiles/venues.json").status_code == 405

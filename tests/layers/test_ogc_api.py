"""OGC API - Features Part 1 (Core) at /ogc/: required fields, links, paging, filters and refusals."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.db.models import Extent
from django.test import Client

from geo_services.core.models import District
from geo_services.venues.models import Venue
from layers.registry import Attribute, Layer, LayerRegistry

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


def get_json(
    client: Client,
    url: str,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> dict[str, Any]:
    response = client.get(url, params, headers=headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == media_type
    return response.json()


def rels(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The first link of each relation (a relation may come in several media types)."""
    found: dict[str, dict[str, str]] = {}
    for link in document["links"]:
        found.setdefault(link["rel"], link)
    return found


def path_of(href: str) -> str:
    """A link's path and query, for the test client (links are absolute)."""
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


class TestLandingAndConformance:
    def test_landing_page_links(self, client, db):
        document = get_json(client, "/ogc/")
        links = rels(document)
        assert {"self", "service-desc", "conformance", "data"} <= set(links)
        assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
        assert links["data"]["href"].endswith("/ogc/collections")
        assert links["conformance"]["href"].endswith("/ogc/conformance")
        assert document["title"]

    def test_the_api_definition_is_openapi_3_with_the_limit_maximum(self, client, db, settings):
        settings.AMANAH_OGC_MAX_LIMIT = 500
        landing = get_json(client, "/ogc/")
        definition = get_json(
            client,
            path_of(rels(landing)["service-desc"]["href"]),
            "application/vnd.oai.openapi+json;version=3.0",
        )
        assert definition["openapi"].startswith("3.0")
        items = definition["paths"]["/collections/venues/items"]["get"]
        limit = next(p for p in items["parameters"] if p["name"] == "limit")
        assert limit["schema"]["maximum"] == 500
        assert {"kind", "bbox", "offset"} <= {p["name"] for p in items["parameters"]}

    def test_conformance_classes(self, client, db):
        document = get_json(client, "/ogc/conformance")
        assert set(document["conformsTo"]) == {
            CORE,
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        }


class TestCollections:
    def test_every_public_layer_is_listed_with_id_title_links_and_extent(self, client, venues):
        document = get_json(client, "/ogc/collections")
        assert "self" in rels(document)
        by_id = {c["id"]: c for c in document["collections"]}
        assert {"districts", "venues"} <= set(by_id)
        for collection in by_id.values():
            assert collection["title"]
            assert collection["itemType"] == "feature"
            links = rels(collection)
            assert links["self"]["href"].endswith(f"/ogc/collections/{collection['id']}?f=json")
            assert links["items"]["type"] == "application/geo+json"
        # The extent is the public rows' box, checked against Django's own Extent aggregate.
        expected = Venue.objects.filter(active=True).aggregate(box=Extent("location"))["box"]
        assert by_id["venues"]["extent"]["spatial"]["bbox"][0] == pytest.approx(list(expected))
        assert by_id["venues"]["extent"]["spatial"]["crs"].endswith("CRS84")

    def test_one_collection(self, client, venues):
        document = get_json(client, "/ogc/collections/districts", headers={"accept-language": "en"})
        assert document["id"] == "districts"
        assert document["title"] == "Districts"
        expected = District.objects.aggregate(box=Extent("geom"))["box"]
        assert document["extent"]["spatial"]["bbox"][0] == pytest.approx(list(expected))

    def test_titles_follow_the_language(self, client, db):
        document = get_json(client, "/ogc/collections/venues", headers={"accept-language": "ar"})
        assert document["title"] == "المرافق"

    def test_the_extent_is_computed_once_then_cached(self, client, venues, django_assert_num_queries):
        client.get("/ogc/collections/venues")
        with django_assert_num_queries(0):
            assert client.get("/ogc/collections/venues").status_code == 200


class TestItems:
    def test_a_page_is_a_feature_collection(self, client, venues):
        document = get_json(client, "/ogc/collections/venues/items", "application/geo+json", limit=5)
        assert document["type"] == "FeatureCollection"
        assert document["numberReturned"] == len(document["features"]) == 5
        assert document["numberMatched"] == len(venues)
        assert document["timeStamp"].endswith("Z")
        feature = document["features"][0]
        assert feature["type"] == "Feature"
        assert feature["id"] == venues[0].id
        assert feature["geometry"]["type"] == "Point"
        assert feature["geometry"]["coordinates"] == pytest.approx(
            [venues[0].location.x, venues[0].location.y]
        )
        assert set(feature["properties"]) == {
            "code",
            "kind",
            "name_ar",
            "name_en",
            "capacity",
            "district_code",
            "jurisdiction",
        }
        assert feature["properties"]["district_code"] == venues[0].district.code
        links = rels(document)
        assert {"self", "alternate", "collection", "next"} <= set(links)
        assert "prev" not in links

    def test_one_page_is_one_query(self, client, venues, django_assert_num_queries):
        with django_assert_num_queries(1):
            assert client.get("/ogc/collections/venues/items?limit=5").status_code == 200

    def test_next_and_prev_links_walk_every_public_feature_once(self, client, venues):
        url = "/ogc/collections/venues/items?limit=5"
        seen: list[int] = []
        pages = []
        while url:
            page = get_json(client, url, "application/geo+json")
            pages.append(page)
            seen += [f["id"] for f in page["features"]]
            links = rels(page)
            url = path_of(links["next"]["href"]) if "next" in links else ""
        assert seen == [v.id for v in venues]  # each once, in id order; the inactive venue never
        assert [p["numberReturned"] for p in pages] == [5, 5, 2]
        second = rels(pages[1])
        assert parse_qs(urlsplit(second["prev"]["href"]).query).get("offset") is None  # back to the start
        assert parse_qs(urlsplit(second["next"]["href"]).query)["offset"] == ["10"]
        assert parse_qs(urlsplit(rels(pages[2])["prev"]["href"]).query)["offset"] == ["5"]

    def test_filters_are_kept_in_the_paging_links(self, client, venues):
        page = get_json(client, "/ogc/collections/venues/items", "application/geo+json", kind="park", limit=1)
        query = parse_qs(urlsplit(rels(page)["next"]["href"]).query)
        assert query["kind"] == ["park"] and query["limit"] == ["1"] and query["offset"] == ["1"]  # noqa: PT018

    def test_bbox_selects_the_features_inside(self, client, venues):
        xs = sorted(v.location.x for v in venues)
        ys = sorted(v.location.y for v in venues)
        box = (xs[2] - 1e-9, ys[2] - 1e-9, xs[-3] + 1e-9, ys[-3] + 1e-9)
        expected = [
            v.id for v in venues if box[0] <= v.location.x <= box[2] and box[1] <= v.location.y <= box[3]
        ]
        assert 0 < len(expected) < len(venues)
        page = get_json(
            client, "/ogc/collections/venues/items", "application/geo+json", bbox=",".join(map(str, box))
        )
        assert [f["id"] for f in page["features"]] == expected
        assert page["numberMatched"] == len(expected)

    def test_a_declared_attribute_filters(self, client, venues):
        page = get_json(client, "/ogc/collections/venues/items", "application/geo+json", kind="sports_pitch")
        assert page["numberReturned"] == 2
        assert {f["properties"]["kind"] for f in page["features"]} == {"sports_pitch"}

    def test_one_feature(self, client, venues):
        venue = venues[3]
        feature = get_json(client, f"/ogc/collections/venues/items/{venue.id}", "application/geo+json")
        assert feature["type"] == "Feature"
        assert feature["id"] == venue.id
        assert feature["properties"]["code"] == venue.code
        assert {"self", "alternate", "collection"} <= set(rels(feature))

    def test_an_inactive_venue_is_not_published(self, client, venues):
        closed = Venue.objects.get(code="closed-park")
        assert client.get(f"/ogc/collections/venues/items/{closed.id}").status_code == 404


def error_of(response) -> dict[str, Any]:
    return response.json()["error"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("bbox=36,32,35,31", "invalid_bbox"),  # max before min
            ("bbox=35.9,31.9,35.8,32", "invalid_bbox"),  # longitudes swapped
            ("bbox=31.9,35.8,32,95", "invalid_bbox"),  # latitude out of range
            ("bbox=35,31,36", "invalid_bbox"),
            ("bbox=35,31,36,32,0,10", "invalid_bbox"),
            ("bbox=35,31,nan,32", "invalid_input"),
            ("limit=10001", "limit_too_large"),
            ("limit=ten", "not_an_integer"),
            ("limit=-1", "out_of_range"),
            ("limit=0", "out_of_range"),
            ("offset=-5", "out_of_range"),
            ("colour=red", "unknown_parameter"),
            ("kind=park&kind=hall", "repeated_parameter"),
            ("capacity=lots", "not_an_integer"),
            ("f=xml", "unknown_format"),
        ],
    )
    def test_items_parameters_are_checked(self, client, db, query, code):
        response = client.get(f"/ogc/collections/venues/items?{query}")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        error = error_of(response)
        assert error["code"] == code
        assert error["message"]

    def test_limit_maximum_comes_from_the_settings(self, client, db, settings):
        settings.AMANAH_OGC_MAX_LIMIT = 50
        assert client.get("/ogc/collections/venues/items?limit=50").status_code == 200
        response = client.get("/ogc/collections/venues/items?limit=51")
        assert response.status_code == 400
        assert "50" in error_of(response)["message"]

    def test_unknown_collection(self, client, db):
        response = client.get("/ogc/collections/parcels/items")
        assert response.status_code == 404
        assert error_of(response)["code"] == "unknown_collection"
        assert "venues" in error_of(response)["message"]

    @pytest.mark.parametrize("feature_id", ["999999", "abc", "1.5"])
    def test_unknown_feature(self, client, venues, feature_id):
        response = client.get(f"/ogc/collections/venues/items/{feature_id}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "unknown_feature"

    def test_unknown_format_on_the_landing_page(self, client, db):
        assert error_of(client.get("/ogc/?f=pdf"))["code"] == "unknown_format"

    def test_writing_is_refused(self, client, db):
        assert client.post("/ogc/collections/venues/items", {}).status_code == 405


class TestPermissions:
    def test_a_restricted_layer_is_hidden_from_others(
        self, client, amman, planners_only_layer, user_with_role
    ):
        ids = {c["id"] for c in get_json(client, "/ogc/collections")["collections"]}
        assert "planning-districts" not in ids
        assert client.get("/ogc/collections/planning-districts").status_code == 404
        assert client.get("/ogc/collections/planning-districts/items").status_code == 404
        client.force_login(user_with_role("citizen"))
        assert client.get("/ogc/collections/planning-districts/items").status_code == 404

    def test_a_planner_reads_it(self, client, amman, planners_only_layer, user_with_role):
        client.force_login(user_with_role("planner"))
        ids = {c["id"] for c in get_json(client, "/ogc/collections")["collections"]}
        assert "planning-districts" in ids
        page = get_json(client, "/ogc/collections/planning-districts/items", "application/geo+json")
        assert page["numberMatched"] == District.objects.count()


class TestHtml:
    @pytest.mark.parametrize(
        "url",
        [
            "/ogc/",
            "/ogc/conformance",
            "/ogc/api",
            "/ogc/collections",
            "/ogc/collections/venues",
            "/ogc/collections/venues/items?limit=5",
            "/ogc/collections/districts/items",
        ],
    )
    def test_every_resource_has_an_arabic_first_page(self, client, venues, url):
        response = client.get(url, {"f": "html"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert 'dir="rtl"' in page
        assert 'href="/ogc/?f=html"' in page  # the way back to the landing page

    def test_a_browser_gets_html_without_f(self, client, venues):
        response = client.get("/ogc/collections/venues/items", headers={"accept": "text/html,*/*"})
        assert response["Content-Type"].startswith("text/html")

    def test_items_page_has_a_map_and_a_row_per_feature(self, client, venues):
        page = client.get("/ogc/collections/venues/items", {"f": "html", "limit": 5}).content.decode()
        assert 'id="ogc-map"' in page and "leaflet.js" in page  # noqa: PT018
        for venue in venues[:5]:
            assert f"/ogc/collections/venues/items/{venue.id}?f=html" in page
        assert f"/ogc/collections/venues/items/{venues[5].id}?f=html" not in page

    def test_one_feature_page(self, client, venues):
        venue = venues[0]
        response = client.get(f"/ogc/collections/venues/items/{venue.id}", {"f": "html"})
        assert response.status_code == 200
        assert venue.name_ar in response.content.decode()


class TestRegistry:
    def test_only_plain_identifiers_reach_sql(self):
        registry = LayerRegistry()
        good = Layer(
            id="things",
            title_ar="",
            title_en="",
            description_ar="",
            description_en="",
            table="things",
            id_column="id",
            geometry_column="geom",
            geometry_type="Point",
            attributes=(Attribute("code", "code", "string", "code"),),
        )
        registry.register(good)
        for bad in (
            {"table": "things; drop table x"},
            {"geometry_column": 'geom"'},
            {"attributes": (Attribute("limit", "limit", "integer", "limit"),)},
            {"public_condition": "active; delete from things"},
        ):
            with pytest.raises(ValueError, match="things"):
                registry.register(dataclasses.replace(good, **bad))

    def test_the_domain_apps_register_their_layers(self):
        from layers.registry import registry

        districts, venues = registry.get("districts"), registry.get("venues")
        assert districts is not None and districts.model is District  # noqa: PT018
        assert venues is not None and venues.public_condition == "active"  # noqa: PT018


class TestStreamedPages:
    """Pages above AMANAH_OGC_STREAM_ABOVE are streamed from a server-side cursor, same content."""

    def read(self, client: Client, **params: Any) -> tuple[Any, dict[str, Any]]:
        response: Any = client.get("/ogc/collections/venues/items", {"f": "json", **params})
        assert response.status_code == 200
        return response, json.loads(
            b"".join(response.streaming_content if response.streaming else [response.content])
        )

    def test_a_large_page_is_streamed_with_the_same_features_and_links(self, client, venues, settings):
        _built, expected = self.read(client, limit=5, offset=2)
        settings.AMANAH_OGC_STREAM_ABOVE = 4
        response, streamed = self.read(client, limit=5, offset=2)
        assert response.streaming
        assert response["Content-Type"] == "application/geo+json"
        assert streamed["features"] == expected["features"]
        assert streamed["numberReturned"] == expected["numberReturned"] == 5
        assert streamed["numberMatched"] == expected["numberMatched"] == len(venues)
        assert {rel: path_of(link["href"]) for rel, link in rels(streamed).items()} == {
            rel: path_of(link["href"]) for rel, link in rels(expected).items()
        }

    def test_the_last_streamed_page_has_no_next_link(self, client, venues, settings):
        settings.AMANAH_OGC_STREAM_ABOVE = 4
        _response, last = self.read(client, limit=5, offset=len(venues) - 3)
        assert last["numberReturned"] == 3
        assert "next" not in rels(last)

    def test_above_the_count_cap_the_number_returned_comes_after_the_features(
        self, client, venues, settings, monkeypatch
    ):
        from layers import provider

        monkeypatch.setattr(provider, "COUNT_CAP", 3)
        settings.AMANAH_OGC_STREAM_ABOVE = 4
        response = client.get("/ogc/collections/venues/items", {"f": "json", "limit": 5})
        body = b"".join(response.streaming_content).decode()
        streamed = json.loads(body)
        assert "numberMatched" not in streamed
        assert streamed["numberReturned"] == 5 == len(streamed["features"])
        assert body.index('"numberReturned"') > body.index('"features"')
        assert "next" in rels(streamed)

"""/healthz, token authentication, roles, the OpenAPI schema and its offline docs, district list."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from geo_services.core.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"


@pytest.mark.django_db
def test_healthz_reports_database_and_postgis_versions(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert body["database"] == cursor.fetchone()[0]
    assert re.match(r"^3\.\d+", body["postgis"])


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db import DatabaseError

    from geo_services.core import selectors

    def broken():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selectors, "database_versions", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
class TestTokenAuthentication:
    def test_token_for_valid_credentials_opens_authenticated_endpoints(self, api_client):
        UserFactory.create(username="rana", roles=[Role.DISPATCHER])
        response = api_client.post(TOKEN_URL, {"username": "rana", "password": TEST_PASSWORD}, format="json")
        assert response.status_code == 200
        token = response.json()["token"]
        assert re.fullmatch(r"[0-9a-f]{40}", token)

        assert api_client.get(ME_URL).status_code == 401
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        me = api_client.get(ME_URL)
        assert me.status_code == 200
        assert me.json() == {"username": "rana", "roles": ["dispatcher"]}

    def test_same_user_gets_the_same_token(self, api_client):
        UserFactory.create(username="rana")
        credentials = {"username": "rana", "password": TEST_PASSWORD}
        first = api_client.post(TOKEN_URL, credentials, format="json").json()["token"]
        assert api_client.post(TOKEN_URL, credentials, format="json").json()["token"] == first

    def test_wrong_password_is_400_without_a_token(self, api_client):
        UserFactory.create(username="rana")
        response = api_client.post(TOKEN_URL, {"username": "rana", "password": "wrong"}, format="json")
        assert response.status_code == 400
        assert "token" not in response.json()
        assert response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            ('{"username": "rana", ', "application/json"),
            ("[1, 2, 3]", "application/json"),
            ('{"username": ["a"], "password": {"x": 1}}', "application/json"),
            ("{}", "application/json"),
            ("\xff\xfe", "application/json"),
        ],
    )
    def test_malformed_bodies_are_4xx_never_500(self, api_client, body, content_type):
        response = api_client.generic("POST", TOKEN_URL, body, content_type=content_type)
        assert 400 <= response.status_code < 500, response.content
        assert response.json()["error"]["message"]

    def test_invalid_token_is_401(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        response = api_client.get(ME_URL)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


@pytest.mark.django_db
def test_superuser_has_the_admin_role(api_client):
    admin = UserFactory.create(username="boss", is_superuser=True, is_staff=True)
    api_client.force_authenticate(admin)
    assert api_client.get(ME_URL).json()["roles"] == ["admin"]


@pytest.mark.django_db
class TestSchemaAndDocs:
    def test_schema_lists_the_core_endpoints(self, client):
        response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert response.status_code == 200
        schema = json.loads(response.content)
        assert schema["openapi"].startswith("3.")
        for path in (
            "/api/v1/districts/",
            "/api/v1/districts/lookup/",
            "/api/v1/auth/token/",
            "/api/v1/auth/me/",
        ):
            assert path in schema["paths"], path
        lookup_params = {p["name"] for p in schema["paths"]["/api/v1/districts/lookup/"]["get"]["parameters"]}
        assert lookup_params == {"lat", "lon", "jurisdiction"}

    def test_docs_page_loads_only_local_assets(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, html
        assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
        bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
        asset = client.get(bundle)
        assert asset.status_code == 200


@pytest.mark.django_db
class TestDistrictList:
    def test_feature_collection_of_one_jurisdiction(self, amman, liwa, client):
        response = client.get("/api/v1/districts/", {"jurisdiction": "amman"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/geo+json"
        collection = json.loads(response.content)
        assert collection["type"] == "FeatureCollection"
        assert len(collection["features"]) == 22
        first = collection["features"][0]
        assert first["geometry"]["type"] == "MultiPolygon"
        assert set(first["properties"]) == {"code", "name_ar", "name_en", "population", "jurisdiction"}
        assert {f["properties"]["jurisdiction"] for f in collection["features"]} == {"amman"}
        codes = [f["properties"]["code"] for f in collection["features"]]
        assert codes == sorted(codes)

    def test_all_jurisdictions_without_the_parameter(self, amman, liwa, client):
        collection = json.loads(client.get("/api/v1/districts/").content)
        assert len(collection["features"]) == 31

    def test_unknown_jurisdiction_is_400(self, amman, client):
        response = client.get("/api/v1/districts/", {"jurisdiction": "atlantis"})
        assert response.status_code == 400
        assert "amman" in response.json()["error"]["message"]

    def test_empty_jurisdiction_gives_an_empty_collection(self, client):
        from tests.factories import JurisdictionFactory

        JurisdictionFactory.create(code="riyadh")
        collection = json.loads(client.get("/api/v1/districts/", {"jurisdiction": "riyadh"}).content)
        assert collection == {"type": "FeatureCollection", "features": []}

    def test_list_is_one_query_after_the_jurisdiction(self, amman, client, django_assert_num_queries):
        with django_assert_num_queries(2):
            client.get("/api/v1/districts/", {"jurisdiction": "amman"})

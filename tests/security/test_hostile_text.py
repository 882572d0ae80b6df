"""SQL-looking and odd text in every filter of every list and search endpoint, NUL characters and
bad UTF-8 anywhere in a request: never a 5xx, nothing written.

The API's GET endpoints and their query parameters are read from the OpenAPI schema (/api/schema/),
so an endpoint added later is covered without editing this file; the pages, the OGC API and the
Open311 API, which the schema does not describe, are listed here with their parameters.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from geo_services.core.models import Jurisdiction
from tests.factories import UserFactory, make_staff
from tests.security.hostile import table_counts

pytestmark = pytest.mark.usefixtures("no_rate_limits")

# Odd but harmless text: an answer of 2xx (nothing found) or 4xx (a message) is right, 5xx never.
ODD = [
    "'; DROP TABLE core_district; --",
    "1 OR 1=1",
    "%25",  # a percent sign: LIKE's wildcard
    "_",
    "%5C",  # a backslash
    "x" * 5_000,
    "%E2%80%AE%D9%85",  # a right-to-left override and an Arabic letter
]
# Text no field can hold: always a 400 with a message, refused before any view runs.
REFUSED = ["%00", "a%00b", "%ff", "%C3%28", "%ED%A0%80"]  # NUL, bad UTF-8, an encoded surrogate

PAGES = {
    "/": ["category", "service_code", "lat", "lon"],
    "/requests/": ["token", "q"],
    "/venues/": ["q", "kind", "near", "bbox", "date", "free_from", "jurisdiction"],
    "/venues/mine/": ["status"],
    "/community/coverage/": ["jurisdiction", "service"],
    "/community/proposals/": ["jurisdiction", "status"],
    "/planning/": ["jurisdiction", "from", "to"],
    "/planning/layers/": ["layer", "bbox", "district"],
    "/dispatch/": ["status", "district", "category"],
    "/dispatch/inspections/": ["date", "district"],
    "/ogc/collections": ["f"],
    "/ogc/collections/districts/items": ["f", "bbox", "datetime", "limit", "offset", "code"],
    "/ogc/collections/venues/items": ["bbox", "kind", "name_en"],
    "/open311/v2/services.json": ["jurisdiction_id"],
    "/open311/v2/requests.json": [
        "service_code",
        "status",
        "start_date",
        "end_date",
        "service_request_id",
        "jurisdiction_id",
    ],
    "/tiles/districts.json": ["f"],
}
ALL_ROLES = ["citizen", "inspector", "dispatcher", "planner", "admin"]
PATH_SEGMENTS = [
    "/requests/{}/",
    "/venues/{}/",
    "/planning/districts/{}/",
    "/ogc/collections/{}/items",
    "/ogc/collections/districts/items/{}",
    "/tiles/districts/{}/1/1.mvt",
    "/tiles/districts/1/{}/1.mvt",
    "/tiles/districts/1/1/{}.mvt",
    "/tiles/districts/1/1/1.{}",
    "/tiles/{}.json",
    "/open311/v2/requests/{}.json",
    "/api/v1/layers/{}/features/",
    "/api/v1/indicators/districts/{}/",
    "/api/v1/field/inspections/{}/",
]


@pytest.fixture
def admin_client(amman: Jurisdiction) -> Client:
    admin = UserFactory.create(is_superuser=True, is_staff=True, roles=ALL_ROLES)
    make_staff(admin, jurisdiction=amman)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(admin)
    return client


def _schema_get_endpoints(client: Client) -> list[tuple[str, list[str]]]:
    """(path with its path parameters filled in, query parameter names) of every GET in the schema."""
    schema = yaml.safe_load(client.get("/api/schema/").content)
    found = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or path.endswith((".jpg", ".ics")):
            continue
        parameters = operation.get("parameters", [])
        filled = re.sub(r"\{layer_id\}", "districts", path)
        filled = re.sub(r"\{district_code\}", "abu-nseir", filled)
        filled = re.sub(r"\{[a-z_]*uuid\}", "00000000-0000-4000-8000-000000000000", filled)
        filled = re.sub(r"\{[a-z_]+\}", "1", filled)
        found.append((filled, [p["name"] for p in parameters if p["in"] == "query"]))
    return found


def _check(response: Any, label: str, failures: list[Any], *, refused: bool) -> None:
    status = response.status_code
    if status >= 500 or (refused and status != 400):
        failures.append((label[:140], status))
        return
    if 400 <= status < 500:
        text = response.content.decode("utf-8", "replace")
        if not text.strip():
            failures.append((label[:140], status, "no message"))


def _sweep(client: Client, targets: list[tuple[str, list[str]]]) -> list[Any]:
    failures: list[Any] = []
    for path, names in targets:
        joiner = "&" if "?" in path else "?"
        for name in names:
            for value in ODD:
                url = f"{path}{joiner}{name}={value}"
                _check(client.get(url), url, failures, refused=False)
            for value in REFUSED:
                url = f"{path}{joiner}{name}={value}"
                _check(client.get(url), url, failures, refused=True)
    return failures


def test_odd_text_in_every_api_filter(admin_client):
    targets = _schema_get_endpoints(admin_client)
    assert len(targets) > 30, "the schema should list the API's GET endpoints"
    assert sum(len(names) for _, names in targets) > 60
    before = table_counts()
    with translation.override("en"):
        failures = _sweep(admin_client, targets)
    assert failures == []
    assert table_counts() == before


def test_odd_text_in_every_page_ogc_and_open311_filter(admin_client):
    before = table_counts()
    with translation.override("en"):
        failures = _sweep(admin_client, list(PAGES.items()))
        for pattern in PATH_SEGMENTS:
            for value in ["'; DROP TABLE x; --", "%25", "x" * 300, "99999999999999999999", "-1", "1e400"]:
                url = pattern.format(value)
                _check(admin_client.get(url), url, failures, refused=False)
            for value in REFUSED:
                # Django re-escapes bad UTF-8 in a path (%ff stays the text "%FF"): any 4xx will do there.
                url = pattern.format(value)
                _check(admin_client.get(url), url, failures, refused="%00" in value)
    assert failures == []
    assert table_counts() == before


def test_the_refusals_say_why(admin_client):
    with translation.override("en"):
        nul = admin_client.get("/api/v1/venues/?kind=a%00b")
        encoding = admin_client.get("/api/v1/venues/?kind=%ff")
        page = admin_client.get("/venues/?q=%00")
        open311 = admin_client.get("/open311/v2/requests.json?status=%00")
    assert nul.json()["error"]["message"] == "The query string contains a NUL character."
    assert encoding.json()["error"]["message"] == "The query string is not valid UTF-8 text."
    assert page.status_code == 400
    assert "NUL" in page.content.decode()
    assert "NUL" in open311.json()[0]["description"]


# --- bodies -------------------------------------------------------------------------------------

JSON_TEXT_CASES = [
    ("NUL in a value", '{"description": "a\\u0000b", "title": "x"}', "NUL"),
    ("NUL in a key", '{"a\\u0000b": 1}', "NUL"),
    ("NUL deep inside", '{"geometry": {"type": "Point", "coordinates": [1, 2], "x": ["\\u0000"]}}', "NUL"),
    ("lone surrogate", '{"description": "\\ud800"}', "surrogate"),
    ("NaN literal", '{"percent": NaN}', "NaN"),
    ("Infinity literal", '{"percent": Infinity}', "Infinity"),
    ("invalid UTF-8", b'{"description": "\xff\xfe"}', "utf-8"),
]


def _schema_json_writes(client: Client) -> list[tuple[str, str]]:
    schema = yaml.safe_load(client.get("/api/schema/").content)
    found = []
    for path, operations in schema["paths"].items():
        for method in ("post", "put", "patch"):
            operation = operations.get(method)
            if operation and "application/json" in operation.get("requestBody", {}).get("content", {}):
                filled = re.sub(r"\{[a-z_]*uuid\}", "00000000-0000-4000-8000-000000000000", path)
                filled = filled.replace("{layer_id}", "districts")
                found.append((method, re.sub(r"\{[a-z_]+\}", "1", filled)))
    return found


def test_nul_surrogates_and_non_finite_numbers_in_every_json_body(amman):
    writes = _schema_json_writes(Client())
    assert len(writes) > 20
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    admin = UserFactory.create(is_superuser=True, roles=ALL_ROLES)
    make_staff(admin, jurisdiction=amman)
    client.force_authenticate(admin)
    before = table_counts()
    failures: list[Any] = []
    with translation.override("en"):
        for method, path in writes:
            for name, body, fragment in JSON_TEXT_CASES:
                response = client.generic(method.upper(), path, body, content_type="application/json")
                if response.status_code == 404:
                    continue  # an id the path names does not exist: refused before the body is read
                if response.status_code != 400 or not response.json()["error"]["message"]:
                    failures.append((method, path, name, response.status_code, response.content[:150]))
                elif (
                    path != "/api/v1/auth/token/"
                    and fragment.lower() not in response.content.decode().lower()
                ):
                    # (DRF's own token view uses DRF's parser; its serializer refuses NUL and
                    # surrogates field by field, so a body without credentials is refused for those.)
                    failures.append((method, path, name, "message", response.content[:150]))
    assert failures == []
    assert table_counts() == before


def test_nul_in_form_fields_of_pages_and_form_apis(amman):
    before = table_counts()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    failures: list[Any] = []
    with translation.override("en"):
        for path in ("/", "/accounts/login/", "/open311/v2/requests.json", "/api/v1/auth/token/"):
            for fields in ({"description": "a\x00b"}, {"a\x00b": "x"}, {"username": "\x00", "password": "x"}):
                response = client.post(path, fields)  # multipart
                if response.status_code != 400 or "NUL" not in response.content.decode():
                    failures.append((path, fields, response.status_code, response.content[:150]))
            response = client.post(
                path, "description=a%00b", content_type="application/x-www-form-urlencoded"
            )
            if response.status_code != 400 or "NUL" not in response.content.decode():
                failures.append((path, "urlencoded", response.status_code))
            response = client.post(path, "description=%ff", content_type="application/x-www-form-urlencoded")
            if response.status_code != 400 or "UTF-8" not in response.content.decode():
                failures.append((path, "bad utf-8", response.status_code))
    assert failures == []
    assert table_counts() == before

"""Every kind of bad Open311 input gets a 4xx in the specification's error format, with a description a
person can act on, and writes nothing: no request row, no photo file."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import override_settings

from geo_services.service_requests.models import Open311ApiKey, ServiceRequest
from tests.factories import JurisdictionFactory
from tests.service_requests import (
    DOWNTOWN,
    OPEN311,
    jpeg_with_gps,
    new_key,
    photo_upload,
    stored_files,
    xml_root,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
REQUESTS_JSON = f"{OPEN311}requests.json"
VALID = {"service_code": "street-light", **DOWNTOWN, "attribute[problem]": "out"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def key(amman) -> str:
    return new_key(amman)


def _form(changes: dict[str, Any]) -> dict[str, Any]:
    """VALID with `changes` applied; a None value removes the field."""
    form = {**VALID, **changes}
    return {name: value for name, value in form.items() if value is not None}


def assert_open311_error(response, status: int, fragment: str = "") -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    description = body[0]["description"]
    assert description.strip()
    assert fragment in description
    return description


class _NothingWritten:
    def __init__(self, media_root) -> None:
        self.media_root = media_root

    def __enter__(self) -> _NothingWritten:
        self.count = ServiceRequest.objects.count()
        self.files = stored_files(self.media_root)
        return self

    def __exit__(self, *exc: object) -> None:
        assert ServiceRequest.objects.count() == self.count
        assert stored_files(self.media_root) == self.files


BAD_FORMS = [
    pytest.param({"service_code": None}, 400, "service_code", id="missing-service-code"),
    pytest.param({"service_code": ""}, 400, "service_code", id="empty-service-code"),
    pytest.param({"service_code": "flying-saucer"}, 404, "flying-saucer", id="unknown-service-code"),
    pytest.param({"lat": "91"}, 400, "lat must be between -90 and 90", id="lat-out-of-range"),
    pytest.param({"long": "-181"}, 400, "long must be between -180 and 180", id="long-out-of-range"),
    pytest.param({"lat": "nan"}, 400, "lat must be a finite number", id="lat-nan"),
    pytest.param({"long": "inf"}, 400, "long must be a finite number", id="long-inf"),
    pytest.param({"lat": "31,95"}, 400, "lat must be a number", id="lat-not-a-number"),
    pytest.param({"lat": "24.7136", "long": "46.6753"}, 400, "outside every district", id="outside"),
    pytest.param({"lat": None, "long": None}, 400, "A location is required", id="missing-location"),
    pytest.param({"long": None}, 400, "lat and long must be sent together", id="lat-without-long"),
    pytest.param(
        {"lat": None, "long": None, "address_string": "Rainbow Street 12"},
        400,
        "Rainbow Street 12",
        id="address-that-is-no-district",
    ),
    pytest.param({"lat": None, "long": None, "address_id": "545483"}, 400, "address_id", id="address-id"),
    pytest.param({"attribute[problem]": None}, 400, "attribute[problem] is required", id="required-missing"),
    pytest.param({"attribute[problem]": " "}, 400, "attribute[problem] is required", id="required-blank"),
    pytest.param({"attribute[problem]": "exploded"}, 400, "exploded", id="singlevaluelist-wrong"),
    pytest.param(
        {"attribute[problem]": ["out", "flickering"]}, 400, "takes one value", id="singlevaluelist-twice"
    ),
    pytest.param(
        {
            "service_code": "tree-pruning",
            "attribute[problem]": None,
            "attribute[blocking]": "road",
            "attribute[tree_count]": "many",
        },
        400,
        "attribute[tree_count] must be a number",
        id="number-wrong",
    ),
    pytest.param(
        {
            "service_code": "tree-pruning",
            "attribute[problem]": None,
            "attribute[blocking]": "road",
            "attribute[tree_count]": "nan",
        },
        400,
        "attribute[tree_count] must be a number",
        id="number-nan",
    ),
    pytest.param(
        {"service_code": "illegal-dumping", "attribute[problem]": None, "attribute[seen_at]": "last night"},
        400,
        "attribute[seen_at] must be a date and time",
        id="datetime-wrong",
    ),
    pytest.param(
        {
            "service_code": "pest-control",
            "attribute[problem]": None,
            "attribute[pests][]": ["rodents", "dragons"],
        },
        400,
        "dragons",
        id="multivaluelist-wrong",
    ),
    pytest.param({"attribute[colour]": "red"}, 400, "colour", id="unknown-attribute"),
    pytest.param({"attribute[problem": "out"}, 400, "attribute[problem", id="malformed-attribute-name"),
    pytest.param({"email": "not-an-address"}, 400, "not-an-address", id="bad-email"),
    pytest.param({"phone": "1" * 41}, 400, "phone", id="phone-too-long"),
    pytest.param({"description": "x" * 4001}, 400, "4000", id="description-too-long"),
    pytest.param({"description": "a\x00b"}, 400, "NUL", id="nul-character"),
    pytest.param({"media_url": "javascript:alert(1)"}, 400, "media_url", id="media-url-not-http"),
    pytest.param({"media": "http://example.org/photo.jpg"}, 400, "media_url", id="media-as-text"),
    pytest.param({"jurisdiction_id": "atlantis"}, 404, "atlantis", id="unknown-jurisdiction"),
]


@pytest.mark.parametrize(("changes", "status", "fragment"), BAD_FORMS)
def test_bad_post_is_refused_and_writes_nothing(client, key, tmp_path, changes, status, fragment):
    with _NothingWritten(tmp_path):
        response = client.post(REQUESTS_JSON, {"api_key": key, **_form(changes)}, **EN)
        assert_open311_error(response, status, fragment)


def test_the_valid_form_of_these_cases_is_accepted(client, key):
    """The cases above fail because of their one change, not because the base form is wrong."""
    response = client.post(REQUESTS_JSON, {"api_key": key, **VALID})
    assert response.status_code == 200, response.content


class TestApiKey:
    def test_missing_api_key_is_403(self, client, amman, tmp_path):
        with _NothingWritten(tmp_path):
            assert_open311_error(client.post(REQUESTS_JSON, VALID, **EN), 403, "api_key is required")

    def test_wrong_api_key_is_403(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            response = client.post(REQUESTS_JSON, {"api_key": key + "x", **VALID}, **EN)
            assert_open311_error(response, 403, "api_key is not valid")

    def test_key_of_another_jurisdiction_is_403(self, client, amman, tmp_path):
        other = new_key(JurisdictionFactory.create(code="riyadh"))
        with _NothingWritten(tmp_path):
            assert_open311_error(client.post(REQUESTS_JSON, {"api_key": other, **VALID}, **EN), 403)

    def test_withdrawn_key_is_403(self, client, key, tmp_path):
        Open311ApiKey.objects.update(active=False)
        with _NothingWritten(tmp_path):
            assert_open311_error(client.post(REQUESTS_JSON, {"api_key": key, **VALID}, **EN), 403)

    def test_api_key_is_checked_before_the_rest_of_the_form(self, client, amman):
        response = client.post(REQUESTS_JSON, {"service_code": "flying-saucer"}, **EN)
        assert_open311_error(response, 403)


class TestPhotos:
    def test_oversized_upload_is_413(self, client, key, tmp_path):
        with override_settings(AMANAH_MAX_PHOTO_BYTES=1000), _NothingWritten(tmp_path):
            photo = photo_upload(jpeg_with_gps(size=(400, 300)) + b"\0" * 2000)
            response = client.post(REQUESTS_JSON, {"api_key": key, **VALID, "media": photo}, **EN)
            assert_open311_error(response, 413, "1000")

    def test_non_image_upload_is_400(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            fake = photo_upload(b"%PDF-1.4 not a photo at all", name="photo.jpg")
            response = client.post(REQUESTS_JSON, {"api_key": key, **VALID, "media": fake}, **EN)
            assert_open311_error(response, 400, "not an image")

    def test_two_photos_are_400(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            photos = [photo_upload(), photo_upload()]
            response = client.post(REQUESTS_JSON, {"api_key": key, **VALID, "media": photos}, **EN)
            assert_open311_error(response, 400, "at most one photo")

    def test_file_under_another_name_is_400(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            response = client.post(REQUESTS_JSON, {"api_key": key, **VALID, "picture": photo_upload()}, **EN)
            assert_open311_error(response, 400, "picture")


class TestBodies:
    def test_json_body_is_400_saying_to_send_a_form(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            response = client.post(
                REQUESTS_JSON, {"api_key": key, **VALID}, content_type="application/json", **EN
            )
            assert_open311_error(response, 400, "application/x-www-form-urlencoded")

    def test_multipart_without_boundary_is_400(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            response = client.generic(
                "POST", REQUESTS_JSON, b"api_key=x", content_type="multipart/form-data", **EN
            )
            assert_open311_error(response, 400, "form data cannot be read")

    def test_form_with_too_many_files_is_413(self, client, key, tmp_path):
        files = {f"file{i}": photo_upload(b"x") for i in range(101)}
        with _NothingWritten(tmp_path):
            response = client.post(REQUESTS_JSON, {"api_key": key, **VALID, **files}, **EN)
            assert_open311_error(response, 413, "too large")

    def test_form_with_too_many_fields_is_413(self, client, key, tmp_path):
        body = "&".join(f"f{i}=1" for i in range(1500))
        with _NothingWritten(tmp_path):
            response = client.generic(
                "POST", REQUESTS_JSON, body, content_type="application/x-www-form-urlencoded", **EN
            )
            assert_open311_error(response, 413, "too large")


GET_ERRORS = [
    pytest.param("requests.json", {"start_date": "yesterday"}, 400, "2026-05-01T00:00:00Z", id="bad-start"),
    pytest.param("requests.json", {"end_date": "2026-13-01T00:00:00Z"}, 400, "end_date", id="bad-end"),
    pytest.param(
        "requests.json",
        {"start_date": "2026-05-02T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        400,
        "before",
        id="end-before-start",
    ),
    pytest.param(
        "requests.json",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        400,
        "90 days",
        id="window-too-long",
    ),
    pytest.param("requests.json", {"status": "pending"}, 400, "pending", id="unknown-status"),
    pytest.param("requests.json", {"service_request_id": "12,abc"}, 400, "abc", id="bad-request-id"),
    pytest.param("requests.json", {"service_code": "a\x00b"}, 400, "NUL", id="nul-in-query"),
    pytest.param(
        "services.json", {"jurisdiction_id": "x" * 5000}, 404, "jurisdiction_id", id="huge-jurisdiction"
    ),
    pytest.param("services/flying-saucer.json", {}, 404, "flying-saucer", id="unknown-service"),
    # A NUL in the address is refused at the edge (core.middleware.TextInputMiddleware).
    pytest.param("services/a%00b.json", {}, 400, "NUL", id="nul-in-service-code"),
    pytest.param("requests/999999.json", {}, 404, "999999", id="unknown-request"),
    pytest.param("requests/abc.json", {}, 404, "abc", id="request-id-not-a-number"),
    pytest.param("requests/99999999999999999999999.json", {}, 404, "", id="request-id-too-big"),
    pytest.param("tokens/not-a-token.json", {}, 404, "not-a-token", id="malformed-token"),
    pytest.param(f"tokens/{uuid.uuid4()}.json", {}, 404, "", id="unknown-token"),
    pytest.param("services.csv", {}, 404, "services.csv", id="unknown-suffix"),
    pytest.param("services", {}, 404, ".json or .xml", id="no-suffix"),
    pytest.param("", {}, 404, "discovery.json", id="root"),
    pytest.param("discovery.json.bak", {}, 404, "", id="suffix-after-suffix"),
]


@pytest.mark.parametrize(("path", "params", "status", "fragment"), GET_ERRORS)
def test_bad_get_is_an_open311_error(client, amman, path, params, status, fragment):
    assert_open311_error(client.get(f"{OPEN311}{path}", params, **EN), status, fragment)


@pytest.mark.parametrize(
    "path",
    ["discovery.json", "services.json", "services/pothole.json", "requests.json", "requests/1.json"],
)
def test_unknown_jurisdiction_is_404_naming_it(client, amman, path):
    response = client.get(f"{OPEN311}{path}", {"jurisdiction_id": "atlantis"}, **EN)
    assert_open311_error(response, 404, "atlantis")


def test_token_of_another_jurisdiction_is_404(client, amman, submit):
    token = submit().request.token
    JurisdictionFactory.create(code="riyadh")
    response = client.get(f"{OPEN311}tokens/{token}.json", {"jurisdiction_id": "riyadh"})
    assert_open311_error(response, 404)
    assert client.get(f"{OPEN311}tokens/{token}.json").status_code == 200


def test_request_of_another_jurisdiction_is_404(client, amman, submit):
    request_id = submit().request.pk
    JurisdictionFactory.create(code="riyadh")
    response = client.get(f"{OPEN311}requests/{request_id}.json", {"jurisdiction_id": "riyadh"})
    assert_open311_error(response, 404)


def test_method_not_allowed_is_405_with_allow(client, amman):
    response = client.delete(REQUESTS_JSON)
    assert_open311_error(response, 405, "DELETE")
    assert response["Allow"] == "GET, HEAD, POST"
    assert client.post(f"{OPEN311}services.json").status_code == 405


def test_errors_are_arabic_by_default(client, amman):
    response = client.get(f"{OPEN311}services.json", {"jurisdiction_id": "atlantis"})
    description = assert_open311_error(response, 404, "atlantis")
    assert any("\u0600" <= ch <= "\u06ff" for ch in description), description


class TestXmlErrors:
    def _error(self, response, status: int) -> str:
        assert response.status_code == status
        root = xml_root(response)
        assert root.tag == "errors"
        (error,) = root
        assert error.tag == "error"
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
        description = error.findtext("description") or ""
        assert description.strip()
        return description

    def test_bad_date_in_xml(self, client, amman):
        response = client.get(f"{OPEN311}requests.xml", {"start_date": "soon"}, **EN)
        assert "2026-05-01T00:00:00Z" in self._error(response, 400)

    def test_missing_key_in_xml(self, client, amman, tmp_path):
        with _NothingWritten(tmp_path):
            self._error(client.post(f"{OPEN311}requests.xml", VALID, **EN), 403)

    def test_bad_attribute_in_xml(self, client, key, tmp_path):
        with _NothingWritten(tmp_path):
            response = client.post(
                f"{OPEN311}requests.xml", {"api_key": key, **_form({"attribute[problem]": "x"})}, **EN
            )
            self._error(response, 400)

    def test_unknown_service_in_xml(self, client, amman):
        self._error(client.get(f"{OPEN311}services/nothing.xml", **EN), 404)

    def test_unknown_path_ending_in_xml(self, client, amman):
        self._error(client.get(f"{OPEN311}nothing-here.xml", **EN), 404)


@pytest.mark.django_db
def test_oversized_body_is_refused_in_open311_format(client, settings):
    settings.AMANAH_MAX_REQUEST_BYTES = 1000
    response = client.generic(
        "POST",
        "/open311/v2/requests.xml",
        "x=" + "y" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.content.startswith(b"<?xml") or b"<errors>" in response.content
    json_response = client.generic(
        "POST",
        "/open311/v2/requests.json",
        "x=" + "y" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert json_response.status_code == 413
    body = json_response.json()
    assert body[0]["code"] == 413
    assert "1000" in body[0]["description"]

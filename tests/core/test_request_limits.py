"""Oversized bodies and unknown API paths get a clear JSON answer, never a bare HTML page or a 500."""

from __future__ import annotations

import pytest
from django.test import override_settings

TOKEN_URL = "/api/v1/auth/token/"


@pytest.mark.django_db
class TestRequestLimits:
    def test_body_over_the_request_cap_is_413_before_it_is_read(self, api_client):
        with override_settings(AMANAH_MAX_REQUEST_BYTES=1000):
            response = api_client.generic("POST", TOKEN_URL, "x" * 2000, content_type="application/json")
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "request_too_large"
        assert "2000" in error["message"]
        assert "1000" in error["message"]

    def test_json_over_the_in_memory_limit_is_413_with_a_message(self, api_client):
        body = '{"username": "' + "a" * (6 * 1024 * 1024) + '", "password": "x"}'
        response = api_client.generic("POST", TOKEN_URL, body, content_type="application/json")
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"

    def test_form_with_too_many_fields_is_413(self, api_client):
        body = "&".join(f"f{i}=1" for i in range(1500))
        response = api_client.generic(
            "POST", TOKEN_URL, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413

    def test_unknown_api_path_is_json_404(self, client):
        response = client.get("/api/v1/nothing-here/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "/api/v1/nothing-here/" in response.json()["error"]["message"]

    def test_unknown_page_is_an_html_404(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

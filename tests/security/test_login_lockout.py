"""Sign-in lockout: after AMANAH_LOGIN_FAILURE_LIMIT failures for one user name from one address, the
admin and staff sign-in pages, the token endpoint and the layer clients' Basic credentials refuse
that pair (also with the right password) with a 429, Retry-After and the time to try again, until
the lockout ends or staff unlock it; a successful sign-in clears the failures."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "right-pass-1234"
TOKEN_URL = "/api/v1/auth/token/"
LAYERS = "/ogc/collections?f=json"
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _lockout_settings(settings: Any) -> None:
    settings.AMANAH_LOGIN_FAILURE_LIMIT = 3
    settings.AMANAH_LOGIN_LOCKOUT_MINUTES = 15
    settings.AMANAH_RATE_LIMITS_ENABLED = True
    settings.AMANAH_RATE_TOKEN = "100/h"  # the rate limit is not what these tests are about
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db: None) -> Any:
    return UserFactory.create(
        username="rana", password=PASSWORD, roles=["planner"], is_staff=True, is_superuser=True
    )


def english_client(**defaults: Any) -> Client:
    client = Client(**defaults)
    client.cookies["django_language"] = "en"
    return client


def admin_login(client: Client, password: str, username: str = "rana", **extra: Any) -> Any:
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def token(client: APIClient, password: str, username: str = "rana", **extra: Any) -> Any:
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **EN, **extra)


def basic(client: Client, password: str, username: str = "rana", **extra: Any) -> Any:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get(LAYERS, HTTP_AUTHORIZATION=f"Basic {credentials}", **EN, **extra)


def assert_locked_json(response: Any) -> str:
    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 14 * 60 <= retry_after <= 15 * 60 + 1
    error = response.json()["error"]
    assert error["code"] == "sign_in_locked"
    assert "Try again in 15 minutes" in error["message"]
    return str(error["message"])


class TestAdminAndStaffPages:
    def test_the_third_failure_locks_and_then_the_right_password_is_refused_too(self, staff):
        client = english_client()
        for _ in range(2):
            assert admin_login(client, "wrong").status_code == 200  # the form again, with its error
        locked = admin_login(client, "wrong")
        assert locked.status_code == 429
        assert 14 * 60 <= int(locked["Retry-After"]) <= 15 * 60 + 1
        html = locked.content.decode()
        assert 'role="alert"' in html
        assert "Try again in 15 minutes" in html
        refused = admin_login(client, PASSWORD)
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_the_staff_sign_in_page_locks_the_same_way(self, staff):
        client = english_client()
        for _ in range(3):
            response = client.post("/accounts/login/", {"username": "rana", "password": "wrong"})
        assert response.status_code == 429
        assert "ask an administrator to unlock" in response.content.decode()
        assert client.post("/accounts/login/", {"username": "rana", "password": PASSWORD}).status_code == 429

    def test_a_success_clears_the_failures(self, staff):
        client = english_client()
        for _ in range(2):
            admin_login(client, "wrong")
        assert admin_login(client, PASSWORD).status_code == 302
        client.logout()
        for _ in range(2):
            assert admin_login(client, "wrong").status_code == 200  # counting starts again
        assert admin_login(client, "wrong").status_code == 429

    def test_the_lock_is_for_the_user_name_from_that_address_only(self, staff):
        for _ in range(3):
            admin_login(english_client(), "wrong", REMOTE_ADDR="10.0.0.1")
        assert admin_login(english_client(), PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 429
        # Someone guessing elsewhere cannot lock the person out at their own desk…
        assert admin_login(english_client(), PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302
        # …and another user name from the locked address is not locked either.
        UserFactory.create(username="omar", password=PASSWORD, is_staff=True)
        assert (
            admin_login(english_client(), PASSWORD, username="omar", REMOTE_ADDR="10.0.0.1").status_code
            == 302
        )

    def test_a_forged_x_forwarded_for_does_not_escape_the_lock(self, staff):
        for n in range(3):
            admin_login(english_client(), "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert admin_login(english_client(), PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429

    def test_the_lock_ends_after_the_lockout_time(self, staff):
        client = english_client()
        for _ in range(3):
            admin_login(client, "wrong")
        # Just before the end: still locked. Just after: the right password opens the admin.
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14, seconds=50))
        assert admin_login(client, PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
        assert admin_login(client, PASSWORD).status_code == 302

    def test_a_shorter_lockout_setting_is_honoured(self, staff, settings):
        settings.AMANAH_LOGIN_LOCKOUT_MINUTES = 1
        client = english_client()
        for _ in range(3):
            response = admin_login(client, "wrong")
        assert response.status_code == 429
        assert int(response["Retry-After"]) <= 61
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=61))
        assert admin_login(client, PASSWORD).status_code == 302


class TestToken:
    def test_locked_with_json_and_retry_after_and_no_token(self, staff):
        client = APIClient()
        for _ in range(2):
            assert token(client, "wrong").status_code == 400
        assert_locked_json(token(client, "wrong"))
        assert_locked_json(token(client, PASSWORD))
        assert not Token.objects.exists()

    def test_staff_unlock_with_axes_reset_username(self, staff):
        client = APIClient()
        for _ in range(3):
            token(client, "wrong")
        assert token(client, PASSWORD).status_code == 429
        call_command("axes_reset_username", "rana", stdout=StringIO())
        assert token(client, PASSWORD).status_code == 200

    def test_a_token_success_clears_the_failures(self, staff):
        client = APIClient()
        for _ in range(2):
            token(client, "wrong")
        assert token(client, PASSWORD).status_code == 200
        assert not AccessAttempt.objects.exists()
        for _ in range(2):
            assert token(client, "wrong").status_code == 400


class TestLayerClients:
    def test_basic_credentials_lock_with_json_for_qgis_and_gdal(self, staff):
        client = Client()
        for _ in range(2):
            refused = basic(client, "wrong")
            assert refused.status_code == 401
            assert refused["WWW-Authenticate"].startswith("Basic")
        assert_locked_json(basic(client, "wrong"))
        assert_locked_json(basic(client, PASSWORD))

    def test_a_basic_success_clears_the_failures(self, staff):
        client = Client()
        for _ in range(2):
            basic(client, "wrong")
        assert basic(client, PASSWORD).status_code == 200
        for _ in range(2):
            assert basic(client, "wrong").status_code == 401

    def test_the_token_endpoint_and_basic_share_the_count(self, staff):
        token(APIClient(), "wrong")
        basic(Client(), "wrong")
        assert_locked_json(basic(Client(), "wrong"))
        assert token(APIClient(), PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_admin_lists_the_attempts_so_staff_can_unlock_there(staff):
    for _ in range(3):
        admin_login(english_client(REMOTE_ADDR="10.0.0.5"), "wrong")
    client = english_client()
    client.force_login(staff)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "rana" in page.content.decode()

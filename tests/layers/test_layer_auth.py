"""Desktop and notebook clients sign in per request on the layer URLs (Basic or Token)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

ITEMS = "/ogc/collections/inspections/items?f=json"
PASSWORD = "layer-pass-1234"


@pytest.fixture
def planner(db):
    return UserFactory.create(username="planner-qgis", roles=["planner"], password=PASSWORD)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_basic_credentials_open_a_staff_only_layer(client: Client, make_job, planner):
    job = make_job()
    assert client.get(ITEMS).status_code == 404
    response = client.get(ITEMS, HTTP_AUTHORIZATION=basic("planner-qgis", PASSWORD))
    assert response.status_code == 200
    assert [f["id"] for f in response.json()["features"]] == [job.pk]


def test_a_token_opens_it_too(client: Client, make_job, planner):
    make_job()
    token = Token.objects.create(user=planner)
    assert client.get(ITEMS, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert client.get(ITEMS, HTTP_AUTHORIZATION=f"Bearer {token.key}").status_code == 200


def test_credentials_of_a_role_without_access_still_see_no_layer(client: Client, make_job, inspector):
    make_job()
    inspector.set_password(PASSWORD)
    inspector.save()
    assert client.get(ITEMS, HTTP_AUTHORIZATION=basic(inspector.username, PASSWORD)).status_code == 404


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (basic("planner-qgis", "wrong"), "Wrong user name or password"),
        ("Basic not-base64!", "not valid base64"),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "user:password"),
        ("Token 0000000000000000000000000000000000000000", "token is not known"),
        ("Digest username=x", "Unsupported Authorization scheme"),
    ],
)
def test_refused_credentials_get_a_401_with_the_reason(client: Client, planner, header, reason):
    with translation.override("en"):
        response = client.get("/ogc/collections?f=json", HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert reason in response.json()["error"]["message"]


def test_a_disabled_account_is_refused(client: Client, planner):
    planner.is_active = False
    planner.save()
    response = client.get(ITEMS, HTTP_AUTHORIZATION=basic("planner-qgis", PASSWORD))
    assert response.status_code == 401


def test_other_urls_ignore_the_header(client: Client, planner):
    # Pages keep their own sign-in; a stray header does not sign anyone in there.
    response = client.get("/dispatch/", HTTP_AUTHORIZATION=basic("planner-qgis", PASSWORD))
    assert response.status_code in (302, 403)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is not installed")
def test_gdal_reads_the_staff_only_layer_with_basic_and_token(transactional_db, amman, live_server, make_job):
    planner = UserFactory.create(username="planner-gdal", roles=["planner"], password=PASSWORD)
    make_job()
    make_job()
    token = Token.objects.create(user=planner)
    url = f"OAPIF:{live_server.url}/ogc/collections/inspections"
    base = {**os.environ, "NO_PROXY": "*", "GDAL_HTTP_TIMEOUT": "30"}
    for extra in (
        {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"planner-gdal:{PASSWORD}"},
        {"GDAL_HTTP_HEADERS": f"Authorization: Token {token.key}"},
    ):
        result = subprocess.run(  # noqa: S603 - GDAL's own tool, arguments made here
            ["ogrinfo", "-ro", "-al", "-so", url],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
            env={**base, **extra},
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "Feature Count: 2" in result.stdout
    anonymous = subprocess.run(  # noqa: S603
        ["ogrinfo", "-ro", "-al", "-so", url],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        env=base,
        check=False,
    )
    assert anonymous.returncode != 0


@pytest.fixture
def counted_password_checks(monkeypatch):
    """How many times the layer sign-in really checked a password (the slow PBKDF2 step)."""
    from layers import auth

    auth.verified_basic_credentials.clear()
    calls: list[str] = []
    real = auth.authenticate

    def counting(request, **credentials):
        calls.append(credentials["username"])
        return real(request, **credentials)

    monkeypatch.setattr(auth, "authenticate", counting)
    yield calls
    auth.verified_basic_credentials.clear()


def test_a_verified_basic_pair_is_not_hashed_again_for_every_tile(
    client: Client, planner, counted_password_checks
):
    header = basic("planner-qgis", PASSWORD)
    for _ in range(3):
        assert client.get(ITEMS, HTTP_AUTHORIZATION=header).status_code == 200
    assert counted_password_checks == ["planner-qgis"]


def test_wrong_passwords_are_checked_every_time(client: Client, planner, counted_password_checks):
    for _ in range(2):
        assert client.get(ITEMS, HTTP_AUTHORIZATION=basic("planner-qgis", "wrong")).status_code == 401
    assert counted_password_checks == ["planner-qgis", "planner-qgis"]


def test_a_changed_password_or_disabled_account_ends_the_remembered_pair(
    client: Client, planner, counted_password_checks
):
    header = basic("planner-qgis", PASSWORD)
    assert client.get(ITEMS, HTTP_AUTHORIZATION=header).status_code == 200
    planner.set_password("another-pass-5678")
    planner.save()
    assert client.get(ITEMS, HTTP_AUTHORIZATION=header).status_code == 401
    assert client.get(ITEMS, HTTP_AUTHORIZATION=basic("planner-qgis", "another-pass-5678")).status_code == 200
    planner.is_active = False
    planner.save()
    assert client.get(ITEMS, HTTP_AUTHORIZATION=basic("planner-qgis", "another-pass-5678")).status_code == 401


def test_remembering_can_be_turned_off(client: Client, planner, counted_password_checks, settings):
    settings.AMANAH_BASIC_AUTH_CACHE_SECONDS = 0
    header = basic("planner-qgis", PASSWORD)
    for _ in range(2):
        assert client.get(ITEMS, HTTP_AUTHORIZATION=header).status_code == 200
    assert counted_password_checks == ["planner-qgis", "planner-qgis"]

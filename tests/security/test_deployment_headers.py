"""Deployment settings on a real page: with HTTPS=1 the browser is told to use HTTPS only (HSTS),
cookies never travel in clear, and every page carries its Content-Security-Policy; the environment
variables switch the policy to report-only and name a report address.

The settings module is executed again with the deployment's environment, and its security values
replace the test run's, so what is checked is what settings.py makes of the variables.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from django.conf import settings as django_settings
from django.test import Client

from geo_services.content_security import basemap_sources
from tests.factories import TEST_PASSWORD, UserFactory

SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
)


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "deployed_settings", django_settings.BASE_DIR / "geo_services" / "settings.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("deployed_settings", None)
    return module


@pytest.fixture
def deployed(monkeypatch, settings):
    """The security settings of a deployment behind TLS (HTTPS=1)."""
    module = settings_from_environment(monkeypatch, HTTPS="1")
    for name in SECURITY_SETTINGS:
        setattr(settings, name, getattr(module, name, None))
    return module


def test_https_deployment_headers_and_cookies_on_a_real_page(deployed, db):
    UserFactory.create(username="clerk")
    client = Client()
    # Behind the TLS proxy, which says so in X-Forwarded-Proto.
    https = {"X-Forwarded-Proto": "https"}

    page = client.get("/accounts/login/", headers=https)
    assert page.status_code == 200
    hsts = page["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    csrf = page.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True

    signed_in = client.post(
        "/accounts/login/", {"username": "clerk", "password": TEST_PASSWORD}, headers=https
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_plain_http_is_sent_to_https(deployed, db):
    response = Client().get("/venues/", headers={"X-Forwarded-Proto": "http"})
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in response  # HSTS is only believed over HTTPS


def test_without_https_cookies_are_not_marked_secure(monkeypatch):
    # The development default (make run on http://127.0.0.1) — and what check --deploy refuses.
    module = settings_from_environment(monkeypatch, HTTPS="0")
    assert module.SESSION_COOKIE_SECURE is False
    assert module.SECURE_HSTS_SECONDS == 0
    assert module.CONTENT_SECURITY_POLICY is not None  # the policy does not depend on HTTPS


def test_report_only_mode_sends_the_same_policy_as_a_report(monkeypatch, settings, db):
    module = settings_from_environment(monkeypatch, CSP_REPORT_ONLY="1", CSP_REPORT_URI="/csp-reports/")
    settings.CONTENT_SECURITY_POLICY = module.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = module.CONTENT_SECURITY_POLICY_REPORT_ONLY
    response = Client().get("/venues/")
    assert "Content-Security-Policy" not in response
    report_only = response["Content-Security-Policy-Report-Only"]
    assert "script-src 'self'" in report_only
    assert report_only.endswith("report-uri /csp-reports/")


def test_the_enforced_policy_is_the_default(client, db):
    response = client.get("/venues/")
    assert "Content-Security-Policy-Report-Only" not in response
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("tile_url", "sources"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
        ("https://{s}.tiles.example.org:8443/base/{z}/{x}/{y}.png", ["https://*.tiles.example.org:8443"]),
        ("/tiles/basemap/{z}/{x}/{y}.png", []),  # served by the app: 'self' covers it
        ("", []),  # no basemap
    ],
)
def test_the_basemap_server_is_allowed_for_images_only(tile_url, sources):
    assert basemap_sources(tile_url) == sources

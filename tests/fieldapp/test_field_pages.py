"""The inspector's app at /field/: who gets it, its page, its service worker and its web manifest."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from PIL import Image

from tests.factories import UserFactory, make_staff

ARABIC_RTL = re.compile(r'<html[^>]*lang="ar"[^>]*dir="rtl"')


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.S)
    assert match is not None, pattern
    return match.group(1)


def field_config(html: str) -> dict:
    return json.loads(found(r'<script id="field-config" type="application/json">(.*?)</script>', html))


@pytest.fixture
def inspector(amman):
    user = UserFactory.create(username="field-inspector", roles=["inspector"])
    make_staff(user, jurisdiction=amman)
    return user


@pytest.mark.django_db
class TestWhoGetsTheApp:
    def test_anonymous_people_are_sent_to_sign_in(self, client, amman):
        response = client.get("/field/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/field/"

    def test_an_inspector_gets_the_app_in_arabic(self, client, inspector):
        client.force_login(inspector)
        response = client.get("/field/")
        html = response.content.decode()

        assert response.status_code == 200
        assert ARABIC_RTL.search(html)
        config = field_config(html)
        assert config["user"] == {"id": inspector.pk, "username": "field-inspector"}
        assert config["api"]["today"] == "/api/v1/field/today/"
        assert config["api"]["inspection"] == "/api/v1/field/inspections/{uuid}/"
        assert config["api"]["photo"] == "/api/v1/field/inspections/{uuid}/photos/{photo}/"
        assert config["serviceWorker"] == "/field/sw.js"
        assert config["scope"] == "/field/"
        assert config["timeZone"] == "Asia/Amman"
        assert config["map"]["districtsUrl"] == "/api/v1/districts/?jurisdiction=amman"
        assert '<link rel="manifest" href="/field/manifest.webmanifest"' in html
        assert "csrfmiddlewaretoken" in html
        for script in ("portal/map.js", "fieldapp/outbox.js", "fieldapp/field.js", "leaflet/leaflet.js"):
            assert f"/static/{script}" in html
        # Everything the page loads comes from the app itself (it must open on a closed network).
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []

    def test_the_app_speaks_english_after_the_switch(self, client, inspector):
        client.force_login(inspector)
        client.post("/i18n/setlang/", {"language": "en", "next": "/field/"})
        html = client.get("/field/").content.decode()
        assert re.search(r'<html[^>]*lang="en"[^>]*dir="ltr"', html)
        assert field_config(html)["text"]["state_waiting"] == "Waiting"

    @pytest.mark.parametrize("role", ["dispatcher", "admin"])
    def test_a_dispatcher_or_administrator_is_sent_to_the_dispatch_pages(self, client, amman, role):
        client.force_login(UserFactory.create(roles=[role]))
        response = client.get("/field/")
        assert response.status_code == 302
        assert response["Location"] == "/dispatch/"

    def test_a_superuser_is_sent_to_the_dispatch_pages(self, client, amman):
        client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
        assert client.get("/field/")["Location"] == "/dispatch/"

    def test_an_inspector_who_also_dispatches_gets_the_app(self, client, amman):
        user = UserFactory.create(roles=["inspector", "dispatcher"])
        make_staff(user, jurisdiction=amman)
        client.force_login(user)
        response = client.get("/field/")
        assert response.status_code == 200
        assert 'href="/dispatch/inspections/"' in response.content.decode()

    @pytest.mark.parametrize("role", ["citizen", "planner"])
    def test_anyone_else_is_told_the_app_is_for_inspectors(self, client, amman, role):
        client.force_login(UserFactory.create(roles=[role]))
        response = client.get("/field/")
        html = response.content.decode()
        assert response.status_code == 403
        assert ARABIC_RTL.search(html)
        assert "field-config" not in html
        assert 'href="/accounts/login/?next=/field/"' in html  # sign in with another account

    def test_the_sign_in_page_fits_a_tablet_and_returns_to_the_app(self, client, inspector):
        html = client.get("/accounts/login/?next=/field/").content.decode()
        assert ARABIC_RTL.search(html)
        assert 'name="viewport" content="width=device-width' in html
        assert 'name="next" value="/field/"' in html
        assert 'autocomplete="current-password"' in html


@pytest.mark.django_db
class TestServiceWorker:
    def test_served_fresh_as_javascript_from_the_apps_scope(self, client):
        response = client.get("/field/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert response["Cache-Control"] == "no-cache"
        body = response.content.decode()
        assert 'const PAGE_URL = "/field/";' in body
        assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)

    def test_lists_the_shell_with_urls_the_server_really_serves(self, client):
        body = client.get("/field/sw.js").content.decode()
        shell = json.loads(found(r"const SHELL = (\[.*?\]);", body))
        for expected in (
            "/static/fieldapp/field.js",
            "/static/fieldapp/outbox.js",
            "/static/fieldapp/field.css",
            "/static/portal/site.css",
            "/static/portal/map.js",
            "/static/leaflet/leaflet.js",
            "/static/leaflet/leaflet.css",
            "/static/fieldapp/icons/icon-192.png",
            "/static/fieldapp/icons/icon-512.png",
            "/field/manifest.webmanifest",
        ):
            assert expected in shell
        for url in shell:
            response = client.get(url)
            assert response.status_code == 200, url
            if hasattr(response, "close"):
                response.close()
        network_first = json.loads(found(r"const NETWORK_FIRST = (\{.*?\});", body))
        assert network_first["/api/v1/field/today/"] == "path"

    def test_the_version_is_stable_until_a_file_changes(self, client, monkeypatch):
        from fieldapp import views

        first = found(r'VERSION = "(\w+)"', client.get("/field/sw.js").content.decode())
        again = found(r'VERSION = "(\w+)"', client.get("/field/sw.js").content.decode())
        assert first == again
        monkeypatch.setattr(views, "SHELL_STATIC", [*views.SHELL_STATIC[:-1]])
        changed = found(r'VERSION = "(\w+)"', client.get("/field/sw.js").content.decode())
        assert changed != first

    def test_names_collectstatic_made_are_the_ones_listed(self, client, tmp_path):
        # With content-hashed names (a ManifestStaticFilesStorage deployment) the worker must ask
        # for the hashed files, or its install would fail in production.
        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
        }
        with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
            call_command("collectstatic", "--no-input", verbosity=0)
            body = client.get("/field/sw.js").content.decode()
        shell = json.loads(found(r"const SHELL = (\[.*?\]);", body))
        field_js = [url for url in shell if re.fullmatch(r"/static/fieldapp/field\.\w+\.js", url)]
        assert len(field_js) == 1
        assert re.fullmatch(r"/static/fieldapp/field\.[0-9a-f]{12}\.js", field_js[0])
        assert (tmp_path / field_js[0].removeprefix("/static/")).exists()


@pytest.mark.django_db
class TestManifest:
    def test_installable_in_arabic(self, client):
        response = client.get("/field/manifest.webmanifest")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.content)
        assert manifest["start_url"] == "/field/"
        assert manifest["scope"] == "/field/"
        assert manifest["display"] == "standalone"
        assert manifest["lang"] == "ar"
        assert manifest["dir"] == "rtl"
        with translation.override("ar"):
            assert manifest["name"] == translation.gettext("Amanah field inspections")

    def test_english_names_after_the_switch(self, client):
        client.post("/i18n/setlang/", {"language": "en", "next": "/field/"})
        manifest = json.loads(client.get("/field/manifest.webmanifest").content)
        assert manifest["name"] == "Amanah field inspections"
        assert manifest["lang"] == "en"
        assert manifest["dir"] == "ltr"

    def test_the_icons_exist_at_their_sizes(self, client):
        manifest = json.loads(client.get("/field/manifest.webmanifest").content)
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        assert sizes == {"192x192", "512x512"}
        for icon in manifest["icons"]:
            response = client.get(icon["src"])
            assert response.status_code == 200
            image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert icon["type"] == "image/png"

"""The dispatcher's queue page (/dispatch/) admits dispatchers and administrators only; the login page."""

from __future__ import annotations

import json
import re

import pytest

from geo_services.core.models import Department, District, Jurisdiction
from tests.factories import TEST_PASSWORD, UserFactory, make_staff


def page_config(html: str) -> dict:
    found = re.search(r'<script id="queue-config" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.django_db
class TestQueueAccess:
    def test_anonymous_people_are_sent_to_sign_in(self, client, amman):
        response = client.get("/dispatch/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/dispatch/"

    @pytest.mark.parametrize("role", ["citizen", "inspector", "planner"])
    def test_other_roles_are_refused(self, client, amman, role):
        client.force_login(UserFactory.create(roles=[role]))
        response = client.get("/dispatch/")
        assert response.status_code == 403
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', response.content.decode())

    def test_a_dispatcher_gets_the_queue(self, client, amman):
        user = UserFactory.create(roles=["dispatcher"])
        roads = Department.objects.get(jurisdiction=amman, code="public-works-roads")
        make_staff(
            user, jurisdiction=amman, department=roads, districts=District.objects.filter(code="marka")
        )
        client.force_login(user)
        response = client.get("/dispatch/")
        html = response.content.decode()

        assert response.status_code == 200
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        config = page_config(html)
        assert config["api"] == {"requests": "/api/v1/requests/", "inspectors": "/api/v1/inspectors/"}
        assert config["timeZone"] == "Asia/Amman"
        assert config["map"]["districtsUrl"] == "/api/v1/districts/?jurisdiction=amman"
        assert [d["code"] for d in config["districts"]] == ["marka"]
        assert "duplicate" not in config["transitions"]["new"]
        assert {s["value"] for s in config["statuses"]} >= {"new", "assigned", "in_progress", "resolved"}
        assert "csrfmiddlewaretoken" in html  # the script sends it as X-CSRFToken
        assert "/static/fieldapp/queue.js" in html
        assert "/static/portal/map.js" in html  # the fetch helper every page shares
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []

    def test_an_administrator_gets_the_queue(self, client, amman: Jurisdiction):
        client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
        response = client.get("/dispatch/")
        assert response.status_code == 200
        assert page_config(response.content.decode())["districts"] == []  # all, from the map's outlines


@pytest.mark.django_db
class TestLoginPage:
    def test_arabic_sign_in_leads_to_the_queue(self, client, amman):
        user = UserFactory.create(username="dispatch-1", roles=["dispatcher"])
        make_staff(
            user, jurisdiction=amman, department=Department.objects.get(jurisdiction=amman, code="lighting")
        )
        page = client.get("/accounts/login/?next=/dispatch/")
        html = page.content.decode()
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        assert 'name="next" value="/dispatch/"' in html

        response = client.post(
            "/accounts/login/", {"username": "dispatch-1", "password": TEST_PASSWORD, "next": "/dispatch/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/dispatch/"
        assert client.get("/dispatch/").status_code == 200

    def test_signing_in_without_a_destination_brings_a_dispatcher_to_the_queue(self, client, amman):
        # The sign-in default is the field app (/field/), which sends a dispatcher on to /dispatch/.
        UserFactory.create(username="dispatch-3", roles=["dispatcher"])
        response = client.post(
            "/accounts/login/", {"username": "dispatch-3", "password": TEST_PASSWORD}, follow=True
        )
        assert response.redirect_chain == [("/field/", 302), ("/dispatch/", 302)]
        assert response.status_code == 200

    def test_a_wrong_password_is_explained(self, client, amman):
        UserFactory.create(username="dispatch-2", roles=["dispatcher"])
        response = client.post("/accounts/login/", {"username": "dispatch-2", "password": "wrong"})
        assert response.status_code == 200
        assert 'role="alert"' in response.content.decode()

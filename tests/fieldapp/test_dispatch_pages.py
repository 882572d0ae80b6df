"""The dispatchers' pages at /dispatch/: the request queue (moved from /field/, which is the inspector's
app now) and the supervisor's overview of inspections, for dispatchers and administrators only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import UserFactory, make_staff


def amman_today() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Amman")).date().isoformat()


def overview_config(html: str) -> dict:
    found = re.search(r'<script id="overview-config" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.django_db
class TestOverviewAccess:
    def test_anonymous_people_are_sent_to_sign_in(self, client, amman):
        response = client.get("/dispatch/inspections/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/dispatch/inspections/"

    @pytest.mark.parametrize("role", ["inspector", "citizen", "planner"])
    def test_other_roles_are_refused(self, client, amman, role):
        client.force_login(UserFactory.create(roles=[role]))
        response = client.get("/dispatch/inspections/")
        assert response.status_code == 403
        html = response.content.decode()
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        assert "overview-config" not in html

    @pytest.mark.parametrize("path", ["/dispatch/", "/dispatch/inspections/"])
    def test_an_inspector_is_shown_the_way_to_the_field_app(self, client, amman, path):
        client.force_login(UserFactory.create(roles=["inspector"]))
        response = client.get(path)
        assert response.status_code == 403
        assert 'href="/field/"' in response.content.decode()
        client.force_login(UserFactory.create(roles=["citizen"]))
        assert 'href="/field/"' not in client.get(path).content.decode()

    def test_a_dispatcher_gets_the_overview(self, client, amman):
        user = UserFactory.create(roles=["dispatcher"])
        make_staff(user, jurisdiction=amman)
        client.force_login(user)
        before = amman_today()
        response = client.get("/dispatch/inspections/")
        after = amman_today()
        html = response.content.decode()

        assert response.status_code == 200
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html)
        config = overview_config(html)
        assert config["api"] == {
            "overview": "/api/v1/inspections/overview/",
            "jobs": "/api/v1/inspections/jobs/",
            "templates": "/api/v1/inspections/templates/",
        }
        assert config["timeZone"] == "Asia/Amman"
        # The day in Amman, whatever the server's zone (a run may cross midnight).
        assert config["today"] in {before, after}
        assert f'type="date" value="{config["today"]}"' in html
        assert config["map"]["districtsUrl"] == "/api/v1/districts/?jurisdiction=amman"
        # The dispatch pages' tabs, this one current.
        assert re.search(r'href="/dispatch/inspections/" aria-current="page"', html)
        assert 'href="/dispatch/"' in html
        for script in ("portal/map.js", "fieldapp/supervisor.js", "leaflet/leaflet.js"):
            assert f"/static/{script}" in html
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []

    def test_an_administrator_gets_the_overview(self, client, amman):
        client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
        assert client.get("/dispatch/inspections/").status_code == 200


@pytest.mark.django_db
class TestTheQueueAtItsNewAddress:
    def test_a_dispatcher_finds_the_queue_at_dispatch(self, client, amman):
        user = UserFactory.create(roles=["dispatcher"])
        make_staff(user, jurisdiction=amman)
        client.force_login(user)
        response = client.get("/dispatch/")
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="queue-config"' in html
        assert "/static/fieldapp/queue.js" in html
        assert re.search(r'href="/dispatch/" aria-current="page"', html)
        assert 'href="/dispatch/inspections/"' in html

    def test_the_old_address_no_longer_shows_the_queue(self, client, amman):
        user = UserFactory.create(roles=["dispatcher"])
        make_staff(user, jurisdiction=amman)
        client.force_login(user)
        response = client.get("/field/", follow=True)
        assert response.redirect_chain == [("/dispatch/", 302)]
        assert 'id="queue-config"' in response.content.decode()

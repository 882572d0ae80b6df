"""Rate limits on the public writes: each refuses exactly the request after its allowance with a 429,
Retry-After and a message saying when to try again (in the API's, Open311's or the page's own form),
writes nothing then, counts per address and per account, keeps its counts in the database where
every server process sees them, and is off with AMANAH_RATE_LIMITS_ENABLED=0."""

from __future__ import annotations

import base64
import importlib
import os
import pickle
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from geo_services.core import selectors as core_selectors
from geo_services.env import SettingError, env_rate
from geo_services.initiatives.models import Proposal, ProposalSupport, VolunteerSignup
from geo_services.service_requests.models import ServiceRequest
from geo_services.venues.models import Booking
from tests.factories import UserFactory
from tests.initiatives.factories import InitiativeFactory, point
from tests.initiatives.factories import make_city as make_initiatives_city
from tests.initiatives.test_api import client_for
from tests.service_requests import OPEN311, new_key
from tests.venues.conftest import CENTRE, add_space, add_venue
from tests.venues.conftest import make_city as make_venues_city

REPO_ROOT = Path(__file__).resolve().parents[2]
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
TOKEN_URL = "/api/v1/auth/token/"
BOOKINGS = "/api/v1/bookings/"
COURSES = "/api/v1/courses/"
PROPOSALS = "/api/v1/proposals/"
TWO_PER_HOUR = {
    "AMANAH_RATE_REPORTS": "2/h",
    "AMANAH_RATE_BOOKINGS": "2/h",
    "AMANAH_RATE_TOKEN": "2/h",
    "AMANAH_RATE_PROPOSALS": "2/h",
    "AMANAH_RATE_SUPPORT": "2/h",
    "AMANAH_RATE_SIGNUPS": "2/h",
}


@pytest.fixture(autouse=True)
def _small_limits(settings: Any, tmp_path: Path) -> None:
    for name, rate in TWO_PER_HOUR.items():
        setattr(settings, name, rate)
    settings.AMANAH_RATE_LIMITS_ENABLED = True
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def assert_refused(response: Any) -> dict[str, Any]:
    """A 429 in the API's error shape, with Retry-After (seconds, at most the hour) and the message."""
    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 3600
    error = response.json()["error"]
    assert error["code"] == "too_many_requests"
    assert "Try again in" in error["message"]
    assert error["details"]["retry_after"] == retry_after
    return error


def cache_rows() -> list[tuple[str, int]]:
    """The counters as the database holds them: (key, count)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {settings.RATE_LIMIT_CACHE_TABLE} ORDER BY cache_key")
        return [(key, pickle.loads(base64.b64decode(value))) for key, value in cursor.fetchall()]  # noqa: S301


# --- Citizen reports: Open311 and the portal's form share the "reports" allowance -----------------


def open311_post(client: Client, key: str, fmt: str = "json", **extra: Any) -> Any:
    return client.post(
        f"{OPEN311}requests.{fmt}",
        {
            "api_key": key,
            "service_code": "pothole",
            "lat": "31.9516",
            "long": "35.9393",
            "attribute[size]": "large",
        },
        **EN,
        **extra,
    )


def portal_data(point: Point, **changes: str) -> dict[str, str]:
    return {
        "service_code": "pothole",
        "lat": f"{point.y:.6f}",
        "lon": f"{point.x:.6f}",
        "attribute[size]": "large",
        "description": "A deep hole by the school gate",
        **changes,
    }


@pytest.fixture
def downtown(amman: Any) -> Point:
    found = core_selectors.point_for_place_name("amman", "al-madina")
    assert found is not None
    return found


@pytest.mark.django_db
class TestReports:
    def test_open311_refuses_the_third_post_with_retry_after_and_writes_nothing(self, client, amman):
        key = new_key(amman)
        assert [open311_post(client, key).status_code for _ in range(2)] == [200, 200]
        refused = open311_post(client, key)
        assert refused.status_code == 429
        retry_after = int(refused["Retry-After"])
        assert 1 <= retry_after <= 3600
        (error,) = refused.json()  # Open311's own error document
        assert error["code"] == 429
        assert "Try again in" in error["description"]
        assert ServiceRequest.objects.count() == 2

    def test_open311_xml_clients_get_the_refusal_in_xml(self, client, amman):
        key = new_key(amman)
        for _ in range(2):
            open311_post(client, key)
        refused = open311_post(client, key, fmt="xml")
        assert refused.status_code == 429
        assert refused["Retry-After"]
        assert b"<code>429</code>" in refused.content

    def test_the_portal_form_comes_back_with_the_message_and_the_input(self, client, amman, downtown):
        client.cookies["django_language"] = "en"
        for _ in range(2):
            assert client.post("/", portal_data(downtown)).status_code == 302
        refused = client.post("/", portal_data(downtown, description="Third hole, same street"))
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 3600
        html = refused.content.decode()
        assert 'role="alert"' in html
        assert "Try again in" in html
        assert "Third hole, same street" in html  # what the citizen typed is kept
        assert ServiceRequest.objects.count() == 2

    def test_the_portal_and_open311_share_one_allowance(self, client, amman, downtown):
        key = new_key(amman)
        assert client.post("/", portal_data(downtown)).status_code == 302
        assert open311_post(client, key).status_code == 200
        assert open311_post(client, key).status_code == 429
        assert client.post("/", portal_data(downtown)).status_code == 429

    def test_each_address_has_its_own_allowance(self, client, amman):
        key = new_key(amman)
        for _ in range(2):
            assert open311_post(client, key, REMOTE_ADDR="10.0.0.1").status_code == 200
        assert open311_post(client, key, REMOTE_ADDR="10.0.0.1").status_code == 429
        assert open311_post(client, key, REMOTE_ADDR="10.0.0.2").status_code == 200

    def test_signed_in_residents_are_counted_by_account_not_address(self, amman, downtown):
        first, second = Client(), Client()
        first.force_login(UserFactory.create(roles=["citizen"]))
        second.force_login(UserFactory.create(roles=["citizen"]))
        for _ in range(2):
            assert first.post("/", portal_data(downtown)).status_code == 302
        assert first.post("/", portal_data(downtown)).status_code == 429
        # Same address (127.0.0.1), another account: its own allowance.
        assert second.post("/", portal_data(downtown)).status_code == 302

    def test_a_forged_x_forwarded_for_changes_nothing(self, client, amman):
        key = new_key(amman)
        for n in range(2):
            assert open311_post(client, key, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
        assert open311_post(client, key, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429

    def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(self, client, amman, settings):
        settings.AMANAH_TRUSTED_PROXIES = ["127.0.0.1"]
        key = new_key(amman)
        # The proxy appends the address it saw; what the client wrote before it is not trusted.
        forged_then_real = "198.51.100.7, 203.0.113.1"
        for _ in range(2):
            assert open311_post(client, key, HTTP_X_FORWARDED_FOR=forged_then_real).status_code == 200
        assert open311_post(client, key, HTTP_X_FORWARDED_FOR="198.51.100.8, 203.0.113.1").status_code == 429
        assert open311_post(client, key, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


# --- Bookings and courses ----------------------------------------------------------------------------


@pytest.fixture
def space(db: None) -> Any:
    city = make_venues_city("rl-amman", "Asia/Amman", lon=35.7, lat=31.8, size=0.4)
    return add_space(add_venue(city, "rl-hall", *CENTRE, spaces=()), "room")


def tomorrow() -> date:
    return (timezone.localtime() + timedelta(days=1)).date()


def booking(space: Any, hour: int) -> dict[str, Any]:
    day = tomorrow()
    return {"space": space.pk, "start": f"{day}T{hour:02d}:00", "end": f"{day}T{hour + 1:02d}:00"}


@pytest.mark.django_db
class TestBookings:
    def test_the_third_booking_in_the_hour_is_refused_and_not_written(self, space):
        client = client_for(UserFactory.create(roles=["citizen"]))
        assert client.post(BOOKINGS, booking(space, 9), format="json").status_code == 201
        assert client.post(BOOKINGS, booking(space, 10), format="json").status_code == 201
        assert_refused(client.post(BOOKINGS, booking(space, 11), format="json"))
        assert Booking.objects.count() == 2

    def test_courses_count_in_the_same_allowance(self, space):
        client = client_for(UserFactory.create(roles=["citizen"]))
        assert client.post(BOOKINGS, booking(space, 9), format="json").status_code == 201
        course = {"space": space.pk, "title": "Chess", "sessions": [booking(space, 12), booking(space, 14)]}
        for item in course["sessions"]:
            item.pop("space")
        assert client.post(COURSES, course, format="json").status_code == 201
        assert_refused(client.post(COURSES, course, format="json"))
        assert Booking.objects.count() == 3

    def test_another_person_at_the_same_address_still_books(self, space):
        first = client_for(UserFactory.create(roles=["citizen"]))
        for hour in (9, 10):
            first.post(BOOKINGS, booking(space, hour), format="json")
        assert first.post(BOOKINGS, booking(space, 11), format="json").status_code == 429
        second = client_for(UserFactory.create(roles=["citizen"]))
        assert second.post(BOOKINGS, booking(space, 11), format="json").status_code == 201

    def test_a_refused_anonymous_request_does_not_use_the_allowance(self, space):
        # Permission is checked first: 401s cost the person nothing.
        anonymous = APIClient()
        for _ in range(3):
            assert anonymous.post(BOOKINGS, booking(space, 9), format="json").status_code in (401, 403)
        assert cache_rows() == []


# --- The token endpoint ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestToken:
    def test_the_third_request_is_refused_even_with_the_right_password(self, api_client):
        UserFactory.create(username="rana", password="right-pass-1234")
        for name in ("nobody-1", "nobody-2"):  # two user names: the lockout is not what stops this
            response = api_client.post(TOKEN_URL, {"username": name, "password": "x"}, format="json", **EN)
            assert response.status_code == 400
        refused = api_client.post(
            TOKEN_URL, {"username": "rana", "password": "right-pass-1234"}, format="json", **EN
        )
        assert_refused(refused)
        assert not Token.objects.exists()

    def test_the_count_is_a_row_in_the_database_cache(self, api_client):
        for _ in range(2):
            api_client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json")
        ((_key, count),) = cache_rows()
        assert count == 2
        # The same table the migration made, under the name the settings give it.
        migration = importlib.import_module("geo_services.core.migrations.0007_rate_limit_cache_table")
        caches = cast(dict[str, dict[str, Any]], settings.CACHES)
        assert migration.TABLE == settings.RATE_LIMIT_CACHE_TABLE == caches["ratelimit"]["LOCATION"]


@pytest.mark.django_db(transaction=True)
def test_another_server_process_sees_the_same_counts(api_client):
    """Two requests here, the third from a separate Python process (as another gunicorn worker)."""
    for _ in range(2):
        assert (
            api_client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json").status_code == 400
        )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "AMANAH_RATE_TOKEN": "2/h",
        "AMANAH_RATE_LIMITS_ENABLED": "1",
        "DJANGO_SETTINGS_MODULE": "geo_services.settings",
    }
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client(HTTP_HOST='localhost').post('/api/v1/auth/token/', {'username': 'x', 'password': 'y'},"
        " content_type='application/json', HTTP_ACCEPT_LANGUAGE='en')\n"
        "print(r.status_code, r.get('Retry-After'))\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, retry_after = result.stdout.split()[-2:]
    assert status == "429"
    assert int(retry_after) >= 1


# --- Proposals, support, volunteer sign-ups ---------------------------------------------------------


@pytest.fixture
def community(db: None) -> Any:
    return make_initiatives_city("rl-riyadh")


def proposal_body(city: Any, title: str) -> dict[str, Any]:
    return {
        "jurisdiction": city.jurisdiction.code,
        "title": title,
        "description": "Shade for the children walking to school.",
        "geometry": point(46.65, 24.65),
    }


@pytest.mark.django_db
class TestCommunity:
    def test_proposals(self, community):
        client = client_for(UserFactory.create(roles=["citizen"]))
        for title in ("Trees", "Benches"):
            assert client.post(PROPOSALS, proposal_body(community, title), format="json").status_code == 201
        assert_refused(client.post(PROPOSALS, proposal_body(community, "Lamps"), format="json"))
        assert Proposal.objects.count() == 2

    def test_support(self, community):
        proposer = client_for(UserFactory.create(roles=["citizen"]))
        ids = [
            proposer.post(PROPOSALS, proposal_body(community, title), format="json").json()["id"]
            for title in ("Trees", "Benches")
        ]
        supporter = client_for(UserFactory.create(roles=["citizen"]))
        with override_settings(AMANAH_RATE_PROPOSALS="10/h"):
            ids.append(
                proposer.post(PROPOSALS, proposal_body(community, "Lamps"), format="json").json()["id"]
            )
        before = ProposalSupport.objects.count()
        for proposal_id in ids[:2]:
            assert supporter.post(f"{PROPOSALS}{proposal_id}/support/").status_code == 201
        assert_refused(supporter.post(f"{PROPOSALS}{ids[2]}/support/"))
        assert ProposalSupport.objects.count() == before + 2

    def test_volunteer_sign_ups(self, community):
        planner = UserFactory.create(roles=["admin"])
        park = InitiativeFactory.create(jurisdiction=community.jurisdiction, department=community.parks)
        day = {"date": str(tomorrow() + timedelta(days=30)), "start": "08:00", "end": "12:00", "capacity": 9}
        days = [
            client_for(planner).post(
                f"/api/v1/initiatives/{park.pk}/work-days/", {**day, "place": p}, format="json"
            )
            for p in ("North gate", "South gate", "East gate")
        ]
        assert [d.status_code for d in days] == [201, 201, 201]
        person = client_for(UserFactory.create(roles=["citizen"]))
        for answer in days[:2]:
            assert person.post(f"/api/v1/work-days/{answer.json()['id']}/signup/").status_code == 201
        assert_refused(person.post(f"/api/v1/work-days/{days[2].json()['id']}/signup/"))
        assert VolunteerSignup.objects.count() == 2


# --- Off switch and English/Arabic ------------------------------------------------------------------


@pytest.mark.django_db
def test_with_limits_disabled_nothing_is_counted_or_refused(api_client, settings):
    settings.AMANAH_RATE_LIMITS_ENABLED = False
    settings.AMANAH_RATE_TOKEN = "1/h"
    # A user name each time, so that the sign-in lockout plays no part.
    statuses = {
        api_client.post(TOKEN_URL, {"username": f"x{n}", "password": "y"}, format="json").status_code
        for n in range(4)
    }
    assert statuses == {400}
    assert cache_rows() == []


@pytest.mark.django_db
def test_the_message_names_the_wait_in_minutes_and_the_clock_time(api_client):
    for _ in range(2):
        api_client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json")
    refused = api_client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json", **EN)
    error = assert_refused(refused)
    minutes = -(-int(refused["Retry-After"]) // 60)
    assert f"Try again in {minutes} minutes" in error["message"]
    at = timezone.localtime() + timedelta(seconds=int(refused["Retry-After"]))
    assert (
        at.strftime("%H:%M") in error["message"]
        or (at - timedelta(seconds=1)).strftime("%H:%M") in error["message"]
    )


@pytest.mark.parametrize("raw", ["10 per hour", "10/x", "0/h", "ten/h", "10/h/extra"])
def test_a_rate_the_app_cannot_read_stops_it_at_start(monkeypatch, raw):
    monkeypatch.setenv("AMANAH_RATE_REPORTS", raw)
    with pytest.raises(SettingError, match="AMANAH_RATE_REPORTS"):
        env_rate("AMANAH_RATE_REPORTS", "10/h")


@pytest.mark.parametrize(("raw", "expected"), [("20/10m", "20/10m"), (" 5/d ", "5/d"), ("", "10/h")])
def test_readable_rates_are_taken(monkeypatch, raw, expected):
    monkeypatch.setenv("AMANAH_RATE_REPORTS", raw)
    assert env_rate("AMANAH_RATE_REPORTS", "10/h") == expected


@pytest.mark.django_db(transaction=True)
def test_counts_made_at_the_same_moment_are_all_kept():
    """Eight workers count the same key at once (each on its own connection): no count is lost, and
    of eight first requests exactly one creates the counter."""
    cache = caches["ratelimit"]
    barrier = threading.Barrier(8)
    added: list[bool] = []
    lock = threading.Lock()

    def count() -> None:
        try:
            barrier.wait()
            first = cache.add("race", 1, 60)
            with lock:
                added.append(first)
            if not first:
                cache.incr("race")
            for _ in range(4):
                cache.incr("race")
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(added) == [False] * 7 + [True]
    assert cache.get("race") == 8 * 5

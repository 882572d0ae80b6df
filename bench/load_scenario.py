"""The load scenario: citizens, inspectors and planners against the app over HTTP (a locustfile).

Run by `bench/load.py` (`python -m bench --only load`), which prepares the data and writes what the
simulated people need (the api_key, tokens, jobs, points inside Amman) to the JSON file named by
AMANAH_LOAD_FIXTURE. It runs alone too, against any server holding that data:

    AMANAH_LOAD_FIXTURE=.data/bench-load/fixture.json .venv/bin/locust -f bench/load_scenario.py \
        --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 60s

Who does what (weights are shares of the simulated people; think times between their actions):

- VenueBrowser (5): the venue finder page and its two searches (all venues within 30 km of the map
  centre, and those free in a window), a search of the map's box or around a point for one kind,
  then a venue's page, its details and its free slots for a week — as the pages' scripts ask.
- Reporter (2): lists the services (and the questions of those that have any), reports a problem
  (Open311 POST requests.json, form-encoded, with the api_key, a point inside Amman and answers to
  the required questions), and now and then looks up a report's status (Open311, or the portal's
  status page by its token).
- Inspector (1): each has an account, a token and a day of jobs of their own; starts the day with
  GET /api/v1/field/today/, then syncs every so often: PUTs one to three finished inspections (client
  UUIDs, answers, position) and reloads the day; one sync in twenty sends one of them again, as after
  a lost answer (the server answers 200, stored once).
- Planner (2): pans a map of vector tiles over Amman (zooms 10-15, a viewport of 2x3 tiles of one
  layer; most views around the centre, whose tiles are then in the server's tile cache, the others
  anywhere in the city, new tiles) and reads OGC API items pages of a box; Token authentication
  (HTTP Basic for a share AMANAH_LOAD_BASIC_SHARE of them, 0 by default).

No module of the project is imported here: locust's gevent patches the process it runs in.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURE: dict[str, Any] = json.loads(open(os.environ["AMANAH_LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
POINTS: list[list[float]] = FIXTURE["points"]
MIN_LON, MIN_LAT, MAX_LON, MAX_LAT = FIXTURE["bbox"]
CENTRE = FIXTURE["centre"]
LANGUAGES = ("ar", "ar", "ar", "en")
JSON_HEADERS = {"Accept": "application/json"}
TILE_LAYERS = ("service-requests", "service-requests", "venues", "venues", "districts", "green-spaces")
ITEM_LAYERS = ("venues", "service-requests")
VENUE_KINDS = ("sports_pitch", "hall", "community_centre", "library", "park")


def _point() -> tuple[float, float]:
    lon, lat = random.choice(POINTS)
    return lon, lat


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {"Accept-Language": random.choice(LANGUAGES)}
    headers.update(extra or {})
    return headers


class VenueBrowser(FastHttpUser):
    weight = 5
    wait_time = between(3, 8)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.language = random.choice(LANGUAGES)

    def _window(self) -> tuple[str, str]:
        day = datetime.fromisoformat(FIXTURE["booked_from"]) + timedelta(days=random.randrange(7))
        start = day.replace(hour=random.randrange(8, 22))
        return start.isoformat(timespec="minutes"), (start + timedelta(hours=1)).isoformat(timespec="minutes")

    def _search(self, query: dict[str, Any], name: str) -> list[int]:
        with self.client.get(
            "/api/v1/venues/?" + urlencode(query), name=name, headers=_headers(), catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return []
            return [feature["id"] for feature in response.json()["features"]]

    def _open_venue(self, venue_id: int) -> None:
        """The venue's page, then what its script asks: the venue and its free slots for a week."""
        self.client.get(f"/venues/{venue_id}/", name="/venues/{id}/ (page)", headers=_headers())
        self.client.get(f"/api/v1/venues/{venue_id}/", name="/api/v1/venues/{id}/", headers=_headers())
        self.client.get(
            f"/api/v1/venues/{venue_id}/availability/?date={FIXTURE['booked_from']}&days=7",
            name="/api/v1/venues/{id}/availability/?days=7",
            headers=_headers(),
        )

    @task(3)
    def finder(self) -> None:
        self.client.get("/venues/", name="/venues/ (finder page)", headers=_headers())
        lon, lat = _point()
        common = {"near": f"{lat:.6f},{lon:.6f}", "radius": 30000}
        if random.random() < 0.3:
            common["kind"] = random.choice(VENUE_KINDS)
        found = self._search(common, "/api/v1/venues/?near&radius=30km")
        free_from, free_to = self._window()
        self._search(
            {**common, "free_from": free_from, "free_to": free_to}, "/api/v1/venues/?near&free_from&free_to"
        )
        if found:
            self._think()
            self._open_venue(random.choice(found[:10]))

    @task(2)
    def map_box(self) -> None:
        lon, lat = _point()
        half = random.choice((0.01, 0.02, 0.04))
        query: dict[str, Any] = {
            "bbox": f"{lon - half:.5f},{lat - half:.5f},{lon + half:.5f},{lat + half:.5f}"
        }
        if random.random() < 0.5:
            query["kind"] = random.choice(VENUE_KINDS)
        found = self._search(query, "/api/v1/venues/?bbox")
        if found:
            self._think()
            self._open_venue(random.choice(found))

    @task(2)
    def nearby(self) -> None:
        lon, lat = _point()
        found = self._search(
            {"near": f"{lat:.6f},{lon:.6f}", "radius": random.choice((1000, 2000, 5000)), "limit": 20},
            "/api/v1/venues/?near&radius",
        )
        if found:
            self._think()
            self._open_venue(found[0])
        else:
            self._open_venue(random.choice(FIXTURE["venue_ids"]))

    def _think(self) -> None:
        # Reading the list before choosing a venue.
        gevent.sleep(random.uniform(1, 4))


# The services and their questions, read once per process by the first reporter that needs them.
_SERVICES: list[dict[str, Any]] = []
_DEFINITIONS: dict[str, list[dict[str, Any]]] = {}


class Reporter(FastHttpUser):
    weight = 2
    wait_time = between(5, 15)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.reports: list[tuple[str, str]] = []
        response = self.client.get(
            "/open311/v2/services.json", name="/open311/v2/services.json", headers=_headers()
        )
        if not _SERVICES and response.status_code == 200:
            _SERVICES.extend(response.json())

    def _questions(self, code: str) -> list[dict[str, Any]]:
        if code not in _DEFINITIONS:
            response = self.client.get(
                f"/open311/v2/services/{code}.json",
                name="/open311/v2/services/{code}.json",
                headers=_headers(),
            )
            if response.status_code != 200:
                return []
            _DEFINITIONS[code] = response.json()["attributes"]
        return _DEFINITIONS[code]

    @task(3)
    def report(self) -> None:
        if not _SERVICES:
            return
        service = random.choice(_SERVICES)
        code = service["service_code"]
        lon, lat = _point()
        # A few metres off a known point inside the city, so reports do not pile up on one spot.
        lon += random.uniform(-0.0003, 0.0003)
        lat += random.uniform(-0.0003, 0.0003)
        fields: list[tuple[str, str]] = [
            ("api_key", FIXTURE["api_key"]),
            ("service_code", code),
            ("lat", f"{lat:.6f}"),
            ("long", f"{lon:.6f}"),
            ("description", random.choice(("مشكلة قرب المنزل", "Problem on our street", "يرجى المعالجة"))),
            ("device_id", FIXTURE["device_id"]),
        ]
        if service.get("metadata"):
            for question in self._questions(code):
                if question.get("required") or random.random() < 0.3:
                    fields.extend(_answer(question))
        with self.client.post(
            "/open311/v2/requests.json",
            data=urlencode(fields),
            name="/open311/v2/requests.json (POST)",
            headers=_headers({"Content-Type": "application/x-www-form-urlencoded"}),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
                return
            answer = response.json()[0]
            self.reports.append((answer["service_request_id"], answer["token"]))

    @task(1)
    def status(self) -> None:
        if self.reports and random.random() < 0.8:
            request_id, token = random.choice(self.reports)
        else:
            request_id, token = random.choice(FIXTURE["requests"])
        if random.random() < 0.7:
            self.client.get(
                f"/open311/v2/requests/{request_id}.json",
                name="/open311/v2/requests/{id}.json",
                headers=_headers(),
            )
        else:
            self.client.get(f"/requests/{token}/", name="/requests/{token}/ (page)", headers=_headers())


def _answer(question: dict[str, Any]) -> list[tuple[str, str]]:
    code = question["code"]
    datatype = question["datatype"]
    values = [value["key"] for value in question.get("values") or []]
    if datatype == "singlevaluelist" and values:
        return [(f"attribute[{code}]", random.choice(values))]
    if datatype == "multivaluelist" and values:
        return [(f"attribute[{code}][]", value) for value in random.sample(values, min(2, len(values)))]
    if datatype == "number":
        return [(f"attribute[{code}]", str(random.randint(1, 5)))]
    if datatype == "datetime":
        return [(f"attribute[{code}]", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))]
    return [(f"attribute[{code}]", str(random.randint(100, 999)))]


_INSPECTOR_ACCOUNTS = itertools.count()


class Inspector(FastHttpUser):
    weight = 1
    wait_time = between(15, 40)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        accounts = FIXTURE["inspectors"]
        # Each simulated inspector takes the next account; with more simulated inspectors than
        # accounts two share one (like one person's two tablets), and its list of jobs.
        self.account = accounts[next(_INSPECTOR_ACCOUNTS) % len(accounts)]
        self.auth = {"Authorization": f"Token {self.account['token']}", "X-Device-Id": str(uuid.uuid4())}
        self.sent: list[tuple[str, str]] = []
        self._today()

    def _position(self) -> tuple[float, float]:
        jobs = self.account["jobs"]
        if jobs:
            return jobs[0]["lon"] + 0.001, jobs[0]["lat"] + 0.001
        return _point()

    def _today(self) -> None:
        lon, lat = self._position()
        self.client.get(
            f"/api/v1/field/today/?lat={lat:.6f}&lon={lon:.6f}",
            name="/api/v1/field/today/",
            headers=_headers(self.auth),
        )

    def _inspection(self, job: dict[str, Any]) -> str:
        finished = datetime.now(UTC) - timedelta(minutes=random.randint(1, 20))
        # A few metres from the target (1e-5 degrees is about a metre), with a good fix.
        position = {
            "lon": round(job["lon"] + random.uniform(-0.00005, 0.00005), 7),
            "lat": round(job["lat"] + random.uniform(-0.00005, 0.00005), 7),
            "accuracy_m": round(random.uniform(4, 15), 1),
        }
        answers: dict[str, Any] = {"safe": random.random() < 0.9, "condition": random.randint(0, 4)}
        if random.random() < 0.7:
            answers["defects"] = random.randint(0, 5)
        if random.random() < 0.4:
            answers["notes"] = random.choice(("لا ملاحظات", "Needs a follow-up visit", "تم التنظيف"))
        return json.dumps(
            {
                "job": job["id"],
                "template_version": FIXTURE["template_version"],
                "answers": answers,
                "position": position,
                "started_at": (finished - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "finished_at": finished.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "photos": [],
            },
            ensure_ascii=False,
        )

    def _put(self, record_uuid: str, body: str, expected: int) -> None:
        with self.client.request(
            "PUT",
            f"/api/v1/field/inspections/{record_uuid}/",
            data=body,
            name=f"/api/v1/field/inspections/{{uuid}}/ (PUT, {'new' if expected == 201 else 'again'})",
            headers=_headers({**self.auth, "Content-Type": "application/json"}),
            catch_response=True,
        ) as response:
            if response.status_code != expected:
                response.failure(
                    f"expected {expected}, got {response.status_code}: {(response.text or '')[:300]}"
                )
            elif not response.json().get("complete"):
                response.failure("the inspection is not complete")

    @task
    def sync(self) -> None:
        jobs = self.account["jobs"]
        for _ in range(random.randint(1, 3)):
            if not jobs:
                break
            job = jobs.pop(0)
            record_uuid = str(uuid.uuid4())
            body = self._inspection(job)
            self._put(record_uuid, body, 201)
            self.sent.append((record_uuid, body))
        if self.sent and random.random() < 0.05:
            record_uuid, body = random.choice(self.sent)
            self._put(record_uuid, body, 200)
        self._today()


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


class Planner(FastHttpUser):
    weight = 2
    wait_time = between(4, 10)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        account = random.choice(FIXTURE["planners"])
        if random.random() < FIXTURE["basic_share"]:
            pair = f"{account['username']}:{account['password']}".encode()
            self.auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        else:
            self.auth = {"Authorization": f"Token {account['token']}"}

    @task(4)
    def tiles(self) -> None:
        zoom = random.randint(10, 15)
        if random.random() < 0.6:
            # Around the centre, where everyone looks first: these tiles are mostly cached.
            lon, lat = CENTRE
        else:
            lon, lat = _point()
        layer = random.choice(TILE_LAYERS)
        x0, y0 = tile_of(lon, lat, zoom)
        for dx, dy in itertools.product((-1, 0, 1), (0, 1)):
            with self.client.get(
                f"/tiles/{layer}/{zoom}/{x0 + dx}/{y0 + dy}.mvt",
                name=f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt",
                headers=self.auth,
                catch_response=True,
            ) as response:
                if response.status_code not in (200, 204):
                    response.failure(f"{response.status_code}: {(response.text or '')[:200]}")

    @task(1)
    def items(self) -> None:
        layer = random.choice(ITEM_LAYERS)
        lon, lat = _point()
        half = random.choice((0.01, 0.03))
        query = {
            "bbox": f"{lon - half:.5f},{lat - half:.5f},{lon + half:.5f},{lat + half:.5f}",
            "limit": 100,
            "f": "json",
        }
        if random.random() < 0.3:
            query["offset"] = 100
        self.client.get(
            f"/ogc/collections/{layer}/items?" + urlencode(query),
            name=f"/ogc/collections/{layer}/items?bbox",
            headers={**self.auth, "Accept": "application/geo+json"},
        )

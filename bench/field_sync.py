"""Field sync (issue "Inspections and the tablet field app"): a tablet's outbox of N inspections with
P photos each, sent to the real app over real HTTP, with connections cut at random, and what the
database holds afterwards.

Set-up in the benchmark database: a jurisdiction of its own with one square district, a checklist
with two photo items ("before" required), an inspector with an API token, and N jobs given to them by
a dispatcher through `services.create_job`, due today. The app runs under gunicorn (sync workers) on
loopback; between the client and gunicorn, `bench.netcut` cuts a share of the connections: before
the request has fully reached the server, while the server works on it (the retry then races the
first attempt), or after the server has answered.

The client is the app's outbox (docs/field-sync.md; fieldapp/static/fieldapp/outbox.js): records in
the order they were finished; for each, PUT the inspection, then PUT every photo the answer lists in
`missing_photos`, then GET the inspection if it is still not complete; `complete: true` marks the
record sent. A network error, a 5xx, 408 or 429 ends the sync pass and leaves the record waiting, and
the next pass starts at once (the "Sync now" button); a 4xx marks the record failed, which fails the
benchmark with the request, the answer and what the database holds.

Phases: clean (no cuts), cut (`cut_rate` of the connections cut), and with `tablets` > 1 the cut run
again with that many tablets syncing at once. After each, from the database: N inspections and N x P
photos, no duplicate per inspection UUID, per job or per (inspection, photo UUID), nothing stored
that the client did not send, every photo received with the SHA-256 of the bytes the client holds,
a readable image and thumbnail and no stray file on disk, each receipt once in the audit trail,
every job done.

Django models are imported inside the functions that use them, so that `python -m bench.field_sync`
can set Django up before they load.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from PIL import Image, ImageDraw

from bench.netcut import CuttingProxy, endpoint_of

JURISDICTION = "bench-field"
DISTRICT = "bench-field-square"
TEMPLATE = "bench-field-sync"
INSPECTOR = "bench-field-inspector"
DISPATCHER = "bench-field-dispatcher"
ZONE = "Asia/Riyadh"
# A 0.1-degree square near Jeddah: no other benchmark's district covers it, so every job's point
# lookup has one answer.
MIN_LON, MIN_LAT, SIZE = 39.10, 21.45, 0.10
PHOTO_SIZE = (640, 480)
USER_AGENT = "Amanah field sync benchmark"
# (connect, read) seconds; the server answers in tens of milliseconds, so a timeout means trouble.
TIMEOUT = (5.0, 60.0)
# Passes in a row that send nothing before the sync is declared stuck. At a 20 % cut rate a record
# goes through in one pass about half the time, so 50 fruitless passes do not happen by chance.
MAX_STALLED_PASSES = 50
WAITING, SENT, FAILED = "waiting", "sent", "failed"
_LOG_ANSWER = re.compile(r"^([A-Z][A-Za-z -]+): (/\S*)")

CUT_KINDS = ("request/head", "request/body", "in-flight", "response")
PUT_INSPECTION = "PUT inspection"
PUT_PHOTO = "PUT photo"
GET_INSPECTION = "GET inspection"


class BenchmarkFailure(RuntimeError):
    """The sync or what the database holds afterwards is not what the contract promises."""


# --- The app, served over HTTP ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgis://{user}{password}@{host}{port}/{db['NAME']}"


@dataclass
class Server:
    base_url: str
    host: str
    port: int
    log: Path

    def log_position(self) -> int:
        return self.log.stat().st_size

    def answers_logged(self, since: int) -> Counter[str]:
        """What the app logged about its error answers ("Bad Request", "Internal Server Error", ...)
        and gunicorn's own errors, since a position in its log."""
        with self.log.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        found: Counter[str] = Counter()
        for line in lines:
            answer = _LOG_ANSWER.match(line)
            if answer:
                found[f"{answer.group(1)} {endpoint_of(answer.group(2))}"] += 1
            elif "[ERROR]" in line or line.startswith("Traceback"):
                found["server error logged"] += 1
        return found


@contextmanager
def served_app(*, workers: int, media_root: Path, log_dir: Path) -> Iterator[Server]:
    """gunicorn serving the project on a free loopback port, with the benchmark database and its own
    folder for uploaded files; stopped (SIGTERM to the process started here) afterwards."""
    from django.conf import settings

    port = _free_port()
    log = log_dir / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_services.settings",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media_root),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "geo_services.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the venv's own gunicorn, arguments made here
            command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchmarkFailure(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
            try:
                if requests.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise BenchmarkFailure(f"gunicorn did not answer /healthz within 60 s:\n{_tail(log)}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- Set-up in the benchmark database -----------------------------------------------------------------


def _checklist() -> list[dict[str, Any]]:
    return [
        {
            "key": "clean",
            "type": "yes_no",
            "label_ar": "الموقع نظيف",
            "label_en": "Site clean",
            "weight": 1,
            "critical": True,
            "required": True,
        },
        {
            "key": "condition",
            "type": "score",
            "label_ar": "الحالة العامة",
            "label_en": "General condition",
            "weight": 2,
            "max_score": 4,
            "required": True,
        },
        {"key": "notes", "type": "text", "label_ar": "ملاحظات", "label_en": "Notes", "weight": 0},
        {
            "key": "before",
            "type": "photo",
            "label_ar": "صورة قبل",
            "label_en": "Photo before",
            "weight": 0,
            "required": True,
        },
        {"key": "after", "type": "photo", "label_ar": "صورة بعد", "label_en": "Photo after", "weight": 0},
    ]


@dataclass(frozen=True)
class Fixture:
    jurisdiction_id: int
    inspector_id: int
    dispatcher_id: int
    token: str
    template_version: int


def prepare() -> Fixture:
    """The jurisdiction, district, checklist, inspector (with a token) and dispatcher; kept between runs."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from rest_framework.authtoken.models import Token

    from geo_services.core.models import District, Jurisdiction, StaffMember
    from geo_services.core.roles import Role
    from geo_services.inspections import services
    from geo_services.inspections.checklists import parse_items
    from geo_services.inspections.models import ChecklistTemplate, TemplateKind

    jurisdiction, _ = Jurisdiction.objects.get_or_create(
        code=JURISDICTION,
        defaults={
            "name_ar": "قياس المزامنة",
            "name_en": "Field sync benchmark",
            "time_zone": ZONE,
            "currency": "SAR",
        },
    )
    District.objects.get_or_create(
        jurisdiction=jurisdiction,
        code=DISTRICT,
        defaults={
            "name_ar": "مربع",
            "name_en": "Square",
            "geom": MultiPolygon(
                Polygon.from_bbox((MIN_LON, MIN_LAT, MIN_LON + SIZE, MIN_LAT + SIZE)), srid=4326
            ),
        },
    )
    users = get_user_model().objects
    inspector, _ = users.get_or_create(username=INSPECTOR)
    dispatcher, _ = users.get_or_create(username=DISPATCHER)
    for user, role in ((inspector, Role.INSPECTOR), (dispatcher, Role.DISPATCHER)):
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        StaffMember.objects.get_or_create(user=user, defaults={"jurisdiction": jurisdiction})
    token, _ = Token.objects.get_or_create(user=inspector)

    audit = services.Audit(actor=dispatcher, user_agent=USER_AGENT)
    items = parse_items(_checklist())
    template = ChecklistTemplate.objects.filter(jurisdiction=jurisdiction, code=TEMPLATE).first()
    if template is None:
        version = services.create_template(
            audit=audit,
            jurisdiction=jurisdiction,
            code=TEMPLATE,
            kind=TemplateKind.FACILITY,
            name_ar="قياس مزامنة التفتيش",
            name_en="Field sync benchmark checklist",
            items=items,
            min_gps_accuracy_m=25.0,
            max_distance_m=100.0,
            pass_score=Decimal(70),
        )
    else:
        version, _published = services.publish_template_version(
            audit=audit,
            template_id=template.pk,
            items=items,
            min_gps_accuracy_m=25.0,
            max_distance_m=100.0,
            pass_score=Decimal(70),
        )
    return Fixture(
        jurisdiction_id=jurisdiction.pk,
        inspector_id=inspector.pk,
        dispatcher_id=dispatcher.pk,
        token=token.key,
        template_version=version.number,
    )


def clear(fixture: Fixture, media_root: Path) -> None:
    """Remove the benchmark inspector's jobs and inspections of a previous phase or run.

    The audit trail is append-only (a trigger refuses deletions) and its events hold on to the jobs
    and inspections; in the benchmark's own database, the trigger is set aside for this one
    transaction and only the benchmark inspector's events go.
    """
    from django.db import connection, transaction

    inspector = fixture.inspector_id
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE inspections_auditevent DISABLE TRIGGER insp_audit_append_only")
        cursor.execute(
            """
            DELETE FROM inspections_auditevent
            WHERE job_id IN (SELECT id FROM inspections_inspectionjob WHERE inspector_id = %(i)s)
               OR inspection_id IN (SELECT id FROM inspections_inspection WHERE inspector_id = %(i)s)
            """,
            {"i": inspector},
        )
        cursor.execute("ALTER TABLE inspections_auditevent ENABLE TRIGGER insp_audit_append_only")
        cursor.execute(
            """
            DELETE FROM inspections_inspectionphoto
            WHERE inspection_id IN (SELECT id FROM inspections_inspection WHERE inspector_id = %s)
            """,
            [inspector],
        )
        cursor.execute("DELETE FROM inspections_inspection WHERE inspector_id = %s", [inspector])
        cursor.execute("DELETE FROM inspections_inspectionjob WHERE inspector_id = %s", [inspector])
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)


@dataclass(frozen=True)
class Job:
    id: int
    lon: float
    lat: float


def create_jobs(fixture: Fixture, count: int, *, seed: int) -> list[Job]:
    """`count` jobs for the inspector, due today, at random points of the district, given by the
    dispatcher through the service the API uses."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point

    from geo_services.inspections import services
    from geo_services.inspections.models import TargetKind

    dispatcher = get_user_model().objects.get(pk=fixture.dispatcher_id)
    audit = services.Audit(actor=dispatcher, user_agent=USER_AGENT)
    today = services.local_today(ZONE)
    rng = random.Random(seed)
    margin = SIZE / 50
    jobs = []
    for index in range(count):
        lon = MIN_LON + margin + rng.random() * (SIZE - 2 * margin)
        lat = MIN_LAT + margin + rng.random() * (SIZE - 2 * margin)
        job = services.create_job(
            audit=audit,
            template_code=TEMPLATE,
            inspector_id=fixture.inspector_id,
            due_date=today,
            target=services.JobTarget(
                kind=TargetKind.POINT,
                location=Point(lon, lat, srid=4326),
                label=f"نقطة {index + 1} / Stop {index + 1}",
            ),
        )
        jobs.append(Job(id=job.pk, lon=lon, lat=lat))
    return jobs


# --- The tablet's outbox ------------------------------------------------------------------------------


def make_photo(rng: random.Random, label: str) -> bytes:
    """A small real JPEG, different for every call: coloured shapes under a seeded grain, as a
    phone photo resized by an app (about 40 KB)."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y = rng.randrange(width), rng.randrange(height)
        box = (x, y, x + rng.randrange(20, 240), y + rng.randrange(20, 240))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    small = (width // 4, height // 4)
    grain = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    image = Image.blend(image, grain.resize(PHOTO_SIZE, Image.Resampling.BILINEAR), 0.15)
    ImageDraw.Draw(image).text((10, 10), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def make_photos(count: int, *, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [make_photo(rng, f"photo {index + 1}") for index in range(count)]


@dataclass(frozen=True)
class OutboxPhoto:
    uuid: str
    item: str
    sha256: str
    data: bytes


@dataclass
class Record:
    """One finished inspection waiting in the outbox, with its photos' bytes."""

    uuid: str
    job: int
    payload: dict[str, Any]
    photos: dict[str, OutboxPhoto]
    state: str = WAITING
    refusal: Refusal | None = None


def make_outbox(
    jobs: list[Job], *, template_version: int, photos: list[bytes], per_inspection: int, seed: int
) -> list[Record]:
    """One inspection per job, as the app builds it: UUIDs made on the tablet, the position a few
    metres from the target, answers for every item, the photos declared with their SHA-256."""
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    start_of_day = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=len(jobs) // 6 + 1)
    outbox = []
    for index, job in enumerate(jobs):
        declared = []
        answers: dict[str, Any] = {
            "clean": rng.random() < 0.9,
            "condition": rng.randint(0, 4),
            "notes": f"زيارة رقم {index + 1}: لا ملاحظات / visit {index + 1}: nothing to note",
            "before": [],
            "after": [],
        }
        held = {}
        for number in range(per_inspection):
            data = photos[index * per_inspection + number]
            photo = OutboxPhoto(
                uuid=new_uuid(),
                item="before" if number % 2 == 0 else "after",
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
            held[photo.uuid] = photo
            answers[photo.item].append(photo.uuid)
            declared.append({"uuid": photo.uuid, "item": photo.item, "sha256": photo.sha256})
        started = start_of_day + timedelta(minutes=10 * index)
        payload = {
            "job": job.id,
            "template_version": template_version,
            "answers": answers,
            "position": {
                "lon": job.lon + rng.uniform(-1e-4, 1e-4),
                "lat": job.lat + rng.uniform(-1e-4, 1e-4),
                "accuracy_m": round(rng.uniform(4, 15), 1),
            },
            "started_at": started.isoformat().replace("+00:00", "Z"),
            "finished_at": (started + timedelta(minutes=8)).isoformat().replace("+00:00", "Z"),
            "photos": declared,
        }
        outbox.append(Record(uuid=new_uuid(), job=job.id, payload=payload, photos=held))
    return outbox


# --- The client -----------------------------------------------------------------------------------------


class Offline(Exception):
    """The answer did not arrive (network error) or says to try later (5xx, 408, 429)."""


@dataclass
class Refusal(Exception):
    """A 4xx (or an answer the client cannot read): the outbox marks the record failed."""

    method: str
    path: str
    status: int
    answer: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.answer}"


@dataclass
class SyncStats:
    passes: int = 0
    sent: int = 0
    requests: int = 0
    network_errors: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)  # "PUT photo 201": count
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)

    def merge(self, other: SyncStats) -> None:
        self.passes += other.passes
        self.sent += other.sent
        self.requests += other.requests
        self.network_errors.update(other.network_errors)
        self.answers.update(other.answers)
        for route, values in other.latencies_ms.items():
            self.latencies_ms.setdefault(route, []).extend(values)


# urllib3 logs a warning for every answer head the proxy cuts short; those are counted instead.
logging.getLogger("urllib3.connection").setLevel(logging.ERROR)


class Tablet:
    """One tablet emptying its outbox the way fieldapp/static/fieldapp/outbox.js does.

    Token authentication (the API takes tokens and the app's session; a token needs no CSRF). One
    connection per request: `Connection: close`, as gunicorn's sync workers close every connection
    after one answer anyway. No retries inside the HTTP library: every retry is the outbox's.
    """

    def __init__(self, base_url: str, token: str, *, device_id: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Token {token}",
                "X-Device-Id": device_id,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Connection": "close",
            }
        )
        self.stats = SyncStats()

    def call(
        self,
        method: str,
        path: str,
        route: str,
        *,
        payload: dict[str, Any] | None = None,
        photo: bytes | None = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": "image/jpeg"} if photo is not None else {}
        self.stats.requests += 1
        start = time.perf_counter()
        try:
            # requests reads the whole body here, so a cut anywhere in the answer raises here too.
            response = self.session.request(
                method, self.base_url + path, json=payload, data=photo, headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            self.stats.network_errors[type(error).__name__] += 1
            raise Offline(f"{method} {path}: {error}") from error
        elapsed_ms = (time.perf_counter() - start) * 1000
        status = response.status_code
        document: Any = None
        if 200 <= status < 300:
            try:
                document = response.json()
            except ValueError:
                document = None
            if not isinstance(document, dict):
                # http.client accepts a head cut short (no blank line, so no Content-Length either)
                # as a whole answer with an empty body: a browser's fetch fails on it. It is the
                # network's doing, and is counted as such.
                self.stats.network_errors["answer cut short"] += 1
                raise Offline(f"{method} {path} -> {status} cut short: {response.content[:100]!r}")
        self.stats.answers[f"{route} {status}"] += 1
        if status >= 500 or status in (408, 429):
            raise Offline(f"{method} {path} -> {status}")
        if status >= 400:
            raise Refusal(method, path, status, response.text[:2000])
        self.stats.latencies_ms.setdefault(route, []).append(elapsed_ms)
        return dict(document)

    def send(self, record: Record) -> dict[str, Any]:
        path = f"/api/v1/field/inspections/{record.uuid}/"
        stored = self.call("PUT", path, PUT_INSPECTION, payload=record.payload)
        if not stored.get("complete"):
            for photo_uuid in stored.get("missing_photos") or []:
                photo = record.photos.get(photo_uuid)
                if photo is None:
                    raise Refusal("PUT", path, 0, f"the server asks for photo {photo_uuid}, never declared")
                # Each photo's answer is the inspection again, with what is still missing.
                stored = self.call("PUT", f"{path}photos/{photo_uuid}/", PUT_PHOTO, photo=photo.data)
            if not stored.get("complete"):
                stored = self.call("GET", path, GET_INSPECTION)
        if stored.get("uuid") != record.uuid or stored.get("job") != record.job:
            raise Refusal(
                "PUT", path, 0, f"the answer is about another inspection: {json.dumps(stored)[:500]}"
            )
        return stored

    def sync(self, outbox: list[Record]) -> None:
        """Passes over the waiting records, oldest first, until none is left waiting."""
        stalled = 0
        while pending := [record for record in outbox if record.state == WAITING]:
            self.stats.passes += 1
            sent_before = self.stats.sent
            for record in pending:
                try:
                    stored = self.send(record)
                except Offline:
                    break
                except Refusal as refusal:
                    record.state, record.refusal = FAILED, refusal
                    continue
                if stored.get("complete") is True:
                    record.state = SENT
                    self.stats.sent += 1
            stalled = 0 if self.stats.sent > sent_before else stalled + 1
            if stalled >= MAX_STALLED_PASSES:
                raise BenchmarkFailure(
                    f"{stalled} sync passes in a row sent nothing; {len(pending)} records still waiting"
                )


def sync_outbox(base_url: str, token: str, outbox: list[Record], *, tablets: int) -> SyncStats:
    """The outbox split over `tablets` tablets (each its own device), syncing at the same time."""
    devices = [Tablet(base_url, token, device_id=str(uuid.uuid4())) for _ in range(tablets)]
    if tablets == 1:
        devices[0].sync(outbox)
    else:
        with ThreadPoolExecutor(max_workers=tablets) as pool:
            done = [pool.submit(device.sync, outbox[i::tablets]) for i, device in enumerate(devices)]
            for future in done:
                future.result()
    total = SyncStats()
    for device in devices:
        total.merge(device.stats)
    return total


# --- What the database holds ----------------------------------------------------------------------------


def verify(fixture: Fixture, outbox: list[Record], media_root: Path) -> dict[str, int]:
    """Counts from the database after a sync; every one that is off is listed in one failure."""
    from django.db import connection

    problems: list[str] = []
    sent = {record.uuid: record for record in outbox}
    photos_sent = {p.uuid: (record.uuid, p) for record in outbox for p in record.photos.values()}
    inspector = {"i": fixture.inspector_id}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.uuid::text, i.job_id, i.answers::text, ST_X(i.position), ST_Y(i.position),
                   i.accuracy_m, i.completed_at IS NOT NULL, j.status
            FROM inspections_inspection i JOIN inspections_inspectionjob j ON j.id = i.job_id
            WHERE i.inspector_id = %(i)s
            """,
            inspector,
        )
        inspections = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.uuid::text, p.uuid::text, p.item_key, p.sha256, p.received_at IS NOT NULL,
                   p.image, p.thumbnail
            FROM inspections_inspectionphoto p JOIN inspections_inspection i ON i.id = p.inspection_id
            WHERE i.inspector_id = %(i)s
            """,
            inspector,
        )
        photos = cursor.fetchall()
        cursor.execute(
            "SELECT status, count(*) FROM inspections_inspectionjob WHERE inspector_id = %(i)s GROUP BY status",
            inspector,
        )
        jobs = dict(cursor.fetchall())
        # Each receipt, the job's completion included, must have happened once, whatever the retries.
        cursor.execute(
            """
            SELECT e.action, coalesce(e.details->>'photo', i.uuid::text, e.job_id::text) AS what,
                   count(*), min(e.details->>'sha256')
            FROM inspections_auditevent e
            JOIN inspections_inspectionjob j ON j.id = e.job_id
            LEFT JOIN inspections_inspection i ON i.id = e.inspection_id
            WHERE j.inspector_id = %(i)s
              AND e.action IN ('inspection_received', 'photo_received', 'job_done')
            GROUP BY 1, 2
            """,
            inspector,
        )
        receipts = cursor.fetchall()

    per_uuid = Counter(row[0] for row in inspections)
    per_job = Counter(row[1] for row in inspections)
    per_photo = Counter((row[0], row[1]) for row in photos)
    duplicate_inspections = sum(n - 1 for n in per_uuid.values()) + sum(n - 1 for n in per_job.values())
    duplicate_photos = sum(n - 1 for n in per_photo.values())
    strays = [row[0] for row in inspections if row[0] not in sent]
    stray_photos = [row[1] for row in photos if row[1] not in photos_sent]
    if len(inspections) != len(outbox):
        problems.append(f"{len(inspections)} inspections stored, {len(outbox)} sent")
    if duplicate_inspections:
        problems.append(f"{duplicate_inspections} duplicate inspections (same UUID or same job)")
    if strays:
        problems.append(f"{len(strays)} inspections stored that the client never sent: {strays[:5]}")
    missing = sorted(set(sent) - set(per_uuid))
    if missing:
        problems.append(f"{len(missing)} inspections sent but not stored: {missing[:5]}")

    different = []
    for key, job, answers, lon, lat, accuracy, complete, status in inspections:
        record = sent.get(key)
        if record is None:
            continue
        payload = record.payload
        position = payload["position"]
        # Unanswered items are not stored (an empty "after" list when there is one photo).
        answered = {key: value for key, value in payload["answers"].items() if value not in (None, "", [])}
        if (
            job != record.job
            or json.loads(answers) != answered
            or (lon, lat, accuracy) != (position["lon"], position["lat"], position["accuracy_m"])
        ):
            different.append(key)
        if not complete or status != "done":
            problems.append(f"inspection {key} stored but not complete (job {status})")
    if different:
        problems.append(f"{len(different)} inspections stored with other content than sent: {different[:5]}")

    expected_photos = sum(len(record.photos) for record in outbox)
    if len(photos) != expected_photos:
        problems.append(f"{len(photos)} photos stored, {expected_photos} sent")
    if duplicate_photos:
        problems.append(f"{duplicate_photos} duplicate photos (same inspection and photo UUID)")
    if stray_photos:
        problems.append(f"{len(stray_photos)} photos stored that the client never sent: {stray_photos[:5]}")
    wrong_hash = unreadable = not_received = 0
    referenced = set()
    for inspection_uuid, photo_uuid, item, sha256, received, image, thumbnail in photos:
        referenced.update({image, thumbnail})
        held = photos_sent.get(photo_uuid)
        if held is None:
            continue
        owner, photo = held
        if owner != inspection_uuid or item != photo.item or sha256 != photo.sha256:
            wrong_hash += 1
        if not received:
            not_received += 1
            continue
        try:
            for name in (image, thumbnail):
                with Image.open(media_root / name) as stored_image:
                    stored_image.verify()
        except (OSError, SyntaxError):
            unreadable += 1
    if wrong_hash:
        problems.append(f"{wrong_hash} photos stored with another SHA-256, item or inspection than sent")
    if not_received:
        problems.append(f"{not_received} declared photos never received")
    if unreadable:
        problems.append(f"{unreadable} received photos without a readable image and thumbnail on disk")
    # A retry racing the first attempt must not leave a second copy of a photo behind either.
    on_disk = {path.relative_to(media_root).as_posix() for path in media_root.rglob("*") if path.is_file()}
    orphans = sorted(on_disk - referenced)
    if orphans:
        problems.append(f"{len(orphans)} image files on disk that no photo refers to: {orphans[:5]}")

    counted: Counter[str] = Counter()
    audit_duplicates = audit_wrong_hash = 0
    for action, what, count, sha256 in receipts:
        counted[action] += 1
        audit_duplicates += count - 1
        if action == "photo_received":
            held = photos_sent.get(what)
            if held is None or held[1].sha256 != sha256:
                audit_wrong_hash += 1
    for action, expected in (
        ("inspection_received", len(outbox)),
        ("photo_received", expected_photos),
        ("job_done", len(outbox)),
    ):
        if counted[action] != expected:
            problems.append(f"audit trail: {counted[action]} distinct {action}, expected {expected}")
    if audit_duplicates:
        problems.append(f"audit trail: {audit_duplicates} receipts recorded more than once")
    if audit_wrong_hash:
        problems.append(f"audit trail: {audit_wrong_hash} photo receipts with another SHA-256 than sent")
    if jobs.get("done", 0) != len(outbox) or len(jobs) != 1:
        problems.append(f"jobs by status: {jobs}, expected {len(outbox)} done")
    if problems:
        raise BenchmarkFailure("what the database holds after the sync:\n- " + "\n- ".join(problems))
    return {
        "inspections": len(inspections),
        "photos": len(photos),
        "duplicate_inspections": duplicate_inspections,
        "duplicate_photos": duplicate_photos,
        "sha256_mismatches": wrong_hash,
        "orphan_files": len(orphans),
        "audit_duplicates": audit_duplicates,
        "jobs_done": jobs.get("done", 0),
    }


def _stored_state(record: Record) -> str:
    """What the database holds for one inspection, for the report of a refused record."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.id, i.answers::text, i.completed_at, j.status,
                   (SELECT json_agg(json_build_object('uuid', p.uuid, 'sha256', p.sha256,
                                                      'received', p.received_at IS NOT NULL))
                    FROM inspections_inspectionphoto p WHERE p.inspection_id = i.id)::text
            FROM inspections_inspection i JOIN inspections_inspectionjob j ON j.id = i.job_id
            WHERE i.uuid = %s
            """,
            [record.uuid],
        )
        row = cursor.fetchone()
    if row is None:
        return "nothing stored for this UUID"
    return f"inspection #{row[0]}, completed {row[2]}, job {row[3]}, answers {row[1]}, photos {row[4]}"


# --- The phases ---------------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {
        "p50_ms": round(ordered[len(ordered) // 2], 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
    }


def _time_today(server: Server, token: str, jobs: list[Job]) -> dict[str, Any]:
    """GET /api/v1/field/today/ straight to gunicorn, as the tablet starts its day (also warms up
    both workers): how long, and how many of the day's jobs it lists."""
    url = f"{server.base_url}/api/v1/field/today/"
    params = {"lat": f"{jobs[0].lat:.6f}", "lon": f"{jobs[0].lon:.6f}"}
    headers = {"Authorization": f"Token {token}", "Connection": "close"}
    timings = []
    listed = 0
    for _ in range(5):
        start = time.perf_counter()
        response = requests.get(url, params=params, headers=headers, timeout=TIMEOUT)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise BenchmarkFailure(
                f"GET /api/v1/field/today/ -> {response.status_code} {response.text[:500]}"
            )
        listed = len(response.json()["jobs"]["features"])
    return {"jobs_open": len(jobs), "jobs_listed": listed, "p50_ms": round(sorted(timings)[2], 1)}


def run_phase(
    name: str,
    *,
    server: Server,
    fixture: Fixture,
    media_root: Path,
    photos: list[bytes],
    inspections: int,
    photos_per_inspection: int,
    cut_rate: float,
    tablets: int,
    seed: int,
) -> dict[str, Any]:
    clear(fixture, media_root)
    start = time.perf_counter()
    jobs = create_jobs(fixture, inspections, seed=seed)
    setup_s = time.perf_counter() - start
    outbox = make_outbox(
        jobs,
        template_version=fixture.template_version,
        photos=photos,
        per_inspection=photos_per_inspection,
        seed=seed,
    )
    today = _time_today(server, fixture.token, jobs)
    log_from = server.log_position()
    # The machine is shared: its load next to the figures says how far to trust them.
    load_before = os.getloadavg()[0]
    with CuttingProxy((server.host, server.port), cut_rate=cut_rate, seed=seed) as proxy:
        start = time.perf_counter()
        stats = sync_outbox(f"http://127.0.0.1:{proxy.port}", fixture.token, outbox, tablets=tablets)
        seconds = time.perf_counter() - start
        cuts = proxy.stop()
    load_after = os.getloadavg()[0]
    # The server's log is written by other processes: give its last lines a moment to land.
    time.sleep(0.5)
    server_answers = server.answers_logged(log_from)

    failed = [record for record in outbox if record.state == FAILED]
    if failed:
        lines = [f"{record.refusal}\n    stored: {_stored_state(record)}" for record in failed[:10]]
        raise BenchmarkFailure(
            f"{name}: {len(failed)} records refused by the server (the app marks them failed):\n"
            + "\n".join(lines)
        )
    cut_count = sum(cuts["cuts"].get(kind, 0) for kind in CUT_KINDS)
    errors = sum(stats.network_errors.values())
    if errors != cut_count or cuts["connections"] != stats.requests or cuts["unfinished"]:
        raise BenchmarkFailure(
            f"{name}: {cut_count} connections cut but the client saw {errors} network errors "
            f"({dict(stats.network_errors)}); {cuts['connections']} connections for {stats.requests} "
            f"requests; {cuts['unfinished']} connections ended before their planned cut"
        )
    stored = verify(fixture, outbox, media_root)
    minimum = inspections * (1 + photos_per_inspection)
    return {
        "phase": name,
        "inspections": inspections,
        "photos_per_inspection": photos_per_inspection,
        "photo_kb_mean": round(statistics.fmean(len(p) for p in photos) / 1024, 1),
        "tablets": tablets,
        "cut_rate": cut_rate,
        "seconds": round(seconds, 2),
        "inspections_per_s": round(inspections / seconds, 1),
        "requests": stats.requests,
        "requests_minimum": minimum,
        "passes": stats.passes,
        "network_errors": errors,
        "network_errors_by_type": dict(stats.network_errors),
        "cuts": cuts["cuts"],
        "answers": dict(sorted(stats.answers.items())),
        "server_error_answers": dict(server_answers),
        "latency": {route: _percentiles(values) for route, values in sorted(stats.latencies_ms.items())},
        "today": today,
        "jobs_created_s": round(setup_s, 1),
        "load_1min": [round(load_before, 2), round(load_after, 2)],
        "stored": stored,
    }


def _short(counts: dict[str, int]) -> dict[str, int]:
    """Counts keyed by endpoint, with the two sync endpoints' paths shortened for reading."""
    photo, inspection = "/api/v1/field/inspections/{uuid}/photos/{uuid}/", "/api/v1/field/inspections/{uuid}/"
    return {key.replace(photo, "photo").replace(inspection, "inspection"): n for key, n in counts.items()}


def _print_phase(result: dict[str, Any]) -> None:
    cuts = result["cuts"]
    answers = result["answers"]
    print(
        f"{result['phase']}: {result['inspections']} inspections x {result['photos_per_inspection']} photos "
        f"(~{result['photo_kb_mean']} KB), {result['tablets']} tablet(s), "
        f"{result['cut_rate']:.0%} of connections cut"
    )
    print(
        f"  {result['seconds']:.1f} s, {result['inspections_per_s']} inspections/s; "
        f"{result['requests']} requests (minimum {result['requests_minimum']}), "
        f"{result['passes']} sync passes; load average {result['load_1min'][0]} -> {result['load_1min'][1]}"
    )
    print(
        f"  cuts: {cuts.get('request/head', 0)} in the request head, {cuts.get('request/body', 0)} in "
        f"the request body, {cuts.get('in-flight', 0)} while the server worked, "
        f"{cuts.get('response', 0)} after the server answered; client network errors "
        f"{result['network_errors']} {result['network_errors_by_type']}"
    )
    by_endpoint = {key: count for key, count in cuts.items() if key not in CUT_KINDS}
    if by_endpoint:
        print(f"  cuts by endpoint (and the server's answer, where it gave one): {_short(by_endpoint)}")
    print(f"  answers seen by the client: {answers}")
    print(f"  error answers logged by the server: {_short(result['server_error_answers'])}")
    for route, timing in result["latency"].items():
        print(f"  {route}: {timing}")
    today = result["today"]
    print(
        f"  GET /api/v1/field/today/ with {today['jobs_open']} open jobs: {today['jobs_listed']} listed, "
        f"p50 {today['p50_ms']} ms; the jobs were created in {result['jobs_created_s']} s"
    )
    stored = result["stored"]
    print(
        f"  stored: {stored['inspections']} inspections, {stored['photos']} photos; duplicates: "
        f"{stored['duplicate_inspections']} inspections, {stored['duplicate_photos']} photos, "
        f"{stored['audit_duplicates']} audit receipts, {stored['orphan_files']} stray image files; "
        f"SHA-256 mismatches {stored['sha256_mismatches']}; "
        f"{stored['jobs_done']} jobs done"
    )


def run(
    *,
    inspections: int = 500,
    photos_per_inspection: int = 2,
    cut_rate: float = 0.2,
    tablets: int = 1,
    workers: int = 2,
    seed: int = 1,
) -> dict[str, Any]:
    """Clean run, cut run and (tablets > 1) the cut run with parallel tablets; raises
    BenchmarkFailure when anything stored is off."""
    from django.conf import settings

    fixture = prepare()
    media_root = Path(settings.DATA_DIR) / "bench-media" / "field-sync"
    start = time.perf_counter()
    photos = make_photos(inspections * photos_per_inspection, seed=seed)
    print(
        f"data: {len(photos)} JPEGs of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, "
        f"{sum(map(len, photos)) / len(photos) / 1024:.1f} KB on average, made in "
        f"{time.perf_counter() - start:.1f} s"
    )
    phases = [("clean", 0.0, 1), ("cut", cut_rate, 1)]
    if tablets > 1:
        phases.append((f"cut, {tablets} tablets", cut_rate, tablets))
    results: dict[str, Any] = {"workers": workers, "phases": []}
    with (
        tempfile.TemporaryDirectory(prefix="field-sync-") as logs,
        served_app(workers=workers, media_root=media_root, log_dir=Path(logs)) as server,
    ):
        for number, (name, rate, count) in enumerate(phases):
            try:
                result = run_phase(
                    name,
                    server=server,
                    fixture=fixture,
                    media_root=media_root,
                    photos=photos,
                    inspections=inspections,
                    photos_per_inspection=photos_per_inspection,
                    cut_rate=rate,
                    tablets=count,
                    seed=seed + number,
                )
            except BenchmarkFailure:
                print(f"server log (last lines):\n{_tail(server.log)}", file=sys.stderr)
                raise
            _print_phase(result)
            results["phases"].append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.field_sync", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--inspections", type=int, default=500, help="inspections in the outbox (default 500)"
    )
    parser.add_argument("--photos", type=int, default=2, help="photos per inspection (default 2)")
    parser.add_argument(
        "--cut-rate", type=float, default=0.2, help="share of connections cut in the cut run (default 0.2)"
    )
    parser.add_argument(
        "--tablets", type=int, default=1, help="also run the cut run with this many tablets at once"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not 0 <= args.cut_rate < 1:
        parser.error("--cut-rate must be at least 0 and below 1")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_services.settings")
    import django

    django.setup()
    from bench.database import bench_database

    with bench_database():
        results = run(
            inspections=args.inspections,
            photos_per_inspection=args.photos,
            cut_rate=args.cut_rate,
            tablets=args.tablets,
            workers=args.workers,
            seed=args.seed,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

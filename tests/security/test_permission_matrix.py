"""The permission matrix of docs/security.md, checked against every URL pattern and every role.

The document is the single source of truth: its table is parsed here. Every pattern of the URLconf
(includes walked recursively) must have exactly one row, and every row must name a pattern that
exists. Each row is then requested as each role — anonymous, citizen, inspector, dispatcher,
planner, admin — on a concrete URL built from real objects (the Amman demo plus a service request,
a booking, an inspection with its photo, a proposal, a progress update and a work day), with GET
and with every write method the endpoint supports; the status (and for redirects, where to) must
be the one the matrix states. Writes are sent with an empty body, so permission must be decided
before validation: an unauthorised write answers 401/403/404, an authorised one 400.

The objects are built once for the module inside a transaction that is rolled back at the end;
each test runs in a savepoint of its own, so a write in one test never changes what another sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from geo_services.core.models import Department, Jurisdiction
from geo_services.core.roles import ensure_role_groups
from geo_services.initiatives import services as initiative_services
from geo_services.initiatives.models import Initiative
from geo_services.service_requests import services as request_services
from geo_services.venues import ical
from geo_services.venues.models import Booking, BookingStatus, Space
from tests.factories import UserFactory, make_staff
from tests.fieldapp import builders

REPO_ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOC = REPO_ROOT / "docs" / "security.md"
SECTION = "## Roles and the permission matrix"
ROLES = ("anonymous", "citizen", "inspector", "dispatcher", "planner", "admin")
ADMIN_GROUP = "/admin/…"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The admin row's second key: each registered model's changelist and add page.
MODELS_KEY = "models"
# The resident whose report, booking, proposal and sign-up the public answers must never reveal.
CITIZEN = {
    "username": "matrix-citizen",
    "first_name": "Rania",
    "last_name": "Haddad",
    "email": "rania.haddad@example.org",
    "phone": "0790000417",
}
CELL_CLAUSE = re.compile(
    r"^(?:(?P<keys>[A-Za-z]+(?:/[A-Za-z]+)*)\s+)?(?P<status>[1-5]\d\d)(?:\s*→\s*(?P<target>\S+))?$"
)


# --- The document ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    status: int
    target: str | None = None  # for redirects: "login" (settings.LOGIN_URL) or a path prefix

    def __str__(self) -> str:
        return f"{self.status}→{self.target}" if self.target else str(self.status)


@dataclass(frozen=True)
class Row:
    route: str
    cells: dict[str, dict[str, Expected]]  # role -> key (GET, POST, …, models) -> expected

    def expected(self, role: str, key: str) -> Expected:
        cell = self.cells[role]
        return cell.get(key, cell["GET"])

    def named_keys(self) -> set[str]:
        return {key for cell in self.cells.values() for key in cell}


def _split_row(line: str) -> list[str]:
    """Markdown table cells; `\\|` is a pipe inside a cell (the regular expressions use it)."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def parse_cell(text: str) -> dict[str, Expected]:
    """'200', '302→login', '405 · POST 400', 'GET 200 · POST/DELETE 403', '200 · models 403'.
    A clause without a key is the GET answer, and the answer of any method not named."""
    parsed: dict[str, Expected] = {}
    for clause in (part.strip() for part in text.split("·")):
        match = CELL_CLAUSE.match(clause)
        if match is None:
            raise ValueError(f"cannot read {clause!r} (in {text!r})")
        expected = Expected(int(match["status"]), match["target"])
        for key in (match["keys"] or "GET").split("/"):
            parsed[key if key == MODELS_KEY else key.upper()] = expected
    if "GET" not in parsed:
        raise ValueError(f"{text!r} names no GET answer")
    return parsed


def parse_matrix(text: str) -> dict[str, Row]:
    """The table of the section 'Roles and the permission matrix': one row per URL pattern."""
    if SECTION not in text:
        raise ValueError(f"docs/security.md has no section {SECTION!r}")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header_at = next(i for i, line in enumerate(lines) if _split_row(line)[0] == "pattern")
    header = _split_row(lines[header_at])
    missing = [role for role in ROLES if role not in header]
    if missing:
        raise ValueError(f"the matrix has no column for {missing}")
    rows: dict[str, Row] = {}
    for line in lines[header_at + 2 :]:
        cells = _split_row(line)
        route = cells[0].strip("`")
        if route in rows:
            raise ValueError(f"{route} has two rows")
        rows[route] = Row(route, {role: parse_cell(cells[header.index(role)]) for role in ROLES})
    return rows


MATRIX = parse_matrix(SECURITY_DOC.read_text(encoding="utf-8"))


# --- The URLconf ----------------------------------------------------------------------------------


def _route_text(entry: URLPattern | URLResolver) -> str:
    text = str(entry.pattern)  # a path() route, or a re_path() regular expression
    if isinstance(entry.pattern, RoutePattern):
        return text
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")


def url_patterns(resolver: URLResolver | None = None, prefix: str = "/") -> Iterator[tuple[str, URLPattern]]:
    """Every pattern of the URLconf as (route as written, prefixes included; the pattern)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + _route_text(entry)
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, route)
        else:
            yield route, entry


def matrix_route(route: str) -> str:
    """The admin site's generated patterns are one group row."""
    return ADMIN_GROUP if route.startswith("/admin/") else route


def write_methods_of(pattern: URLPattern) -> set[str]:
    """The write methods a REST view has handlers for (function views state theirs in the matrix)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None or not issubclass(view_class, APIView):
        return set()
    return {method for method in WRITE_METHODS if hasattr(view_class, method.lower())}


def test_every_pattern_has_one_row_and_every_row_a_pattern():
    routes = {matrix_route(route) for route, _pattern in url_patterns()}
    missing = sorted(routes - set(MATRIX))
    unknown = sorted(set(MATRIX) - routes)
    assert not missing, f"URL patterns missing from the matrix in docs/security.md: {missing}"
    assert not unknown, f"the matrix names patterns the URLconf does not have: {unknown}"


def test_every_write_method_of_a_rest_view_is_in_its_row():
    undocumented = [
        f"{method} {route}"
        for route, pattern in url_patterns()
        for method in sorted(write_methods_of(pattern))
        if method not in MATRIX[matrix_route(route)].named_keys()
    ]
    assert not undocumented, f"write methods the matrix does not state: {undocumented}"


def test_the_cells_are_read_as_documented():
    assert parse_cell("302→login") == {"GET": Expected(302, "login")}
    assert parse_cell("405 · POST/PUT 400") == {
        "GET": Expected(405),
        "POST": Expected(400),
        "PUT": Expected(400),
    }
    with pytest.raises(ValueError, match="names no GET answer"):
        parse_cell("POST 403")
    with pytest.raises(ValueError, match="cannot read"):
        parse_cell("ok")


# --- The objects the URLs name ----------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    urls: dict[str, str]


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, builders.jpeg(), content_type="image/jpeg")


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _users(amman: Jurisdiction, roads: Department) -> dict[str, User]:
    """One account per role, as the demo makes them (dispatchers and planners may open the admin
    site but hold no model permissions; the administrator is a superuser)."""
    citizen = UserFactory.create(
        username=CITIZEN["username"],
        first_name=CITIZEN["first_name"],
        last_name=CITIZEN["last_name"],
        email=CITIZEN["email"],
        roles=["citizen"],
    )
    inspector = UserFactory.create(username="matrix-inspector", roles=["inspector"])
    make_staff(inspector, jurisdiction=amman, department=roads)
    dispatcher = UserFactory.create(username="matrix-dispatcher", roles=["dispatcher"], is_staff=True)
    make_staff(dispatcher, jurisdiction=amman, department=roads)
    planner = UserFactory.create(username="matrix-planner", roles=["planner"], is_staff=True)
    make_staff(planner, jurisdiction=amman)
    administrator = UserFactory.create(
        username="matrix-admin", roles=["admin"], is_staff=True, is_superuser=True
    )
    return {
        "citizen": citizen,
        "inspector": inspector,
        "dispatcher": dispatcher,
        "planner": planner,
        "admin": administrator,
    }


def build_world() -> World:
    ensure_role_groups()
    call_command("load_demo", "--no-users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    amman = Jurisdiction.objects.get(code="amman")
    roads = Department.objects.get(jurisdiction=amman, code="public-works-roads")
    users = _users(amman, roads)
    citizen, inspector, administrator = users["citizen"], users["inspector"], users["admin"]

    # A citizen's pothole report with a photo, routed to the roads department, assigned to the
    # inspector (which makes the follow-up job when the demo has its checklist).
    submitted = request_services.submit_request(
        jurisdiction_code="amman",
        service_code="pothole",
        point=Point(*builders.KING_PARK, srid=4326),
        answers={"size": ["large"]},
        contact=request_services.Contact(
            first_name=CITIZEN["first_name"],
            last_name=CITIZEN["last_name"],
            email=CITIZEN["email"],
            phone=CITIZEN["phone"],
        ),
        photo=_png("pothole.jpg"),
        account=citizen,
    )
    service_request = submitted.request
    request_services.assign_request(
        actor=users["dispatcher"], request_id=service_request.pk, inspector_id=inspector.pk
    )

    # The citizen's requested booking of a demo venue's first space, ten days ahead.
    space = Space.objects.filter(venue__jurisdiction=amman).order_by("venue_id", "pk").first()
    assert space is not None, "the demo has venues"
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=10), time(7), tzinfo=UTC)
    booking = Booking.objects.create(
        space=space,
        user=citizen,
        during=DateTimeTZRange(start, start + timedelta(hours=1)),
        status=BookingStatus.REQUESTED,
    )

    # The inspector's job for today in al-Madina, inspected, with its photo received.
    version = builders.park_checklist(amman, code="matrix-park")
    job = builders.job(version, inspector)
    inspection_uuid = builders.inspect(job, clean=True, inspector=inspector)
    photo_uuid = str(job.inspection.photos.get().uuid)

    # The roads department's model sidewalk, with a progress photo and a work day; a resident's
    # proposal with a photo.
    sidewalk = Initiative.objects.get(jurisdiction=amman, code="demo-rainbow-street-sidewalk")
    update = initiative_services.report_progress(
        actor=administrator,
        initiative_id=sidewalk.pk,
        report=initiative_services.ProgressReport(
            percent=sidewalk.progress_percent, photo=_png("progress.jpg")
        ),
    )
    work_day = initiative_services.schedule_work_day(
        actor=administrator,
        initiative_id=sidewalk.pk,
        plan=initiative_services.WorkDayPlan(
            day=datetime.now(UTC).date() + timedelta(days=14),
            starts=time(8),
            ends=time(12),
            place="Rainbow Street",
            capacity=20,
        ),
    )
    initiative_services.sign_up(actor=citizen, work_day_id=work_day.pk)
    proposal = initiative_services.propose(
        actor=citizen,
        jurisdiction=amman,
        draft=initiative_services.ProposalDraft(
            title="Benches",
            description="Benches along the street",
            shape=Point(35.9298, 31.9553, srid=4326),
            photo=_png("proposal.jpg"),
        ),
    )

    z = 14
    x, y = _tile_of(*builders.KING_PARK, z)
    token = service_request.token
    urls = {
        "/healthz": "/healthz",
        "/api/v1/auth/token/": "/api/v1/auth/token/",
        "/api/v1/auth/me/": "/api/v1/auth/me/",
        "/api/v1/districts/": "/api/v1/districts/?jurisdiction=amman",
        "/api/v1/districts/lookup/": "/api/v1/districts/lookup/?lat=31.9516&lon=35.9393",
        "/api/v1/requests/": "/api/v1/requests/",
        "/api/v1/requests/<int:request_id>/": f"/api/v1/requests/{service_request.pk}/",
        "/api/v1/requests/<int:request_id>/assign/": f"/api/v1/requests/{service_request.pk}/assign/",
        "/api/v1/requests/<int:request_id>/status/": f"/api/v1/requests/{service_request.pk}/status/",
        "/api/v1/requests/<int:request_id>/merge/": f"/api/v1/requests/{service_request.pk}/merge/",
        "/api/v1/inspectors/": "/api/v1/inspectors/",
        "/api/v1/venues/": "/api/v1/venues/?jurisdiction=amman",
        "/api/v1/venues/<int:venue_id>/": f"/api/v1/venues/{space.venue_id}/",
        "/api/v1/venues/<int:venue_id>/availability/": f"/api/v1/venues/{space.venue_id}/availability/",
        "/api/v1/bookings/": "/api/v1/bookings/",
        "/api/v1/bookings/mine/": "/api/v1/bookings/mine/",
        "/api/v1/bookings/feed-url/": "/api/v1/bookings/feed-url/",
        "/api/v1/bookings/feed/<str:token>.ics": f"/api/v1/bookings/feed/{ical.feed_token(citizen.pk)}.ics",
        "/api/v1/bookings/<int:booking_id>.ics": f"/api/v1/bookings/{booking.pk}.ics",
        "/api/v1/bookings/<int:booking_id>/cancel/": f"/api/v1/bookings/{booking.pk}/cancel/",
        "/api/v1/bookings/<int:booking_id>/decision/": f"/api/v1/bookings/{booking.pk}/decision/",
        "/api/v1/courses/": "/api/v1/courses/",
        "/api/v1/spaces/<int:space_id>/blocks/": f"/api/v1/spaces/{space.pk}/blocks/",
        "/api/v1/inspections/jobs/": "/api/v1/inspections/jobs/",
        "/api/v1/inspections/jobs/<int:job_id>/": f"/api/v1/inspections/jobs/{job.pk}/",
        "/api/v1/inspections/jobs/<int:job_id>/cancel/": f"/api/v1/inspections/jobs/{job.pk}/cancel/",
        "/api/v1/inspections/jobs/<int:job_id>/reassign/": f"/api/v1/inspections/jobs/{job.pk}/reassign/",
        "/api/v1/inspections/templates/": "/api/v1/inspections/templates/",
        "/api/v1/inspections/overview/": "/api/v1/inspections/overview/",
        "/api/v1/initiatives/": "/api/v1/initiatives/",
        "/api/v1/initiatives/<int:initiative_id>/": f"/api/v1/initiatives/{sidewalk.pk}/",
        "/api/v1/initiatives/<int:initiative_id>/progress/": f"/api/v1/initiatives/{sidewalk.pk}/progress/",
        "/api/v1/initiatives/<int:initiative_id>/progress/<int:update_id>/photo.jpg": (
            f"/api/v1/initiatives/{sidewalk.pk}/progress/{update.pk}/photo.jpg"
        ),
        "/api/v1/initiatives/<int:initiative_id>/progress/<int:update_id>/thumbnail.jpg": (
            f"/api/v1/initiatives/{sidewalk.pk}/progress/{update.pk}/thumbnail.jpg"
        ),
        "/api/v1/partners/": "/api/v1/partners/",
        "/api/v1/partners/coverage/": "/api/v1/partners/coverage/",
        "/api/v1/partners/services/": "/api/v1/partners/services/",
        "/api/v1/proposals/": "/api/v1/proposals/",
        "/api/v1/proposals/<int:proposal_id>/": f"/api/v1/proposals/{proposal.pk}/",
        "/api/v1/proposals/<int:proposal_id>/support/": f"/api/v1/proposals/{proposal.pk}/support/",
        "/api/v1/proposals/<int:proposal_id>/accept/": f"/api/v1/proposals/{proposal.pk}/accept/",
        "/api/v1/proposals/<int:proposal_id>/decline/": f"/api/v1/proposals/{proposal.pk}/decline/",
        "/api/v1/proposals/<int:proposal_id>/photo.jpg": f"/api/v1/proposals/{proposal.pk}/photo.jpg",
        "/api/v1/proposals/<int:proposal_id>/thumbnail.jpg": f"/api/v1/proposals/{proposal.pk}/thumbnail.jpg",
        "/api/v1/initiatives/<int:initiative_id>/work-days/": f"/api/v1/initiatives/{sidewalk.pk}/work-days/",
        "/api/v1/work-days/<int:work_day_id>/signup/": f"/api/v1/work-days/{work_day.pk}/signup/",
        "/api/v1/work-days/<int:work_day_id>/volunteers/": f"/api/v1/work-days/{work_day.pk}/volunteers/",
        "/api/v1/field/today/": "/api/v1/field/today/",
        "/api/v1/field/inspections/<str:inspection_uuid>/": f"/api/v1/field/inspections/{inspection_uuid}/",
        "/api/v1/field/inspections/<str:inspection_uuid>/photos/<str:photo_uuid>/": (
            f"/api/v1/field/inspections/{inspection_uuid}/photos/{photo_uuid}/"
        ),
        "/api/v1/layers/": "/api/v1/layers/",
        "/api/v1/layers/<str:layer_id>/features/": "/api/v1/layers/inspections/features/",
        "/api/v1/layers/<str:layer_id>/aggregate/": "/api/v1/layers/inspections/aggregate/?by=district",
        "/api/v1/layers/<str:layer_id>/export/": "/api/v1/layers/inspections/export/?format=csv",
        "/api/v1/indicators/": "/api/v1/indicators/?jurisdiction=amman",
        "/api/v1/indicators/districts/<str:district_code>/": "/api/v1/indicators/districts/al-madina/",
        "/api/schema/": "/api/schema/",
        "/api/docs/": "/api/docs/",
        "/i18n/setlang/": "/i18n/setlang/",
        "/accounts/login/": "/accounts/login/",
        "/accounts/logout/": "/accounts/logout/",
        "/accounts/password_change/": "/accounts/password_change/",
        "/accounts/password_change/done/": "/accounts/password_change/done/",
        "/accounts/password_reset/": "/accounts/password_reset/",
        "/accounts/password_reset/done/": "/accounts/password_reset/done/",
        "/accounts/reset/<uidb64>/<token>/": "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/": "/accounts/reset/done/",
        "/open311/v2/": "/open311/v2/",
        r"/open311/v2/discovery\.(?P<fmt>json|xml)": "/open311/v2/discovery.json",
        r"/open311/v2/services\.(?P<fmt>json|xml)": "/open311/v2/services.json",
        r"/open311/v2/services/(?P<service_code>[^/]+)\.(?P<fmt>json|xml)": "/open311/v2/services/pothole.json",
        r"/open311/v2/requests\.(?P<fmt>json|xml)": "/open311/v2/requests.json",
        r"/open311/v2/requests/(?P<request_id>[^/]+)\.(?P<fmt>json|xml)": (
            f"/open311/v2/requests/{service_request.pk}.json"
        ),
        r"/open311/v2/tokens/(?P<token>[^/]+)\.(?P<fmt>json|xml)": f"/open311/v2/tokens/{token}.json",
        "/open311/v2/(?P<rest>.+)": "/open311/v2/nothing-here",
        "/media/requests/<uuid:token>/photo.jpg": f"/media/requests/{token}/photo.jpg",
        "/media/requests/<uuid:token>/thumbnail.jpg": f"/media/requests/{token}/thumbnail.jpg",
        "/field/": "/field/",
        "/field/sw.js": "/field/sw.js",
        "/field/manifest.webmanifest": "/field/manifest.webmanifest",
        "/dispatch/": "/dispatch/",
        "/dispatch/inspections/": "/dispatch/inspections/",
        "/venues/": "/venues/",
        "/venues/mine/": "/venues/mine/",
        "/venues/<int:venue_id>/": f"/venues/{space.venue_id}/",
        "/community/coverage/": "/community/coverage/",
        "/community/proposals/": "/community/proposals/",
        "/ogc/": "/ogc/",
        "/ogc/conformance": "/ogc/conformance",
        "/ogc/api": "/ogc/api",
        "/ogc/collections": "/ogc/collections",
        "/ogc/collections/<str:collection_id>": "/ogc/collections/inspections",
        "/ogc/collections/<str:collection_id>/items": "/ogc/collections/inspections/items",
        "/ogc/collections/<str:collection_id>/items/<str:feature_id>": (
            f"/ogc/collections/inspections/items/{job.pk}"
        ),
        "/tiles/<str:layer_id>/<str:z>/<str:x>/<str:y_and_format>": f"/tiles/inspections/{z}/{x}/{y}.mvt",
        "/tiles/<str:name>": "/tiles/inspections.json",
        "/tiles/(?P<rest>.*)": "/tiles/nothing/here",
        "/planning/layers/": "/planning/layers/",
        "/planning/": "/planning/",
        "/planning/districts/<str:code>/": "/planning/districts/al-madina/",
        "/": "/",
        "/requests/": "/requests/",
        "/requests/<str:token>/": f"/requests/{token}/",
    }
    return World(users=users, urls=urls)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Built once; rolled back when the module's tests are done (each test runs in a savepoint)."""
    media = tmp_path_factory.mktemp("matrix-media")
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def test_every_pattern_has_a_concrete_url(world: World, db: None):
    routes = {route for route, _pattern in url_patterns() if matrix_route(route) != ADMIN_GROUP}
    missing = sorted(routes - set(world.urls))
    assert not missing, f"no concrete URL to request for {missing}: add one to build_world()"


# --- Requests ---------------------------------------------------------------------------------------


def client_for(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def send(client: Client, method: str, url: str, *, rest: bool) -> Any:
    """An empty body: `{}` as JSON for the REST API, an empty form for pages and Open311."""
    if method == "GET":
        return client.get(url)
    if method == "DELETE":
        return client.delete(url)
    handler = getattr(client, method.lower())
    if rest:
        return handler(url, "{}", content_type="application/json")
    return handler(url, {}) if method == "POST" else handler(url, "", content_type="multipart/form-data")


def answers_as_expected(response: Any, expected: Expected) -> bool:
    if response.status_code != expected.status:
        return False
    if expected.target is None:
        return True
    target = settings.LOGIN_URL if expected.target == "login" else expected.target
    return str(response.get("Location", "")).startswith(target)


def describe(response: Any) -> str:
    described = str(response.status_code)
    if response.get("Location"):
        described += f"→{response['Location']}"
    content_type = response.get("Content-Type", "")
    if "json" in content_type and not getattr(response, "streaming", False):
        described += f" {response.content[:200].decode(errors='replace')}"
    return described


PATTERNS = dict(url_patterns())


def is_rest(pattern: URLPattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None)
    return view_class is not None and issubclass(view_class, APIView)


def mismatches(world: World, route: str, role: str, make_client: Callable[[], Client]) -> list[str]:
    """Where the answers to GET and the row's write methods differ from the role's cell."""
    row = MATRIX[route]
    pattern = PATTERNS.get(route)
    assert pattern is not None, f"{route} is not a pattern of the URLconf"
    url = world.urls[route]
    methods = ["GET", *sorted((write_methods_of(pattern) | row.named_keys()) & set(WRITE_METHODS))]
    wrong = []
    for method in methods:
        expected = row.expected(role, method)
        # Each method from a fresh client and in a savepoint of its own: a logout, a withdrawn support
        # or a cancelled sign-up must not change the next method's answer.
        savepoint = transaction.savepoint()
        response = send(make_client(), method, url, rest=is_rest(pattern))
        transaction.savepoint_rollback(savepoint)
        if not answers_as_expected(response, expected):
            wrong.append(f"{method} {url}: expected {expected}, got {describe(response)}")
        if response.status_code >= 500:
            wrong.append(f"{method} {url}: a server error")
    return wrong


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(set(MATRIX) - {ADMIN_GROUP}))
def test_answer_matches_the_matrix(world: World, db: None, route: str, role: str):
    wrong = mismatches(world, route, role, lambda: client_for(world, role))
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_the_admin_group_without_superuser_answers_as_the_admin_column(world: World, db: None):
    """roles_of gives the admin role to the `admin` group as to a superuser: outside the Django admin
    site (which needs is_staff and model permissions) the two must answer alike."""
    member = UserFactory.create(username="matrix-admin-group", roles=["admin"])

    def signed_in() -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(member)
        return client

    wrong = [
        problem
        for route in sorted(set(MATRIX) - {ADMIN_GROUP})
        for problem in mismatches(world, route, "admin", signed_in)
    ]
    assert not wrong, "; ".join(wrong)


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_token_answers_as_the_session_does(world: World, db: None, role: str):
    """The REST API's other way in (desktop and notebook clients): `Authorization: Token …` gets
    exactly the answers of the role's column."""
    key = Token.objects.get_or_create(user=world.users[role])[0].key
    rest_routes = sorted(route for route, pattern in PATTERNS.items() if route in MATRIX and is_rest(pattern))
    assert len(rest_routes) >= 50
    wrong = [
        problem
        for route in rest_routes
        for problem in mismatches(
            world, route, role, lambda: Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {key}")
        )
    ]
    assert not wrong, f"{role}: " + "; ".join(wrong)


# --- The admin site ---------------------------------------------------------------------------------


def _admin_pages(world: World) -> list[str]:
    """Each registered model's changelist, and its add page where an administrator may add."""
    request = RequestFactory().get("/admin/")
    request.user = world.users["admin"]
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(request):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_matches_the_matrix(world: World, db: None, role: str):
    row = MATRIX[ADMIN_GROUP]
    client = client_for(world, role)
    wrong = []
    index = client.get("/admin/")
    if not answers_as_expected(index, row.expected(role, "GET")):
        wrong.append(f"/admin/: expected {row.expected(role, 'GET')}, got {describe(index)}")
    pages = _admin_pages(world)
    assert len(pages) >= 20, "the admin site registers the project's models"
    for page in pages:
        response = client.get(page)
        if not answers_as_expected(response, row.expected(role, MODELS_KEY)):
            wrong.append(f"{page}: expected {row.expected(role, MODELS_KEY)}, got {describe(response)}")
    assert not wrong, f"{role}: " + "; ".join(wrong[:10])


# --- Personal data ----------------------------------------------------------------------------------


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_public_answers_never_reveal_the_resident(world: World, db: None):
    """Everything anonymous may read (every 200 of the matrix's anonymous column) holds none of the
    resident's account or contact data, though their report, booking, proposal and sign-up are all
    among what these answers describe."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    public = [route for route, row in MATRIX.items() if row.expected("anonymous", "GET").status == 200]
    assert len(public) >= 40
    revealed = []
    for route in public:
        if route == ADMIN_GROUP:
            continue
        response = client.get(world.urls[route])
        assert response.status_code == 200, route
        if response.get("Content-Type", "").startswith("image/"):
            continue  # photos are re-encoded without their EXIF data (tests/service_requests)
        body = _body(response).lower()
        revealed += [f"{route}: {value}" for value in CITIZEN.values() if value.lower() in body]
    assert not revealed, f"public answers reveal the resident: {revealed}"

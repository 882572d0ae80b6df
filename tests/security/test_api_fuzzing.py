"""API fuzzing: schemathesis generates requests from the published OpenAPI schema (/api/schema/).

Every operation of the schema — the REST API and the Open311 GeoReport v2 endpoints, in JSON and in
XML — is called with generated valid and invalid input, once anonymously and once with an
administrator's token, against the Amman demo data. Each answer must not be a server error and must
conform to the schema: a documented status code, a documented content type, a body of the documented
shape. Half of the generated calls of each operation have their path identifiers (and an Open311
api_key) replaced by those of real objects, so the fuzzer reaches past the "not found" answers.

Bounded and reproducible: derandomized, AMANAH_FUZZ_EXAMPLES examples per operation (default 10);
raise it to fuzz longer locally (docs/security.md, "API fuzzing").
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from datetime import time, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from geo_services.core.models import Jurisdiction
from geo_services.initiatives import services as initiative_services
from geo_services.initiatives.models import Initiative
from geo_services.service_requests import services as request_services
from geo_services.service_requests.models import Open311ApiKey, ServiceCategory
from geo_services.venues import services as venue_services
from geo_services.venues.ical import feed_token
from geo_services.venues.models import Space

EXAMPLES = int(os.environ.get("AMANAH_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,  # a method the schema does not list is a 405 with Allow
]
DOWNTOWN = Point(35.9393, 31.9516, srid=4326)  # al-madina, inside the demo districts
OPEN311_KEY = "fuzzing-client-key"  # a test key, stored hashed like any other

# The schema as the application serves it (no database needed to build it).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo data and one object of each kind the paths name, for the whole module.

    Held in one transaction that is rolled back at the end; each test runs in a savepoint inside
    it (pytest-django's `db`), so the fuzzer's writes never outlive their test.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            known = _load_world()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    yield known
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """schemathesis calls the WSGI application directly: Django would close the test's connection at
    the end of every request (Django's own test client prevents this, per request)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_world() -> dict[str, Any]:
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    users = {u.username: u for u in get_user_model().objects.all()}
    amman = Jurisdiction.objects.get(code="amman")
    admin = users["admin"]

    key = Open311ApiKey.objects.create(
        jurisdiction=amman, name="fuzzing", key_sha256=request_services.hash_api_key(OPEN311_KEY)
    )
    category = next(
        c
        for c in ServiceCategory.objects.filter(jurisdiction=amman, active=True).order_by("code")
        if not c.attributes.filter(required=True).exists()
    )
    submitted = request_services.submit_request(
        jurisdiction_code="amman", service_code=category.code, point=DOWNTOWN, api_key=key
    ).request

    space = Space.objects.filter(venue__jurisdiction=amman).order_by("pk").first()
    assert space is not None, "the demo venues have spaces"
    start = (timezone.now() + timedelta(days=60)).replace(hour=8, minute=0, second=0, microsecond=0)
    block = venue_services.block_space(
        actor=admin, space_id=space.pk, start=start, end=start + timedelta(hours=1)
    )

    initiative = Initiative.objects.filter(jurisdiction=amman).order_by("pk").first()
    assert initiative is not None, "the demo has initiatives"
    proposal = initiative_services.propose(
        actor=users["citizen"],
        jurisdiction=amman,
        draft=initiative_services.ProposalDraft(
            title="Shade trees", description="Trees along the street.", shape=DOWNTOWN
        ),
    )
    work_day = initiative_services.schedule_work_day(
        actor=admin,
        initiative_id=initiative.pk,
        plan=initiative_services.WorkDayPlan(
            day=(timezone.localdate() + timedelta(days=14)),
            starts=time(9),
            ends=time(12),
            place="Main gate",
            capacity=10,
        ),
    )

    token = Token.objects.create(user=admin).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    layers = client.get("/api/v1/layers/").json()
    job = client.get("/api/v1/inspections/jobs/").json()["features"][0]
    district = amman.districts.order_by("code").first()
    assert district is not None, "the demo has districts"
    return {
        "token": token,
        "category": category.code,
        "ids": {
            "booking_id": block.pk,
            "district_code": district.code,
            "initiative_id": initiative.pk,
            "job_id": job["id"],
            "layer_id": _first_layer_id(layers),
            "proposal_id": proposal.pk,
            "request_id": submitted.pk,
            "service_code": category.code,
            "service_request_id": submitted.pk,
            "space_id": space.pk,
            "venue_id": space.venue_id,
            "work_day_id": work_day.pk,
        },
        "tokens": {"/api/v1/bookings/": feed_token(admin.pk), "/open311/": str(submitted.token)},
    }


def _first_layer_id(layers: Any) -> str:
    items = layers["layers"] if isinstance(layers, dict) else layers
    return str(items[0]["id"])


@schemathesis.deserializer("text/xml")
def open311_xml(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    """An Open311 XML answer read into the document its schema describes, to be validated like JSON.

    The XML is the server's own output (never a client's), so the standard library parser is fine.
    """
    element = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, not input
    responses = ctx.operation.definition.raw["responses"]
    return _from_xml(element, responses[str(response.status_code)]["content"]["text/xml"]["schema"])


def _from_xml(element: ElementTree.Element, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "array":
        return [_from_xml(child, schema["items"]) for child in element]
    if kind == "object":
        properties = schema.get("properties", {})
        return {child.tag: _from_xml(child, properties.get(child.tag, {})) for child in element}
    text = element.text
    if text is None:
        return None if schema.get("nullable") else ""
    readers: dict[str, Callable[[str], Any]] = {
        "boolean": {"true": True, "false": False}.get,
        "integer": int,
        "number": float,
    }
    try:
        value = readers[kind](text) if kind in readers else text
    except ValueError:
        return text  # left as text, so the schema reports it
    return text if value is None else value


def _chosen(case: Any) -> bool:
    """Half of the calls, chosen from the generated input itself: the same case is chosen again when
    Hypothesis replays or shrinks it, and on every run (derandomized)."""
    body = case.body
    if isinstance(body, dict):
        body = sorted(
            (k, v if isinstance(v, str | int | float) else type(v).__name__) for k, v in body.items()
        )
    else:
        body = type(body).__name__
    seen = repr((case.operation.label, sorted((case.path_parameters or {}).items()), body))
    return zlib.crc32(seen.encode()) % 2 == 0


def _aim_at_real_objects(case: Any, known: dict[str, Any]) -> None:
    """Half of the calls of an operation: real ids in the path, a valid Open311 api_key."""
    if not _chosen(case):
        return
    path_parameters = dict(case.path_parameters or {})
    for name in path_parameters:
        if name == "token":
            path_parameters[name] = next(v for p, v in known["tokens"].items() if case.path.startswith(p))
        elif name in known["ids"]:
            path_parameters[name] = str(known["ids"][name])
    if path_parameters:
        case.path_parameters = path_parameters
    if case.path.startswith("/open311/") and case.method == "POST" and isinstance(case.body, dict):
        case.body = {
            **case.body,
            "api_key": OPEN311_KEY,
            "service_code": known["category"],
            "lat": DOWNTOWN.y,
            "long": DOWNTOWN.x,
        }


@pytest.mark.parametrize("identity", ["anonymous", "admin"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_conform_and_never_fail(
    case: Any, identity: str, world: dict[str, Any], db: None
) -> None:
    _aim_at_real_objects(case, world)
    headers = {"Authorization": f"Token {world['token']}"} if identity == "admin" else {}
    # One savepoint per call, like one transaction per request in production: a refused write
    # leaves nothing behind for the next call.
    with transaction.atomic():
        case.call_and_validate(headers=headers, checks=CHECKS)


# --- The harness itself: the checks above would see a broken answer ---------------------------------


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_an_answer_of_the_wrong_shape_is_reported(
    suffix: str, world: dict[str, Any], db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_services.service_requests.open311 import formats

    real_item = formats.service_item
    monkeypatch.setattr(formats, "service_item", lambda c: {**real_item(c), "metadata": "maybe"})
    case = schema[f"/open311/v2/services.{suffix}"]["GET"].Case()
    with pytest.raises(FailureGroup, match="Response violates schema") as failure:
        case.call_and_validate(checks=CHECKS)
    assert "metadata" in str(failure.value.exceptions[0])


def test_a_server_error_is_reported(world: dict[str, Any], db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from geo_services.core import selectors

    def broken(**kwargs: Any) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "districts_feature_collection", broken)
    case = schema["/api/v1/districts/"]["GET"].Case()
    with pytest.raises(FailureGroup, match="Server error"):
        case.call_and_validate(checks=CHECKS)


def test_the_schema_covers_every_open311_resource_in_both_formats() -> None:
    paths = schema.raw_schema["paths"]
    for resource in (
        "discovery",
        "services",
        "services/{service_code}",
        "requests",
        "requests/{service_request_id}",
        "tokens/{token}",
    ):
        for suffix in ("json", "xml"):
            assert f"/open311/v2/{resource}.{suffix}" in paths, (resource, suffix)
    assert set(paths["/open311/v2/requests.json"]) == {"get", "post"}


def test_every_operation_documents_its_errors_in_one_shape() -> None:
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            errors = {status: r for status, r in operation["responses"].items() if status.startswith("4")}
            assert errors, f"{method.upper()} {path} documents no error answer"
            for status, response in errors.items():
                assert response.get("content"), f"{method.upper()} {path} {status} has no body"


# --- What the fuzzer found, pinned ---------------------------------------------------------------


@pytest.mark.parametrize("query", [{"jurisdiction": "amman\x00"}, {"district": "al-madina\x00"}])
def test_a_nul_character_in_a_code_is_refused_not_a_database_error(
    world: dict[str, Any], db: None, query: dict[str, str]
) -> None:
    # Refused at the edge (core.middleware.TextInputMiddleware) before any filter reaches PostgreSQL,
    # which cannot hold NUL in text; it was a 500 in the partners list.
    response = Client().get("/api/v1/partners/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_character"


@pytest.mark.parametrize("query", [{"from": "0001-01-01", "to": "0001-01-01"}, {"to": "9999-12-31"}])
def test_indicator_dates_far_outside_any_data_are_refused(
    world: dict[str, Any], db: None, query: dict[str, str]
) -> None:
    response = Client().get("/api/v1/indicators/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "out_of_range"
    assert "must be between 1900-01-01 and 2999-12-31" in error["message"]

"""Open311 GeoReport v2 endpoints: parse the input, call the services and selectors, render.

Each view says who may use it. Reading is open to anyone and never shows personal data; submitting
a request needs an api_key (issued with `manage.py create_open311_key`). Errors are answered by the
`open311_endpoint` decorator (errors.py), never here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import DomainError, NotFound
from geo_services.core.models import Jurisdiction
from geo_services.core.ratelimits import rate_limited
from geo_services.service_requests import selectors, services
from geo_services.service_requests.models import ServiceRequest
from geo_services.service_requests.open311 import formats, parsing
from geo_services.service_requests.open311.errors import open311_endpoint

# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
MAX_RESULTS = 1000


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return core_selectors.jurisdiction_by_code(parsing.jurisdiction_code(request))


def _zone(jurisdiction: Jurisdiction) -> ZoneInfo:
    return ZoneInfo(jurisdiction.time_zone)


def _render_requests(
    request: HttpRequest, rows: list[ServiceRequest], *, jurisdiction: Jurisdiction, fmt: str
) -> HttpResponse:
    zone = _zone(jurisdiction)
    document = [formats.request_item(row, zone=zone, http_request=request) for row in rows]
    return formats.render(document, fmt=fmt, root="service_requests")


@open311_endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET discovery.{fmt}: where this API is and what it speaks. Anyone; no personal data."""
    jurisdiction = _jurisdiction(request)
    base_url = request.build_absolute_uri(reverse("open311:root"))
    return formats.render(
        formats.discovery_document(jurisdiction, base_url=base_url), fmt=fmt, root="discovery"
    )


@open311_endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET services.{fmt}: the kinds of problem that can be reported. Anyone; no personal data."""
    jurisdiction = _jurisdiction(request)
    categories = selectors.active_categories(jurisdiction.code)
    return formats.render([formats.service_item(c) for c in categories], fmt=fmt, root="services")


@open311_endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """GET services/{service_code}.{fmt}: a service's questions. Anyone; no personal data."""
    jurisdiction = _jurisdiction(request)
    code = parsing.parse_service_code(service_code)
    category = selectors.active_categories(jurisdiction.code).filter(code=code).first()
    if category is None:
        raise NotFound(
            _("Unknown service_code %(code)r. The list of services is at services.json.")
            % {"code": service_code[:80]},
            code="unknown_service_code",
        )
    return formats.render(formats.service_definition(category), fmt=fmt, root="service_definition")


@csrf_exempt  # a program's POST authenticated by its api_key, not a browser session
@open311_endpoint("GET", "POST")
def request_collection(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests.{fmt}: anyone, no personal data. POST requests.{fmt}: holders of an api_key."""
    if request.method == "POST":
        return _submit(request, fmt)
    return _search(request, fmt)


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    query = parsing.parse_requests_query(request.GET, zone=_zone(jurisdiction), now=timezone.now())
    rows = list(
        selectors.open311_requests(
            jurisdiction.code,
            ids=query.ids,
            service_codes=query.service_codes,
            start=query.start,
            end=query.end,
            statuses=query.statuses,
        )[:MAX_RESULTS]
    )
    return _render_requests(request, rows, jurisdiction=jurisdiction, fmt=fmt)


@rate_limited("reports")
def _submit(request: HttpRequest, fmt: str) -> HttpResponse:
    code = parsing.jurisdiction_code(request)
    try:
        api_key = services.api_key_for(code, parsing.api_key(request))
    except DomainError:
        _jurisdiction(request)  # an unknown jurisdiction is the clearer error than an invalid key
        raise
    jurisdiction = api_key.jurisdiction
    new = parsing.parse_new_request(request)
    submitted = services.submit_request(
        jurisdiction_code=jurisdiction.code,
        service_code=new.service_code,
        point=new.point,
        address=new.address,
        description=new.description,
        answers=new.answers,
        contact=new.contact,
        media_url=new.media_url,
        photo=new.photo,
        api_key=api_key,
    )
    item = formats.created_item(
        submitted.request, duplicates=submitted.likely_duplicates, zone=_zone(jurisdiction)
    )
    return formats.render([item], fmt=fmt, root="service_requests")


@open311_endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    """GET requests/{id}.{fmt}: one request, as a list of one. Anyone; no personal data."""
    jurisdiction = _jurisdiction(request)
    pk = parsing.parse_request_id(request_id)
    row = selectors.open311_requests(jurisdiction.code, ids=(pk,)).first()
    if row is None:
        raise NotFound(
            _("There is no request %(id)s in %(jurisdiction)s.")
            % {"id": pk, "jurisdiction": formats.localized(jurisdiction, "name")},
            code="unknown_request",
        )
    return _render_requests(request, [row], jurisdiction=jurisdiction, fmt=fmt)


@open311_endpoint("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """GET tokens/{token}.{fmt}: the request id a token stands for. Anyone; no personal data."""
    jurisdiction = _jurisdiction(request)
    found = selectors.request_by_token(parsing.parse_token(token))
    if found is None or found.jurisdiction_id != jurisdiction.pk:
        raise NotFound(_("There is no request with token %(token)s.") % {"token": token[:50]})
    return formats.render([formats.token_item(found)], fmt=fmt, root="service_requests")


@csrf_exempt
@open311_endpoint()
def not_a_resource(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/v2/: a 404 in the Open311 format saying where to start."""
    raise NotFound(
        _(
            "There is no Open311 resource at %(path)s. Resources end in .json or .xml; "
            "start at discovery.json or services.json."
        )
        % {"path": request.path[:200]},
        code="no_such_resource",
    )

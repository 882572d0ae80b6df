"""Citizen pages: report a problem, follow its status. Thin: the rules are in service_requests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import DomainError
from geo_services.core.models import Jurisdiction
from geo_services.core.ratelimits import enforce_rate_limit
from geo_services.portal.forms import (
    ReportForm,
    category_groups,
    error_field,
    in_language,
    read_report,
    resident_message,
    submitted_answers,
)
from geo_services.service_requests import selectors, services
from geo_services.service_requests.models import ServiceCategory, ServiceRequest, Status

# Served by service_requests' media view (only the thumbnail is public, never the original).
THUMBNAIL_URL = "/media/requests/{token}/thumbnail.jpg"
_TOKEN_IN_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


def map_config(jurisdiction: Jurisdiction, **extra: Any) -> dict[str, Any]:
    """What the page's map needs: the optional basemap, the district outlines, where to start."""
    # The map starts where the admin's map widgets do: (lat, lon), django-leaflet's order.
    center = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
    return {
        "basemapUrl": settings.BASEMAP_TILE_URL,
        "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
        "districtsUrl": f"{reverse('district-list')}?jurisdiction={jurisdiction.code}",
        "lookupUrl": reverse("district-lookup"),
        "jurisdiction": jurisdiction.code,
        "center": list(center),
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        **extra,
    }


def _unavailable(request: HttpRequest) -> HttpResponse:
    # The configured jurisdiction is not loaded yet (a fresh installation before `make run`'s demo).
    return render(request, "portal/unavailable.html", status=503)


def _report_page(
    request: HttpRequest,
    *,
    jurisdiction: Jurisdiction,
    categories: list[ServiceCategory],
    form: ReportForm,
    error: DomainError | None = None,
) -> HttpResponse:
    service_code = (request.POST.get("service_code") or "").strip() if request.method == "POST" else ""
    answers = submitted_answers(request.POST) if request.method == "POST" else {}
    invalid_field = error_field(error) if error else ""
    jurisdiction_name = in_language(jurisdiction.name_ar, jurisdiction.name_en)
    context = {
        "form": form,
        "jurisdiction_name": jurisdiction_name,
        "groups": category_groups(
            categories, selected=service_code, answers=answers, invalid_field=invalid_field
        ),
        "selected_service": service_code,
        "error_message": resident_message(
            error,
            categories=categories,
            service_code=service_code,
            answers=answers,
            jurisdiction_name=jurisdiction_name,
        )
        if error
        else "",
        "invalid_field": invalid_field,
        "photo_dropped": bool(error and request.FILES.get("photo")),
        "map_config": map_config(jurisdiction),
        "page_text": {
            "pinPlaced": _("Pin placed."),
            "lookingUp": _("Finding the district…"),
            "district": _("District: %(name)s"),
            "outside": _("This place is outside %(jurisdiction)s. Move the pin inside the city.")
            % {"jurisdiction": jurisdiction_name},
            "lookupFailed": _("The district could not be checked now; you can still send the report."),
            "locating": _("Finding your location…"),
            "geoDenied": _("Location permission was refused. Tap the map instead."),
            "geoUnavailable": _("Your location is not available. Tap the map instead."),
            "geoUnsupported": _("This device cannot share its location. Tap the map instead."),
            "outlinesFailed": _("The district outlines could not be loaded."),
            "sending": _("Sending…"),
        },
    }
    response = render(request, "portal/report.html", context, status=error.status if error else 200)
    for header, value in error.response_headers().items() if error else ():
        response[header] = value
    return response


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The report form (GET) and its submission (POST, multipart)."""
    jurisdiction = core_selectors.default_jurisdiction()
    if jurisdiction is None:
        return _unavailable(request)
    categories = list(selectors.active_categories(jurisdiction.code))
    if request.method != "POST":
        return _report_page(request, jurisdiction=jurisdiction, categories=categories, form=ReportForm())

    form = ReportForm(request.POST, request.FILES)
    try:
        # Over the reports limit, the form comes back with everything typed and the time to retry.
        enforce_rate_limit(request, "reports")
        values = read_report(form, request.POST, categories=categories, time_zone=jurisdiction.time_zone)
        account = request.user if isinstance(request.user, User) else None
        submitted = services.submit_request(
            jurisdiction_code=jurisdiction.code,
            service_code=values.service_code,
            point=values.point,
            address=values.address,
            description=values.description,
            answers=values.answers,
            contact=values.contact,
            photo=values.photo,
            account=account,
        )
    except DomainError as error:
        # Everything typed comes back (but the file, which a browser cannot refill), with the
        # error's own 4xx status; nothing was stored.
        return _report_page(request, jurisdiction=jurisdiction, categories=categories, form=form, error=error)
    messages.success(
        request,
        _("Thank you. Your report was received and sent to %(department)s.")
        % {
            "department": in_language(
                submitted.request.department.name_ar, submitted.request.department.name_en
            )
        },
    )
    return redirect("portal:request-status", token=submitted.request.token)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: str
    status_label: str
    note: str


@dataclass(frozen=True)
class SimilarReport:
    id: int
    status_label: str
    requested_at: datetime


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _not_found(request: HttpRequest, text: str = "") -> HttpResponse:
    return render(request, "portal/not_found.html", {"token_text": text}, status=404)


@require_GET
def request_status(request: HttpRequest, token: str) -> HttpResponse:
    """A report's public status page: no personal data, public notes only."""
    try:
        parsed = uuid.UUID(token)
    except ValueError:
        return _not_found(request, token)
    service_request = selectors.request_by_token(str(parsed))
    if service_request is None:
        return _not_found(request, token)
    time_zone = service_request.jurisdiction.time_zone
    survivor: ServiceRequest | None = None
    if service_request.duplicate_of_id is not None:
        survivor = selectors.surviving_request(service_request)
    similar: list[SimilarReport] = []
    if service_request.is_open:
        similar = [
            SimilarReport(
                id=other.pk, status_label=_status_label(other.status), requested_at=other.requested_at
            )
            for other in selectors.likely_duplicates(
                category_id=service_request.category_id,
                point=service_request.location,
                exclude_id=service_request.pk,
            )
        ]
    history: list[HistoryEntry] = []
    for at, status, note in selectors.public_history(service_request):
        # A staff-only step that left the status as it was tells the resident nothing.
        if history and not note and history[-1].status == status:
            continue
        history.append(HistoryEntry(at=at, status=status, status_label=_status_label(status), note=note))
    followed = survivor or service_request
    context = {
        "service_request": service_request,
        "category_name": in_language(service_request.category.name_ar, service_request.category.name_en),
        "status_label": _status_label(service_request.status),
        "district_name": in_language(service_request.district.name_ar, service_request.district.name_en),
        "department_name": in_language(
            service_request.department.name_ar, service_request.department.name_en
        ),
        "is_open": service_request.is_open,
        "late": followed.is_open and followed.expected_at < timezone.now(),
        "survivor": survivor,
        "survivor_status_label": _status_label(survivor.status) if survivor else "",
        "survivor_url": reverse("portal:request-status", args=[survivor.token]) if survivor else "",
        "history": list(reversed(history)),
        "similar": similar,
        "thumbnail_url": THUMBNAIL_URL.format(token=service_request.token)
        if service_request.photo_thumbnail
        else "",
        "time_zone": time_zone,
        "jurisdiction_name": in_language(
            service_request.jurisdiction.name_ar, service_request.jurisdiction.name_en
        ),
        "map_config": map_config(
            service_request.jurisdiction,
            pin=[service_request.location.y, service_request.location.x],
        ),
    }
    return render(request, "portal/status.html", context)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """Open a status page from its tracking number (or a pasted link that holds one)."""
    text = (request.GET.get("token") or "").strip()
    if not text:
        return render(request, "portal/track.html", {"token_text": ""})
    found = _TOKEN_IN_TEXT.search(text)
    if found is None:
        return render(
            request,
            "portal/track.html",
            {
                "token_text": text[:200],
                "error_message": _(
                    "That is not a tracking number. It looks like 1b4e28ba-2fa1-11d2-883f-0016d3cca427."
                ),
            },
            status=400,
        )
    return redirect("portal:request-status", token=str(uuid.UUID(found.group(0))))

"""Citizen venue pages: find a venue, see when it is free and book it, follow one's bookings.

The views render the page shell — the jurisdiction, its time zone and currency, the venue — and the
pages' scripts read the lists through the public REST API (/api/v1/venues/…, /api/v1/bookings/…),
so the rules live in one place (venues.services / venues.selectors) and the pages stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo_services.core import selectors as core_selectors
from geo_services.portal.forms import in_language
from geo_services.portal.views import map_config
from geo_services.venues import selectors
from geo_services.venues.models import OpeningException, Space, VenueKind


def url_pattern(name: str) -> str:
    """A URL with an id for the scripts to fill in: /venues/{id}/."""
    return reverse(name, args=[0]).replace("/0/", "/{id}/")


# How far the finder looks around the person (or the map centre): the whole of a large city.
SEARCH_RADIUS_M = 30_000

DURATIONS = [
    (30, gettext_lazy("30 minutes")),
    (60, gettext_lazy("1 hour")),
    (90, gettext_lazy("1½ hours")),
    (120, gettext_lazy("2 hours")),
    (180, gettext_lazy("3 hours")),
    (240, gettext_lazy("4 hours")),
]
DEFAULT_DURATION = 60

# Between the two ends of a time range (10:00, en dash, 11:00), as the scripts write it too.
EN_DASH = "\u2013"
# The venue page lists holidays and special hours this far ahead.
EXCEPTIONS_AHEAD_DAYS = 60
# The week as it runs in Jordan and Saudi Arabia: Saturday first (0 = Monday … 6 = Sunday).
WEEK_ORDER = (5, 6, 0, 1, 2, 3, 4)

# Currency symbols as residents write them; a currency without one is shown by its ISO code.
CURRENCY_SYMBOLS = {"JOD": gettext_lazy("JOD"), "SAR": gettext_lazy("SAR")}


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _unavailable(request: HttpRequest) -> HttpResponse:
    # The configured jurisdiction is not loaded yet (a fresh installation before `make run`'s demo).
    return render(request, "venues/unavailable.html", status=503)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "venues/not_found.html", status=404)


def next_full_hour(now: datetime, zone: ZoneInfo) -> datetime:
    """The next o'clock in the jurisdiction's local time (10:20 → 11:00, 10:00 → 11:00)."""
    local = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return local + timedelta(hours=1)


def money(amount: Decimal, currency: str) -> str:
    """A price as residents read it: "3 JOD", "2.50 JOD", "1.125 JOD"; zero is "free"."""
    if amount == 0:
        return _("free")
    if amount == amount.to_integral_value():
        number = f"{amount:.0f}"
    else:
        number = f"{amount.normalize():f}"
        if len(number.partition(".")[2]) < 2:
            number = f"{amount:.2f}"
    return _("%(amount)s %(currency)s") % {
        "amount": number,
        "currency": CURRENCY_SYMBOLS.get(currency, currency),
    }


def minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": minutes}


@dataclass(frozen=True)
class SpaceRow:
    id: int
    name: str
    depth: int
    capacity: int | None
    bookable: bool
    price: str
    free_of_charge: bool
    approval_required: bool
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    booking_length: str
    cancellation: str
    max_days_ahead: int
    hours: list[tuple[str, str]]
    exceptions: list[tuple[str, str]]


def _spans(spans: list[tuple[time | None, time | None]]) -> str:
    """Opening windows as "08:00-12:00, 16:00-22:00" (with an en dash), or "closed" without any."""
    windows = sorted((opens, closes) for opens, closes in spans if opens is not None and closes is not None)
    if not windows:
        return _("closed")
    separator = "، " if _language().startswith("ar") else ", "
    return separator.join(f"{opens:%H:%M}{EN_DASH}{closes:%H:%M}" for opens, closes in windows)


def weekly_hours(space: Space) -> list[tuple[str, str]]:
    """(days, hours) rows, consecutive days with the same hours together ("Saturday to Thursday")."""
    by_day: dict[int, list[tuple[time | None, time | None]]] = {day: [] for day in range(7)}
    for hours in space.opening_hours.all():
        by_day[hours.weekday].append((hours.opens, hours.closes))
    if not any(by_day.values()):
        return []
    groups: list[tuple[int, int, str]] = []
    for day in WEEK_ORDER:
        text = _spans(by_day[day])
        if groups and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], day, text)
        else:
            groups.append((day, day, text))
    rows = []
    for first, last, text in groups:
        days = (
            str(WEEKDAYS[first])
            if first == last
            else _("%(first)s to %(last)s") % {"first": WEEKDAYS[first], "last": WEEKDAYS[last]}
        )
        rows.append((days, text))
    return rows


def coming_exceptions(space: Space, *, today: date) -> list[tuple[str, str]]:
    """(date, what) of the holidays and special hours from today on (prefetched by the selector)."""
    by_date: dict[date, list[OpeningException]] = {}
    for exception in space.opening_exceptions.all():
        if exception.date >= today:
            by_date.setdefault(exception.date, []).append(exception)
    rows = []
    for day in sorted(by_date):
        found = by_date[day]
        text = _spans([(e.opens, e.closes) for e in found])
        reasons = [in_language(e.reason_ar, e.reason_en) for e in found]
        reason = next((r for r in reasons if r), "")
        rows.append((date_format(day, "DATE_FORMAT"), f"{text} ({reason})" if reason else text))
    return rows


def _space_rows(spaces: list[Space], currency: str, *, today: date) -> list[SpaceRow]:
    """The venue's spaces in their hierarchy order: each parent followed by its parts."""
    children: dict[int | None, list[Space]] = {}
    for space in spaces:
        children.setdefault(space.parent_id, []).append(space)
    known = {space.pk for space in spaces}
    rows: list[SpaceRow] = []

    def visit(space: Space, depth: int) -> None:
        rows.append(
            SpaceRow(
                id=space.pk,
                name=in_language(space.name_ar, space.name_en),
                depth=depth,
                capacity=space.capacity,
                bookable=space.bookable,
                price=money(space.price_per_hour, currency),
                free_of_charge=space.price_per_hour == 0,
                approval_required=space.approval_required,
                slot_minutes=space.slot_minutes,
                min_minutes=space.min_minutes,
                max_minutes=space.max_minutes,
                booking_length=_("%(shortest)s to %(longest)s")
                % {"shortest": minutes_text(space.min_minutes), "longest": minutes_text(space.max_minutes)},
                cancellation=_("cancel up to %(time)s before")
                % {"time": minutes_text(space.cancellation_hours * 60)}
                if space.cancellation_hours
                else _("cancel until it starts"),
                max_days_ahead=space.max_days_ahead,
                hours=weekly_hours(space),
                exceptions=coming_exceptions(space, today=today),
            )
        )
        for child in children.get(space.pk, []):
            visit(child, depth + 1)

    # Roots first; a space whose parent is missing from the list is shown as a root too.
    for space in spaces:
        if space.parent_id is None or space.parent_id not in known:
            visit(space, 0)
    return rows


def _amenities(values: Any) -> list[str]:
    """Amenities as stored by the admin or the import: plain words or {name_ar, name_en} pairs."""
    if not isinstance(values, list):
        return []
    names: list[str] = []
    for value in values:
        if isinstance(value, dict):
            name = in_language(str(value.get("name_ar") or ""), str(value.get("name_en") or ""))
        else:
            name = str(value)
        if name:
            names.append(name)
    return names


def _kinds() -> list[dict[str, str]]:
    return [{"value": kind.value, "label": str(kind.label)} for kind in VenueKind]


def _finder_text() -> dict[str, str]:
    """Every sentence the finder's script shows, in the page's language."""
    return {
        "loading": _("Looking for venues…"),
        "empty": _("No venues of this kind near here."),
        "count": _("%(count)s venues, nearest first"),
        "free": _("Free at that time"),
        "busy": _("Not free at that time"),
        "notBookable": _("Open to all, no booking"),
        "distanceM": _("%(distance)s m"),
        "distanceKm": _("%(distance)s km"),
        "fromYou": _("Distances from your location."),
        "fromCentre": _("Distances from the centre of the map."),
        "locating": _("Finding your location…"),
        "geoDenied": _("Location permission was refused; distances are from the centre of the map."),
        "geoUnavailable": _("Your location is not available; distances are from the centre of the map."),
        "geoUnsupported": _(
            "This device cannot share its location; distances are from the centre of the map."
        ),
        "window": _("Free or not on %(date)s, %(time)s."),
        "badWindow": _("Choose a date, a start time and a duration."),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "outlinesFailed": _("The district outlines could not be loaded."),
        "open": _("Open the venue's page"),
    }


@require_GET
def venue_finder(request: HttpRequest) -> HttpResponse:
    """The venue map and list: free or not at a chosen time, nearest first."""
    jurisdiction = core_selectors.default_jurisdiction()
    if jurisdiction is None:
        return _unavailable(request)
    zone = ZoneInfo(jurisdiction.time_zone)
    start = next_full_hour(timezone.now(), zone)
    kind = request.GET.get("kind", "")
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "api": {"venues": reverse("venue-list")},
        "radius": SEARCH_RADIUS_M,
        "detailUrl": url_pattern("venues:detail"),
        "map": map_config(jurisdiction),
        "text": _finder_text(),
    }
    context = {
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "kinds": _kinds(),
        "selected_kind": kind if kind in VenueKind.values else "",
        "default_date": start.date().isoformat(),
        "default_start": start.strftime("%H:%M"),
        "durations": DURATIONS,
        "default_duration": DEFAULT_DURATION,
        "time_zone": jurisdiction.time_zone,
        "config": config,
    }
    return render(request, "venues/finder.html", context)


def _venue_text() -> dict[str, str]:
    return {
        "loading": _("Looking for free times…"),
        "dayFree": _("Free times on %(date)s:"),
        "noSlots": _("No free times on %(date)s."),
        "closedOrFull": _("Closed or fully booked."),
        "chooseSlot": _("Choose a free time above, or enter a start and an end."),
        "chosen": _("%(space)s, %(date)s, %(time)s"),
        "badTimes": _("Enter a start and an end on the chosen day; the end must be after the start."),
        "booking": _("Booking…"),
        "booked": _("Booked: %(what)s."),
        "requested": _("Request sent: %(what)s. The venue will confirm it."),
        "status": _("Status: %(status)s"),
        "taken": _("Someone has just booked this time. Choose another free time."),
        "chooseAnother": _("Choose another free time."),
        "signedOut": _("Your session has ended. Sign in again."),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "calendar": _("Add to my calendar (.ics)"),
        "outlinesFailed": _("The district outlines could not be loaded."),
    }


@require_GET
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    """A venue: what it is, its spaces and prices, free times on a day and — signed in — a booking form."""
    now = timezone.now()
    detail = selectors.venue_detail(venue_id, now=now, exceptions_ahead=timedelta(days=EXCEPTIONS_AHEAD_DAYS))
    if detail is None:
        return _not_found(request)
    venue = detail.venue
    jurisdiction = venue.jurisdiction
    zone = ZoneInfo(jurisdiction.time_zone)
    today = now.astimezone(zone).date()
    spaces = _space_rows(detail.spaces, jurisdiction.currency, today=today)
    bookable = [space for space in spaces if space.bookable]
    signed_in = bool(request.user.is_authenticated)
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "currency": jurisdiction.currency,
        "venue": {"id": venue.pk, "name": in_language(venue.name_ar, venue.name_en)},
        "spaces": [
            {
                "id": space.id,
                "name": space.name,
                "slotMinutes": space.slot_minutes,
                "minMinutes": space.min_minutes,
                "maxMinutes": space.max_minutes,
                "approvalRequired": space.approval_required,
            }
            for space in bookable
        ],
        "signedIn": signed_in,
        "api": {
            "availability": reverse("venue-availability", args=[venue.pk]),
            "bookings": reverse("booking-create"),
        },
        "mineUrl": reverse("venues:mine"),
        "map": map_config(jurisdiction, pin=[venue.location.y, venue.location.x]),
        "text": _venue_text(),
    }
    context = {
        "venue": venue,
        "name": in_language(venue.name_ar, venue.name_en),
        "other_name": venue.name_en if _language().startswith("ar") else venue.name_ar,
        "description": in_language(venue.description_ar, venue.description_en),
        "accessibility": in_language(venue.accessibility_ar, venue.accessibility_en),
        "kind_label": VenueKind(venue.kind).label,
        "district_name": in_language(venue.district.name_ar, venue.district.name_en),
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "amenities": _amenities(venue.amenities),
        "spaces": spaces,
        "bookable_spaces": bookable,
        "signed_in": signed_in,
        "login_url": f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()}, safe='/')}",
        "today": today.isoformat(),
        # Bookings open at most this far ahead (the space allowing the longest decides).
        "last_day": (
            today + timedelta(days=max((s.max_days_ahead for s in bookable), default=0))
        ).isoformat(),
        "time_zone": jurisdiction.time_zone,
        "currency": jurisdiction.currency,
        "config": config,
    }
    return render(request, "venues/venue.html", context)


def _mine_text() -> dict[str, str]:
    return {
        "loading": _("Loading your bookings…"),
        "empty": _("You have no bookings yet."),
        "cancel": _("Cancel"),
        "cancelConfirm": _("Cancel the booking of %(what)s?"),
        "cancelling": _("Cancelling…"),
        "cancelled": _("The booking was cancelled."),
        "calendar": _("Calendar file (.ics)"),
        "sameDay": _("%(day)s, %(time)s"),
        "days": _("%(start)s to %(end)s"),
        "past": _("Past"),
        "signedOut": _("Your session has ended. Sign in again."),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "copied": _("Copied."),
        "feedFailed": _("The calendar link could not be loaded."),
    }


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    """The signed-in citizen's bookings, with cancel buttons and calendar links."""
    jurisdiction = core_selectors.default_jurisdiction()
    if jurisdiction is None:
        return _unavailable(request)
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "api": {
            "mine": reverse("booking-mine"),
            "cancel": url_pattern("booking-cancel"),
            "feedUrl": reverse("booking-feed-url"),
        },
        "detailUrl": url_pattern("venues:detail"),
        "text": _mine_text(),
    }
    context = {
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "time_zone": jurisdiction.time_zone,
        "config": config,
    }
    return render(request, "venues/mine.html", context)

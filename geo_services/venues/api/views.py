"""The venue REST API: find venues on the map, see their free slots, book, follow one's bookings.

Thin: parse the input once (api.parsing), call venues.selectors / venues.services, render. Errors
are raised as domain errors and answered by core.api.errors in the project's error shape.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_services.core import selectors as core_selectors
from geo_services.core.api.parsing import parse_int, parse_list
from geo_services.core.api.permissions import IsDispatcherOrAdmin
from geo_services.core.api.views import JSONOnly
from geo_services.core.errors import InvalidInput, NotFound, OutsideDistricts
from geo_services.core.parsing import LonLat
from geo_services.core.ratelimits import rate_limited
from geo_services.venues import ical, selectors, services
from geo_services.venues.api import parsing
from geo_services.venues.api.representation import (
    availability_document,
    booking_item,
    venue_document,
)
from geo_services.venues.models import VenueKind

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_MY_BOOKINGS = 500
# A feed shows bookings that ended up to this long ago (and every later one).
FEED_HISTORY = timedelta(days=90)
# How often calendar applications are asked to fetch a feed again.
FEED_REFRESH = "PT1H"
# The detail lists dated exceptions (holidays, special hours) this far ahead.
EXCEPTIONS_AHEAD = timedelta(days=90)


class VenueAPIView(APIView):
    """JSON whatever the Accept header asks (GeoJSON and iCalendar bodies are written by the views)."""

    content_negotiation_class = JSONOnly


def _jurisdiction_for_search(code: str | None, near: LonLat | None) -> tuple[int, ZoneInfo]:
    """The jurisdiction searched: the one named, else the one the point `near` lies in, else the default."""
    if not code and near is not None:
        try:
            district = core_selectors.district_for_point(near).district
            return district.jurisdiction_id, ZoneInfo(district.time_zone)
        except OutsideDistricts:
            pass
    jurisdiction = core_selectors.jurisdiction_by_code(code or settings.AMANAH_DEFAULT_JURISDICTION)
    return jurisdiction.pk, ZoneInfo(jurisdiction.time_zone)


def _space_zone(space_id: int) -> ZoneInfo:
    zone = selectors.space_time_zone(space_id)
    if zone is None:
        raise NotFound(_("There is no space %(id)s.") % {"id": space_id}, code="unknown_space")
    return zone


def _booking_response(booking_id: int, *, status: int = 200) -> Response:
    return Response(booking_item(selectors.booking_for_display(booking_id)), status=status)


_VENUE_LIST_PARAMETERS = [
    OpenApiParameter(
        "near", OpenApiTypes.STR, description="`LAT,LON` (WGS84): nearest first, with `distance_m`."
    ),
    OpenApiParameter(
        "radius",
        OpenApiTypes.DOUBLE,
        description=f"Metres around `near` (more than 0, at most {parsing.MAX_RADIUS_M}).",
    ),
    OpenApiParameter("bbox", OpenApiTypes.STR, description="`minlon,minlat,maxlon,maxlat` (WGS84)."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(VenueKind.values)),
    OpenApiParameter(
        "free_from",
        OpenApiTypes.DATETIME,
        description="With `free_to`: only venues with a space free for the whole window (at most 7 days). "
        "Without an offset, local time of the jurisdiction.",
    ),
    OpenApiParameter("free_to", OpenApiTypes.DATETIME),
    OpenApiParameter(
        "jurisdiction",
        OpenApiTypes.STR,
        description="Jurisdiction code; default: the one `near` lies in, else the configured default.",
    ),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_LIMIT}; default {DEFAULT_LIMIT}."),
]


class VenueListView(VenueAPIView):
    """Venues on the map as GeoJSON. Anyone; no personal data."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="venue_list",
        parameters=_VENUE_LIST_PARAMETERS,
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        near = parsing.parse_near(params["near"]) if params.get("near") else None
        radius = parsing.parse_radius(params["radius"]) if params.get("radius") else None
        if radius is not None and near is None:
            raise InvalidInput(_("radius needs near."), code="missing_parameter")
        bbox = parsing.parse_bbox(params["bbox"]) if params.get("bbox") else None
        kinds = parse_list(params.get("kind"), name="kind", allowed=set(VenueKind.values))
        limit = parse_int(
            params.get("limit"), name="limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
        )
        jurisdiction_id, zone = _jurisdiction_for_search(params.get("jurisdiction"), near)
        window = parsing.parse_free_window(params.get("free_from"), params.get("free_to"), zone=zone)
        document = selectors.search_venues(
            selectors.VenueSearch(
                jurisdiction_id=jurisdiction_id,
                zone=zone,
                near=near,
                radius_m=radius,
                bbox=bbox,
                kinds=kinds,
                free_from=window.start if window else None,
                free_to=window.end if window else None,
                limit=limit,
            )
        )
        return HttpResponse(document, content_type="application/geo+json")


class VenueDetailView(VenueAPIView):
    """A venue with its spaces, their rules, prices (in the jurisdiction's currency) and hours. Anyone."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="venue_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, venue_id: int) -> Response:
        detail = selectors.venue_detail(venue_id, now=timezone.now(), exceptions_ahead=EXCEPTIONS_AHEAD)
        if detail is None:
            raise NotFound(_("There is no venue %(id)s.") % {"id": venue_id}, code="unknown_venue")
        return Response(venue_document(detail))


class VenueAvailabilityView(VenueAPIView):
    """Free slots of each bookable space, day by day, in the jurisdiction's local time. Anyone."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="venue_availability",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="First local date; default today."),
            OpenApiParameter(
                "days", OpenApiTypes.INT, description=f"1 to {parsing.MAX_AVAILABILITY_DAYS}; default 1."
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, venue_id: int) -> Response:
        params = request.query_params
        days = parse_int(
            params.get("days"), name="days", default=1, minimum=1, maximum=parsing.MAX_AVAILABILITY_DAYS
        )
        first = parsing.parse_date(params["date"], name="date") if params.get("date") else None
        venue = selectors.active_venue(venue_id)
        if venue is None:
            raise NotFound(_("There is no venue %(id)s.") % {"id": venue_id}, code="unknown_venue")
        now = timezone.now()
        if first is None:
            first = now.astimezone(ZoneInfo(venue.jurisdiction.time_zone)).date()
        return Response(availability_document(selectors.venue_availability(venue, first, days, now=now)))


class BookingCreateView(VenueAPIView):
    """Book a space. Signed-in citizens and staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="booking_create", request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT}
    )
    @rate_limited("bookings")
    def post(self, request: Request) -> Response:
        body = parsing.body_object(request.data)
        space_id = parsing.identifier(body.get("space"), name="space")
        start, end = parsing.parse_interval(body, zone=_space_zone(space_id))
        booking = services.book_space(
            user=request.user,
            space_id=space_id,
            start=start,
            end=end,
            note=parsing.text(body, "note", max_length=500),
        )
        return _booking_response(booking.pk, status=201)


class CourseCreateView(VenueAPIView):
    """Book a course: every session or none (409 lists the colliding sessions). Signed-in people.

    Sessions are given one by one ("sessions": [{"start", "end"}…]) or as weekdays times weeks
    ("weekdays", "first_date", "weeks", "start_time", "end_time"; local time of the jurisdiction).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="course_create", request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT}
    )
    @rate_limited("bookings")
    def post(self, request: Request) -> Response:
        body = parsing.body_object(request.data)
        space_id = parsing.identifier(body.get("space"), name="space")
        zone = _space_zone(space_id)
        if "sessions" in body:
            sessions = parsing.parse_sessions(
                body["sessions"], zone=zone, maximum=services.MAX_COURSE_SESSIONS
            )
        else:
            weekly = parsing.parse_weekly_course(body)
            sessions = services.course_sessions(
                weekdays=weekly.weekdays,
                first_date=weekly.first_date,
                weeks=weekly.weeks,
                start_time=weekly.start_time,
                end_time=weekly.end_time,
                zone=zone,
            )
        course = services.book_course(
            user=request.user,
            space_id=space_id,
            title=parsing.text(body, "title", max_length=200),
            sessions=sessions,
        )
        bookings = selectors.course_bookings(course.pk)
        return Response(
            {
                "id": course.pk,
                "title": course.title,
                "space": course.space_id,
                "sessions": [booking_item(b) for b in bookings],
            },
            status=201,
        )


class MyBookingsView(VenueAPIView):
    """The signed-in person's bookings, latest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="booking_mine",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_MY_BOOKINGS}.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        limit = parse_int(
            request.query_params.get("limit"), name="limit", default=200, minimum=1, maximum=MAX_MY_BOOKINGS
        )
        bookings = selectors.bookings_of(request.user, limit=limit)
        return Response({"results": [booking_item(b) for b in bookings]})


class CancelBookingView(VenueAPIView):
    """Cancel a booking: its booker (before the space's deadline) or venue staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="booking_cancel", request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, booking_id: int) -> Response:
        booking = services.cancel_booking(user=request.user, booking_id=booking_id)
        return _booking_response(booking.pk)


class DecideBookingView(VenueAPIView):
    """Confirm or reject a requested booking. Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="booking_decide", request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, booking_id: int) -> Response:
        body = parsing.body_object(request.data)
        booking = services.decide_booking(
            actor=request.user,
            booking_id=booking_id,
            approve=parsing.flag(body, "approve"),
            note=parsing.text(body, "note", max_length=500),
        )
        return _booking_response(booking.pk)


class SpaceBlockView(VenueAPIView):
    """Hold a space for maintenance or a municipal event. Dispatchers and administrators."""

    permission_classes = [IsDispatcherOrAdmin]

    @extend_schema(
        operation_id="space_block", request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, space_id: int) -> Response:
        body = parsing.body_object(request.data)
        start, end = parsing.parse_interval(body, zone=_space_zone(space_id))
        booking = services.block_space(
            actor=request.user,
            space_id=space_id,
            start=start,
            end=end,
            note=parsing.text(body, "note", max_length=500),
        )
        return _booking_response(booking.pk, status=201)


def _calendar_response(body: bytes, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


_ICS_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="text/calendar (RFC 5545)")


class BookingICalendarView(VenueAPIView):
    """One booking as an iCalendar file. Its booker, or venue staff of its jurisdiction."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="booking_ics", responses={(200, "text/calendar"): _ICS_RESPONSE})
    def get(self, request: Request, booking_id: int) -> HttpResponse:
        booking = selectors.booking_visible_to(request.user, booking_id)
        if booking is None:
            raise NotFound(
                _("There is no booking %(id)s of yours.") % {"id": booking_id}, code="unknown_booking"
            )
        body = ical.calendar([booking], name=_("Venue booking"), now=timezone.now())
        return _calendar_response(body, filename=f"booking-{booking.pk}.ics")


class BookingFeedView(VenueAPIView):
    """A person's bookings as a calendar feed. Whoever holds the feed's URL (its token is the key)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []  # calendar applications cannot sign in; the token decides

    @extend_schema(operation_id="booking_feed", responses={(200, "text/calendar"): _ICS_RESPONSE})
    def get(self, request: Request, token: str) -> HttpResponse:
        user_id = ical.user_id_for_feed_token(token)
        if user_id is None or not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
            raise NotFound(_("There is no calendar at this address."), code="unknown_feed")
        now = timezone.now()
        bookings = selectors.feed_bookings(user_id, since=now - FEED_HISTORY)
        return _calendar_response(
            ical.calendar(bookings, name=_("My venue bookings"), now=now, refresh=FEED_REFRESH)
        )


class FeedUrlView(VenueAPIView):
    """The address of the signed-in person's calendar feed, to subscribe to in a calendar application."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="booking_feed_url", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        path = reverse("booking-feed", args=[ical.feed_token(request.user.pk)])
        url = request.build_absolute_uri(path)
        return Response({"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]})

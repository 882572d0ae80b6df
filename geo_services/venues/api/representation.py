"""How the venue API shows venues, spaces, slots and bookings. Times are ISO 8601 with the
jurisdiction's UTC offset (so 18:00 in Amman reads 2026-05-01T18:00:00+03:00)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from geo_services.venues.models import Booking, BookingStatus, Space, VenueKind
from geo_services.venues.selectors import VenueAvailability, VenueDetail


def local_iso(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()


def _named(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "code": obj.code, "name_ar": obj.name_ar, "name_en": obj.name_en}


def space_rules(space: Space) -> dict[str, Any]:
    return {
        "slot_minutes": space.slot_minutes,
        "min_minutes": space.min_minutes,
        "max_minutes": space.max_minutes,
        "buffer_minutes": space.buffer_minutes,
        "min_notice_hours": space.min_notice_hours,
        "max_days_ahead": space.max_days_ahead,
        "approval_required": space.approval_required,
        "cancellation_hours": space.cancellation_hours,
        "max_active_per_user": space.max_active_per_user,
    }


def venue_document(detail: VenueDetail) -> dict[str, Any]:
    venue = detail.venue
    jurisdiction = venue.jurisdiction
    return {
        **_named(venue),
        "kind": venue.kind,
        "kind_label": str(VenueKind(venue.kind).label),
        "description_ar": venue.description_ar,
        "description_en": venue.description_en,
        "location": {"type": "Point", "coordinates": [venue.location.x, venue.location.y]},
        "capacity": venue.capacity,
        "amenities": venue.amenities,
        "accessibility_ar": venue.accessibility_ar,
        "accessibility_en": venue.accessibility_en,
        "contact_phone": venue.contact_phone,
        "contact_email": venue.contact_email,
        "district": _named(venue.district),
        "jurisdiction": {
            "code": jurisdiction.code,
            "name_ar": jurisdiction.name_ar,
            "name_en": jurisdiction.name_en,
            "time_zone": jurisdiction.time_zone,
            "currency": jurisdiction.currency,
        },
        "currency": jurisdiction.currency,
        "time_zone": jurisdiction.time_zone,
        "availability_url": reverse("venue-availability", args=[venue.pk]),
        "spaces": [
            {
                **_named(space),
                "parent": space.parent_id,
                "capacity": space.capacity,
                "bookable": space.bookable,
                # Decimal as text: 3.500 JOD stays exact (the jurisdiction's currency).
                "price_per_hour": str(space.price_per_hour),
                "currency": jurisdiction.currency,
                "rules": space_rules(space),
                "opening_hours": [
                    {
                        "weekday": h.weekday,
                        "opens": h.opens.isoformat("minutes"),
                        "closes": h.closes.isoformat("minutes"),
                    }
                    for h in space.opening_hours.all()
                ],
                "exceptions": [
                    {
                        "date": e.date.isoformat(),
                        "closed": e.opens is None,
                        "opens": e.opens.isoformat("minutes") if e.opens else None,
                        "closes": e.closes.isoformat("minutes") if e.closes else None,
                        "reason_ar": e.reason_ar,
                        "reason_en": e.reason_en,
                    }
                    for e in space.opening_exceptions.all()
                ],
            }
            for space in detail.spaces
        ],
    }


def availability_document(availability: VenueAvailability) -> dict[str, Any]:
    zone = availability.zone
    jurisdiction = availability.venue.jurisdiction
    return {
        "venue": availability.venue.pk,
        "date": availability.first.isoformat(),
        "days": availability.days,
        "time_zone": jurisdiction.time_zone,
        "currency": jurisdiction.currency,
        "spaces": [
            {
                **_named(item.space),
                "parent": item.space.parent_id,
                "price_per_hour": str(item.space.price_per_hour),
                "rules": space_rules(item.space),
                "slots": [
                    {"start": local_iso(slot.start, zone), "end": local_iso(slot.end, zone)}
                    for slot in item.slots
                ],
            }
            for item in availability.spaces
        ],
    }


def booking_item(booking: Booking) -> dict[str, Any]:
    """A booking for its booker or staff; expects space, venue, jurisdiction and course selected."""
    space = booking.space
    venue = space.venue
    zone = ZoneInfo(venue.jurisdiction.time_zone)
    return {
        "id": booking.pk,
        "status": booking.status,
        "status_label": str(BookingStatus(booking.status).label),
        "start": local_iso(booking.during.lower, zone),
        "end": local_iso(booking.during.upper, zone),
        "time_zone": venue.jurisdiction.time_zone,
        "space": _named(space),
        "venue": {
            **_named(venue),
            "location": {"type": "Point", "coordinates": [venue.location.x, venue.location.y]},
        },
        "price_per_hour": str(space.price_per_hour),
        "currency": venue.jurisdiction.currency,
        "is_block": booking.is_block,
        "course": {"id": booking.course.pk, "title": booking.course.title} if booking.course else None,
        "note": booking.note,
        "cancellation_hours": space.cancellation_hours,
        "created_at": booking.created_at.isoformat(),
        "ics_url": reverse("booking-ics", args=[booking.pk]),
    }

"""Bookings as iCalendar (RFC 5545): one booking as a file, or a person's bookings as a feed that
calendar applications subscribe to.

Written here rather than with a library: the subset needed is small (one VCALENDAR of VEVENTs) and
its rules are few — CRLF line ends, lines folded at 75 octets without splitting a UTF-8 character,
TEXT values escaped, times in UTC with a Z.

A feed is read by calendar applications that cannot sign in, so its URL carries a token: the user
id signed with the project's SECRET_KEY (django.core.signing), unguessable without that key and
needing no table. Rotating SECRET_KEY (or the salt below) invalidates every feed URL at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.core import signing
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from geo_services.venues.models import Booking, BookingStatus

PRODID = "-//Amanah//Venue bookings//EN"
UID_DOMAIN = "venues.amanah"
_FEED_SALT = "geo_services.venues.ical.feed"
_FEED_SEPARATOR = "."  # URL-safe, and never part of a signature

_STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
}
# Grows along the workflow, so a calendar replaces an older copy of the event.
_SEQUENCE = {
    BookingStatus.REQUESTED: 0,
    BookingStatus.CONFIRMED: 1,
    BookingStatus.CANCELLED: 2,
    BookingStatus.REJECTED: 2,
}


# --- Feed tokens ------------------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=_FEED_SALT, sep=_FEED_SEPARATOR)


def feed_token(user_id: int) -> str:
    """The token of a person's feed URL: their id and its signature ("42.dGhl…")."""
    return _signer().sign(str(user_id))


def user_id_for_feed_token(token: str) -> int | None:
    """The user id a feed token was made for; None for a token this server did not sign."""
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


# --- Content lines ------------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line, folded (§3.1): at most 75 octets per line, continuation lines begin with a
    space, a multi-byte UTF-8 character never split; ends with CRLF."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1  # the leading space counts towards the next line's 75 octets
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts) + "\r\n"


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC (form #2, §3.3.5): 20260329T070000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _in_language(arabic: str, english: str) -> str:
    if (get_language() or "ar").startswith("ar"):
        return arabic or english
    return english or arabic


# --- Calendars ---------------------------------------------------------------------------------------


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{UID_DOMAIN}"


def booking_event(booking: Booking, *, now: datetime) -> list[str]:
    """The VEVENT of a booking, as unfolded content lines.

    Expects space, venue, district and course to be selected (selectors' booking reads do that).
    """
    space = booking.space
    venue = space.venue
    venue_name = _in_language(venue.name_ar, venue.name_en)
    space_name = _in_language(space.name_ar, space.name_en)
    district_name = _in_language(venue.district.name_ar, venue.district.name_en)
    status = BookingStatus(booking.status)
    description = [_("Status: %(status)s") % {"status": status.label}]
    if booking.course is not None:
        description.append(_("Course: %(title)s") % {"title": booking.course.title})
    if booking.is_block:
        description.append(_("Held by the venue's staff."))
    if booking.note:
        description.append(booking.note)
    return [
        "BEGIN:VEVENT",
        f"UID:{booking_uid(booking)}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(booking.during.lower)}",
        f"DTEND:{utc_stamp(booking.during.upper)}",
        f"CREATED:{utc_stamp(booking.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(booking.updated_at)}",
        f"SEQUENCE:{_SEQUENCE[status]}",
        f"SUMMARY:{escape_text(f'{venue_name} — {space_name}')}",
        f"LOCATION:{escape_text(f'{venue_name}, {district_name}')}",
        f"GEO:{venue.location.y:.6f};{venue.location.x:.6f}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
        f"STATUS:{_STATUS[status]}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


def calendar(bookings: Iterable[Booking], *, name: str, now: datetime, refresh: str | None = None) -> bytes:
    """A VCALENDAR of the bookings, UTF-8, CRLF line ends, folded.

    `refresh` (an RFC 5545 duration such as "PT1H") tells subscribing applications how often to
    fetch a feed again.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",  # RFC 7986
        f"X-WR-CALNAME:{escape_text(name)}",  # the same, for applications that predate RFC 7986
    ]
    if refresh:
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}", f"X-PUBLISHED-TTL:{refresh}"]
    for booking in bookings:
        lines.extend(booking_event(booking, now=now))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines).encode("utf-8")

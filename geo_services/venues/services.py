"""Writes of venues: booking a space, booking a course all-or-nothing, cancelling, staff decisions
and blocks. Each checks the space's rules first (for a clear reason) and lets PostgreSQL's exclusion
constraint decide overlaps (so two simultaneous requests can never both win)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_services.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo_services.core.models import Jurisdiction, StaffMember
from geo_services.core.roles import Role, has_role
from geo_services.venues.hours import local_dates, opening_windows
from geo_services.venues.models import (
    LIVE_STATUSES,
    Booking,
    BookingLeaf,
    BookingStatus,
    Course,
    Space,
    Venue,
)

MAX_COURSE_SESSIONS = 200
_NO_OVERLAP = "venues_booking_no_overlap"


@dataclass(frozen=True)
class _Context:
    space: Space
    zone: ZoneInfo


def _space(space_id: int, *, lock: bool = False) -> _Context:
    queryset = Space.objects.select_related("venue")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    space = queryset.filter(pk=space_id, venue__active=True).first()
    if space is None:
        raise NotFound(_("There is no space %(id)s.") % {"id": space_id}, code="unknown_space")
    if not space.bookable:
        raise InvalidInput(_("%(space)s cannot be booked.") % {"space": space.name_en}, code="not_bookable")
    zone = ZoneInfo(
        Jurisdiction.objects.values_list("time_zone", flat=True).get(pk=space.venue.jurisdiction_id)
    )
    return _Context(space=space, zone=zone)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def check_rules(
    context: _Context, start: datetime, end: datetime, *, now: datetime, staff: bool = False
) -> None:
    """InvalidInput naming the first rule a booking of [start, end) breaks; nothing when it is fine.

    Staff blocks skip the citizen rules (notice, horizon, length, slots) but not the calendar.
    """
    space, zone = context.space, context.zone
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(_("Times must carry a time zone."), code="naive_time")
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="end_before_start")
    if start < now:
        raise InvalidInput(
            _("%(start)s is in the past.") % {"start": _local(start, zone)}, code="in_the_past"
        )
    if staff:
        return
    minutes = (end - start).total_seconds() / 60
    if minutes < space.min_minutes:
        raise InvalidInput(
            _("A booking of this space lasts at least %(minutes)d minutes.") % {"minutes": space.min_minutes},
            code="too_short",
        )
    if minutes > space.max_minutes:
        raise InvalidInput(
            _("A booking of this space lasts at most %(minutes)d minutes.") % {"minutes": space.max_minutes},
            code="too_long",
        )
    if start < now + timedelta(hours=space.min_notice_hours):
        raise InvalidInput(
            _("Book at least %(hours)d hours ahead.") % {"hours": space.min_notice_hours}, code="too_soon"
        )
    if start > now + timedelta(days=space.max_days_ahead):
        raise InvalidInput(
            _("Bookings open %(days)d days ahead; %(start)s is further.")
            % {"days": space.max_days_ahead, "start": _local(start, zone)},
            code="too_far_ahead",
        )
    first, last = local_dates(start, end, zone)
    windows = opening_windows(space, first, last, zone=zone)
    window = next((w for w in windows if w.contains(start, end)), None)
    if window is None:
        raise InvalidInput(
            _("%(start)s to %(end)s is outside the opening hours of %(space)s.")
            % {"start": _local(start, zone), "end": _local(end, zone), "space": space.name_en},
            code="outside_opening_hours",
        )
    step = timedelta(minutes=space.slot_minutes)
    if (start - window.start) % step or (end - window.start) % step:
        raise InvalidInput(
            _("Bookings start and end on %(minutes)d-minute slots counted from opening time (%(opens)s).")
            % {"minutes": space.slot_minutes, "opens": _local(window.start, zone)},
            code="not_on_slot",
        )


def _check_user_limit(space: Space, user: User, extra: int = 1) -> None:
    live = Booking.objects.filter(
        user=user,
        space=space,
        status__in=LIVE_STATUSES,
        during__fully_gt=DateTimeTZRange(None, timezone.now()),
    ).count()
    if live + extra > space.max_active_per_user:
        raise InvalidInput(
            _("You may hold at most %(count)d live bookings of this space.")
            % {"count": space.max_active_per_user},
            code="user_limit",
        )


def _lock_venue(venue_id: int) -> None:
    """Writers of one venue's bookings go one at a time.

    The exclusion constraint alone keeps bookings apart, but two transactions inserting clashing
    rows at once wait for each other and PostgreSQL breaks the tie with a deadlock error. Taking the
    venue's row lock first makes the second writer wait, then meet the constraint: a clear 409.
    """
    Venue.objects.select_for_update().filter(pk=venue_id).values_list("pk", flat=True).first()


def space_leaves(space_id: int) -> list[int]:
    """The leaf spaces under a space (itself when it has no children), as the database computes them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT venues_space_leaves(%s)", [space_id])
        return list(cursor.fetchone()[0])


def _taken(error: IntegrityError) -> bool:
    return _NO_OVERLAP in str(error)


def book_space(*, user: User, space_id: int, start: datetime, end: datetime, note: str = "") -> Booking:
    """Book a space for [start, end). 409 Conflict when the time (or a part of the space) is taken."""
    if not user.is_authenticated:
        raise Forbidden(_("Sign in to book."), code="not_signed_in")
    now = timezone.now()
    context = _space(space_id)
    check_rules(context, start, end, now=now)
    if len(note) > 500:
        raise InvalidInput(_("note is longer than 500 characters."), code="too_long")
    status = BookingStatus.REQUESTED if context.space.approval_required else BookingStatus.CONFIRMED
    try:
        with transaction.atomic():
            _lock_venue(context.space.venue_id)
            _check_user_limit(context.space, user)
            return Booking.objects.create(
                space=context.space,
                user=user,
                during=DateTimeTZRange(start, end),
                status=status,
                note=note.strip(),
            )
    except IntegrityError as error:
        if _taken(error):
            raise Conflict(
                _(
                    "%(space)s is already booked at some time between %(start)s and %(end)s (or too close to a booking)."
                )
                % {
                    "space": context.space.name_en,
                    "start": _local(start, context.zone),
                    "end": _local(end, context.zone),
                },
                code="taken",
            ) from None
        raise


def course_sessions(
    *, weekdays: list[int], first_date: date, weeks: int, start_time: time, end_time: time, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Sessions on the given weekdays (0 = Monday) for `weeks` weeks from `first_date`, local times."""
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        raise InvalidInput(
            _("weekdays must be numbers from 0 (Monday) to 6 (Sunday)."), code="invalid_weekdays"
        )
    if not 1 <= weeks <= 52:
        raise InvalidInput(_("weeks must be between 1 and 52."), code="invalid_weeks")
    sessions = []
    for offset in range(weeks * 7):
        day = first_date + timedelta(days=offset)
        if day.weekday() in weekdays:
            start = datetime.combine(day, start_time, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(day, end_time, tzinfo=zone).astimezone(UTC)
            sessions.append((start, end))
    return sessions


def book_course(
    *, user: User, space_id: int, title: str, sessions: list[tuple[datetime, datetime]]
) -> Course:
    """Book every session or none: if any collides (or breaks a rule), nothing is booked and the
    answer names each colliding session."""
    if not user.is_authenticated:
        raise Forbidden(_("Sign in to book."), code="not_signed_in")
    if not sessions:
        raise InvalidInput(_("A course needs at least one session."), code="no_sessions")
    if len(sessions) > MAX_COURSE_SESSIONS:
        raise InvalidInput(
            _("A course has at most %(count)d sessions.") % {"count": MAX_COURSE_SESSIONS},
            code="too_many_sessions",
        )
    if not title.strip() or len(title) > 200:
        raise InvalidInput(_("A course needs a title of at most 200 characters."), code="invalid_title")
    now = timezone.now()
    context = _space(space_id)
    for start, end in sessions:
        check_rules(context, start, end, now=now)
    ordered = sorted(sessions)
    for (_s1, e1), (s2, _e2) in itertools.pairwise(ordered):
        if s2 < e1:
            raise InvalidInput(_("Two sessions of the course overlap each other."), code="sessions_overlap")
    status = BookingStatus.REQUESTED if context.space.approval_required else BookingStatus.CONFIRMED
    with transaction.atomic():
        # Two courses (or a course and a booking) for the venue are decided one after the other, so
        # the collision list is complete (the exclusion constraint would refuse a lost race anyway).
        _lock_venue(context.space.venue_id)
        colliding = _colliding_sessions(context.space, ordered)
        if colliding:
            raise Conflict(
                _("%(count)d of the course's sessions collide with existing bookings; nothing was booked.")
                % {"count": len(colliding)},
                code="course_collides",
                details={"colliding": [start.isoformat() for start in colliding]},
            )
        course = Course.objects.create(space=context.space, user=user, title=title.strip())
        try:
            with transaction.atomic():
                Booking.objects.bulk_create(
                    Booking(
                        space=context.space,
                        user=user,
                        during=DateTimeTZRange(s, e),
                        status=status,
                        course=course,
                    )
                    for s, e in ordered
                )
        except IntegrityError as error:
            if _taken(error):
                raise Conflict(
                    _("Another booking took one of the sessions just now; nothing was booked. Try again."),
                    code="course_collides",
                ) from None
            raise
    return course


def _colliding_sessions(space: Space, sessions: list[tuple[datetime, datetime]]) -> list[datetime]:
    gap = timedelta(minutes=space.buffer_minutes)
    leaves = space_leaves(space.pk)
    colliding = []
    for start, end in sessions:
        # The same test as the exclusion constraint: this session held with its gap against the
        # time each existing booking holds (its own range plus its own space's gap).
        taken = BookingLeaf.objects.filter(
            leaf_id__in=leaves, held__overlap=DateTimeTZRange(start, end + gap)
        ).exists()
        if taken:
            colliding.append(start)
    return colliding


def cancel_booking(*, user: User, booking_id: int) -> Booking:
    """The booker cancels (before the space's cancellation deadline); staff of the venue's
    jurisdiction may cancel any time."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__venue")
            .filter(pk=booking_id)
            .first()
        )
        own = booking is not None and booking.user_id == user.pk
        if booking is not None and not own:
            try:
                _require_staff(user, booking.space)
            except Forbidden:
                booking = None  # someone else's booking does not exist for this person
        if booking is None:
            raise NotFound(
                _("There is no booking %(id)s of yours.") % {"id": booking_id}, code="unknown_booking"
            )
        if booking.status not in LIVE_STATUSES:
            raise Conflict(
                _("This booking is already %(status)s.") % {"status": BookingStatus(booking.status).label}
            )
        deadline = booking.during.lower - timedelta(hours=booking.space.cancellation_hours)
        if own and not _is_venue_staff(user) and timezone.now() > deadline:
            raise Conflict(
                _("Bookings of this space can be cancelled up to %(hours)d hours before they start.")
                % {"hours": booking.space.cancellation_hours},
                code="too_late_to_cancel",
            )
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
    return booking


def _is_venue_staff(user: User | AnonymousUser) -> bool:
    return has_role(user, Role.ADMIN, Role.DISPATCHER)


def _require_staff(actor: User, space: Space) -> None:
    if not _is_venue_staff(actor):
        raise Forbidden(_("Only venue staff may do this."))
    if has_role(actor, Role.ADMIN):
        return
    member = StaffMember.objects.filter(user=actor).values_list("jurisdiction_id", flat=True).first()
    if member != space.venue.jurisdiction_id:
        raise Forbidden(_("This venue belongs to another jurisdiction."))


def decide_booking(*, actor: User, booking_id: int, approve: bool, note: str = "") -> Booking:
    """Staff confirm or reject a requested booking."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update().select_related("space__venue").filter(pk=booking_id).first()
        )
        if booking is None:
            raise NotFound(_("There is no booking %(id)s.") % {"id": booking_id}, code="unknown_booking")
        _require_staff(actor, booking.space)
        if booking.status != BookingStatus.REQUESTED:
            raise Conflict(_("Only requested bookings wait for a decision."), code="not_requested")
        booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
        if note:
            booking.note = note[:500]
        booking.save(update_fields=["status", "note", "updated_at"])
    return booking


def block_space(*, actor: User, space_id: int, start: datetime, end: datetime, note: str = "") -> Booking:
    """Staff hold a space (maintenance, a municipal event); refused if it collides with a booking."""
    context = _space(space_id)
    _require_staff(actor, context.space)
    check_rules(context, start, end, now=timezone.now(), staff=True)
    try:
        with transaction.atomic():
            _lock_venue(context.space.venue_id)
            return Booking.objects.create(
                space=context.space,
                user=actor,
                during=DateTimeTZRange(start, end),
                status=BookingStatus.CONFIRMED,
                is_block=True,
                note=note[:500],
            )
    except IntegrityError as error:
        if _taken(error):
            raise Conflict(
                _("The time collides with existing bookings; cancel them first."), code="taken"
            ) from None
        raise

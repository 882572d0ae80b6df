"""The space hierarchy stays a tree within one venue (database trigger and form checks), and the admin
answers a move that would make bookings overlap with a message naming them — never a server error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from geo_services.venues.models import Booking, Space
from geo_services.venues.selectors import bookings_colliding_if_moved
from tests.factories import UserFactory
from tests.venues.test_no_double_booking import make_venue, raw_booking, tomorrow_at

pytestmark = pytest.mark.django_db


def set_parent_raw(space: Space, parent_id: int | None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE venues_space SET parent_id = %s WHERE id = %s", [parent_id, space.pk])


class TestDatabaseKeepsATree:
    def test_a_space_cannot_go_under_its_own_descendant(self, amman):
        spaces = make_venue(amman)
        with pytest.raises(IntegrityError, match="venues_space_no_cycle"):
            set_parent_raw(spaces["full"], spaces["a"].pk)
        quarter = Space.objects.create(
            venue=spaces["a"].venue, parent=spaces["a"], code="a1", name_ar="ربع", name_en="Quarter"
        )
        with pytest.raises(IntegrityError, match="venues_space_no_cycle"):
            set_parent_raw(spaces["full"], quarter.pk)  # two levels down
        spaces["full"].refresh_from_db()
        assert spaces["full"].parent_id is None

    def test_the_parent_belongs_to_the_same_venue(self, amman):
        here = make_venue(amman, code="here")
        there = make_venue(amman, code="there")
        with pytest.raises(IntegrityError, match="venues_space_parent_same_venue"):
            set_parent_raw(here["full"], there["full"].pk)
        with pytest.raises(IntegrityError, match="venues_space_parent_same_venue"), transaction.atomic():
            Space.objects.create(
                venue=here["full"].venue, parent=there["full"], code="x", name_ar="س", name_en="X"
            )
        # A space with sub-spaces cannot leave its venue.
        with pytest.raises(IntegrityError, match="venues_space_parent_same_venue"), transaction.atomic():
            Space.objects.filter(pk=here["full"].pk).update(venue=there["full"].venue)

    def test_legal_moves_pass(self, amman):
        spaces = make_venue(amman)
        set_parent_raw(spaces["b"], spaces["a"].pk)
        set_parent_raw(spaces["b"], None)
        assert Space.objects.get(pk=spaces["b"].pk).parent_id is None


class TestFormChecks:
    def test_cycle_and_foreign_parent_are_form_errors(self, amman):
        spaces = make_venue(amman)
        other = make_venue(amman, code="other")
        full = spaces["full"]
        full.parent = spaces["a"]
        with translation.override("en"):
            with pytest.raises(ValidationError) as cycle:
                full.full_clean()
            assert "under one of its sub-spaces" in str(cycle.value.message_dict["parent"])
        half = Space.objects.get(pk=spaces["b"].pk)
        half.parent = other["full"]
        with translation.override("en"):
            with pytest.raises(ValidationError) as foreign:
                half.full_clean()
            assert "same venue" in str(foreign.value.message_dict["parent"])
        half.parent = spaces["a"]
        half.full_clean()


class TestMovePrediction:
    def test_prediction_matches_what_the_database_does(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        raw_booking(spaces["b"], user.pk, tomorrow_at(10), tomorrow_at(11))
        raw_booking(spaces["b"], user.pk, tomorrow_at(14), tomorrow_at(15))
        a_booking = Booking.objects.get(space=spaces["a"])
        b_booking = Booking.objects.get(space=spaces["b"], during__startswith=tomorrow_at(10))
        # B under A: A's booking then holds B too, and meets B's own booking at 10:00.
        assert bookings_colliding_if_moved(spaces["b"], spaces["a"].pk) == [(a_booking.pk, b_booking.pk)]
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            set_parent_raw(spaces["b"], spaces["a"].pk)
        # B on its own (no parent): nothing overlaps, and the database agrees.
        assert bookings_colliding_if_moved(spaces["b"], None) == []
        set_parent_raw(spaces["b"], None)


def _space_change_form(space: Space, **changes: object) -> dict[str, object]:
    """The fields the admin's change form posts for `space`, with `changes` applied."""
    data: dict[str, object] = {
        "venue": space.venue_id,
        "parent": space.parent_id or "",
        "code": space.code,
        "name_ar": space.name_ar,
        "name_en": space.name_en,
        "capacity": "",
        "slot_minutes": space.slot_minutes,
        "min_minutes": space.min_minutes,
        "max_minutes": space.max_minutes,
        "buffer_minutes": space.buffer_minutes,
        "min_notice_hours": space.min_notice_hours,
        "max_days_ahead": space.max_days_ahead,
        "price_per_hour": space.price_per_hour,
        "cancellation_hours": space.cancellation_hours,
        "max_active_per_user": space.max_active_per_user,
        "bookable": "on",
    }
    for prefix in ("opening_hours", "opening_exceptions"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    # Existing weekly hours are posted back unchanged.
    hours = list(space.opening_hours.all())
    data["opening_hours-TOTAL_FORMS"] = data["opening_hours-INITIAL_FORMS"] = len(hours)
    for index, row in enumerate(hours):
        data.update({
            f"opening_hours-{index}-id": row.pk,
            f"opening_hours-{index}-space": space.pk,
            f"opening_hours-{index}-weekday": row.weekday,
            f"opening_hours-{index}-opens": row.opens.strftime("%H:%M"),
            f"opening_hours-{index}-closes": row.closes.strftime("%H:%M"),
        })  # fmt: skip
    data.update(changes)
    return data


class TestAdminMove:
    def test_a_move_that_would_overlap_bookings_is_a_form_message(self, client, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        raw_booking(spaces["b"], user.pk, tomorrow_at(10), tomorrow_at(11))
        client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
        url = reverse("admin:venues_space_change", args=[spaces["b"].pk])
        response = client.post(url, _space_change_form(spaces["b"], parent=spaces["a"].pk))
        assert response.status_code == 200
        a_booking, b_booking = (Booking.objects.get(space=spaces[code]).pk for code in ("a", "b"))
        with translation.override("ar"):  # the admin speaks Arabic first, like every page
            expected = _(
                "This move would make live bookings overlap: %(pairs)s. Cancel or move them first."
            ) % {"pairs": f"#{a_booking} / #{b_booking}"}
        assert expected in response.content.decode()
        assert Space.objects.get(pk=spaces["b"].pk).parent_id == spaces["full"].pk

    def test_a_harmless_move_is_saved(self, client, amman):
        spaces = make_venue(amman)
        client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
        url = reverse("admin:venues_space_change", args=[spaces["b"].pk])
        response = client.post(url, _space_change_form(spaces["b"], parent=""))
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Space.objects.get(pk=spaces["b"].pk).parent_id is None

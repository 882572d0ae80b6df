"""Import venues (with their spaces, weekly hours and dated exceptions) from a JSON document.

The same code serves the demo loader and any later import command or admin action. Venues are
matched by code within the jurisdiction, so a second run with the same file changes nothing and
reports every venue unchanged. All-or-nothing: the whole document is checked first (every venue
must lie in a district of the jurisdiction, prices must be in its currency); one problem and
nothing is written, with the reasons listed.

Document shape (fixtures/demo/amman_venues.json is an example):
    {"currency": "JOD",
     "holidays": [{"date": "2027-01-01", "reason_ar": …, "reason_en": …}],   # closed, every space
     "venues": [{"code", "kind", "name_ar", "name_en", "lat", "lon", …,
                 "hours": [{"days": [5, 6, 0, 1, 2, 3], "opens": "09:00", "closes": "21:00"}],
                 "exceptions": [{"date", "opens"?, "closes"?, "reason_ar", "reason_en"}],
                 "spaces": [{"code", "name_ar", "name_en", "parent"?, "price_per_hour", rules…,
                             "hours"? (instead of the venue's)}]}]}
Weekdays: 0 = Monday … 6 = Sunday; times are local to the jurisdiction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext as _

from geo_services.core.errors import ImportProblem, OutsideDistricts
from geo_services.core.models import STORAGE_SRID, Jurisdiction
from geo_services.core.parsing import LonLat
from geo_services.core.selectors import district_for_point
from geo_services.venues.models import OpeningException, OpeningHours, Space, Venue, VenueKind

_VENUE_TEXT = (
    "description_ar",
    "description_en",
    "accessibility_ar",
    "accessibility_en",
    "contact_phone",
    "contact_email",
)
_SPACE_RULES = (
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "buffer_minutes",
    "min_notice_hours",
    "max_days_ahead",
    "cancellation_hours",
    "max_active_per_user",
)


@dataclass
class VenueImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        text = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }
        if self.dry_run:
            text += _(" (dry run: nothing written)")
        return text


class _DryRun(Exception):
    pass


@dataclass(frozen=True)
class _Exception:
    date: date
    opens: time | None
    closes: time | None
    reason_ar: str
    reason_en: str


@dataclass
class _SpaceSpec:
    code: str
    parent: str | None
    fields: dict[str, Any]
    hours: set[tuple[int, time, time]]


@dataclass
class _VenueSpec:
    code: str
    fields: dict[str, Any]
    spaces: list[_SpaceSpec]
    exceptions: list[_Exception]


class _Problem(Exception):
    pass


def _text(spec: dict[str, Any], key: str, *, required: bool = False, max_length: int = 200) -> str:
    value = spec.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_length:
        raise _Problem(
            _("%(key)s must be text (at most %(max)d characters).") % {"key": key, "max": max_length}
        )
    return value.strip()


def _count(spec: dict[str, Any], key: str, default: int | None) -> int | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Problem(_("%(key)s must be a whole number of at least 0.") % {"key": key})
    return value


def _time(value: Any, key: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Problem(_("%(key)s must be a time such as 09:00.") % {"key": key}) from None


def _hours(raw: Any) -> set[tuple[int, time, time]]:
    if not isinstance(raw, list):
        raise _Problem(_("hours must be a list."))
    found: set[tuple[int, time, time]] = set()
    for item in raw:
        days = item.get("days") if isinstance(item, dict) else None
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise _Problem(_("hours: days must be weekday numbers from 0 (Monday) to 6 (Sunday)."))
        opens, closes = _time(item.get("opens"), "opens"), _time(item.get("closes"), "closes")
        if opens >= closes:
            raise _Problem(_("hours: a window must close after it opens."))
        found.update((day, opens, closes) for day in days)
    return found


def _exception(raw: Any) -> _Exception:
    if not isinstance(raw, dict):
        raise _Problem(_("Each exception or holiday must be an object."))
    try:
        day = date.fromisoformat(raw.get("date", ""))
    except (TypeError, ValueError):
        raise _Problem(_("An exception's date must be a date such as 2027-01-01.")) from None
    opens = _time(raw["opens"], "opens") if raw.get("opens") else None
    closes = _time(raw["closes"], "closes") if raw.get("closes") else None
    if (opens is None) != (closes is None) or (opens is not None and closes is not None and opens >= closes):
        raise _Problem(_("An exception is either closed all day or has opens before closes."))
    return _Exception(day, opens, closes, _text(raw, "reason_ar"), _text(raw, "reason_en"))


def _space(raw: Any, venue_hours: set[tuple[int, time, time]]) -> _SpaceSpec:
    if not isinstance(raw, dict):
        raise _Problem(_("Each space must be an object."))
    code = _text(raw, "code", required=True, max_length=80)
    try:
        price = Decimal(str(raw.get("price_per_hour", "0")))
    except InvalidOperation:
        raise _Problem(_("price_per_hour of %(space)s must be a number.") % {"space": code}) from None
    if not price.is_finite() or price < 0:
        raise _Problem(_("price_per_hour of %(space)s must be 0 or more.") % {"space": code})
    fields: dict[str, Any] = {
        "name_ar": _text(raw, "name_ar", required=True),
        "name_en": _text(raw, "name_en", required=True),
        "capacity": _count(raw, "capacity", None),
        "bookable": bool(raw.get("bookable", True)),
        "approval_required": bool(raw.get("approval_required", False)),
        "price_per_hour": price,
    }
    defaults = Space()  # the model's defaults for the rules a file leaves out
    for rule in _SPACE_RULES:
        fields[rule] = _count(raw, rule, getattr(defaults, rule))
    if fields["slot_minutes"] <= 0 or fields["min_minutes"] > fields["max_minutes"]:
        raise _Problem(_("%(space)s: slots must last more than 0 minutes and min ≤ max.") % {"space": code})
    parent = raw.get("parent")
    if parent is not None and (not isinstance(parent, str) or parent == code):
        raise _Problem(_("%(space)s: parent must be the code of another space.") % {"space": code})
    hours = _hours(raw["hours"]) if "hours" in raw else venue_hours
    return _SpaceSpec(code=code, parent=parent, fields=fields, hours=hours)


def _venue(raw: Any, *, jurisdiction: Jurisdiction, holidays: list[_Exception]) -> _VenueSpec:
    if not isinstance(raw, dict):
        raise _Problem(_("Each venue must be an object."))
    kind = raw.get("kind")
    if kind not in VenueKind.values:
        raise _Problem(_("kind must be one of %(kinds)s.") % {"kinds": ", ".join(VenueKind.values)})
    raw_lat, raw_lon = raw.get("lat"), raw.get("lon")
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in (raw_lat, raw_lon)
    ):
        raise _Problem(_("lat and lon must be numbers."))
    lat, lon = float(raw_lat), float(raw_lon)  # type: ignore[arg-type]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _Problem(_("lat must be between -90 and 90 and lon between -180 and 180."))
    try:
        district = district_for_point(LonLat(lon, lat), jurisdiction_code=jurisdiction.code).district
    except OutsideDistricts as error:
        raise _Problem(error.message) from None
    amenities = raw.get("amenities", [])
    if not isinstance(amenities, list):
        raise _Problem(_("amenities must be a list."))
    fields: dict[str, Any] = {
        "kind": kind,
        "name_ar": _text(raw, "name_ar", required=True),
        "name_en": _text(raw, "name_en", required=True),
        "location": Point(lon, lat, srid=STORAGE_SRID),
        "district_id": district.id,
        "capacity": _count(raw, "capacity", None),
        "amenities": amenities,
        "active": bool(raw.get("active", True)),
        **{key: _text(raw, key, max_length=2000) for key in _VENUE_TEXT},
    }
    venue_hours = _hours(raw.get("hours", []))
    spaces = [_space(item, venue_hours) for item in raw.get("spaces", [])]
    codes = [space.code for space in spaces]
    if len(set(codes)) != len(codes):
        raise _Problem(_("Two spaces share a code."))
    parents = {space.code: space.parent for space in spaces}
    for space in spaces:
        seen = {space.code}
        parent = space.parent
        while parent is not None:
            if parent not in parents:
                raise _Problem(
                    _("%(space)s: parent %(parent)s is not a space of this venue.")
                    % {"space": space.code, "parent": parent}
                )
            if parent in seen:
                raise _Problem(_("%(space)s: the parents form a loop.") % {"space": space.code})
            seen.add(parent)
            parent = parents[parent]
    exceptions = holidays + [_exception(item) for item in raw.get("exceptions", [])]
    return _VenueSpec(
        code=_text(raw, "code", required=True, max_length=80),
        fields=fields,
        spaces=spaces,
        exceptions=exceptions,
    )


def _read(data: Any, jurisdiction: Jurisdiction) -> list[_VenueSpec]:
    """Every venue of the document checked, or ImportProblem listing each problem."""
    if not isinstance(data, dict) or not isinstance(data.get("venues"), list):
        raise ImportProblem(_('The document must be an object with a "venues" list.'))
    currency = data.get("currency", jurisdiction.currency)
    if currency != jurisdiction.currency:
        raise ImportProblem(
            _("Prices in the file are in %(file)s but %(jurisdiction)s uses %(currency)s.")
            % {"file": currency, "jurisdiction": jurisdiction.name_en, "currency": jurisdiction.currency}
        )
    problems: list[dict[str, str]] = []
    specs: list[_VenueSpec] = []
    try:
        holidays = [_exception(item) for item in data.get("holidays", [])]
    except _Problem as problem:
        raise ImportProblem(_("holidays: %(reason)s") % {"reason": problem}) from None
    for number, raw in enumerate(data["venues"], start=1):
        label = raw.get("code") if isinstance(raw, dict) and raw.get("code") else f"#{number}"
        try:
            specs.append(_venue(raw, jurisdiction=jurisdiction, holidays=holidays))
        except _Problem as problem:
            problems.append({"venue": str(label), "reason": str(problem)})
    codes = [spec.code for spec in specs]
    for code in {c for c in codes if codes.count(c) > 1}:
        problems.append({"venue": code, "reason": _("The code appears more than once.")})
    if problems:
        raise ImportProblem(
            _("%(count)d venues cannot be imported; nothing was written: %(reasons)s")
            % {
                "count": len(problems),
                "reasons": "; ".join(f"{p['venue']}: {p['reason']}" for p in problems),
            },
            details={"rejected": problems},
        )
    return specs


def _save_changes(obj: Any, fields: dict[str, Any]) -> bool:
    """Set the fields that differ and save; True when something changed."""
    changed = []
    for key, value in fields.items():
        current = getattr(obj, key)
        same = current.equals_exact(value, 1e-9) if isinstance(value, Point) else current == value
        if not same:
            setattr(obj, key, value)
            changed.append(key)
    if changed:
        obj.save(update_fields=changed)
    return bool(changed)


def _write_venue(spec: _VenueSpec, jurisdiction: Jurisdiction) -> str:
    """Create or update one venue and everything under it: "created", "updated" or "unchanged"."""
    venue = Venue.objects.filter(jurisdiction=jurisdiction, code=spec.code).first()
    created = venue is None
    if venue is None:
        venue = Venue.objects.create(jurisdiction=jurisdiction, code=spec.code, **spec.fields)
        changed = True
    else:
        changed = _save_changes(venue, spec.fields)
    existing = {space.code: space for space in Space.objects.filter(venue=venue)}
    spaces: dict[str, Space] = {}
    for space_spec in spec.spaces:
        space = existing.get(space_spec.code)
        if space is None:
            space = Space.objects.create(venue=venue, code=space_spec.code, **space_spec.fields)
            changed = True
        else:
            changed = _save_changes(space, space_spec.fields) or changed
        spaces[space_spec.code] = space
    for space_spec in spec.spaces:
        parent_id = spaces[space_spec.parent].pk if space_spec.parent else None
        changed = _save_changes(spaces[space_spec.code], {"parent_id": parent_id}) or changed
    for space_spec in spec.spaces:
        changed = _write_hours(spaces[space_spec.code], space_spec.hours, spec.exceptions) or changed
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _write_hours(space: Space, weekly: set[tuple[int, time, time]], exceptions: list[_Exception]) -> bool:
    changed = False
    stored = set(OpeningHours.objects.filter(space=space).values_list("weekday", "opens", "closes"))
    if stored != weekly:
        OpeningHours.objects.filter(space=space).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(space=space, weekday=d, opens=o, closes=c) for d, o, c in sorted(weekly)
        )
        changed = True
    # Only the dates the file names are managed; exceptions an administrator added on other dates stay.
    dates = {e.date for e in exceptions}
    wanted = {(e.date, e.opens, e.closes, e.reason_ar, e.reason_en) for e in exceptions}
    on_dates = OpeningException.objects.filter(space=space, date__in=dates)
    if set(on_dates.values_list("date", "opens", "closes", "reason_ar", "reason_en")) != wanted:
        on_dates.delete()
        OpeningException.objects.bulk_create(
            OpeningException(space=space, date=d, opens=o, closes=c, reason_ar=ar, reason_en=en)
            for d, o, c, ar, en in sorted(wanted, key=lambda w: (w[0], w[1] or time.min))
        )
        changed = True
    return changed


def import_venues(*, jurisdiction: Jurisdiction, data: Any, dry_run: bool = False) -> VenueImportReport:
    """Create or update the document's venues by code. Idempotent; all-or-nothing.

    Raises ImportProblem (nothing written) when any venue is malformed or outside every district.
    """
    specs = _read(data, jurisdiction)
    report = VenueImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            for spec in specs:
                getattr(report, _write_venue(spec, jurisdiction)).append(spec.code)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report

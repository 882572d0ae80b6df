"""The indicators' inputs (API and pages), parsed once: a jurisdiction, a date range, an indicator."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import InvalidInput
from geo_services.core.models import District, Jurisdiction
from geo_services.indicators.selectors import INDICATOR_KEYS, DateRange, district_by_code

# Longest range asked at once: ten years of monthly trend is 120 periods computed together.
MAX_RANGE_DAYS = 3653
# Without dates: the last twelve months, this month included.
DEFAULT_MONTHS = 12
# Dates a range may hold: far wider than any data, and far enough from year 1 and year 9999 that
# turning local days into UTC instants cannot overflow.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def parse_jurisdiction(raw: str | None) -> Jurisdiction:
    return core_selectors.jurisdiction_by_code(raw or settings.AMANAH_DEFAULT_JURISDICTION)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(raw: str, *, name: str) -> date:
    """A calendar date written YYYY-MM-DD (nothing else: no time, no week dates)."""
    if _ISO_DATE.fullmatch(raw.strip()):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            pass  # 2026-02-30: well formed but no such day
        else:
            if not EARLIEST_DATE <= value <= LATEST_DATE:
                raise InvalidInput(
                    _("%(name)s must be between %(first)s and %(last)s, not %(value)s.")
                    % {
                        "name": name,
                        "first": EARLIEST_DATE.isoformat(),
                        "last": LATEST_DATE.isoformat(),
                        "value": value.isoformat(),
                    },
                    code="out_of_range",
                )
            return value
    raise InvalidInput(
        _("%(name)s must be a date written YYYY-MM-DD (for example 2026-01-31), not %(value)r.")
        % {"name": name, "value": raw[:30]},
        code="invalid_date",
    )


def default_range(jurisdiction: Jurisdiction, today: date | None = None) -> DateRange:
    """The last twelve months of the jurisdiction's calendar, this month included, to today."""
    last = today or datetime.now(ZoneInfo(jurisdiction.time_zone)).date()
    first = last.replace(day=1)
    for _month in range(DEFAULT_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return DateRange(first, last)


def parse_date_range(raw_from: str | None, raw_to: str | None, *, jurisdiction: Jurisdiction) -> DateRange:
    """`from` and `to` (both included). Either may be left out: `to` is then today, `from` the start of
    the twelve months to `to`."""
    last = parse_date(raw_to, name="to") if raw_to else default_range(jurisdiction).last
    first = parse_date(raw_from, name="from") if raw_from else default_range(jurisdiction, last).first
    if first > last:
        raise InvalidInput(
            _("from (%(first)s) is after to (%(last)s): give the earlier date as from.")
            % {"first": first.isoformat(), "last": last.isoformat()},
            code="range_reversed",
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(
            _(
                "The range from %(first)s to %(last)s is longer than %(days)s days (ten years): ask for a shorter one."
            )
            % {"first": first.isoformat(), "last": last.isoformat(), "days": MAX_RANGE_DAYS},
            code="range_too_long",
        )
    return DateRange(first, last)


def parse_indicator(raw: str | None) -> str:
    """An indicator key; the first one when none is given."""
    if not raw:
        return INDICATOR_KEYS[0]
    if raw not in INDICATOR_KEYS:
        raise InvalidInput(
            _("indicator: unknown value %(value)r; use one of %(allowed)s.")
            % {"value": raw[:50], "allowed": ", ".join(INDICATOR_KEYS)},
            code="unknown_indicator",
        )
    return raw


def parse_district(jurisdiction: Jurisdiction, code: str) -> District:
    district = district_by_code(jurisdiction, code)
    if district is None:
        raise InvalidInput(
            _("%(jurisdiction)s has no district %(code)r; the district list of the indicators names them.")
            % {"jurisdiction": jurisdiction.code, "code": code[:80]},
            code="unknown_district",
        )
    return district

"""Fixtures borrowed from the venues and inspections tests, by name (their autouse ones are not)."""

from tests.inspections.conftest import (  # noqa: F401 - fixtures, used by name
    checklist,
    dispatcher,
    inspector,
    make_job,
    roads,
)
from tests.venues.conftest import booking_space, citizen, city, tomorrow  # noqa: F401 - fixtures

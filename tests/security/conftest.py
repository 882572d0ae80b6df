"""Fixtures borrowed from the venues and inspections tests, by name (their autouse ones are not)."""

import pytest

from tests.inspections.conftest import (  # noqa: F401 - fixtures, used by name
    checklist,
    dispatcher,
    inspector,
    make_job,
    roads,
)
from tests.venues.conftest import booking_space, citizen, city, tomorrow  # noqa: F401 - fixtures


@pytest.fixture
def no_rate_limits(settings):
    """For suites that send dozens of bad inputs from one address: they test what is refused, not how
    often; the limiter itself is tested in test_rate_limits.py."""
    settings.AMANAH_RATE_LIMITS_ENABLED = False

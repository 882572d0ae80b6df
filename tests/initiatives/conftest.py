"""Fixtures for initiative tests: the two-district city and one person per role working there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from geo_services.initiatives.models import Initiative, InitiativeDistrictShare, ProgressUpdate
from tests.factories import UserFactory, make_staff
from tests.initiatives.factories import City, make_city


@pytest.fixture
def city(db: None) -> City:
    return make_city()


@dataclass
class People:
    planner: User
    admin: User
    parks_dispatcher: User
    roads_dispatcher: User
    inspector: User
    citizen: User
    outside_planner: User  # a planner of another jurisdiction


@pytest.fixture
def people(city: City) -> People:
    def staff(role: str, **where: object) -> User:
        user = UserFactory.create(roles=[role])
        make_staff(user, jurisdiction=where.pop("jurisdiction", city.jurisdiction), **where)  # type: ignore[arg-type]
        return user

    other = make_city("test-dammam")
    return People(
        planner=staff("planner"),
        admin=UserFactory.create(roles=["admin"]),
        parks_dispatcher=staff("dispatcher", department=city.parks),
        roads_dispatcher=staff("dispatcher", department=city.roads),
        inspector=staff("inspector"),
        citizen=UserFactory.create(roles=["citizen"]),
        outside_planner=staff("planner", jurisdiction=other.jurisdiction),
    )


def row_counts() -> tuple[int, int, int]:
    """Initiatives, district shares and progress updates: what a refused request must leave as it was."""
    return (
        Initiative.objects.count(),
        InitiativeDistrictShare.objects.count(),
        ProgressUpdate.objects.count(),
    )


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    # Test users are made in every test; the production hasher's deliberate slowness is not tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_extents() -> Iterator[None]:
    # Layer extents are cached between requests; every test builds its own data.
    cache.clear()
    yield
    cache.clear()

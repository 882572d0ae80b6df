"""Shared fixtures. Tests run against the project's real PostGIS (pytest-django's test database)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command
from rest_framework.test import APIClient

from geo_services.core.models import Jurisdiction
from tests.factories import UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent
# Real boundary data shared beside the checkout (never copied into the repository);
# AMANAH_SHARED_GEO points elsewhere, e.g. for a clone outside the usual layout.
SHARED_GEO = Path(os.environ.get("AMANAH_SHARED_GEO", REPO_ROOT.parent / "shared" / "data" / "geo"))
LIWA_FILE = SHARED_GEO / "amman_districts_liwa.geojson"
DEMO_DISTRICTS_FILE = REPO_ROOT / "fixtures" / "geo" / "amman_gam_districts.geojson"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Fixtures that give a test the database (directly or through live_server).
_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Every test starts with no rate-limit counts (all tests share one client address, 127.0.0.1).

    Limits stay on: a test that legitimately sends more than a limit raises it with override_settings.
    Counts made inside a test's transaction vanish with it; those of transactional and live-server
    tests are committed, hence this.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & _DATABASE_FIXTURES:
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        names & {"transactional_db", "live_server"}
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    caches["ratelimit"].clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def amman(db: None) -> Jurisdiction:
    """The demo jurisdiction: 22 approximate GAM districts and the departments."""
    call_command("load_demo", "--no-users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Jurisdiction.objects.get(code="amman")


@pytest.fixture
def liwa(db: None) -> Jurisdiction:
    """The 9 national districts of Amman Governorate (OSM, ODbL), imported as `amman-liwa`."""
    assert LIWA_FILE.exists(), f"{LIWA_FILE} is missing: the shared data folder must sit beside the checkout"
    call_command(
        "import_boundaries",
        str(LIWA_FILE),
        "--jurisdiction",
        "amman-liwa",
        "--name-field",
        "name_en",
        "--name-ar-field",
        "name_ar",
        "--population-field",
        "population_2024",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
        stderr=open("/dev/null", "w"),  # noqa: SIM115
    )
    return Jurisdiction.objects.get(code="amman-liwa")


@pytest.fixture
def user_with_role():
    def make(role: str, **kwargs):
        return UserFactory.create(roles=[role], **kwargs)

    return make


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never Playwright's own browser download)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django's async-safety
    # check mistakes for async code; the tests' database calls are in fact synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium package is required for browser tests (make test installs it)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

"""Settings come from the environment; production values pass `check --deploy`; the demo loads once."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from geo_services.core.models import Department, District, Jurisdiction
from tests.conftest import REPO_ROOT


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "geo_services.settings", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "production-secret-" + "z9" * 20,
    "ALLOWED_HOSTS": "amanah.example.org",
    "HTTPS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_production_values():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_without_https():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env={**os.environ, **PRODUCTION, "HTTPS": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr  # SECURE_SSL_REDIRECT


def test_database_url_replaces_the_local_cluster():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'])",
        DATABASE_URL="postgis://planner:secret@db.internal:5433/amanah_prod",
    )
    assert result.stdout.split() == [
        "django.contrib.gis.db.backends.postgis",
        "db.internal",
        "5433",
        "amanah_prod",
        "planner",
    ], result.stderr


def test_default_database_is_the_project_cluster_on_its_port():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['HOST'], d['PORT'])",
        AMANAH_DB_PORT="54391",
        DATABASE_URL="",
    )
    assert result.stdout.split() == ["127.0.0.1", "54391"], result.stderr


def test_bad_boolean_setting_is_a_clear_error():
    result = run_python("import django; django.setup()", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe'" in result.stderr


def test_languages_and_time():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "ar"
    assert [code for code, _ in settings.LANGUAGES] == ["ar", "en"]
    assert settings.USE_TZ is True


@pytest.mark.django_db
@translation.override("en")
def test_load_demo_is_idempotent():
    first = io.StringIO()
    call_command("load_demo", stdout=first)
    counts = (
        Jurisdiction.objects.count(),
        District.objects.count(),
        Department.objects.count(),
        get_user_model().objects.count(),
    )
    assert counts == (1, 22, 6, 5)
    snapshot = list(District.objects.values_list("code", "geom", "population", "updated_at"))
    second = io.StringIO()
    call_command("load_demo", stdout=second)
    assert "0 created, 0 updated, 22 unchanged" in second.getvalue()
    assert "0 demo users created" in second.getvalue()
    assert (
        Jurisdiction.objects.count(),
        District.objects.count(),
        Department.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert list(District.objects.values_list("code", "geom", "population", "updated_at")) == snapshot
    amman = Jurisdiction.objects.get(code="amman")
    assert amman.time_zone == "Asia/Amman"
    assert amman.name_ar == "أمانة عمّان الكبرى"
    assert set(Department.objects.values_list("code", flat=True)) == {
        "lighting",
        "parks-agriculture",
        "environment-waste",
        "public-works-roads",
        "public-health",
        "community-development",
    }
    dispatcher = get_user_model().objects.get(username="dispatcher")
    assert dispatcher.check_password("amanah-demo")
    assert list(dispatcher.groups.values_list("name", flat=True)) == ["dispatcher"]

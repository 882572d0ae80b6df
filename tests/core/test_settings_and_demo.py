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


def clean_environment(**env: str) -> dict[str, str]:
    # The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for this process only; a deployment never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, "DJANGO_SETTINGS_MODULE": "geo_services.settings", **env}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        check=False,
    )


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run("-c", code, **env)


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "production-secret-" + "z9" * 20,
    "ALLOWED_HOSTS": "amanah.example.org",
    "HTTPS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_production_values():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_without_https():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "0"})
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

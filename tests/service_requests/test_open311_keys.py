"""`manage.py create_open311_key` prints a working key once and stores only its SHA-256."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from geo_services.service_requests.models import Open311ApiKey
from tests.service_requests import DOWNTOWN, OPEN311


def _create(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_open311_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_printed_key_works_and_only_its_hash_is_stored(client, amman):
    key, message = _create("Field app")
    assert "\n" not in key
    assert len(key) >= 32
    assert "Field app" in message

    record = Open311ApiKey.objects.get()
    assert record.name == "Field app"
    assert record.jurisdiction.code == "amman"  # settings.AMANAH_DEFAULT_JURISDICTION
    assert record.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    stored_values = [str(v) for v in Open311ApiKey.objects.values_list().get()]
    assert all(key not in value for value in stored_values)

    response = client.post(
        f"{OPEN311}requests.json",
        {"api_key": key, "service_code": "street-light", **DOWNTOWN, "attribute[problem]": "out"},
    )
    assert response.status_code == 200, response.content


def test_each_run_issues_a_different_key_for_the_named_jurisdiction(liwa, amman):
    first, _ = _create("Partner", "--jurisdiction", "amman-liwa")
    second, _ = _create("Partner", "--jurisdiction", "amman-liwa")
    assert first != second
    assert set(Open311ApiKey.objects.values_list("jurisdiction__code", flat=True)) == {"amman-liwa"}
    assert Open311ApiKey.objects.count() == 2


def test_unknown_jurisdiction_is_refused(amman):
    with pytest.raises(CommandError, match="atlantis"):
        _create("Partner", "--jurisdiction", "atlantis")
    assert not Open311ApiKey.objects.exists()


def test_blank_name_is_refused(amman):
    with pytest.raises(CommandError):
        _create("   ")
    assert not Open311ApiKey.objects.exists()

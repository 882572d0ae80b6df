"""Every JSON API answers a body nested too deeply for the decoder with a 400, never a 500."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import UserFactory

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("post", "/api/v1/bookings/", ["citizen"]),
        ("post", "/api/v1/inspections/jobs/", ["admin"]),
        ("put", f"/api/v1/field/inspections/{uuid.uuid4()}/", ["inspector"]),
        ("post", "/api/v1/layers/venues/features/", []),
    ],
)
def test_a_too_deeply_nested_body_is_a_400(amman, method, path, roles):
    client = APIClient()
    if roles:
        client.force_authenticate(UserFactory.create(roles=roles))
    with translation.override("en"):
        response = getattr(client, method)(
            path, DEEP, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.content.decode()

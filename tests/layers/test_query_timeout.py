"""A query stopped by the database's statement time limit is a 503 that says what to do, not a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import translation

from layers.registry import Layer
from tests.layers.conftest import district_layer


@pytest.fixture
def slow_layer(transactional_db) -> Iterator[Layer]:
    # Every read of this layer sleeps longer than the limit set below. Outside a test transaction,
    # as in the app, so the cancelled statement leaves the connection usable.
    with district_layer("slow-districts", public_condition="(SELECT pg_sleep(0.5)) IS NOT NULL") as layer:
        yield layer


@pytest.fixture
def short_statement_limit(settings) -> Iterator[None]:
    settings.DB_STATEMENT_TIMEOUT_MS = 100
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 100")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/slow-districts/items?f=json",
        "/api/v1/layers/slow-districts/features/",
        "/tiles/slow-districts/10/612/418.mvt",
    ],
)
def test_a_query_over_the_time_limit_is_a_503_with_advice(client, slow_layer, short_statement_limit, url):
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "query_timeout"
    assert "stopped this request after 0.1 seconds" in error["message"]

"""Lists of requests never drag district or jurisdiction boundaries (thousands of vertices) along."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geo_services.service_requests import selectors
from tests.service_requests.conftest import DOWNTOWN, MARKA

SHAPE_COLUMNS = ('"core_district"."geom"', '"core_jurisdiction"."boundary"')


def sql_of(call) -> str:
    with CaptureQueriesContext(connection) as captured:
        call()
    return "\n".join(q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
def test_request_reads_leave_boundaries_out(submit, categories, dispatcher):
    first = submit("pothole", DOWNTOWN).request
    submit("pothole", MARKA)
    reads = {
        "open311": lambda: list(selectors.open311_requests("amman")),
        "queue": lambda: list(selectors.dispatcher_queue(dispatcher, selectors.QueueFilters())),
        "by token": lambda: getattr(selectors.request_by_token(str(first.token)), "jurisdiction").time_zone,  # noqa: B009
        "staff": lambda: list(getattr(selectors.staff_member(dispatcher), "districts").all()),  # noqa: B009
    }
    for name, read in reads.items():
        sql = sql_of(read)
        assert sql, name
        for column in SHAPE_COLUMNS:
            assert column not in sql, (name, column)


@pytest.mark.django_db
def test_a_malformed_token_is_simply_not_found(amman):
    assert selectors.request_by_token("not-a-uuid") is None

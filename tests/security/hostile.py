"""Shared material of the hostile-input tests: the payloads, built once, and the row counts that
prove a refused request wrote nothing."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.db import connection


def table_counts() -> dict[str, int]:
    """The number of rows of every table the project's models own (one query)."""
    tables = sorted(
        {model._meta.db_table for model in apps.get_models() if model._meta.managed and not model._meta.proxy}
    )
    # The table names come from the models, never from input.
    sql = " UNION ALL ".join(
        f"SELECT %s, count(*) FROM {connection.ops.quote_name(table)}" for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return dict(cursor.fetchall())


def square(min_lon: float, min_lat: float, size: float = 0.001) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [min_lon + size, min_lat],
        [min_lon + size, min_lat + size],
        [min_lon, min_lat + size],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def many_vertices_ring(count: int, lon: float = 35.93, lat: float = 31.95) -> dict[str, Any]:
    """A closed polygon ring of `count` vertices (a thin comb), small enough in degrees to be valid."""
    step = 0.01 / count
    ring = [[lon + i * step, lat] for i in range(count)] + [[lon + 0.01, lat + 0.01], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


# Text a JSON body carries (so bare NaN and Infinity literals, which Python's json accepts).
def raw_json(value: Any, **literals: str) -> str:
    """json.dumps(value), then each placeholder string replaced by the raw JSON text given."""
    text = json.dumps(value)
    for placeholder, raw in literals.items():
        text = text.replace(json.dumps(placeholder), raw)
    return text

"""(3) of the layers benchmark: vector tiles of the 1,000,000-point layer at zooms 10, 12 and 14.

Side by side, one tile at a time in turn, after warm-up rounds:

- the app's endpoint `/tiles/{layer}/{z}/{x}/{y}.mvt` over HTTP, with its tile cache off for the run
  (AMANAH_TILE_CACHE_SECONDS=0), so every answer is built by PostGIS;
- the bare statement, written here by hand: the tile's points (below the app's clustering zoom, one
  feature per cell of a 16 x 16 grid with its `count`, as the app draws them) encoded by ST_AsMVT,
  fetched as bytes in-process;
- tipg's `/collections/{table}/tiles/WebMercatorQuad/{z}/{x}/{y}` over HTTP, as published (it draws
  every point, and cuts a tile at its `max_features_per_tile`, 10,000 by default).

Every tile is decoded once: the app's and the bare statement's must hold the same features (and the
same total `count` when clustered); tipg's feature count is printed beside them.
Then the cached path in-process: `layers.tiles.service.tile_bytes` and a GET through Django's WSGI
handler with the tile already in the cache.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.test import override_settings

from bench import inprocess
from bench.layers_peers import Database, Server, fetch
from bench.stats import time_each
from bench.synthetic import MIN_LAT, MIN_LON, SPAN
from layers.registry import Layer, registry

ZOOMS = (10, 12, 14)
EXTENT = 4096
CELL_UNITS = 256  # the app's cluster grid: 16 x 16 cells of 256 units
CELLS = EXTENT // CELL_UNITS
WORLD_WIDTH_METRES = 40_075_016.685_578_49


def tiles_available() -> bool:
    try:
        from layers.tiles import service  # noqa: F401
    except ImportError:
        return False
    return True


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_list(z: int, count: int, *, seed: int = 5) -> list[tuple[int, int, int]]:
    """`count` tiles of zoom z at random points of the data's box (the same list for every server)."""
    rng = random.Random(seed * 100 + z)
    return [
        (z, *_tile_of(MIN_LON + rng.random() * SPAN, MIN_LAT + rng.random() * SPAN, z)) for _ in range(count)
    ]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def bare_tile_sql(layer: Layer, *, clustered: bool) -> str:
    """The tile by hand, as one would write it for psql: the envelope inline (the planner sees the
    tile's bounds and estimates the rows in it), the layer's relation, ST_AsMVTGeom / ST_AsMVT."""
    table, geom = _q(layer.table), _q(layer.geometry_column)
    where = f" AND ({layer.public_condition})" if layer.public_condition else ""
    envelope = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
    if clustered:
        # Cells of a 16 x 16 grid from the tile's corner; a point on the tile's far edges falls in
        # the next tile's cells (each point is counted in exactly one tile).
        return f"""
            SELECT ST_AsMVT(m, %(name)s, {EXTENT}, 'geom') FROM (
                SELECT count(*) AS count,
                       ST_AsMVTGeom(ST_Centroid(ST_Collect(p.g)), {envelope}, {EXTENT}, 0, true) AS geom
                FROM (
                    SELECT g, floor((ST_X(g) - ST_XMin({envelope})) / %(cell)s) AS cx,
                              floor((ST_Y(g) - ST_YMin({envelope})) / %(cell)s) AS cy
                    FROM (
                        SELECT ST_Transform(t.{geom}, 3857) AS g FROM {table} t
                        WHERE t.{geom} && ST_Transform({envelope}, 4326){where}
                    ) r
                ) p
                WHERE p.cx BETWEEN 0 AND {CELLS - 1} AND p.cy BETWEEN 0 AND {CELLS - 1}
                GROUP BY p.cx, p.cy
            ) m WHERE m.geom IS NOT NULL
        """
    columns = ", ".join(f"t.{_q(a.column)} AS {_q(a.name)}" for a in layer.attributes)
    return f"""
        SELECT ST_AsMVT(m, %(name)s, {EXTENT}, 'geom', 'fid') FROM (
            SELECT t.{_q(layer.id_column)} AS fid, {columns},
                   ST_AsMVTGeom(ST_Transform(t.{geom}, 3857), {envelope}, {EXTENT}, 0, true) AS geom
            FROM {table} t WHERE t.{geom} && ST_Transform({envelope}, 4326){where}
        ) m WHERE m.geom IS NOT NULL
    """


def _decoded(content: bytes) -> tuple[int, int]:
    """(features, sum of their `count`, or the features when they carry none) in the tile."""
    if not content:
        return 0, 0
    import mapbox_vector_tile

    layers = mapbox_vector_tile.decode(content)
    features = [f for layer in layers.values() for f in layer["features"]]
    return len(features), sum(int(f["properties"].get("count", 1)) for f in features)


@contextmanager
def _serial_connection() -> Iterator[psycopg.Connection[Any]]:
    """A second session for the bare statement with parallel query off: PostgreSQL otherwise plans a
    tile with a parallel worker, whose start costs more than it saves on a tile's few thousand rows."""
    database = Database.current()
    with psycopg.connect(
        host=database.host,
        port=database.port,
        dbname=database.name,
        user=database.user,
        password=database.password or None,
        options="-c max_parallel_workers_per_gather=0 -c statement_timeout=0",
        autocommit=True,
    ) as conn:
        yield conn


def _measure_zoom(
    app: Server, tipg: Server, layer: Layer, z: int, samples: int, *, http_floor_ms: float
) -> dict[str, Any]:
    from bench.layers import fetch_bytes, in_turn, peer_collection

    collection = peer_collection(layer)
    properties = ",".join(collection.columns)
    # A zoom-10 tile of this box holds a few hundred thousand points; there are only a few such tiles.
    samples = samples if z >= 12 else max(3, samples // 10)
    warmup = 5 if z >= 12 else 1
    tiles = tile_list(z, samples)
    clustered = layer.geometry_type == "Point" and z < settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM
    bare_sql = bare_tile_sql(layer, clustered=clustered)
    cell = CELL_UNITS * WORLD_WIDTH_METRES / 2**z / EXTENT
    got: dict[str, dict[int, bytes]] = {"app": {}, "bare": {}, "tipg": {}}
    if not clustered:
        got["bare, serial"] = {}

    def app_call(i: int) -> float:
        _, x, y = tiles[i]
        answer = fetch(app.base_url, f"/tiles/{layer.id}/{z}/{x}/{y}.mvt")
        assert answer.status in (200, 204), (answer.status, answer.body[:300])
        got["app"][i] = answer.body
        return answer.ms

    def bare_call(i: int) -> float:
        _, x, y = tiles[i]
        started = time.perf_counter()
        got["bare"][i] = fetch_bytes(bare_sql, {"z": z, "x": x, "y": y, "name": layer.id, "cell": cell})
        return (time.perf_counter() - started) * 1000

    def serial_call(i: int) -> float:
        _, x, y = tiles[i]
        started = time.perf_counter()
        with serial.cursor(binary=True) as cursor:
            cursor.execute(bare_sql, {"z": z, "x": x, "y": y, "name": layer.id, "cell": cell})
            row = cursor.fetchone()
        got["bare, serial"][i] = bytes(row[0] or b"") if row else b""
        return (time.perf_counter() - started) * 1000

    def tipg_call(i: int) -> float:
        _, x, y = tiles[i]
        answer = fetch(
            tipg.base_url,
            f"/collections/{collection.tipg_id}/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={properties}",
        )
        assert answer.status in (200, 204), (answer.status, answer.body[:300])
        got["tipg"][i] = answer.body
        return answer.ms

    calls: dict[str, Callable[[int], float]] = {"app": app_call, "bare": bare_call, "tipg": tipg_call}
    if not clustered:
        # Only for single points: without a parallel worker the planner joins a zoom-10 tile's
        # hundred thousand points to the districts in a nested loop (half a minute a tile).
        calls["bare, serial"] = serial_call
    with _serial_connection() as serial:
        timings = in_turn(calls, samples, warmup=warmup)
    counts = {name: [_decoded(got[name][i]) for i in range(samples)] for name in got}
    unequal = [
        tiles[i]
        for i in range(samples)
        if not counts["app"][i] == counts["bare"][i] == counts.get("bare, serial", counts["bare"])[i]
    ]
    features = {name: sum(c[0] for c in values) / samples for name, values in counts.items()}
    points = sum(c[1] for c in counts["app"]) / samples
    # tipg runs with its per-tile feature limit raised (bench/layers_peers.py): its tiles must hold
    # every point the app's tile holds or counts, or the comparison would be of unequal work.
    tipg_short = sum(1 for i in range(samples) if counts["tipg"][i][0] != counts["app"][i][1])
    sizes = {name: sum(len(b) for b in got[name].values()) / len(got[name]) for name in got}
    app_t, bare_t, tipg_t = timings["app"], timings["bare"], timings["tipg"]
    serial_t = timings.get("bare, serial")
    print(
        f"    z{z}: app p50 {app_t.p50_ms:.1f} / p95 {app_t.p95_ms:.1f} ms, "
        f"bare p50 {bare_t.p50_ms:.1f} / p95 {bare_t.p95_ms:.1f} ms"
        + (
            f" (without a parallel worker p50 {serial_t.p50_ms:.1f} / p95 {serial_t.p95_ms:.1f} ms)"
            if serial_t
            else ""
        )
        + ", "
        f"tipg p50 {tipg_t.p50_ms:.1f} / p95 {tipg_t.p95_ms:.1f} ms; "
        f"app - bare at p50 {app_t.p50_ms - bare_t.p50_ms:+.1f} ms (target <= +1 ms; "
        f"{app_t.p50_ms - bare_t.p50_ms - http_floor_ms:+.1f} ms beyond the HTTP round trip), "
        f"app {'no slower than' if app_t.p50_ms <= tipg_t.p50_ms else 'SLOWER than'} tipg at p50"
    )
    print(
        f"         ~{points:,.0f} points per tile ({len(set(tiles))} distinct tiles); app and bare "
        f"{features['app']:,.0f} features ({'cells with counts' if clustered else 'points'}, "
        + (f"DIFFERENT in tiles {unequal}" if unequal else "equal in every tile")
        + f"), {sizes['app'] / 1024:,.1f} KiB; tipg {features['tipg']:,.0f} features, "
        f"{sizes['tipg'] / 1024:,.1f} KiB"
        + (
            f", other features than the tile's points in {tipg_short} of {samples} tiles (its buffer)"
            if tipg_short
            else ", every point of the tile"
        )
    )
    results: dict[str, Any] = {f"tile_z{z}_points": points}
    for name, t in timings.items():
        results[f"tile_z{z}_{name}_p50_ms"] = t.p50_ms
        results[f"tile_z{z}_{name}_p95_ms"] = t.p95_ms
    return results


def measure(app: Server, tipg: Server, layer_id: str, samples: int) -> dict[str, Any]:
    layer = registry.get(layer_id)
    if not tiles_available() or layer is None:
        print("(3) vector tiles: NOT MEASURED (the app has no tiles yet)")
        return {}
    from layers.tiles import service

    results: dict[str, Any] = {}
    print(
        f"(3) vector tiles of {layer_id}, uncached: {samples} random tiles of the data's box per zoom "
        f"({max(3, samples // 10)} at zoom 10), app / bare / tipg in turn after 5 warm-up rounds (1 at zoom 10) "
        f"(the app clusters below zoom {settings.AMANAH_TILE_CLUSTER_BELOW_ZOOM})"
    )
    # The bare statement runs in this process; the app answers over HTTP, with a new connection per
    # request through gunicorn. The round trip of a page that reads nothing from the database
    # (the conformance document) is that floor, printed so the app's own cost can be read apart.
    from bench.layers import in_turn

    def floor_call(_: int) -> float:
        answer = fetch(app.base_url, "/ogc/conformance?f=json")
        assert answer.status == 200, answer.status
        return answer.ms

    floor = in_turn({"floor": floor_call}, samples, warmup=5)["floor"]
    print(f"    HTTP round trip to the app without a query (/ogc/conformance): p50 {floor.p50_ms:.1f} ms")
    results["http_floor_p50_ms"] = floor.p50_ms
    for z in ZOOMS:
        results.update(_measure_zoom(app, tipg, layer, z, samples, http_floor_ms=floor.p50_ms))

    # The cached path, in-process: every tile already in this process's tile cache. Building the 100
    # tiles takes about a minute here, longer than the cache keeps a tile by default, so the run
    # keeps them for an hour: the same code path, no tile expiring in the middle of the timing.
    # 100 tiles: fewer than the tile cache keeps, so every one of them stays cached.
    cached_tiles = tile_list(14, 50, seed=9) + tile_list(12, 50, seed=9)
    with override_settings(AMANAH_TILE_CACHE_SECONDS=3600):
        for z, x, y in cached_tiles:
            service.tile_bytes(layer, z, x, y)
        cached_results = _time_cached(layer, cached_tiles)
    results.update(cached_results)
    return results


def _time_cached(layer: Layer, cached_tiles: list[tuple[int, int, int]]) -> dict[str, Any]:
    from layers.tiles import service

    def cached(tile: tuple[int, int, int]) -> None:
        service.tile_bytes(layer, *tile)

    def cached_get(tile: tuple[int, int, int]) -> None:
        z, x, y = tile
        status, _ = inprocess.get(f"/tiles/{layer.id}/{z}/{x}/{y}.mvt", {})
        assert status in (200, 204), status

    function_t = time_each(cached, cached_tiles)
    get_t = time_each(cached_get, cached_tiles)
    print(f"    cached tile, layers.tiles.service.tile_bytes in-process: {function_t}  (target < 1 ms)")
    print(f"    cached tile, GET /tiles/... through Django's WSGI handler in-process: {get_t}")
    return {
        "tile_cached_function_p50_ms": function_t.p50_ms,
        "tile_cached_function_p95_ms": function_t.p95_ms,
        "tile_cached_get_p50_ms": get_t.p50_ms,
        "tile_cached_get_p95_ms": get_t.p95_ms,
    }

"""Planner layers at scale (issue "Planner layers"): the app's OGC API and tiles next to the bare PostGIS
statement and the published peers, on the same tables of the benchmark database in one run.

Data (`bench.layers_data`): 1,000,000 service requests, 100,000 venues, 10,000 green-space polygons
of ~50 vertices, 1,000 districts of ~1,000 vertices, in the app's own tables, served by the layers the
apps register. Servers (`bench.layers_peers`): the app under gunicorn, tipg under uvicorn, pygeoapi
(PostgreSQL provider) under gunicorn, one worker each, on loopback.

(1) GeoJSON of a whole layer (10,000 polygons; 100,000 points): the app's OGC items endpoint with the
    limit raised to the layer's size (and the streamed export when the app has it) vs the bare
    `json_agg(... ST_AsGeoJSON ...)` statement fetched as bytes vs djangorestframework-gis's
    `GeoFeatureModelSerializer` over the same rows, in-process; the peak resident memory of a fresh
    app worker per request (VmHWM from /proc) next to the response size.
(2) OGC items pages (limit=100) at several offsets and within a bounding box: app vs tipg vs pygeoapi,
    the same features checked equal across the three; and what numberMatched costs on the
    1,000,000-row layer (the bare page, the app's capped count, the full count the peers run).
(3) Vector tiles at zooms 10, 12 and 14 over the 1,000,000 points, uncached: the app's endpoint vs the
    bare ST_AsMVT statement vs tipg's tiles; and the app's cached tile in-process (`bench.layers_tiles`).
"""

from __future__ import annotations

import json
import signal
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import Resolver404, resolve

from bench import layers_data, layers_peers
from bench.layers_peers import PeerCollection, Server, fetch
from bench.stats import Timing
from bench.synthetic import MIN_LAT, MIN_LON, SPAN
from layers.registry import Layer, registry

POLYGONS = "green-spaces"
POINTS = "venues"
REQUESTS = "service-requests"
PAGE_LIMIT = 100
DISTRICTS = 1000
DISTRICT_VERTICES = 1100


# --- Timing -------------------------------------------------------------------------------------------


def _timing(values: Sequence[float]) -> Timing:
    ordered = sorted(values)
    return Timing(
        p50_ms=ordered[len(ordered) // 2],
        p95_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        mean_ms=statistics.fmean(ordered),
    )


def in_turn(calls: dict[str, Callable[[int], float]], samples: int, *, warmup: int) -> dict[str, Timing]:
    """Each way called once per sample, the first way rotating (as `venues.time_side_by_side`), so a
    drift of this shared machine's speed weighs on every way alike. A call returns its own time in ms
    (an HTTP call times connect to last byte)."""
    names = list(calls)
    for index in range(warmup):
        for name in names:
            calls[name](index)
    durations: dict[str, list[float]] = {name: [] for name in names}
    for index in range(samples):
        turn = index % len(names)
        for name in names[turn:] + names[:turn]:
            durations[name].append(calls[name](index))
    return {name: _timing(values) for name, values in durations.items()}


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _mib(size: float) -> str:
    return f"{size / 1048576:,.1f} MiB"


# --- The layers as each side sees them -----------------------------------------------------------------


def _layer(layer_id: str) -> Layer | None:
    return registry.get(layer_id)


def peer_collection(layer: Layer) -> PeerCollection:
    return PeerCollection(
        layer_id=layer.id,
        table=layer.table,
        id_column=layer.id_column,
        geometry_column=layer.geometry_column,
        columns=tuple(a.column for a in layer.attributes),
    )


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def bare_collection_sql(layer: Layer) -> str:
    """The whole public layer as one GeoJSON FeatureCollection, written by PostGIS in one statement:
    the same features, attributes, coordinate precision and order as the app's pages."""
    properties = ", ".join(f"'{a.name}', t.{_q(a.column)}" for a in layer.attributes)
    where = f"WHERE {layer.public_condition}" if layer.public_condition else ""
    return f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
            json_build_object('type', 'Feature', 'id', t.{_q(layer.id_column)},
                              'geometry', ST_AsGeoJSON(t.{_q(layer.geometry_column)}, 7)::json,
                              'properties', json_build_object({properties}))
            ORDER BY t.{_q(layer.id_column)}), '[]'))::text
        FROM {_q(layer.table)} t {where}
    """


def fetch_bytes(sql: str, params: Any = None) -> bytes:
    """The first column of the first row as the bytes PostgreSQL sent: binary results, so text comes
    as its UTF-8 bytes and bytea as itself, with no decoding in Python (Django's client-side cursors
    cannot ask for binary results; this one binds the values server-side, where PostgreSQL plans an
    unnamed statement with the actual values)."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        result = cursor.pgresult
        assert result is not None
        value = result.get_value(0, 0)
        return bytes(value) if value is not None else b""


def _features(body: bytes) -> list[dict[str, Any]]:
    document = json.loads(body)
    features: list[dict[str, Any]] = document["features"]
    return features


# --- (1) GeoJSON of a whole layer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    warm_path: str  # the same code path with a tiny answer: imports, connection, caches


def _app_endpoints(layer: Layer, size: int) -> list[Endpoint]:
    endpoints = [
        Endpoint(
            f"GET /ogc/collections/{layer.id}/items?limit={size}",
            f"/ogc/collections/{layer.id}/items?limit={size}&f=json",
            f"/ogc/collections/{layer.id}/items?limit=1&f=json",
        )
    ]
    export = f"/api/v1/layers/{layer.id}/export/"
    try:
        resolve(export)
    except Resolver404:
        pass
    else:
        b = f"{MIN_LON},{MIN_LAT},{MIN_LON + 0.001},{MIN_LAT + 0.001}"
        endpoints.append(
            Endpoint(
                f"GET /api/v1/layers/{layer.id}/export/?format=geojson (streamed)",
                f"{export}?format=geojson",
                f"{export}?format=geojson&bbox={b}",
            )
        )
    return endpoints


def _serializer_call(layer: Layer) -> tuple[Callable[[], bytes], list[str]] | None:
    """djangorestframework-gis's GeoFeatureModelSerializer over the layer's model: the public rows (the
    layer's condition, over columns the model's table has too), in id order, with the published
    attributes — a code the layer's view joins in (`district_code`) read through the foreign key
    with select_related, as a Django project would — rendered to bytes by DRF's JSONRenderer.
    Also the attributes it could not give."""
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer
    from rest_framework_gis.serializers import GeoFeatureModelSerializer

    model = layer.model
    if model is None:
        return None
    columns = {f.attname for f in model._meta.concrete_fields}
    foreign_keys = {f.name for f in model._meta.concrete_fields if f.is_relation}
    declared: dict[str, Any] = {}
    fields: list[str] = [layer.id_column]
    related: list[str] = []
    missing: list[str] = []
    for attribute in layer.attributes:
        if attribute.column in columns and attribute.name == attribute.column:
            fields.append(attribute.name)
        elif attribute.column in columns:
            declared[attribute.name] = serializers.ReadOnlyField(source=attribute.column)
        elif attribute.column.endswith("_code") and attribute.column.removesuffix("_code") in foreign_keys:
            relation = attribute.column.removesuffix("_code")
            declared[attribute.name] = serializers.ReadOnlyField(source=f"{relation}.code")
            related.append(relation)
        else:
            missing.append(attribute.name)
    meta = type(
        "Meta",
        (),
        {"model": model, "geo_field": layer.geometry_column, "fields": [*fields, *declared]},
    )
    serializer_class = type("BenchSerializer", (GeoFeatureModelSerializer,), {"Meta": meta, **declared})
    queryset = model._default_manager.select_related(*related)
    if layer.public_condition:
        queryset = queryset.extra(where=[layer.public_condition])  # noqa: S610 - the layer's constant SQL
    queryset = queryset.order_by(layer.id_column)
    renderer = JSONRenderer()

    def call() -> bytes:
        return bytes(renderer.render(serializer_class(queryset.all(), many=True).data))

    return call, missing


def _measure_geojson(app: Server, layer_id: str, runs: int) -> dict[str, Any]:
    layer = _layer(layer_id)
    if layer is None:
        print(f"(1) {layer_id}: NOT MEASURED, the layer is not registered")
        return {}
    with connection.cursor() as cursor:
        where = f"WHERE {layer.public_condition}" if layer.public_condition else ""
        cursor.execute(f"SELECT count(*) FROM {_q(layer.table)} {where}")
        (size,) = cursor.fetchone()
    bare_sql = bare_collection_sql(layer)
    endpoints = _app_endpoints(layer, size)
    serializer_way = _serializer_call(layer)
    serializer = serializer_way[0] if serializer_way else None
    bodies: dict[str, bytes] = {}

    def bare(_: int) -> float:
        started = time.perf_counter()
        bodies["bare"] = fetch_bytes(bare_sql)
        return _ms_since(started)

    def over_http(endpoint: Endpoint) -> Callable[[int], float]:
        def call(_: int) -> float:
            answer = fetch(app.base_url, endpoint.path)
            assert answer.status == 200, (endpoint.path, answer.status, answer.body[:300])
            bodies[endpoint.name] = answer.body
            return answer.ms

        return call

    calls: dict[str, Callable[[int], float]] = {"bare": bare}
    calls.update({endpoint.name: over_http(endpoint) for endpoint in endpoints})
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    timings = in_turn(calls, runs, warmup=1)
    serializer_timing = None
    if serializer is not None:
        serializer_ms = []
        serializer()  # warm-up: imports, connection
        for _ in range(max(1, runs // 2)):
            started = time.perf_counter()
            bodies["serializer"] = serializer()
            serializer_ms.append(_ms_since(started))
        serializer_timing = _timing(serializer_ms)

    # Equal answers: the app's features are the bare statement's, one for one; the serializer's are
    # the same ids in the same order (its coordinates are not rounded to 7 decimals).
    expected = _features(bodies["bare"])
    assert len(expected) == size, (layer_id, len(expected), size)
    for endpoint in endpoints:
        found = _features(bodies[endpoint.name])
        if endpoint.path.startswith("/ogc/"):
            assert found == expected, (endpoint.name, len(found), len(expected))
        else:
            assert [f["id"] for f in found] == [f["id"] for f in expected] or sorted(
                f["id"] for f in found
            ) == sorted(f["id"] for f in expected), (endpoint.name, len(found))
    if serializer is not None:
        found = _features(bodies["serializer"])
        assert [f["id"] for f in found] == [f["id"] for f in expected], ("serializer", len(found))

    # Memory: one request per endpoint in a fresh worker, after a tiny request on the same path.
    memory: dict[str, tuple[int, int, int]] = {}
    for endpoint in endpoints:
        pid = layers_peers.replace_worker(app)
        assert fetch(app.base_url, endpoint.warm_path).status == 200
        layers_peers.reset_peak(pid)
        before = layers_peers.resident_kib(pid)
        answer = fetch(app.base_url, endpoint.path)
        assert answer.status == 200
        memory[endpoint.name] = (before, layers_peers.peak_kib(pid), len(answer.body))

    bare_t = timings["bare"]
    kind = "polygons" if "Polygon" in layer.geometry_type else "points"
    print(f"(1) {layer_id}: {size:,} {kind}, {_mib(len(bodies['bare']))} of GeoJSON; median of {runs} runs")
    print(f"    bare json_agg statement, fetched as bytes: {bare_t.p50_ms:,.0f} ms")
    results: dict[str, Any] = {
        f"geojson_{layer_id}_bare_ms": bare_t.p50_ms,
        f"geojson_{layer_id}_features": size,
    }
    for endpoint in endpoints:
        t = timings[endpoint.name]
        before, peak, length = memory[endpoint.name]
        grown = (peak - before) * 1024
        print(
            f"    {endpoint.name}: {t.p50_ms:,.0f} ms = {t.p50_ms / bare_t.p50_ms:.2f}x the bare statement "
            f"(target <= 1.5x); {_mib(length)} answered; fresh worker {before / 1024:,.0f} MiB before, "
            f"peak {peak / 1024:,.0f} MiB: +{_mib(grown)} = {grown / length:.2f}x the response (target < 2x)"
        )
        key = "export" if "export" in endpoint.path else "items"
        results[f"geojson_{layer_id}_{key}_ms"] = t.p50_ms
        results[f"geojson_{layer_id}_{key}_peak_growth_ratio"] = grown / length
    if serializer_timing is not None:
        best = min(timings[e.name].p50_ms for e in endpoints)
        print(
            f"    GeoFeatureModelSerializer + JSONRenderer, in-process: {serializer_timing.p50_ms:,.0f} ms "
            f"({_mib(len(bodies['serializer']))}); the app is {serializer_timing.p50_ms / best:.1f}x faster "
            f"(target >= 10x)"
            + (f"; without {', '.join(serializer_way[1])}" if serializer_way and serializer_way[1] else "")
        )
        results[f"geojson_{layer_id}_serializer_ms"] = serializer_timing.p50_ms
    else:
        print("    GeoFeatureModelSerializer: not measured (the layer names no model)")
    return results


# --- (2) OGC items pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    label: str
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None

    def query(self) -> str:
        parts = [f"limit={PAGE_LIMIT}"]
        if self.offset:
            parts.append(f"offset={self.offset}")
        if self.bbox:
            parts.append("bbox=" + ",".join(f"{v:.4f}" for v in self.bbox))
        return "&".join(parts)


def _box(half: float) -> tuple[float, float, float, float]:
    centre_lon, centre_lat = MIN_LON + SPAN / 2, MIN_LAT + SPAN / 2
    return (centre_lon - half, centre_lat - half, centre_lon + half, centre_lat + half)


PAGE_CASES = (
    PageCase("offset 0"),
    PageCase("offset 1,000", offset=1_000),
    PageCase("offset 10,000", offset=10_000),
    PageCase("offset 90,000", offset=90_000),
    PageCase("bbox 0.02° (~2 km)", bbox=_box(0.01)),
    PageCase("bbox 0.2° (~20 km)", bbox=_box(0.1)),
)


def _page_paths(layer: Layer, case: PageCase) -> dict[str, str]:
    collection = peer_collection(layer)
    query = case.query()
    return {
        "app": f"/ogc/collections/{layer.id}/items?{query}&f=json",
        "tipg": f"/collections/{collection.tipg_id}/items?{query}&f=geojson"
        f"&properties={','.join(collection.columns)}",
        "pygeoapi": f"/collections/{layer.id}/items?{query}&f=json",
    }


def _measure_page_case(
    servers: dict[str, Server], layer: Layer, case: PageCase, samples: int
) -> dict[str, Any]:
    layer_id = layer.id
    results: dict[str, Any] = {}
    paths = _page_paths(layer, case)
    answers: dict[str, bytes] = {}

    def call(name: str) -> Callable[[int], float]:
        def get(_: int) -> float:
            answer = fetch(servers[name].base_url, paths[name])
            assert answer.status == 200, (name, paths[name], answer.status, answer.body[:300])
            answers[name] = answer.body
            return answer.ms

        return get

    timings = in_turn({name: call(name) for name in servers}, samples, warmup=5)
    documents = {name: json.loads(body) for name, body in answers.items()}
    ids = {name: [str(f["id"]) for f in doc["features"]] for name, doc in documents.items()}
    reference = ids["app"]
    for name, found in ids.items():
        assert found == reference, (layer_id, case.label, name, found[:5], reference[:5])
    matched = {name: doc.get("numberMatched") for name, doc in documents.items()}
    peers_matched = {m for n, m in matched.items() if n != "app"}
    assert len(peers_matched) == 1, (layer_id, case.label, matched)
    if matched["app"] is not None:
        assert {matched["app"]} == peers_matched, (layer_id, case.label, matched)
    line = ", ".join(f"{name} p50 {t.p50_ms:.1f} / p95 {t.p95_ms:.1f} ms" for name, t in timings.items())
    app_note = "app omits it (above the cap)" if matched["app"] is None else "app the same"
    print(
        f"    {case.label:<20} {line}; {len(reference)} features, the same ids on all three; "
        f"numberMatched {next(iter(peers_matched)):,} ({app_note})"
    )
    fastest_peer = min(timings[name].p50_ms for name in servers if name != "app")
    verdict = "no slower than either" if timings["app"].p50_ms <= fastest_peer else "SLOWER than a peer"
    print(f"    {'':<20} app {verdict} at p50")
    for name, t in timings.items():
        results[f"page_{layer_id}_{case.label}_{name}_p50_ms"] = t.p50_ms
        results[f"page_{layer_id}_{case.label}_{name}_p95_ms"] = t.p95_ms
    return results


def _measure_pages(servers: dict[str, Server], layer_id: str, samples: int) -> dict[str, Any]:
    layer = _layer(layer_id)
    if layer is None:
        print(f"(2) {layer_id}: NOT MEASURED, the layer is not registered")
        return {}
    results: dict[str, Any] = {}
    print(f"(2) {layer_id}: items pages of {PAGE_LIMIT}, {samples} samples per server after 5 warm-up rounds")
    for case in PAGE_CASES:
        results.update(_measure_page_case(servers, layer, case, samples))
    return results


def _measure_counts(layer_id: str, runs: int = 5) -> dict[str, Any]:
    """What numberMatched costs on a large layer: the bare first page, the app's count capped at
    COUNT_CAP + 1 rows, and the full count(*) the peers run on every page."""
    from layers.provider import COUNT_CAP

    layer = _layer(layer_id)
    if layer is None:
        return {}
    table, key = _q(layer.table), _q(layer.id_column)
    statements = {
        "bare page": f"SELECT * FROM {table} ORDER BY {key} LIMIT {PAGE_LIMIT}",
        f"capped count (<= {COUNT_CAP + 1:,} rows)": f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {COUNT_CAP + 1}) c",
        "full count(*)": f"SELECT count(*) FROM {table}",
    }
    figures = {}
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        for label, sql in statements.items():
            cursor.execute(sql)
            durations = []
            for _ in range(runs):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                durations.append(_ms_since(started))
            figures[label] = sorted(durations)[len(durations) // 2]
        cursor.execute("RESET jit")
    print(
        f"    numberMatched on {layer_id}: "
        + ", ".join(f"{label} {ms:.1f} ms" for label, ms in figures.items())
        + f" (median of {runs})"
    )
    return {f"count_{layer_id}_{label}_ms": ms for label, ms in figures.items()}


# --- The run ---------------------------------------------------------------------------------------------


def _stop_on_sigterm() -> None:
    """A SIGTERM ends the run through the `finally` blocks, which stop the three servers."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run(
    *, points: int, venues: int, polygons: int, samples: int, geojson_runs: int, tile_samples: int
) -> dict[str, Any]:
    _stop_on_sigterm()
    started = time.perf_counter()
    data = layers_data.ensure(
        districts=DISTRICTS, vertices=DISTRICT_VERTICES, requests=points, venues=venues, polygons=polygons
    )
    print(data.describe() + f" ({time.perf_counter() - started:.0f} s)")
    present = [
        layer for layer in (_layer(REQUESTS), _layer(POINTS), _layer(POLYGONS), _layer("districts")) if layer
    ]
    missing = [name for name in (REQUESTS, POINTS, POLYGONS) if _layer(name) is None]
    if missing:
        print("layers not registered, NOT MEASURED: " + ", ".join(missing))
    venv = layers_peers.peers_venv()
    log_dir = Path(settings.DATA_DIR) / "bench-layers"
    log_dir.mkdir(parents=True, exist_ok=True)
    collections = [peer_collection(layer) for layer in present]
    largest = max(points, venues, polygons)
    results: dict[str, Any] = {}
    from bench import layers_tiles

    with (
        layers_peers.app_server(log_dir=log_dir, max_limit=largest) as app,
        layers_peers.tipg_server(venv, collections, log_dir=log_dir, max_features=largest) as tipg,
        layers_peers.pygeoapi_server(venv, collections, log_dir=log_dir, max_items=largest) as pygeoapi,
    ):
        servers = {"app": app, "tipg": tipg, "pygeoapi": pygeoapi}
        results.update(_measure_geojson(app, POLYGONS, geojson_runs))
        results.update(_measure_geojson(app, POINTS, geojson_runs))
        for layer_id in (REQUESTS, POINTS):
            results.update(_measure_pages(servers, layer_id, samples))
        results.update(_measure_counts(REQUESTS))
        results.update(layers_tiles.measure(app, tipg, REQUESTS, tile_samples))
    return results

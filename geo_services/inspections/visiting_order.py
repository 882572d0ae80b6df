"""The order in which an inspector visits the day's open jobs, and how far that is.

Distances are straight-line great-circle distances: the haversine formula on a sphere of mean Earth
radius 6,371,008.8 m (within about 0.5 % of the WGS 84 ellipsoid), not road distances.

The route is an open path: it starts at the inspector's position (or, without one, at whichever stop
makes the whole route shortest) and ends at the last stop. Up to ``EXACT_LIMIT`` stops the order is
the exact optimum (Held-Karp dynamic programming over subsets). Beyond that it is nearest neighbour
improved until neither kind of move shortens it (within a work budget, so that a few hundred stops
take a fraction of a second) by 2-opt moves (reversing any run of stops) and Or-opt moves (moving a
run of up to three stops, either way round, next to one of its ends' nearest stops or to either
end of the path).

The result is deterministic: stops are taken in key order and, among equally good choices, the first
found is kept, so the same stops give the same route whatever order they are given in.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
# 2^10 subsets x 10^2 transitions take about 10 ms in Python; each further stop more than doubles it.
EXACT_LIMIT = 10
# Or-opt only tries to put a run next to one of its ends' nearest stops: improving places elsewhere
# are rare, and trying every place would make each pass quadratic in the number of stops.
_NEIGHBOURS = 10
# Each improvement round costs about n^2 move evaluations; this caps the rounds (for 300 stops
# at 16, about 0.4 s) where typical routes converge within a handful.
_WORK_BUDGET = 1_500_000
# Moves must gain more than this, so that rounding noise (as among stops at one position) cannot
# make moves undo each other forever.
_MIN_GAIN_M = 1e-7

Matrix = list[list[float]]


@dataclass(frozen=True)
class Stop:
    key: int
    lon: float
    lat: float


@dataclass(frozen=True)
class Route:
    order: list[int]  # stop keys in visiting order
    legs_m: list[float]  # each leg's distance; the first is from the start (0.0 when there is none)
    total_m: float  # sum of legs_m


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points in degrees."""
    lon1, lat1 = math.radians(a[0]), math.radians(a[1])
    lon2, lat2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    # Rounding can push h a hair past 1 for antipodal points, outside asin's domain.
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def visiting_order(start: tuple[float, float] | None, stops: Sequence[Stop]) -> Route:
    """The shortest (exact up to ``EXACT_LIMIT`` stops, else near-shortest) open path through ``stops``
    from ``start`` (lon, lat); without a start the route begins at the best first stop."""
    ordered = _in_key_order(stops)
    if len(ordered) > EXACT_LIMIT:
        return _heuristic_route(start, ordered)
    dist = _matrix(start, ordered)
    return _route(start, ordered, _held_karp(dist, len(ordered)))


def _heuristic_route(start: tuple[float, float] | None, stops: Sequence[Stop]) -> Route:
    """Nearest neighbour improved by 2-opt and Or-opt, whatever the number of stops."""
    ordered = _in_key_order(stops)
    dist = _matrix(start, ordered)
    path = _improve(dist, _nearest_neighbour(dist, len(ordered), has_start=start is not None))
    return _route(start, ordered, path[1:-1])


def _nearest_neighbour_route(start: tuple[float, float] | None, stops: Sequence[Stop]) -> Route:
    """The plain nearest-neighbour route that the heuristic starts from."""
    ordered = _in_key_order(stops)
    dist = _matrix(start, ordered)
    return _route(start, ordered, _nearest_neighbour(dist, len(ordered), has_start=start is not None)[1:-1])


def _in_key_order(stops: Sequence[Stop]) -> list[Stop]:
    return sorted(stops, key=lambda s: (s.key, s.lon, s.lat))


def _route(start: tuple[float, float] | None, stops: list[Stop], nodes: list[int]) -> Route:
    visited = [stops[node - 1] for node in nodes]
    legs: list[float] = []
    previous = start
    for stop in visited:
        here = (stop.lon, stop.lat)
        legs.append(0.0 if previous is None else haversine_m(previous, here))
        previous = here
    return Route(order=[s.key for s in visited], legs_m=legs, total_m=math.fsum(legs))


def _matrix(start: tuple[float, float] | None, stops: list[Stop]) -> Matrix:
    """Distances between nodes 0 (the start), 1..n (the stops) and n + 1 (the end).

    Without a start, node 0 is zero distance from every stop; the end is always zero distance from
    everything. Both ends of the path are then fixed nodes, so one exact search and one set of moves
    serve with or without a start and need no special case for the open end."""
    n = len(stops)
    points = [(s.lon, s.lat) for s in stops]
    dist = [[0.0] * (n + 2) for _ in range(n + 2)]
    for i in range(n):
        row = dist[i + 1]
        for j in range(i + 1, n):
            row[j + 1] = dist[j + 1][i + 1] = haversine_m(points[i], points[j])
        if start is not None:
            dist[0][i + 1] = row[0] = haversine_m(start, points[i])
    return dist


def _held_karp(dist: Matrix, n: int) -> list[int]:
    """Stop nodes (1..n) in the order of the shortest path from node 0."""
    if n == 0:
        return []
    full = (1 << n) - 1
    cost = [[math.inf] * n for _ in range(full + 1)]
    came_from = [[-1] * n for _ in range(full + 1)]
    for j in range(n):
        cost[1 << j][j] = dist[0][j + 1]
    for subset in range(1, full + 1):
        ends = cost[subset]
        for j in range(n):
            so_far = ends[j]
            if so_far == math.inf:
                continue
            row = dist[j + 1]
            for k in range(n):
                bit = 1 << k
                if subset & bit:
                    continue
                candidate = so_far + row[k + 1]
                if candidate < cost[subset | bit][k]:
                    cost[subset | bit][k] = candidate
                    came_from[subset | bit][k] = j
    last = min(range(n), key=lambda j: cost[full][j])
    reversed_order: list[int] = []
    subset = full
    while last != -1:
        reversed_order.append(last + 1)
        last, subset = came_from[subset][last], subset & ~(1 << last)
    return reversed_order[::-1]


def _nearest_neighbour(dist: Matrix, n: int, *, has_start: bool) -> list[int]:
    """The full node path 0, stops..., n + 1 built by always going to the nearest unvisited stop."""
    if n == 0:
        return [0, 1]
    unvisited = set(range(1, n + 1))
    if has_start:
        current = 0
    else:
        # An open path's ends tend to lie on the edge of the area, and the stop farthest from some
        # stop is on that edge; starting mid-area tends to leave a long leg back at the end.
        current = max(range(1, n + 1), key=lambda j: dist[1][j])
        unvisited.remove(current)
    path = [0] if current == 0 else [0, current]
    while unvisited:
        row = dist[current]
        current = min(unvisited, key=lambda j: (row[j], j))
        unvisited.remove(current)
        path.append(current)
    path.append(n + 1)
    return path


def _improve(dist: Matrix, path: list[int]) -> list[int]:
    """2-opt and Or-opt passes until a round changes nothing or the work budget is spent."""
    n = len(path) - 2
    near = _nearest_stops(dist, n)
    rounds = max(1, _WORK_BUDGET // max(1, n * n))
    for _ in range(rounds):
        improved = _two_opt_pass(dist, path)
        improved = _or_opt_pass(dist, path, near) or improved
        if not improved:
            break
    return path


def _two_opt_pass(dist: Matrix, path: list[int]) -> bool:
    """Reverse path[i..j] wherever that shortens the path (the fixed ends never move)."""
    improved = False
    last = len(path) - 2
    for i in range(1, last):
        before = dist[path[i - 1]]
        first = path[i]
        removed = before[first]
        from_first = dist[first]
        for j in range(i + 1, last + 1):
            here, after = path[j], path[j + 1]
            if before[here] + from_first[after] - removed - dist[here][after] < -_MIN_GAIN_M:
                path[i : j + 1] = path[j : i - 1 : -1]
                improved = True
                first = path[i]
                removed = before[first]
                from_first = dist[first]
    return improved


def _or_opt_pass(dist: Matrix, path: list[int], near: list[list[int]]) -> bool:
    """Move runs of one to three stops, possibly reversed, between two other nodes where that
    shortens the path."""
    improved = False
    last = len(path) - 2
    position = _positions(path)
    for length in (1, 2, 3):
        for i in range(1, last - length + 2):
            first, end = path[i], path[i + length - 1]
            prev, nxt = path[i - 1], path[i + length]
            gain = dist[prev][first] + dist[end][nxt] - dist[prev][nxt]
            # Edges (path[k], path[k + 1]) next to a near stop, plus both ends of the path.
            candidates = {0, last}
            for stop in (*near[first], *near[end]):
                p = position[stop]
                candidates.update((p - 1, p))
            best_k, best_added, best_reversed = -1, gain - _MIN_GAIN_M, False
            for k in sorted(candidates):
                if i - 1 <= k <= i + length - 1:
                    continue
                x, y = path[k], path[k + 1]
                forward = dist[x][first] + dist[end][y] - dist[x][y]
                backward = dist[x][end] + dist[first][y] - dist[x][y]
                if forward < best_added:
                    best_k, best_added, best_reversed = k, forward, False
                if backward < best_added:
                    best_k, best_added, best_reversed = k, backward, True
            if best_k == -1:
                continue
            segment = path[i : i + length]
            if best_reversed:
                segment.reverse()
            del path[i : i + length]
            insert_at = best_k + 1 if best_k < i else best_k + 1 - length
            path[insert_at:insert_at] = segment
            position = _positions(path)
            improved = True
    return improved


def _nearest_stops(dist: Matrix, n: int) -> list[list[int]]:
    near: list[list[int]] = [[] for _ in range(n + 2)]
    for u in range(1, n + 1):
        row = dist[u]
        near[u] = heapq.nsmallest(
            _NEIGHBOURS, (v for v in range(1, n + 1) if v != u), key=lambda v: (row[v], v)
        )
    return near


def _positions(path: list[int]) -> list[int]:
    position = [0] * len(path)
    for index, node in enumerate(path):
        position[node] = index
    return position

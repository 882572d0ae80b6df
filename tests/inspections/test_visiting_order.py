"""The inspector's visiting order: exact for few stops, a local optimum beating nearest neighbour for
more, with great-circle distances."""

from __future__ import annotations

import itertools
import random

import pytest
from pyproj import Geod

from geo_services.inspections.visiting_order import (
    EXACT_LIMIT,
    Route,
    Stop,
    _heuristic_route,
    _nearest_neighbour_route,
    haversine_m,
    visiting_order,
)

Point = tuple[float, float]

AMMAN_CITADEL: Point = (35.9345, 31.9546)
QUEEN_ALIA_AIRPORT: Point = (35.9932, 31.7226)


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test cases, not secrets


def random_point(rng: random.Random, *, snap: bool = False) -> Point:
    # An area the size of Greater Amman; snapping to a coarse grid makes some stops coincide.
    lon, lat = 35.85 + rng.random() * 0.2, 31.9 + rng.random() * 0.15
    return (round(lon, 2), round(lat, 2)) if snap else (lon, lat)


def random_case(seed: int, n: int, *, with_start: bool) -> tuple[Point | None, list[Stop]]:
    rng = seeded(seed)
    snap = seed % 3 == 0
    keys = rng.sample(range(1000), n)
    stops = [Stop(key, *random_point(rng, snap=snap)) for key in keys]
    return (random_point(rng) if with_start else None), stops


def path_length(start: Point | None, stops: list[Stop]) -> float:
    points = ([start] if start is not None else []) + [(s.lon, s.lat) for s in stops]
    return sum(haversine_m(a, b) for a, b in itertools.pairwise(points))


def in_route_order(route: Route, stops: list[Stop]) -> list[Stop]:
    by_key = {s.key: s for s in stops}
    return [by_key[key] for key in route.order]


def brute_force_m(start: Point | None, stops: list[Stop]) -> float:
    points = [(s.lon, s.lat) for s in stops]
    between = [[haversine_m(a, b) for b in points] for a in points]
    first = [0.0 if start is None else haversine_m(start, p) for p in points]
    return min(
        first[order[0]] + sum(between[a][b] for a, b in itertools.pairwise(order))
        for order in itertools.permutations(range(len(points)))
    )


def assert_consistent(route: Route, start: Point | None, stops: list[Stop]) -> None:
    assert sorted(route.order) == sorted(s.key for s in stops)
    assert len(route.legs_m) == len(stops)
    assert route.total_m == pytest.approx(sum(route.legs_m), abs=1e-6)
    assert route.total_m == pytest.approx(path_length(start, in_route_order(route, stops)), abs=1e-6)
    if start is None and stops:
        assert route.legs_m[0] == 0.0


def improving_two_opt_move(start: Point | None, ordered: list[Stop]) -> tuple[int, int] | None:
    """Reversing any run of stops is a 2-opt move of an open path: the legs into and out of the run
    swap ends (a run at the end has no leg out; without a start, a run at the beginning no leg in)."""

    def leg(a: Point | None, b: Point | None) -> float:
        return 0.0 if a is None or b is None else haversine_m(a, b)

    points: list[Point | None] = [start, *((s.lon, s.lat) for s in ordered), None]
    for i, j in itertools.combinations(range(1, len(ordered) + 1), 2):
        into, first, last, out = points[i - 1], points[i], points[j], points[j + 1]
        if leg(into, last) + leg(first, out) < leg(into, first) + leg(last, out) - 1e-6:
            return i - 1, j - 1
    return None


def improving_or_opt_move(start: Point | None, ordered: list[Stop]) -> tuple[int, int, int] | None:
    """Moving a run of one to three stops, either way round, to anywhere else in the path."""
    length = path_length(start, ordered)
    for size in (1, 2, 3):
        for i in range(len(ordered) - size + 1):
            run, rest = ordered[i : i + size], ordered[:i] + ordered[i + size :]
            for k, piece in itertools.product(range(len(rest) + 1), (run, run[::-1])):
                if path_length(start, rest[:k] + piece + rest[k:]) < length - 1e-6:
                    return size, i, k
    return None


@pytest.mark.parametrize("with_start", [True, False], ids=["from-position", "free-start"])
def test_small_routes_are_the_exact_optimum(with_start: bool) -> None:
    for seed in range(42):
        n = 2 + seed % 7
        start, stops = random_case(seed, n, with_start=with_start)
        route = visiting_order(start, stops)
        assert_consistent(route, start, stops)
        # Without a start the brute force tries every first stop, so this also checks the start chosen.
        assert route.total_m == pytest.approx(brute_force_m(start, stops), rel=1e-9, abs=1e-6), seed


@pytest.mark.parametrize("with_start", [True, False], ids=["from-position", "free-start"])
def test_heuristic_improves_nearest_neighbour_to_a_local_optimum(with_start: bool) -> None:
    for seed in range(30):
        start, stops = random_case(seed, 3 + seed % 9, with_start=with_start)
        route = _heuristic_route(start, stops)
        assert_consistent(route, start, stops)
        assert route.total_m <= _nearest_neighbour_route(start, stops).total_m + 1e-6, seed
        ordered = in_route_order(route, stops)
        assert improving_two_opt_move(start, ordered) is None, seed
        # With at most 11 stops every stop is among each other's nearest, so Or-opt is complete too.
        assert improving_or_opt_move(start, ordered) is None, seed


def test_heuristic_comes_much_closer_to_the_optimum_than_nearest_neighbour() -> None:
    bound = 0.02  # mean excess over the optimum; the heuristic comes to about 0.7 %, nearest neighbour 9 %
    heuristic_excess, nearest_excess = [], []
    for seed in range(20):
        start, stops = random_case(1000 + seed, 8, with_start=True)
        best = brute_force_m(start, stops)
        heuristic_excess.append(_heuristic_route(start, stops).total_m / best - 1)
        nearest_excess.append(_nearest_neighbour_route(start, stops).total_m / best - 1)
    assert sum(heuristic_excess) / 20 < bound
    assert sum(nearest_excess) / 20 > bound


def test_distances_are_great_circle() -> None:
    assert haversine_m((35.9, 31.0), (35.9, 32.0)) == pytest.approx(111_195.08, abs=0.01)
    route = visiting_order(AMMAN_CITADEL, [Stop(7, *QUEEN_ALIA_AIRPORT)])
    _, _, ellipsoidal_m = Geod(ellps="WGS84").inv(*AMMAN_CITADEL, *QUEEN_ALIA_AIRPORT)
    assert 25_000 < ellipsoidal_m < 28_000  # the pair is what it claims to be
    assert route == Route(order=[7], legs_m=[route.total_m], total_m=route.total_m)
    assert route.total_m == pytest.approx(ellipsoidal_m, rel=0.005)


def test_without_a_start_the_route_runs_from_one_end_of_a_street_to_the_other() -> None:
    # Stops along a line with scrambled keys: starting anywhere but an end costs a leg twice.
    for n in (6, EXACT_LIMIT + 5):
        lons = [35.90 + 0.004 * i for i in range(n)]
        keys = seeded(n).sample(range(100), n)
        stops = [Stop(key, lon, 31.95) for key, lon in zip(keys, lons, strict=True)]
        route = visiting_order(None, stops)
        ends = [[s.key for s in stops], [s.key for s in reversed(stops)]]
        assert route.order in ends
        assert route.total_m == pytest.approx(haversine_m((lons[0], 31.95), (lons[-1], 31.95)))


def test_empty_single_and_coinciding_stops() -> None:
    assert visiting_order(None, []) == Route(order=[], legs_m=[], total_m=0.0)
    assert visiting_order(AMMAN_CITADEL, []) == Route(order=[], legs_m=[], total_m=0.0)
    assert visiting_order(None, [Stop(3, *AMMAN_CITADEL)]) == Route(order=[3], legs_m=[0.0], total_m=0.0)

    # Several jobs at one building, plus a few elsewhere: the building's jobs go in a row.
    same = [Stop(key, *QUEEN_ALIA_AIRPORT) for key in (40, 10, 30, 20)]
    for others in (2, EXACT_LIMIT + 3):
        rng = seeded(others)
        stops = same + [Stop(100 + i, *random_point(rng)) for i in range(others)]
        route = visiting_order(AMMAN_CITADEL, stops)
        assert_consistent(route, AMMAN_CITADEL, stops)
        positions = sorted(route.order.index(s.key) for s in same)
        assert positions == list(range(positions[0], positions[0] + len(same)))


def test_the_order_does_not_depend_on_the_order_stops_are_given() -> None:
    for n in (7, EXACT_LIMIT + 10):
        for with_start in (True, False):
            start, stops = random_case(n, n, with_start=with_start)
            shuffled = stops[:]
            seeded(1).shuffle(shuffled)
            assert visiting_order(start, shuffled) == visiting_order(start, stops)


def test_three_hundred_stops() -> None:
    start, stops = random_case(300, 300, with_start=True)
    route = visiting_order(start, stops)
    assert_consistent(route, start, stops)
    assert route.total_m < _nearest_neighbour_route(start, stops).total_m
    assert improving_two_opt_move(start, in_route_order(route, stops)) is None

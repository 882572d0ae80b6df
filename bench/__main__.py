"""`make bench`: run the benchmarks against a database of their own and print the figures."""

from __future__ import annotations

import argparse
import os

from bench import load


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        choices=("routing", "venues", "field_sync", "layers", "load"),
        help="run one benchmark only (default: all)",
    )
    routing_args = parser.add_argument_group("routing")
    routing_args.add_argument(
        "--districts", type=int, default=1000, help="synthetic districts (default 1000)"
    )
    routing_args.add_argument(
        "--vertices", type=int, default=2500, help="vertices per district (default 2500)"
    )
    routing_args.add_argument(
        "--points", type=int, default=1_000_000, help="points for the bulk run (default 1000000)"
    )
    routing_args.add_argument(
        "--samples", type=int, default=2000, help="single lookups and POSTs timed (default 2000)"
    )
    venue_args = parser.add_argument_group("venues")
    venue_args.add_argument(
        "--venues",
        type=int,
        default=100_000,
        help="synthetic pitches, 3 spaces each (default 100000)",
    )
    venue_args.add_argument(
        "--bookings", type=int, default=1_000_000, help="generated bookings (default 1000000)"
    )
    venue_args.add_argument(
        "--venue-samples",
        type=int,
        default=1000,
        help="searches and availability computations timed, each way (default 1000)",
    )
    venue_args.add_argument("--clients", type=int, default=8, help="concurrent booking clients (default 8)")
    venue_args.add_argument(
        "--attempts", type=int, default=25, help="booking attempts per client (default 25)"
    )
    layer_args = parser.add_argument_group("layers (the venues are --venues)")
    layer_args.add_argument(
        "--layer-points", type=int, default=1_000_000, help="synthetic service requests (default 1000000)"
    )
    layer_args.add_argument(
        "--layer-polygons", type=int, default=10_000, help="synthetic green spaces (default 10000)"
    )
    layer_args.add_argument(
        "--layer-samples",
        type=int,
        default=20,
        help="items pages and tiles timed per server and case (default 20)",
    )
    layer_args.add_argument(
        "--geojson-runs", type=int, default=5, help="whole-layer GeoJSON runs per way (default 5)"
    )
    load.add_arguments(parser)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_services.settings")
    import django

    django.setup()
    from bench import field_sync, layers, routing, venues
    from bench.database import bench_database

    if args.only == "load":
        load.run_from_args(args)
        return
    with bench_database():
        if args.only in (None, "routing"):
            routing.run(
                districts=args.districts, vertices=args.vertices, points=args.points, samples=args.samples
            )
        if args.only in (None, "venues"):
            venues.run(
                venues=args.venues,
                bookings=args.bookings,
                samples=args.venue_samples,
                clients=args.clients,
                attempts=args.attempts,
            )
        if args.only in (None, "field_sync"):
            # 500 inspections with 2 photos each, clean and with 20 % of connections cut.
            field_sync.run(tablets=4)
        if args.only in (None, "layers"):
            layers.run(
                points=args.layer_points,
                venues=args.venues,
                polygons=args.layer_polygons,
                samples=args.layer_samples,
                geojson_runs=args.geojson_runs,
                tile_samples=args.layer_samples,
            )
    if args.only is None:
        # In a database of its own (the Amman demo and generated data), after the others.
        load.run_from_args(args)


if __name__ == "__main__":
    main()

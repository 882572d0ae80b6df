"""`make bench`: run the benchmarks against a database of their own and print the figures."""

from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--districts", type=int, default=1000, help="synthetic districts (default 1000)")
    parser.add_argument("--vertices", type=int, default=2500, help="vertices per district (default 2500)")
    parser.add_argument(
        "--points", type=int, default=1_000_000, help="points for the bulk run (default 1000000)"
    )
    parser.add_argument(
        "--samples", type=int, default=2000, help="single lookups and POSTs timed (default 2000)"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_services.settings")
    import django

    django.setup()
    from bench import routing
    from bench.database import bench_database

    with bench_database():
        routing.run(
            districts=args.districts, vertices=args.vertices, points=args.points, samples=args.samples
        )


if __name__ == "__main__":
    main()

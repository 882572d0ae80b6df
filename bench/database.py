"""A database of the benchmarks' own (`amanah_bench`), migrated, kept between runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.test.utils import setup_databases, teardown_databases


@contextmanager
def bench_database(name: str = "amanah_bench") -> Iterator[None]:
    settings.DATABASES["default"]["TEST"]["NAME"] = name
    # keepdb: the schema is reused, the benchmark replaces its own rows on every run. No
    # serialisation: Django would otherwise copy millions of rows into a string before every run.
    config = setup_databases(verbosity=0, interactive=False, keepdb=True, serialized_aliases=set())
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0, keepdb=True)

"""Benchmarks: each compares the project's path with the bare PostGIS query on the same data."""

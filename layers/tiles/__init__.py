"""Mapbox Vector Tiles of the registered layers, built by PostGIS, with their TileJSON."""

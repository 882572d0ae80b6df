"""Exports of a layer (GeoJSON streamed by PostGIS; GeoPackage, Shapefile and CSV through pyogrio)."""

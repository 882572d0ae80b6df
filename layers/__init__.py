"""Generic spatial layer engine: the registry domain apps fill, OGC API Features, vector tiles,
streamed GeoJSON and import/export. It reads only through what the registry is given."""

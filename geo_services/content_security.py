"""Pieces of the Content-Security-Policy that depend on other settings."""

from __future__ import annotations

from urllib.parse import urlsplit


def basemap_sources(tile_url: str) -> list[str]:
    """The CSP source that lets the map pages load the basemap's tiles: its scheme and host.

    Leaflet's `{s}` subdomain placeholder becomes a wildcard (`https://*.tile.example.org`); an empty
    URL (no basemap, closed networks) adds nothing.
    """
    if not tile_url:
        return []
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return []
    host = parts.netloc.rsplit("@", 1)[-1]
    return [f"{parts.scheme}://{host}"]

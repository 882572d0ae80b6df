"""The notebook example of docs/planners.md runs as written against a live server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo_services.core.models import District
from geo_services.venues.models import Venue
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "planners.md"


def notebook_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Notebooks") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/planners.md has no Python example under Notebooks"
    return match.group(1)


def test_the_documented_example_reads_the_layers_and_draws_the_map(
    transactional_db, amman, live_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    code = notebook_example()
    assert 'BASE = "http://127.0.0.1:8000"' in code
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_PROXY", "*")
    namespace: dict[str, object] = {}
    exec(  # noqa: S102 - the project's own documentation, run to prove it works
        compile(code.replace("http://127.0.0.1:8000", live_server.url), str(DOCS), "exec"), namespace
    )

    venues = namespace["venues"]
    active = Venue.objects.filter(active=True)
    assert len(venues) == active.count() > 0  # type: ignore[arg-type]
    assert len(namespace["districts"]) == District.objects.filter(jurisdiction=amman).count()  # type: ignore[arg-type]
    assert len(namespace["pitches"]) == active.filter(kind="sports_pitch").count()  # type: ignore[arg-type]
    per_district = namespace["venues_per_district"]
    assert int(per_district.sum()) == active.count()  # type: ignore[attr-defined]
    page = (tmp_path / "venues.html").read_text(encoding="utf-8")
    for venue in active:
        assert venue.name_ar in page
    # The districts go in as GeoJSON (folium escapes non-ASCII there): their codes are in the page.
    for code in District.objects.filter(jurisdiction=amman).values_list("code", flat=True):
        assert f'"{code}"' in page

"""The project's entry points stay wired the way the README promises."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO_ROOT


def test_docker_compose_runs_the_same_entry_point_against_its_postgis():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgis/postgis:15-")
    app = services["app"]
    assert app["command"].startswith("make run")
    database_url = app["environment"]["DATABASE_URL"]
    assert database_url.startswith("postgis://")
    assert "@db:5432/" in database_url
    assert app["depends_on"]["db"]["condition"] == "service_healthy"


def test_makefile_has_the_documented_targets():
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in ("run", "test", "setup", "stop", "bench", "lint"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_ci_runs_make_test():
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_readme_starts_with_the_two_commands():
    readme = (REPO_ROOT / "README.md").read_text()
    first_commands = re.findall(r"^make \w+", readme, re.MULTILINE)[:2]
    assert first_commands == ["make run", "make test"]

"""Demo data loaders: each app contributes its part of `load_demo` from a `demo` module.

Core loads the jurisdiction, districts and departments itself, then calls every registered
loader with the demo jurisdiction, inside the same transaction. Apps stay the owners of their
tables: a loader calls its own app's services.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import autodiscover_modules

from geo_services.core.models import Jurisdiction

DemoLoader = Callable[[Jurisdiction], str]  # returns a one-line summary
_LOADERS: dict[str, DemoLoader] = {}


def register(name: str) -> Callable[[DemoLoader], DemoLoader]:
    def decorator(loader: DemoLoader) -> DemoLoader:
        _LOADERS[name] = loader
        return loader

    return decorator


def demo_loaders() -> dict[str, DemoLoader]:
    autodiscover_modules("demo")
    return dict(_LOADERS)

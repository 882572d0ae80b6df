"""Rate limits on the public writes: reports, bookings, tokens, proposals, support, sign-ups.

Each view that writes on behalf of the public names its action group with `@rate_limited(group)`.
Within a group, a signed-in person is counted by account and anyone else by client address; the
allowance is the group's setting (AMANAH_RATE_*), counted by django-ratelimit in the shared
"ratelimit" cache (a database table, so all server processes count together). The request over the
allowance is refused with TooManyRequests (429, Retry-After) before the view does anything.
AMANAH_RATE_LIMITS_ENABLED=0 turns every limit off (the load benchmark runs that way).
"""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from geo_services.core.errors import TooManyRequests

# Action group -> the setting holding its rate ("number/period").
RATE_SETTINGS = {
    "reports": "AMANAH_RATE_REPORTS",
    "bookings": "AMANAH_RATE_BOOKINGS",
    "token": "AMANAH_RATE_TOKEN",
    "proposals": "AMANAH_RATE_PROPOSALS",
    "support": "AMANAH_RATE_SUPPORT",
    "signups": "AMANAH_RATE_SIGNUPS",
}
# An IPv6 client usually holds a whole /64 and may use any address in it; count the network.
IPV6_PREFIX = 64

View = TypeVar("View", bound=Callable[..., Any])


def _valid_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address a request is counted under: REMOTE_ADDR, the peer gunicorn accepted.

    X-Forwarded-For is read only when REMOTE_ADDR is one of AMANAH_TRUSTED_PROXIES (a proxy of ours
    that writes the header); then the last address in it that is not a trusted proxy is the client.
    Anyone else's X-Forwarded-For is ignored, so a client cannot pick the address it is counted
    under. Also the address django-axes locks sign-ins by.
    """
    # No peer address at all (a Unix socket without a proxy setting): everyone shares one count.
    remote = _valid_address(request.META.get("REMOTE_ADDR") or "") or "0.0.0.0"  # noqa: S104 - not a bind
    trusted = set(settings.AMANAH_TRUSTED_PROXIES)
    if remote in trusted:
        forwarded = (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        for item in reversed(forwarded):
            address = _valid_address(item)
            if address is None:
                break  # a malformed entry: nothing to its left can be trusted
            if address not in trusted:
                return address
    return remote


def _counted_address(request: HttpRequest) -> str:
    address = client_address(request)
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return address


def rate_key(group: str, request: HttpRequest) -> str:
    """Whose allowance a request uses: the signed-in account's, else the client address's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{_counted_address(request)}"


def rate_of(group: str) -> str:
    return cast(str, getattr(settings, RATE_SETTINGS[group]))


def _wait_message(limit: int, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    at = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    return _(
        "Too many attempts: you have reached the limit of %(limit)s for now. "
        "Try again in %(minutes)s minutes, after %(time)s."
    ) % {"limit": limit, "minutes": minutes, "time": time_format(at, "H:i")}


def enforce_rate_limit(request: HttpRequest, group: str) -> None:
    """Count this request in its group and raise TooManyRequests when it is over the allowance."""
    if not settings.AMANAH_RATE_LIMITS_ENABLED:
        return
    usage = get_usage(request, group=group, key=rate_key, rate=rate_of(group), method=ALL, increment=True)
    if usage is None or not usage["should_limit"]:
        return
    # time_left is -1 when the count could not be read (the limit then fails closed for a moment).
    seconds = max(1, int(usage["time_left"]))
    limit = int(usage["limit"])
    raise TooManyRequests(
        _wait_message(limit, seconds),
        retry_after=seconds,
        details={"retry_after": seconds, "limit": limit},
    )


def rate_limited(group: str) -> Callable[[View], View]:
    """Decorate a view function (request, …) or a DRF handler method (self, request, …)."""
    if group not in RATE_SETTINGS:
        raise ValueError(f"unknown rate-limit group {group!r}")

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = args[0] if hasattr(args[0], "META") else args[1]
            enforce_rate_limit(request, group)
            return view(*args, **kwargs)

        # Read by the OpenAPI schema (core.api.schema), which then documents the 429.
        wrapper.rate_limit_group = group  # type: ignore[attr-defined]
        return cast(View, wrapper)

    return decorator

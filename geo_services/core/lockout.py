"""Sign-in lockout: django-axes, configured for Amanah.

After AMANAH_LOGIN_FAILURE_LIMIT failed sign-ins for one user name from one client address, that
pair is refused for AMANAH_LOGIN_LOCKOUT_MINUTES (also the right password). Covered: the admin and
staff sign-in pages (Django's LoginView, through AxesMiddleware), the token endpoint and the layer
clients' HTTP Basic credentials (both call `refusal_if_locked_out` and `forget_failures`, since they
answer in JSON and sign nobody into a session). Staff unlock a person with
`manage.py axes_reset_username <name>` or by deleting the attempt in the admin (Axes, Access attempts).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesBackend
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from geo_services.core.errors import TooManyRequests
from geo_services.core.middleware import error_response, wants_json
from geo_services.core.ratelimits import client_address


class LockoutBackend(AxesBackend):
    """Axes' check before the password is even tried; sign-ins without a request are not counted.

    Code that authenticates with no request at hand (the test client's login, scripts) has no client
    address to lock: those calls skip the lockout instead of failing as plain AxesBackend would.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME, read when needed so that the setting can change without a restart of axes."""
    return timedelta(minutes=settings.AMANAH_LOGIN_LOCKOUT_MINUTES)


def failure_limit(request: HttpRequest | None, credentials: dict[str, Any] | None) -> int:
    return int(settings.AMANAH_LOGIN_FAILURE_LIMIT)


def _username(credentials: dict[str, Any] | None) -> str:
    value = (credentials or {}).get(str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")))
    return value if isinstance(value, str) else ""


def locked_out_error(request: HttpRequest, username: str) -> TooManyRequests:
    """The refusal of a locked-out sign-in, saying when the next attempt will be taken."""
    last = AccessAttempt.objects.filter(username=username, ip_address=client_address(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    ends = (last or timezone.now()) + cool_off(request)
    seconds = max(1, int((ends - timezone.now()).total_seconds()) + 1)
    minutes = max(1, -(-seconds // 60))
    message = _(
        "Too many failed sign-ins with this user name from your address. Try again in %(minutes)s "
        "minutes, after %(time)s, or ask an administrator to unlock the account."
    ) % {"minutes": minutes, "time": time_format(timezone.localtime(ends), "H:i")}
    return TooManyRequests(
        message, retry_after=seconds, code="sign_in_locked", details={"retry_after": seconds}
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a locked-out sign-in on a page (or any JSON path)."""
    error = locked_out_error(request, _username(credentials))
    if wants_json(request):
        response = error_response(request, status=error.status, code=error.code, message=error.message)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": error.message}, status=error.status
        )
    for header, value in error.response_headers().items():
        response[header] = value
    return response


def refusal_if_locked_out(request: Any, username: str) -> TooManyRequests | None:
    """After `authenticate` returned no user: the lockout error when axes refused the attempt.

    `request` is the one handed to `authenticate` (a DRF Request or a Django HttpRequest); axes marks
    it when the sign-in is locked out, including the attempt that reached the limit.
    """
    if getattr(request, "axes_locked_out", False):
        return locked_out_error(request, username)
    return None


def forget_failures(request: Any, username: str) -> None:
    """A successful sign-in outside a session (token, Basic): the failures so far no longer count.

    Django's login() does this for the sign-in pages (AXES_RESET_ON_SUCCESS); the token endpoint and
    the layer clients never call login(), so they call this instead.
    """
    if AccessAttempt.objects.filter(username=username, ip_address=client_address(request)).exists():
        reset(ip=client_address(request), username=username)

"""Sign-in for desktop and notebook clients on the layer URLs: HTTP Basic or an API token.

QGIS, GDAL/OGR (`GDAL_HTTP_AUTH=BASIC`, `GDAL_HTTP_USERPWD`, or `GDAL_HTTP_HEADERS="Authorization:
Token …"`), geopandas and plain HTTP libraries cannot keep a browser session; on the read-only layer
URLs they send credentials with every request instead. Only GET and HEAD are taken this way: nothing
is written with these credentials, so no CSRF protection is bypassed. Credentials that do not sign
anyone in get a 401 with a reason rather than an anonymous answer, so a wrong password in QGIS does
not look like a layer that disappeared. Production serves HTTPS only, so Basic never travels in clear.
Basic credentials fall under the sign-in lockout (core.lockout): repeated wrong passwords for a user
name from one address get a 429 with Retry-After and the time to try again, also in JSON.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from geo_services.core import lockout
from geo_services.core.api.errors import error_body

LAYER_PREFIXES = ("/ogc/", "/tiles/", "/api/v1/layers/")
REALM = 'Basic realm="Amanah layers", charset="UTF-8"'


class CredentialsRefused(Exception):
    """401 with a reason; 429 with Retry-After while the user name is locked out from this address."""

    def __init__(self, message: str, *, status: int = 401, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


def user_from_authorization(request: HttpRequest, header: str) -> User:
    """The active user the Authorization header names, or CredentialsRefused saying why not."""
    scheme, _space, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise CredentialsRefused(
                _("The Basic credentials are not valid base64 of user:password.")
            ) from exc
        username, colon, password = decoded.partition(":")
        if not colon:
            raise CredentialsRefused(_("The Basic credentials must be user:password."))
        user = authenticate(request, username=username, password=password)
        if user is None:
            locked = lockout.refusal_if_locked_out(request, username)
            if locked is not None:
                raise CredentialsRefused(
                    locked.message, status=locked.status, headers=locked.response_headers()
                )
            raise CredentialsRefused(_("Wrong user name or password, or the account is disabled."))
        lockout.forget_failures(request, username)
        return user
    if scheme in ("token", "bearer"):
        token = Token.objects.select_related("user").filter(key=value[:40]).first()
        if token is None or not token.user.is_active:
            raise CredentialsRefused(_("The API token is not known or its account is disabled."))
        return token.user
    raise CredentialsRefused(
        _("Unsupported Authorization scheme %(scheme)r: use Basic or Token.") % {"scheme": scheme[:20]}
    )


class LayerClientAuthenticationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header and request.method in ("GET", "HEAD") and request.path.startswith(LAYER_PREFIXES):
            try:
                request.user = user_from_authorization(request, header)
            except CredentialsRefused as refused:
                request.user = AnonymousUser()
                code = "sign_in_locked" if refused.status == 429 else "not_authenticated"
                response = JsonResponse(
                    error_body(code, refused.message),
                    status=refused.status,
                    json_dumps_params={"ensure_ascii": False},
                )
                if refused.status == 401:
                    response["WWW-Authenticate"] = REALM
                for header, value in refused.headers.items():
                    response[header] = value
                return response
        return self.get_response(request)

"""Sign-in for desktop and notebook clients on the layer URLs: HTTP Basic or an API token.

QGIS, GDAL/OGR (`GDAL_HTTP_AUTH=BASIC`, `GDAL_HTTP_USERPWD`, or `GDAL_HTTP_HEADERS="Authorization:
Token …"`), geopandas and plain HTTP libraries cannot keep a browser session; on the read-only layer
URLs they send credentials with every request instead. Only GET and HEAD are taken this way: nothing
is written with these credentials, so no CSRF protection is bypassed. Credentials that do not sign
anyone in get a 401 with a reason rather than an anonymous answer, so a wrong password in QGIS does
not look like a layer that disappeared. Production serves HTTPS only, so Basic never travels in clear.
Basic credentials fall under the sign-in lockout (core.lockout): repeated wrong passwords for a user
name from one address get a 429 with Retry-After and the time to try again, also in JSON.

QGIS sends Basic credentials with every tile, and checking a password is deliberately slow (PBKDF2:
about half a second of CPU). A pair that signed someone in is therefore remembered for a few
minutes (AMANAH_BASIC_AUTH_CACHE_SECONDS), per process, under a keyed hash — never the password
itself — together with the account's stored password hash: a changed password or a disabled account
ends the shortcut at once. Wrong passwords are never remembered, so every guess still pays in full.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
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


class VerifiedBasicCredentials:
    """Basic pairs that signed someone in lately: keyed hash -> (user id, stored hash, until)."""

    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)  # per process: the digests mean nothing elsewhere
        self._entries: OrderedDict[bytes, tuple[int, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()

    def user(self, username: str, password: str) -> User | None:
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None and entry[2] < time.monotonic():
                del self._entries[digest]
                entry = None
        if entry is None:
            return None
        user = User.objects.filter(pk=entry[0]).first()
        if user is None or not user.is_active or user.password != entry[1] or user.get_username() != username:
            self.forget(username, password)
            return None
        return user

    def remember(self, username: str, password: str, user: User) -> None:
        seconds = settings.AMANAH_BASIC_AUTH_CACHE_SECONDS
        if seconds <= 0:
            return
        with self._lock:
            self._entries[self._digest(username, password)] = (
                user.pk,
                user.password,
                time.monotonic() + seconds,
            )
            while len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)

    def forget(self, username: str, password: str) -> None:
        with self._lock:
            self._entries.pop(self._digest(username, password), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_basic_credentials = VerifiedBasicCredentials()


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
        remembered = verified_basic_credentials.user(username, password)
        if remembered is not None:
            return remembered
        user = authenticate(request, username=username, password=password)
        if user is None:
            locked = lockout.refusal_if_locked_out(request, username)
            if locked is not None:
                raise CredentialsRefused(
                    locked.message, status=locked.status, headers=locked.response_headers()
                )
            raise CredentialsRefused(_("Wrong user name or password, or the account is disabled."))
        lockout.forget_failures(request, username)
        verified_basic_credentials.remember(username, password, user)
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

"""Django settings for Amanah. Every deployment-specific value comes from an environment variable.

Production needs at least: SECRET_KEY, DEBUG=0, ALLOWED_HOSTS, DATABASE_URL and HTTPS=1
(behind a TLS-terminating proxy); `manage.py check --deploy` then reports nothing serious.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from geo_services.content_security import basemap_sources
from geo_services.env import env_bool, env_int, env_list, env_rate, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("AMANAH_DATA_DIR", str(BASE_DIR / ".data")))

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "axes",
    "django_ratelimit",
    "geo_services.core",
    "geo_services.service_requests",
    "geo_services.venues",
    "geo_services.inspections",
    "geo_services.initiatives",
    "geo_services.indicators",
    "geo_services.portal",
    "layers",
    "fieldapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo_services.core.middleware.ArabicFirstLocaleMiddleware",
    "geo_services.core.middleware.RequestSizeLimitMiddleware",
    "geo_services.core.middleware.TextInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # QGIS, GDAL and notebooks send Basic or Token credentials on the read-only layer URLs.
    "layers.auth.LayerClientAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees every sign-in attempt's outcome and answers a locked-out one (see below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo_services.urls"
WSGI_APPLICATION = "geo_services.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geo_services" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database: the project's own PostGIS cluster unless DATABASE_URL says otherwise ---------------
AMANAH_DB_PORT = env_int("AMANAH_DB_PORT", 54329)
DATABASE_URL = env_str("DATABASE_URL", "") or f"postgis://amanah@127.0.0.1:{AMANAH_DB_PORT}/amanah"
# Public queries get a time limit so one heavy request cannot hold the database (MapIt does the same);
# management commands that legitimately run longer lift it inside their own transaction.
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 30_000)
# Where `make backup` (manage.py backup_database) writes its dated archives.
AMANAH_BACKUP_DIR = env_str("AMANAH_BACKUP_DIR", str(BASE_DIR / "backups"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A health check is a SELECT 1 before every request's first query (0.25 ms on each lookup);
        # off by default, on with DB_CONN_HEALTH_CHECKS=1 where connections are often cut.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", False),
    )
}
# The point -> district lookup is prepared once per database session (see core.selectors).
DB_PREPARED_LOOKUPS = env_bool("DB_PREPARED_LOOKUPS", True)
# The app's queries are many and short: JIT compilation (tens of ms) and parallel workers (a process
# start per query) cost them more than they save, and under load the workers take the cores other
# requests need. The layers benchmark measured a 100-feature page of a million-row layer at 280 ms
# with both and 55 ms without (docs/benchmarks.md).
DB_JIT = env_bool("DB_JIT", False)
DB_PARALLEL_WORKERS_PER_QUERY = env_int("DB_PARALLEL_WORKERS_PER_QUERY", 0)
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c jit={'on' if DB_JIT else 'off'}"
    f" -c max_parallel_workers_per_gather={DB_PARALLEL_WORKERS_PER_QUERY}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time: Arabic first, right-to-left; stored in UTC ------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "geo_services" / "locale"]
USE_I18N = True
USE_TZ = True
# The zone used where no jurisdiction is known; each jurisdiction carries its own zone for display.
TIME_ZONE = env_str("TIME_ZONE", "Asia/Amman")

# --- Static and uploaded files: everything served by the app itself (works offline) --------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders too, so a page works before collectstatic has run.
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
AMANAH_MAX_PHOTO_BYTES = env_int("AMANAH_MAX_PHOTO_BYTES", 10 * 1024 * 1024)
AMANAH_MAX_PHOTO_PIXELS = env_int("AMANAH_MAX_PHOTO_PIXELS", 40_000_000)
# Any request body, uploads included, above this is refused with 413 before it is read.
AMANAH_MAX_REQUEST_BYTES = env_int("AMANAH_MAX_REQUEST_BYTES", 25 * 1024 * 1024)

# --- Security: HTTPS=1 when served behind TLS turns on everything `check --deploy` asks for ------
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# GDAL 3.6 (Debian 12) cannot stop a spatial reference string from reading files or the network.
# The project never hands user input to GDAL as WKT/PROJ text: SRIDs come from this allow-list.
AMANAH_ALLOWED_SRIDS = [4326, 3857, 32636, 32637, 32638, 32639]
# Django's gis.W001 warns about exactly that GDAL limit; the allow-list above is the answer to it.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Service requests ------------------------------------------------------------------------------
# Open requests of the same category this close (metres) and this recent are offered as duplicates.
AMANAH_DUPLICATE_RADIUS_M = env_int("AMANAH_DUPLICATE_RADIUS_M", 50)
AMANAH_DUPLICATE_WINDOW_DAYS = env_int("AMANAH_DUPLICATE_WINDOW_DAYS", 30)
# The jurisdiction Open311 clients get when they send no jurisdiction_id.
AMANAH_DEFAULT_JURISDICTION = env_str("AMANAH_DEFAULT_JURISDICTION", "amman")
# Who to contact about the Open311 API (its discovery document); a default sentence when empty.
AMANAH_OPEN311_CONTACT = env_str("AMANAH_OPEN311_CONTACT", "")
# OGC API - Features: features per page when a client gives no limit, and the largest limit accepted.
AMANAH_OGC_DEFAULT_LIMIT = env_int("AMANAH_OGC_DEFAULT_LIMIT", 100)
AMANAH_OGC_MAX_LIMIT = env_int("AMANAH_OGC_MAX_LIMIT", 10_000)
# How long a Basic user:password pair that signed someone in on the layer URLs is trusted without
# checking the password again (QGIS sends it with every tile; see layers.auth). 0 checks every time.
AMANAH_BASIC_AUTH_CACHE_SECONDS = env_int("AMANAH_BASIC_AUTH_CACHE_SECONDS", 300)
# GeoJSON pages with a larger limit are streamed from a server-side cursor instead of built whole.
AMANAH_OGC_STREAM_ABOVE = env_int("AMANAH_OGC_STREAM_ABOVE", 1_000)
# Vector tiles: the deepest zoom served (22 is a few centimetres per pixel in Amman), and the zoom
# from which point layers are sent as single features (below it, per-cell counts; see layers.tiles.sql).
AMANAH_TILE_MAX_ZOOM = env_int("AMANAH_TILE_MAX_ZOOM", 22)
AMANAH_TILE_CLUSTER_BELOW_ZOOM = env_int("AMANAH_TILE_CLUSTER_BELOW_ZOOM", 14)
# How long a built tile stays in the process cache: a change shows in tiles at most this late.
AMANAH_TILE_CACHE_SECONDS = env_int("AMANAH_TILE_CACHE_SECONDS", 60)
# How long browsers and proxies may reuse a tile or TileJSON without asking again (Cache-Control).
AMANAH_TILE_MAX_AGE_SECONDS = env_int("AMANAH_TILE_MAX_AGE_SECONDS", 60)
# Built tiles are kept in each server process's memory, apart from the default cache so that they
# neither evict nor are evicted by other entries; at most this many tiles (a few kB to ~100 kB each).
AMANAH_TILE_CACHE_ENTRIES = env_int("AMANAH_TILE_CACHE_ENTRIES", 5_000)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "tiles": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tiles",
        "OPTIONS": {"MAX_ENTRIES": AMANAH_TILE_CACHE_ENTRIES},
    },
}
# Layer exports (API and export_layer): the most features one export may hold; a larger selection
# is refused with a request to narrow it (bounded time and disk per request).
AMANAH_EXPORT_MAX_FEATURES = env_int("AMANAH_EXPORT_MAX_FEATURES", 1_000_000)
# Planners' spatial queries: the most vertices a drawn or sent geometry may have, and the largest
# search distance in metres (a city is a few tens of kilometres across).
AMANAH_QUERY_MAX_VERTICES = env_int("AMANAH_QUERY_MAX_VERTICES", 10_000)
AMANAH_QUERY_MAX_DISTANCE_METRES = env_int("AMANAH_QUERY_MAX_DISTANCE_METRES", 100_000)

# --- Hostile input: limits on what a request or an imported file may hold (docs/security.md) -----
# Zipped Shapefiles are checked before GDAL reads them (geo_services.core.archives): at most this
# many entries, this many bytes once inflated (all entries together), and this inflation ratio for
# an entry above 1 MiB. A real municipal Shapefile inflates 2 to 20 times; a zip bomb a thousand.
AMANAH_ARCHIVE_MAX_ENTRIES = env_int("AMANAH_ARCHIVE_MAX_ENTRIES", 100)
AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES = env_int("AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES", 2 * 1024**3)
AMANAH_ARCHIVE_MAX_RATIO = env_int("AMANAH_ARCHIVE_MAX_RATIO", 200)
# The most vertices a shape of an initiative, a proposal or a partner's service area may have.
AMANAH_INITIATIVE_MAX_VERTICES = env_int("AMANAH_INITIATIVE_MAX_VERTICES", 5_000)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/field/"

# --- Rate limits on public writes and the sign-in lockout (docs/security.md) ----------------------
# Counts live in a database table (created by core's migration 0007) so that every gunicorn worker
# and every machine shares them; an in-process cache would give each worker its own allowance.
AMANAH_RATE_LIMITS_ENABLED = env_bool("AMANAH_RATE_LIMITS_ENABLED", True)
# "number/period" with the period in s, m, h or d (optionally with a count: "20/10m"). Keys: the
# signed-in user, else the client address; each group counts apart.
AMANAH_RATE_REPORTS = env_rate("AMANAH_RATE_REPORTS", "10/h")
AMANAH_RATE_BOOKINGS = env_rate("AMANAH_RATE_BOOKINGS", "20/h")
AMANAH_RATE_TOKEN = env_rate("AMANAH_RATE_TOKEN", "30/h")
AMANAH_RATE_PROPOSALS = env_rate("AMANAH_RATE_PROPOSALS", "10/h")
AMANAH_RATE_SUPPORT = env_rate("AMANAH_RATE_SUPPORT", "60/h")
AMANAH_RATE_SIGNUPS = env_rate("AMANAH_RATE_SIGNUPS", "30/h")
# Addresses of reverse proxies in front of the app (e.g. "127.0.0.1" for nginx on the same host).
# Only when a request comes from one of them is its X-Forwarded-For read (the last address not
# itself a proxy); otherwise, and by default, the client address is REMOTE_ADDR and the header is
# ignored, so a client cannot choose the address it is counted under.
AMANAH_TRUSTED_PROXIES = env_list("AMANAH_TRUSTED_PROXIES", [])
RATE_LIMIT_CACHE_TABLE = "amanah_rate_limit_cache"
CACHES["ratelimit"] = {
    "BACKEND": "geo_services.core.ratelimit_cache.AtomicDatabaseCache",
    "LOCATION": RATE_LIMIT_CACHE_TABLE,
    # Expired counters are removed as new ones are written; this only bounds a flood of live ones.
    "OPTIONS": {"MAX_ENTRIES": env_int("AMANAH_RATE_LIMIT_MAX_ENTRIES", 1_000_000)},
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_ENABLE = AMANAH_RATE_LIMITS_ENABLED
RATELIMIT_IP_META_KEY = "geo_services.core.ratelimits.client_address"
# django-ratelimit warns that the database cache's increment is not atomic; this project's backend
# (core.ratelimit_cache) makes add and incr single locked statements, so the warning does not apply.
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Sign-in lockout (django-axes) on the admin and staff sign-in pages, the token endpoint and the
# layer clients' Basic credentials: after this many failures for one user name from one address,
# that pair is refused for this many minutes; a successful sign-in clears the failures.
AMANAH_LOGIN_FAILURE_LIMIT = env_int("AMANAH_LOGIN_FAILURE_LIMIT", 5)
AMANAH_LOGIN_LOCKOUT_MINUTES = env_int("AMANAH_LOGIN_LOCKOUT_MINUTES", 15)
AUTHENTICATION_BACKENDS = [
    "geo_services.core.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = "geo_services.core.lockout.failure_limit"
AXES_COOLOFF_TIME = "geo_services.core.lockout.cool_off"
# User name and address together: someone elsewhere cannot lock a person out by guessing at their
# user name, and one address cannot try one user name more than the limit.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked out do not push the end of the lockout further away, so the time the
# message names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "geo_services.core.ratelimits.client_address"
AXES_LOCKOUT_CALLABLE = "geo_services.core.lockout.lockout_response"
AXES_VERBOSE = False

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Closed by default: every view states who may use it.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "geo_services.core.api.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "geo_services.core.api.schema.AmanahAutoSchema",
    "EXCEPTION_HANDLER": "geo_services.core.api.errors.api_exception_handler",
    # `format` is an ordinary parameter of our endpoints (json / geojson), not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Amanah API",
    "DESCRIPTION": "Municipal field operations: districts, routing, and the domain apps built on them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from drf-spectacular-sidecar: served by the app, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The Open311 GeoReport v2 endpoints are plain Django views: a hook adds them to the schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "geo_services.service_requests.open311.openapi.add_open311_paths",
    ],
}

# --- Maps: Leaflet from django-leaflet's static files; the basemap URL is a setting ---------------
# An empty BASEMAP_TILE_URL means no basemap at all (closed networks); the app's own layers never
# depend on it.
BASEMAP_TILE_URL = env_str("BASEMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
BASEMAP_ATTRIBUTION = env_str("BASEMAP_ATTRIBUTION", "© OpenStreetMap contributors")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (31.95, 35.93),
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "TILES": [("basemap", BASEMAP_TILE_URL, {"attribution": BASEMAP_ATTRIBUTION})]
    if BASEMAP_TILE_URL
    else [],
    "RESET_VIEW": False,
}

# --- Content-Security-Policy (django-csp): the browser runs only the app's own scripts -------------
# Every script and style sheet is a static file of the app; data reaches scripts through data-
# attributes and JSON data islands (json_script), which the browser never executes. A per-response
# nonce is offered only to the inline code of third-party templates that cannot be moved (the
# Leaflet admin widget, the folium maps of the indicators pages): the header carries a nonce only
# when a page used one. Images may come from the basemap's server too (BASEMAP_TILE_URL).
# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only (to try a change
# on a live site first); CSP_REPORT_URI names where browsers post their violation reports.
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
CSP_REPORT_URI = env_str("CSP_REPORT_URI", "")
CSP_DIRECTIVES: dict[str, list[Any]] = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF, NONCE],
    "img-src": [SELF, "data:", "blob:", *basemap_sources(BASEMAP_TILE_URL)],
    "font-src": [SELF],
    "connect-src": [SELF],
    "worker-src": [SELF],
    "manifest-src": [SELF],
    "frame-src": [SELF],
    "frame-ancestors": [NONE],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
}
if CSP_REPORT_URI:
    CSP_DIRECTIVES["report-uri"] = [CSP_REPORT_URI]
_CSP = {"DIRECTIVES": CSP_DIRECTIVES}
CONTENT_SECURITY_POLICY = None if CSP_REPORT_ONLY else _CSP
CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP if CSP_REPORT_ONLY else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

"""Django settings for geopool.

Configuration comes from the environment; the defaults suit a developer
machine. Spatial conventions (SRIDs, metre-based indexes) live in
``geopool.spatial``; jurisdiction-specific values live in the jurisdiction
pack (``packs/<name>/``), never here.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get(
    "GEOPOOL_SECRET_KEY", "dev-only-insecure-key-set-GEOPOOL_SECRET_KEY-in-production"
)
DEBUG = _env_bool("GEOPOOL_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("GEOPOOL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(
        ","
    )
    if h.strip()
]
# JSON for the JSON endpoints, Django's page elsewhere.
CSRF_FAILURE_VIEW = "geopool.web.csrf.csrf_failure"
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("GEOPOOL_CSRF_TRUSTED_ORIGINS", "").split(",")
    if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "geopool",
    "boundaries",
    "routing_rules",
    "geocoding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "geopool.web.input_guard.InputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "geopool.urls"
WSGI_APPLICATION = "geopool.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "geopool.web.context.navigation",
            ],
        },
    },
]

# A local socket database by default; DATABASE_URL overrides it
# (e.g. postgres://user@127.0.0.1:5432/geopool).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres:///geopool"), conn_max_age=60
    )
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# Statements prepared by ``geopool.prepared`` (the API key check, the
# nearest open tickets) are planned once per connection, not on every call:
# their plans do not depend on the values. Django's own queries are bound on
# the client and never prepared; besides those statements the setting only
# reaches the statements inside the PL/pgSQL triggers (append-only guards,
# the routing state's version), whose plans do not depend on values either.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(
    filter(None, [_options.get("options"), "-c plan_cache_mode=force_generic_plan"])
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "default" stays Django's per-process memory cache; "shared" is one cache
# for every worker process, in the database (table from migration
# geopool 0010_intake_pool), for counters that must not be per process
# (the public form's per-address limit).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "geopool_shared_cache",
    },
}

# Debian 12 ships GDAL 3.6, which cannot block network access from spatial
# reference definitions. geopool reads CRSs from uploaded files only through
# pyogrio/pyproj, never asks GDAL to resolve remote references, and the
# servers it runs on usually have no internet access at all.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# The log-in page sends each role to its own start page
# (geopool.web.login); this is where the rest of Django falls back to.
LOGIN_REDIRECT_URL = "map"
LOGOUT_REDIRECT_URL = "login"

# Turkish first, English second.
LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", "Türkçe"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True

# Static files are served by geopool itself (WhiteNoise) so that every page
# works with no internet access. Front-end libraries come from npm
# (package-lock.json, installed by scripts/setup with `npm ci`).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/jquery", NODE_MODULES / "jquery" / "dist"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Uploaded files (layer sources kept with their checksum, later photos).
MEDIA_ROOT = Path(os.environ.get("GEOPOOL_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
# Planners upload layer files of tens of megabytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "geopool.open311.errors.exception_handler",
}

# Where data files referenced by jurisdiction packs are found.
GEOPOOL_DATA_DIR = Path(
    os.environ.get("GEOPOOL_DATA_DIR", BASE_DIR.parent / "shared" / "data")
)
GEOPOOL_PACKS_DIR = BASE_DIR / "packs"
# How the crew page finds a typed place: the geocoder, falling back to the
# names of the boundary layers (geopool.services.places.boundary_places).
GEOPOOL_PLACE_LOOKUP = "geocoding.places.geocoded_places"

# Map tiles are optional: empty means no tile layer (the map still shows
# districts and requests). Example: https://tile.openstreetmap.org/{z}/{x}/{y}.png
# The address citizens reach geopool at: messages to them link to
# ``{GEOPOOL_PUBLIC_URL}/t/<tracking code>``.
GEOPOOL_PUBLIC_URL = os.environ.get("GEOPOOL_PUBLIC_URL", "http://127.0.0.1:8000")
# Who sends SMS and e-mail to citizens (a class with send(channel, address,
# text)); the console sender only logs them.
GEOPOOL_NOTIFY_SENDER = os.environ.get(
    "GEOPOOL_NOTIFY_SENDER", "geopool.services.notify.ConsoleSender"
)
GEOPOOL_TILE_URL = os.environ.get("GEOPOOL_TILE_URL", "")
# Directions on the crew page: a URL with {lat} and {lon} that phones open in
# their map app (empty: Google Maps directions).
GEOPOOL_DIRECTIONS_URL = os.environ.get("GEOPOOL_DIRECTIONS_URL", "")
GEOPOOL_TILE_ATTRIBUTION = os.environ.get(
    "GEOPOOL_TILE_ATTRIBUTION", "© OpenStreetMap contributors"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

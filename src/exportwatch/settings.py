"""Django settings, all read from the environment (see docs/operations.md for the list)."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from exportwatch.common.env import env_bool, env_date, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env_str("EXPORTWATCH_HOME", str(Path.cwd())))
VAR_DIR = Path(env_str("EXPORTWATCH_VAR", str(BASE_DIR / "var")))

DEMO = env_bool("EXPORTWATCH_DEMO", False)
DEBUG = env_bool("EXPORTWATCH_DEBUG", False)

SECRET_KEY = env_str("EXPORTWATCH_SECRET_KEY")
if not SECRET_KEY:
    if not (DEMO or DEBUG):
        raise ImproperlyConfigured(
            "EXPORTWATCH_SECRET_KEY is required outside demo/debug mode "
            "(set EXPORTWATCH_DEMO=1 for the demo, or generate a key with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    # Demo/debug: a key kept under var/ so sessions survive a restart.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    try:  # created readable by its owner only; O_EXCL: two processes starting together keep the first one's key
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("EXPORTWATCH_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("EXPORTWATCH_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_htmx",
    "axes",
    "ninja",
    "exportwatch.common",
    "exportwatch.directory",
    "exportwatch.accounts",
    "exportwatch.reporting",
    "exportwatch.exchange",
    "exportwatch.customs",
    "exportwatch.monitoring",
    "exportwatch.warnings",
    "exportwatch.notifications",
    "exportwatch.cases",
    "exportwatch.campaign",
    "exportwatch.finance",
    "exportwatch.forecasting",
    "exportwatch.stress",
    "exportwatch.briefs",
    "exportwatch.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "exportwatch.common.nulbytes.NulByteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "exportwatch.common.middleware.DatabaseUnavailableMiddleware",  # last: its process_exception runs first
]

ROOT_URLCONF = "exportwatch.urls"
WSGI_APPLICATION = "exportwatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "exportwatch.common.context.exportwatch",
            ],
        },
    },
]

# Database: SQLite file under var/ by default (WAL, busy timeout), PostgreSQL through DATABASE_URL.
_default_db = f"sqlite:///{VAR_DIR / 'exportwatch.sqlite3'}"
_db_url = env_str("DATABASE_URL", _default_db)
try:
    _db = dj_database_url.parse(_db_url, conn_max_age=env_int("EXPORTWATCH_DB_CONN_MAX_AGE", 0, minimum=0))
except Exception as exc:  # dj_database_url raises several types on a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL={_db_url!r} is not a database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("EXPORTWATCH_SQLITE_TIMEOUT", 20, minimum=1),
    }
elif _db["ENGINE"] not in ("django.db.backends.postgresql",):
    raise ImproperlyConfigured(f"DATABASE_URL must be sqlite:// or postgresql://, not {_db['ENGINE']}")
if _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("TEST", {})["NAME"] = env_str("EXPORTWATCH_TEST_DB_NAME", "test_exportwatch")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP after repeated failures, for a cool-off period.
AXES_FAILURE_LIMIT = env_int("EXPORTWATCH_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("EXPORTWATCH_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("EXPORTWATCH_SESSION_HOURS", 12, minimum=1) * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_https = env_bool("EXPORTWATCH_HTTPS", False)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
if _https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("EXPORTWATCH_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("EXPORTWATCH_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("EXPORTWATCH_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = env_bool("EXPORTWATCH_SSL_REDIRECT", True)
# security.W021 (HSTS preload off) is silenced: putting a domain on the browsers' built-in HSTS list is a
# one-way decision for whoever owns the domain, not a default; EXPORTWATCH_HSTS_PRELOAD=1 opts in.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline scripts or
# styles, no plugins, never framed. Charts draw their tooltips as SVG text, not HTML, so they need no inline styles;
# htmx is told not to add its indicator <style> element (the import job page's htmx-config).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Uploads are bounded: larger bodies are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("EXPORTWATCH_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
# EXPORTWATCH_STATIC_COLLECTED=1 (production; `serve --production` sets it): WhiteNoise serves only what
# `collectstatic` wrote, hashed names and gzip copies, the hashed ones cached for ten years. Otherwise (laptop, tests)
# files come straight from the source folders and no collectstatic is needed.
EXPORTWATCH_STATIC_COLLECTED = env_bool("EXPORTWATCH_STATIC_COLLECTED", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if EXPORTWATCH_STATIC_COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not EXPORTWATCH_STATIC_COLLECTED

EMAIL_BACKEND = env_str("EXPORTWATCH_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Notifications: a warning at this level or worse notifies the users who see it; e-mails link back to this address.
EXPORTWATCH_NOTIFY_LEVEL = env_str("EXPORTWATCH_NOTIFY_LEVEL", "orange").strip().lower()
if EXPORTWATCH_NOTIFY_LEVEL not in ("red", "orange", "yellow", "blue"):
    raise ImproperlyConfigured(
        f"EXPORTWATCH_NOTIFY_LEVEL={EXPORTWATCH_NOTIFY_LEVEL!r} is not red, orange, yellow or blue"
    )
EXPORTWATCH_SITE_URL = env_str("EXPORTWATCH_SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("EXPORTWATCH_LOG_LEVEL", "WARNING")},
}

# --- ExportWatch business settings ---------------------------------------------------------------
EXPORTWATCH_TODAY = env_date("EXPORTWATCH_TODAY")
EXPORTWATCH_REPORT_DEADLINE_DAY = env_int("EXPORTWATCH_REPORT_DEADLINE_DAY", 5, minimum=1, maximum=28)
EXPORTWATCH_HEAD_EXPORTS_USD = env_int("EXPORTWATCH_HEAD_EXPORTS_USD", 10_000_000, minimum=0)
EXPORTWATCH_WHITELIST_TRADE_USD = env_int("EXPORTWATCH_WHITELIST_TRADE_USD", 1_000_000, minimum=0)
EXPORTWATCH_JURISDICTION = env_str("EXPORTWATCH_JURISDICTION", "330213")
# Seconds a month's reports must stay unchanged before the background worker re-evaluates its warnings (a rush of
# submissions is evaluated once it settles, not once per submission).
EXPORTWATCH_WARNINGS_SETTLE_SECONDS = env_int("EXPORTWATCH_WARNINGS_SETTLE_SECONDS", 30, minimum=0)
# Processes the forecasts' statistical models run in (statsforecast). One by default: on a two-core machine the
# worker shares the cores with the web server. More helps a worker process on a server with spare cores; a worker
# running as a thread of the web server (`exportwatch serve`) always uses one (forking beside threads is unsafe).
EXPORTWATCH_FORECAST_JOBS = env_int("EXPORTWATCH_FORECAST_JOBS", 1, minimum=1, maximum=64)
# The worker looks this often whether the reports have settled and the stress tests' order book needs reading again.
EXPORTWATCH_STRESS_WARM_SECONDS = env_int("EXPORTWATCH_STRESS_WARM_SECONDS", 60, minimum=1)
# Problem-list cases warn once this share of a time limit is used up (EXPORTWATCH_CASE_WARN_PCT, percent).
EXPORTWATCH_CASE_WARN_SHARE = env_int("EXPORTWATCH_CASE_WARN_PCT", 80, minimum=1, maximum=100) / 100
EXPORTWATCH_IMPORT_MAX_ROWS = env_int("EXPORTWATCH_IMPORT_MAX_ROWS", 2_000_000, minimum=1)
EXPORTWATCH_IMPORT_MAX_MB = env_int("EXPORTWATCH_IMPORT_MAX_MB", 50, minimum=1)
# A workbook may not decompress to more than this (a zip bomb is refused before it is read).
EXPORTWATCH_IMPORT_MAX_UNZIPPED_MB = env_int("EXPORTWATCH_IMPORT_MAX_UNZIPPED_MB", 500, minimum=1)
# Reported and customs exports of an enterprise "disagree" when they differ by more than this share of the larger.
EXPORTWATCH_RECONCILIATION_TOLERANCE = (
    Decimal(env_int("EXPORTWATCH_RECONCILIATION_TOLERANCE_PCT", 20, minimum=0, maximum=100)) / 100
)

# World map of markets. A map with country borders may only be drawn from an approved base map: set both the
# GeoJSON file and its approval number (审图号, shown under the map). Without them the map has no borders
# (bubbles at the capitals). The ISO property is the feature property holding the ISO 3166-1 alpha-2 code.
EXPORTWATCH_WORLD_MAP_FILE = env_str("EXPORTWATCH_WORLD_MAP_FILE").strip()
EXPORTWATCH_WORLD_MAP_APPROVAL = env_str("EXPORTWATCH_WORLD_MAP_APPROVAL").strip()
EXPORTWATCH_WORLD_MAP_ISO_PROPERTY = env_str("EXPORTWATCH_WORLD_MAP_ISO_PROPERTY").strip() or "iso_a2"
if bool(EXPORTWATCH_WORLD_MAP_FILE) != bool(EXPORTWATCH_WORLD_MAP_APPROVAL):
    raise ImproperlyConfigured(
        "EXPORTWATCH_WORLD_MAP_FILE and EXPORTWATCH_WORLD_MAP_APPROVAL go together: a bordered world map needs "
        "both the approved GeoJSON file and its approval number (审图号)"
    )
if EXPORTWATCH_WORLD_MAP_FILE and not Path(EXPORTWATCH_WORLD_MAP_FILE).is_file():
    raise ImproperlyConfigured(f"EXPORTWATCH_WORLD_MAP_FILE={EXPORTWATCH_WORLD_MAP_FILE!r} is not a file")

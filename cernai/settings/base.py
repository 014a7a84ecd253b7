"""Settings shared by every environment; everything deployment-specific comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# A key that is safe only on a developer's machine; production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-insecure-cernai-key-change-me"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "cernai.core.admin_site.AdminConfig",  # django.contrib.admin with our site (admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_countries",
    "rules.apps.AutodiscoverRulesConfig",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "cernai.accounts",
    "cernai.core",
    "governance",
    "fellowships",
    "compute",
    "finance",
    "nodes",
]

MIDDLEWARE = [
    "cernai.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cernai.core.middleware.ApiBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cernai.accounts.language.ProfileLanguageMiddleware",
    "cernai.core.middleware.PrivateAnswersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "cernai.accounts.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "cernai.urls"
WSGI_APPLICATION = "cernai.wsgi.application"
ASGI_APPLICATION = "cernai.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cernai.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cernai"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# Redis in front, PostgreSQL behind (cernai/core/cache.py): sign-in counters and used TOTP codes live
# in PostgreSQL; everything else is cached in Redis, and a Redis outage is a cache miss, not a 500.
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "cernai")
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "cernai.core.cache.ResilientCache"},
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # A dead Redis must cost a request milliseconds, not the default minutes of waiting.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    },
    "durable": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cernai_cache",  # created by core's migrations (core.CacheEntry)
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    },
}
# Sessions live in PostgreSQL with a cached copy in Redis; with Redis down they are read from PostgreSQL.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The reverse proxies (TLS terminators) in front of the portal, as addresses or networks: only from
# these is X-Forwarded-For believed when counting failed sign-ins (cernai/core/clients.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"

# --- django-allauth -------------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SIGNUP_FORM_CLASS = "cernai.accounts.forms.SignupProfileForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[cernai] "
# Failed sign-ins are throttled by cernai/core/throttle.py (per address, and per account at an
# address, with growing delays; in PostgreSQL), through this adapter; the admin login goes through
# allauth too (cernai/urls.py). allauth's own "login_failed" limit is therefore not used.
ACCOUNT_ADAPTER = "cernai.core.account_adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "cernai"
# Accept the codes of the neighbouring 30 s periods too (RFC 6238's one step of clock drift): a
# delegate typing a code as it rolls over on a slightly fast phone is not refused. Each code still
# works only once (allauth marks it used in the cache).
MFA_TOTP_TOLERANCE = 1
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "cernai.core.api.StrictLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "cernai.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cernai API",
    "DESCRIPTION": "Public read-only registers and the machine-to-machine API of cernai.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cernai.core.api.add_error_responses",
    ],
}

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Zurich"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Private files are never served by URL: only through core's permission-checked download view.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024  # sacct text batches of 5,000 records fit well below
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
UPLOAD_MAX_FILES = int(env("UPLOAD_MAX_FILES", "10"))


# --- email ------------------------------------------------------------------------------------
def _email_settings(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "submission": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parsed.scheme not in backends:
        raise ValueError(f"EMAIL_URL: unknown scheme {parsed.scheme!r}; use one of {sorted(backends)}")
    result: dict[str, object] = {"EMAIL_BACKEND": backends[parsed.scheme]}
    if parsed.scheme == "file":
        result["EMAIL_FILE_PATH"] = parsed.path
    if parsed.scheme in {"smtp", "smtps", "submission"}:
        result.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or {"smtp": 25, "smtps": 465, "submission": 587}[parsed.scheme],
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=parsed.scheme == "smtps",
            EMAIL_USE_TLS=parsed.scheme == "submission",
        )
    return result


globals().update(_email_settings(env("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "cernai <no-reply@cernai.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security ---------------------------------------------------------------------------------
# Django 6's built-in CSP: no inline scripts or styles anywhere (quality.md T15).
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# Delivery: at least once, made exactly-once in effect by idempotent tasks (conditional claims,
# recomputed totals, dedupe keys) and by the sweepers beat runs. Rolling restarts (T20) rely on:
# - acks late for every task: a message is acknowledged after its task ran, so a worker stopped or
#   killed mid-task leaves it unacknowledged, and Redis hands it to another worker;
# - reject on worker lost: a pool process that dies (SIGKILL, OOM, SIGTERM sent to the whole process
#   group) puts its message back instead of acknowledging it;
# - prefetch 1 per pool process: a worker told to stop holds at most one message per process it has
#   not started; a warm shutdown (SIGTERM to the main process) finishes the running tasks and gives
#   the reserved ones back to the queue;
# - a visibility timeout longer than any countdown (the email retry waits up to 1 h) plus the hard
#   time limit: a message is redelivered only when its worker is surely gone, never while a retry
#   waits in a live worker;
# - long-running tasks cancelled when the worker loses its broker connection (their messages are
#   redelivered; running them on would run them twice).
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# The beat schedule lives here, in code (django-celery-beat does not support Django 6.1).
# Every entry is a sweeper: it re-drives what the database says is due, so a lost message or a
# missed beat is repaired by the next run.
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {"task": "core.beat_heartbeat", "schedule": timedelta(seconds=30)},
    "core-sweep-notifications": {"task": "core.sweep_notifications", "schedule": timedelta(minutes=1)},
    "governance-sweep": {"task": "governance.sweep", "schedule": timedelta(minutes=1)},
    "fellowships-sweep": {"task": "fellowships.sweep", "schedule": timedelta(minutes=5)},
    "compute-sweep": {"task": "compute.sweep", "schedule": timedelta(minutes=1)},
    "compute-daily": {"task": "compute.daily", "schedule": crontab(hour=6, minute=0)},
}

# --- logging ----------------------------------------------------------------------------------
# JSON lines by default (LOG_FORMAT=plain for a developer's console); every record carries the
# request id of the request or task it belongs to (cernai/core/observability.py).
LOG_FORMAT = env("LOG_FORMAT", "json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cernai.core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "cernai.core.observability.StderrHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Workers log through this same configuration, not Celery's own (the setup_logging receiver in
# cernai/celery.py).

# --- probes and metrics -----------------------------------------------------------------------
# /metrics answers a bearer token (METRICS_TOKEN) or a scraper whose socket address is in these
# networks (never X-Forwarded-For). /healthz and /readyz are open (they tell nothing personal).
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")

# --- audit trail (django-pghistory) ------------------------------------------------------------
# Event tables are append-only: a trigger refuses UPDATE and DELETE on them.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_LIST_DISPLAY = ["pgh_created_at", "pgh_obj_model", "pgh_obj_id", "pgh_label", "pgh_diff", "pgh_context"]

# --- portal -----------------------------------------------------------------------------------
# The organisation's name and the portal's public address, as emails and links show them.
SITE_NAME = env("SITE_NAME", "cernai")
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000")

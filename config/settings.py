"""Linli settings: everything that differs between a laptop and a city comes from the environment.

Environment variables (all optional for the demo):
- ``DATABASE_URL``: e.g. ``postgres://postgres@127.0.0.1:5432/linli``; default SQLite at ``var/linli.sqlite3``.
- ``LINLI_SECRET_KEY``: Django's secret key; the demo keeps one in ``var/keys.json``.
- ``LINLI_DATA_KEYS``: comma-separated Fernet keys for personal data at rest, newest first (rotation).
- ``LINLI_HASH_KEY``: the key of the keyed hash used to find ID and phone numbers by exact match.
- ``LINLI_DEBUG``: ``1`` to turn Django's debug pages on.
- ``LINLI_CONN_MAX_AGE``: seconds a database connection is kept for the next request (default 300; 0: one per
  request).
- ``LINLI_TASKS``: ``immediate`` runs background work inline (tests); default is the database queue.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from linli.core.keys import load_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

import os  # noqa: E402  (kept below the paths it uses)

KEYS = load_keys(VAR_DIR)
SECRET_KEY = KEYS["secret_key"]
LINLI_DATA_KEYS = KEYS["data_keys"]
LINLI_HASH_KEY = KEYS["hash_key"]

DEBUG = os.environ.get("LINLI_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("LINLI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its own Swagger UI files, so the API docs need no CDN
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "linli.core",
    "linli.accounts",
    "linli.places",
    "linli.overview",
    "linli.notify",
    "linli.cases",
    "linli.open311",
    "linli.metrics",
    "linli.org",
    "linli.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "linli.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "linli.core.security.IdleTimeoutMiddleware",
    "linli.accounts.middleware.ResidentAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "linli.core.context_processors.linli",
                "linli.accounts.context_processors.security",
            ],
        },
    }
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'linli.sqlite3'}",
        # Keep a connection per thread across requests: opening one costs PostgreSQL a new backend process, which
        # took two thirds of a report's time over HTTP (docs/bench.md §1). Checked before reuse, so a restarted
        # database costs one failed check, not a failed request. ``0`` closes it after every request.
        conn_max_age=int(os.environ.get("LINLI_CONN_MAX_AGE", "300")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The hot reads every API call makes (a key with its user's roles, a place: linli.core.db.CompiledQuery) run as
    # prepared statements: planning their joins cost PostgreSQL several times their execution (docs/bench.md §1).
    # Django's own queries are bound on the client and never prepared; behind PgBouncer, use 1.21 or later.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
    if os.environ.get("LINLI_PG_PARALLEL") != "1":
        # The web's queries are small and indexed; at city scale the planner's row estimates for scoped queues are
        # pessimistic and it starts parallel workers that cost more than the query (docs/bench.md, section 2).
        # LINLI_PG_PARALLEL=1 leaves PostgreSQL's own setting (e.g. for a reporting replica).
        DATABASES["default"]["OPTIONS"]["options"] = "-c max_parallel_workers_per_gather=0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "overview:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- account security (docs/security.md) ---
AUTHENTICATION_BACKENDS = ["linli.accounts.backends.LockoutModelBackend"]  # 5 failures → 15 min lock-out
SESSION_COOKIE_AGE = 8 * 3600  # the absolute limit of a session
LINLI_SESSION_IDLE_SECONDS = int(os.environ.get("LINLI_SESSION_IDLE_SECONDS", str(30 * 60)))  # idle → signed out
LINLI_HTTPS = os.environ.get("LINLI_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LINLI_HTTPS
if LINLI_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("LINLI_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", "31536000"))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root even when it serves from the finders
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "node_modules")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
LINLI_IMPORT_MAX_BYTES = int(os.environ.get("LINLI_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
LINLI_IMPORT_MAX_ROWS = int(os.environ.get("LINLI_IMPORT_MAX_ROWS", "200000"))

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("LINLI_TASKS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

LINLI_OUTBOUND_CHANNEL = os.environ.get("LINLI_OUTBOUND_CHANNEL", "linli.notify.channels.ConsoleChannel")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "WARNING")},
}

"""Settings, all read from environment variables (see README "Configuration")."""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("REVLINE_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _load_or_create_secret_key() -> str:
    """Use REVLINE_SECRET_KEY, else a key generated once and kept in the data directory."""
    if key := os.environ.get("REVLINE_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _load_or_create_secret_key()
DEBUG = _env_bool("REVLINE_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("REVLINE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("REVLINE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
BASE_URL = os.environ.get("REVLINE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CURRENCY = os.environ.get("REVLINE_CURRENCY", "EUR").upper()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django_ratelimit",
    "anymail",
    "revline.core",
    "revline.people",
    "revline.campaigns",
    "revline.tracking",
    "revline.content",
    "revline.leads",
    "revline.sales",
    "revline.analytics",
    "revline.quotes",
    "revline.pr",
    "revline.segments",
    "revline.email",
    "revline.experiments",
    "revline.surveys",
    "revline.feedback",
    "revline.competitors",
    "revline.research",
    "revline.webhooks",
    "revline.privacy",
    "revline.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "revline.core.middleware.WorkspaceMemoMiddleware",
    "revline.core.middleware.OutOfRangeInputMiddleware",
    "revline.core.middleware.ApiIdempotencyMiddleware",
    "revline.audit.context.AuditContextMiddleware",
]

ROOT_URLCONF = "revline.urls"
WSGI_APPLICATION = "revline.wsgi.application"

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
                "revline.core.context_processors.revline",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "revline.sqlite3"
if database_url := os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(database_url, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-64000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Argon2 first; PBKDF2 stays so passwords hashed before it still verify and are re-hashed with
# Argon2 at the next log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("REVLINE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded files (deal attachments). No MEDIA_URL: only permission-checked views serve them.
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# A signed-in session lasts this long from the log-in (see docs/account-security.md).
SESSION_COOKIE_AGE = int(os.environ.get("REVLINE_SESSION_HOURS", "24")) * 3600
if _env_bool("REVLINE_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("REVLINE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("REVLINE_HSTS_SUBDOMAINS", False)
# Log-in lockout (core/account_security.py): failures allowed per account and per client IP
# within REVLINE_LOGIN_FAILURE_WINDOW minutes before attempts are refused for a delay that
# doubles with each further failure, up to REVLINE_LOGIN_MAX_LOCK minutes. The IP limit is
# higher because an office may share one address.
REVLINE_LOGIN_ACCOUNT_FAILURES = int(os.environ.get("REVLINE_LOGIN_ACCOUNT_FAILURES", "5"))
REVLINE_LOGIN_IP_FAILURES = int(os.environ.get("REVLINE_LOGIN_IP_FAILURES", "20"))
REVLINE_LOGIN_FAILURE_WINDOW = int(os.environ.get("REVLINE_LOGIN_FAILURE_WINDOW", "15"))
REVLINE_LOGIN_MAX_LOCK = int(os.environ.get("REVLINE_LOGIN_MAX_LOCK", "15"))

# The default cache is shared by every web process: the database, or Redis when
# REVLINE_REDIS_URL is set. Rate-limit counters live in their own cache: with Redis they are
# shared and exact; without it each web process counts in its own memory, which costs no
# database writes on public endpoints but lets a client make up to (web processes x limit)
# requests a minute.
CACHES: dict[str, dict[str, object]]
if redis_url := os.environ.get("REVLINE_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "revline_cache",
            "OPTIONS": {"MAX_ENTRIES": 100000},
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "revline-ratelimit",
            "OPTIONS": {"MAX_ENTRIES": 100000},
        },
    }
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "revline.core.views.rate_limited"
# django-ratelimit flags per-process memory counters as "not shared": that is the documented
# trade-off above, lifted by REVLINE_REDIS_URL.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

TASKS = {
    "default": {
        "BACKEND": os.environ.get("REVLINE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# "outbox" keeps every message in the database (the /email/outbox/ page) instead of sending it.
_email_backend = os.environ.get(
    "REVLINE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_BACKEND = {"outbox": "revline.email.backends.OutboxBackend"}.get(
    _email_backend, _email_backend
)
EMAIL_HOST = os.environ.get("REVLINE_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("REVLINE_EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("REVLINE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("REVLINE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("REVLINE_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("REVLINE_FROM_EMAIL", "Revline <noreply@revline.local>")

# Email service providers through django-anymail: set REVLINE_EMAIL_BACKEND to e.g.
# anymail.backends.postmark.EmailBackend and give its settings as REVLINE_ANYMAIL_<NAME>
# (REVLINE_ANYMAIL_POSTMARK_SERVER_TOKEN=...). The tracking webhooks under /anymail/ are served
# only when REVLINE_ANYMAIL_WEBHOOK_SECRET ("user:password", HTTP basic auth) is set: without it
# anyone could post fake bounces and suppress addresses.
ANYMAIL: dict[str, str] = {
    name.removeprefix("REVLINE_ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("REVLINE_ANYMAIL_") and value
}
# Secret path part of the DSN webhook (POST /e/dsn/<secret>); blank turns the endpoint off.
REVLINE_DSN_SECRET = os.environ.get("REVLINE_DSN_SECRET", "")

# Public endpoints (tracking, forms) are limited per client IP: requests per minute.
REVLINE_PUBLIC_RATE_LIMIT = int(os.environ.get("REVLINE_PUBLIC_RATE_LIMIT", "120"))
# The website snippet's event endpoint (/t/collect) has its own, higher limit: many visitors of
# a site may share one address (an office, a mobile carrier), each sending a batch every 5 s.
REVLINE_COLLECT_RATE_LIMIT = int(os.environ.get("REVLINE_COLLECT_RATE_LIMIT", "1200"))
# The links in sent emails (open pixel, clicks, unsubscribe) are fetched by mailbox providers
# for many recipients from few addresses: a higher per-IP limit.
REVLINE_EMAIL_RATE_LIMIT = int(os.environ.get("REVLINE_EMAIL_RATE_LIMIT", "6000"))
# API calls per token per minute; over it the API answers 429 with Retry-After.
REVLINE_API_RATE_LIMIT = int(os.environ.get("REVLINE_API_RATE_LIMIT", "600"))
# The largest contact import file accepted (bytes).
REVLINE_IMPORT_MAX_BYTES = int(os.environ.get("REVLINE_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# A running import (or dry run) that wrote nothing for this long lost its worker: the scheduler
# queues it again, at most REVLINE_IMPORT_MAX_RESUMES times in a row, then marks it failed.
REVLINE_IMPORT_STALL_MINUTES = int(os.environ.get("REVLINE_IMPORT_STALL_MINUTES", "10"))
REVLINE_IMPORT_MAX_RESUMES = int(os.environ.get("REVLINE_IMPORT_MAX_RESUMES", "3"))
# Number of reverse proxies in front of Revline whose X-Forwarded-For may be trusted.
REVLINE_TRUSTED_PROXIES = int(os.environ.get("REVLINE_TRUSTED_PROXIES", "0"))

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("REVLINE_LOG_LEVEL", "WARNING")},
}

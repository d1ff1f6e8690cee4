"""Likeness settings: one file, driven by the environment.

With no environment at all the site runs on embedded defaults: SQLite, a filesystem Celery
broker (a real worker process, no Redis), the console email backend and the local Stripe
sandbox. Set DATABASE_URL / REDIS_URL / STRIPE_SECRET_KEY etc. for real services.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIKENESS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_PRODUCTION"):
        raise RuntimeError("DJANGO_SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-development-key-only-for-local-use-0123456789abcdefghij"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("LIKENESS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "marketplace.accounts.apps.StaffAdminConfig",  # django.contrib.admin, staff-only sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.talent",
    "marketplace.crew",
    "marketplace.catalogue",
    "marketplace.licensing",
    "marketplace.contracts",
    "marketplace.payments",
    "marketplace.dashboards",
    "marketplace.webhooks",
    "marketplace.provenance",
    "marketplace.approvals",
    "marketplace.misuse",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "marketplace.core.csp.CSPMiddleware",
    "marketplace.core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.accounts.tenancy.ViewerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.accounts.security.RequireMFAMiddleware",
    # Last: turns a sign-in that axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "marketplace.accounts.context_processors.tenancy",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'likeness.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes; a busy timeout
    # instead of "database is locked" errors under light concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests on a file, not in memory: an in-memory database is one connection that Django
    # shares between the test and the live server's threads, and a browser journey's
    # concurrent requests (the page and the sandbox's webhook) then collide in it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-likeness.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND", REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
)
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after every task unless
# this is set (then only every this many tasks): each task then paid a new PostgreSQL
# connection (and the server a new backend). Workers keep theirs as Django keeps a request's,
# closed when older than CONN_MAX_AGE or unusable (config/celery.py).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "likeness")
# Broker transport options as JSON. With Redis, `visibility_timeout` (kombu's default: one
# hour) is how long a task taken by a worker that died without acknowledging it (kill -9, lost
# machine) waits before another worker gets it; it must exceed the longest task and countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = json.loads(
    os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS") or "{}"
)
CELERY_TIMEZONE = "UTC"
PAYOUT_HOUR_UTC = 6
CELERY_BEAT_SCHEDULE = {
    # Commits queue a seal themselves; this catches any whose task was lost.
    "seal-audit-chain": {
        "task": "marketplace.core.tasks.seal_audit_chain_task",
        "schedule": 60.0,
        "kwargs": {"announced": False},
    },
    "lapse-reservations": {
        "task": "marketplace.licensing.tasks.lapse_reservations_task",
        "schedule": 300.0,
    },
    "expire-licences": {
        "task": "marketplace.licensing.tasks.expire_licences_task",
        "schedule": 3600.0,
    },
    # Silence is never an approval: a proof whose answer time ran out is marked so.
    "lapse-overdue-proofs": {
        "task": "marketplace.approvals.tasks.lapse_overdue_proofs_task",
        "schedule": 300.0,
    },
    "remind-ending-licences": {
        "task": "marketplace.licensing.tasks.remind_ending_task",
        "schedule": 6 * 3600.0,
    },
    # Daily at 06:00 UTC, so people can be told when their next payout leaves.
    "run-payouts": {
        "task": "marketplace.payments.tasks.run_payouts_task",
        "schedule": crontab(hour=PAYOUT_HOUR_UTC, minute=0),
    },
    "bill-usage": {"task": "marketplace.payments.tasks.bill_usage_task", "schedule": 30 * 86400.0},
    "flag-late-earnings": {
        "task": "marketplace.payments.tasks.flag_late_earnings_task",
        "schedule": 86400.0,
    },
    "reconcile": {"task": "marketplace.payments.tasks.reconcile_task", "schedule": 86400.0},
    "purge-idempotency-records": {
        "task": "marketplace.accounts.tasks.purge_idempotency_records_task",
        "schedule": 3600.0,
    },
    # Payouts whose task was lost (a killed worker, a broker that lost messages) go out again.
    "resume-stuck-payouts": {
        "task": "marketplace.payments.tasks.resume_stuck_payouts_task",
        "schedule": 300.0,
    },
    # Payouts whose worker died after Stripe made the transfer are settled within minutes.
    "settle-sending-payouts": {
        "task": "marketplace.payments.tasks.settle_sending_payouts_task",
        "schedule": 60.0,
    },
    "resume-refunds": {"task": "marketplace.payments.tasks.resume_refunds_task", "schedule": 300.0},
    # Revocations whose refund task was lost are refunded within minutes.
    "refund-revoked-licences": {
        "task": "marketplace.payments.tasks.refund_revoked_licences_task",
        "schedule": 300.0,
    },
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in (site, admin, anything calling authenticate()) while locked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# Accounts are created by invitation only: an organisation owner, an agency inviting its
# talent, or platform staff. Open sign-up would let anyone claim to be a brand.
ACCOUNT_ADAPTER = "marketplace.accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_PASSWORD_MIN_LENGTH = 10
# Failed sign-ins per address (password spraying); per login, django-axes below.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
# Brute force: 5 failed sign-ins for one login from one address lock that pair out for 30
# minutes, whatever the password (`manage.py axes_reset` lifts it). Failures are rows in the
# database, so every web process shares them. Behind a reverse proxy, set
# AXES_IPWARE_META_PRECEDENCE_ORDER to the header the proxy sets (it defaults to REMOTE_ADDR).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "marketplace.accounts.security.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.security.lockout_response"
# Two-factor (allauth MFA): TOTP authenticator apps plus recovery codes, open to everyone and
# required for these membership roles (empty: required for nobody).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Likeness"
# A code from the 30-second step before or after the server's is accepted (RFC 6238 §5.2): a
# phone's clock drifts, and a person types the code as it turns over. Each code works once.
MFA_TOTP_TOLERANCE = 1
LIKENESS_REQUIRE_MFA_ROLES = env_list("LIKENESS_REQUIRE_MFA_ROLES", "owner,finance")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
INVITATION_TTL_DAYS = 14

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Likeness <no-reply@likeness.test>")

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "marketplace" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("LIKENESS_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Uploaded pictures: private files under random names, served by views that check who
    # asks (a published twin's pictures to anyone). Nothing is served from MEDIA_ROOT.
    "media": {"BACKEND": "marketplace.core.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("DJANGO_PRODUCTION")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads: limits checked on content, not on the file name.
IMAGE_MAX_BYTES = int(os.environ.get("LIKENESS_IMAGE_MAX_BYTES", str(15 * 1024 * 1024)))
IMAGE_MAX_PIXELS = int(os.environ.get("LIKENESS_IMAGE_MAX_PIXELS", str(40_000_000)))
IMAGE_MIN_SIDE = 200
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Stripe -------------------------------------------------------------------------------
# No real key configured: the product talks to the local Stripe sandbox over HTTP.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_likeness_sandbox")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_likeness_sandbox")
# Stay under Stripe's 25 requests/s in test mode (100 live) across every worker.
STRIPE_MAX_REQUESTS_PER_SECOND = float(os.environ.get("STRIPE_MAX_REQUESTS_PER_SECOND", "20"))
STRIPE_API_BASE = os.environ.get(
    "STRIPE_API_BASE",
    "" if "STRIPE_SECRET_KEY" in os.environ else "http://127.0.0.1:12111",
)
# The sandbox's and the test suite's secrets are published in this repository: with them
# anyone can sign a webhook event. Production refuses to start without Stripe's own.
PUBLISHED_STRIPE_SECRETS = {
    "sk_test_likeness_sandbox",
    "sk_test_likeness_tests",
    "whsec_likeness_sandbox",
    "whsec_likeness_tests",
}
if env_bool("DJANGO_PRODUCTION"):
    for _name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        if not os.environ.get(_name, "").strip() or os.environ[_name] in PUBLISHED_STRIPE_SECRETS:
            raise RuntimeError(f"{_name} must be set to the account's own secret in production")
    if STRIPE_API_BASE not in ("", "https://api.stripe.com"):
        raise RuntimeError("STRIPE_API_BASE must be Stripe's own (unset) in production")

# --- Contracts ----------------------------------------------------------------------------
# Contract PDFs and uploaded pictures are private files, never under MEDIA_ROOT: by default in
# `private/` beside it, so a worker given the same LIKENESS_MEDIA_ROOT finds them too.
PRIVATE_FILES_ROOT = os.environ.get("LIKENESS_PRIVATE_ROOT", "")
# The platform's sealing certificate and key (`manage.py ensure_signing_key`).
SIGNING_KEY_DIR = Path(os.environ.get("LIKENESS_SIGNING_KEY_DIR", VAR_DIR / "keys"))
# Test hook only: seconds a contract render waits, so a test can kill a worker mid-render.
CONTRACT_RENDER_DELAY_SECONDS = float(os.environ.get("LIKENESS_CONTRACT_RENDER_DELAY_SECONDS", "0"))

# --- Marketplace rules --------------------------------------------------------------------
PLATFORM_FEE_BPS = int(os.environ.get("LIKENESS_PLATFORM_FEE_BPS", "1000"))
CATALOGUE_PAGE_SIZE = 24
LICENCE_RESERVATION_HOURS = int(os.environ.get("LIKENESS_RESERVATION_HOURS", "72"))

# --- I18N, security -----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Sessions read from the cache (Redis in production), written through to the database so a
# cache flush signs no one out: no session query on most requests.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline styles or scripts anywhere: scripts are our own files (or carry the per-response
# nonce), styles only our stylesheet. `object-src`/`frame-src` 'self' let the signing page
# show the contract PDF; that PDF alone may be framed by our pages (`xframe_options_sameorigin`
# switches frame-ancestors to 'self', see marketplace.core.csp). form-action also lists the
# Stripe origin the pay and payout forms redirect to, added per response.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
    },
}
if env_bool("DJANGO_PRODUCTION"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Reverse proxies in front of the site (each appends to X-Forwarded-For): the client address
# recorded with consents and signatures is read that many entries from the right.
LIKENESS_PROXY_COUNT = int(os.environ.get("LIKENESS_PROXY_COUNT", "0"))

# --- REST API (/api/v1/, schema at /api/schema/, docs at /api/docs/) -------------------------
REST_FRAMEWORK = {
    # Organisation API keys first (a wrong key is refused, never read as the session); the
    # browser's session second, with CSRF on writes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.core.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["marketplace.core.api.permissions.ScopedAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["marketplace.core.api.throttles.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": os.environ.get("LIKENESS_API_KEY_RATE", "600/min"),
        "api_user": os.environ.get("LIKENESS_API_USER_RATE", "300/min"),
        "api_anon": os.environ.get("LIKENESS_API_ANON_RATE", "30/min"),
    },
    "DEFAULT_PARSER_CLASSES": ["marketplace.core.api.parsers.JsonParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "marketplace.core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "marketplace.core.api.schema.ApiAutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Likeness API",
    "DESCRIPTION": "Catalogue, licences, usage reporting, earnings and webhooks. "
    "Authenticate with an organisation API key (`Authorization: Bearer lk_…`) or, in the "
    "browser, your signed-in session.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MediaTypeEnum": "marketplace.talent.models.MediaType",
        "TwinStatusEnum": "marketplace.talent.models.Twin.Status",
        "LicenceStatusEnum": "marketplace.licensing.models.Licence.Status",
        "ConsentDecisionEnum": "marketplace.licensing.models.Consent.Decision",
        "ProofDecisionEnum": "marketplace.approvals.models.ProofDecision.Decision",
    },
    # Swagger UI served from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {
        "ref": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,20}$"},
        "dbid": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        "apislug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]{1,140}$"},
    },
}
# Outgoing webhooks to brands' endpoints. Private, loopback and link-local addresses are
# refused unless allowed (development and tests deliver to a receiver on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("LIKENESS_WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("LIKENESS_WEBHOOK_TIMEOUT_SECONDS", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs every sign-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}

# WhiteNoise warns when STATIC_ROOT has not been collected yet (development, tests).
import warnings  # noqa: E402

# Raised from Django's middleware loading, so matched on the message alone.
warnings.filterwarnings("ignore", message="No directory at")

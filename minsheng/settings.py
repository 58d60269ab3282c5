"""Settings, all from environment variables (see .env.example).

SQLite in var/ (WAL mode) by default; PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def env(name: str, default: str = "") -> str:
    """The one reader of the environment: every variable is listed in .env.example."""
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool = False) -> bool:
    """true/false, yes/no, on/off, 1/0; anything else is a configuration error, not False."""
    raw = env(name, "true" if default else "false").lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"环境变量 {name}={raw!r} 不是布尔值：请写 true 或 false（{name} must be true or false）")


def envint(name: str, default: int) -> int:
    raw = env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"环境变量 {name}={raw!r} 不是整数（{name} must be a whole number）") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envpath(name: str, default: Path | str | None = None) -> Path | None:
    raw = env(name)
    if raw:
        return Path(raw)
    return Path(default) if default is not None else None


VAR_DIR = envpath("MINSHENG_VAR_DIR", BASE_DIR.parent / "var")

DEBUG = envbool("MINSHENG_DEBUG")
# The demo and tests run without a configured key; `minsheng serve` refuses this default.
INSECURE_DEFAULT_SECRET_KEY = "minsheng-insecure-default-key-change-me"  # noqa: S105
SECRET_KEY = env("MINSHENG_SECRET_KEY") or INSECURE_DEFAULT_SECRET_KEY
ALLOWED_HOSTS = envlist("MINSHENG_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("MINSHENG_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_q",
    "minsheng.places",
    "minsheng.accounts",
    "minsheng.projects",
    "minsheng.lifecircle",
    "minsheng.cases",
    "minsheng.assistance",
    "minsheng.employment",
    "minsheng.governance",
    "minsheng.indicators",
    "minsheng.reports",
    "minsheng.web",
]

MIDDLEWARE = [
    "minsheng.web.middleware.RequestIdMiddleware",  # first: every response carries X-Request-ID
    "django.middleware.security.SecurityMiddleware",
    "minsheng.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minsheng.accounts.middleware.SessionRefreshMiddleware",  # the idle clock, without a write per page
    "minsheng.web.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a code was given
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # a session that owes a second factor reaches only that page and sign-out
    "minsheng.accounts.middleware.TwoFactorMiddleware",
]

ROOT_URLCONF = "minsheng.urls"
WSGI_APPLICATION = "minsheng.wsgi.application"
# App servers freeze their start-up objects out of the garbage collector's full passes after
# their first requests (minsheng/wsgi.py, lib/warmgc.py): a full pass over them stopped a process
# for ~100 ms every hundred requests or so.
GC_FREEZE = envbool("MINSHENG_GC_FREEZE", True)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minsheng.web.context.shell",
            ],
        },
    },
]

def _postgres(url: str) -> dict:
    """A PostgreSQL connection for pages: JIT compilation off (unless the URL's `options` say
    otherwise). Compiling a short query cost more than running it: over 10,000,000 cases a
    list page's 0.4 ms key query took 8 ms to compile (bench/province_bench.py).
    Connections are kept ten minutes, checked before reuse: kept one minute, every app server
    thread opened a new server process with cold catalog caches each minute, all at once, and
    the Open311 tail at 200/s was those seconds (bench/open311_cluster_bench.py)."""
    db = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if "postgresql" in db["ENGINE"]:
        opts = db.setdefault("OPTIONS", {})
        if "jit" not in opts.get("options", ""):
            opts["options"] = f"{opts.get('options', '')} -c jit=off".strip()
    return db


DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": _postgres(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(envpath("MINSHENG_SQLITE_PATH", VAR_DIR / "minsheng.sqlite3")),
            # WAL mode and a busy timeout: readers do not block the writer.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# An optional PostgreSQL read replica: dashboards and exports (lib.replica.REPLICA_VIEWS) read from
# it, except in a request that wrote and for REPLICA_PIN_SECONDS after a browser's last write
# (a cookie pins it to the primary), so no page shows data older than its own write.
REPLICA_URL = env("MINSHENG_REPLICA_URL")
REPLICA_PIN_SECONDS = envint("MINSHENG_REPLICA_PIN_SECONDS", 10)
if REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured(
            "MINSHENG_REPLICA_URL 须与 DATABASE_URL 一起使用（a read replica needs DATABASE_URL）")
    DATABASES["replica"] = _postgres(REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["minsheng.lib.replica.ReplicaRouter"]
    MIDDLEWARE.insert(1, "minsheng.lib.replica.ReplicaMiddleware")

# The cache holds the rate limits (lib.http.RateLimit), so every process of `minsheng serve` must
# share it: the database (table `minsheng_cache`, made by `createcachetable`, which `demo`, `serve`
# and the tests run after `migrate`), or Redis when MINSHENG_REDIS_URL is set.
REDIS_URL = env("MINSHENG_REDIS_URL")
if REDIS_URL:
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured(
            "已设置 MINSHENG_REDIS_URL，但未安装 redis 包：请安装（pip install redis）或删除该变量"
            "（MINSHENG_REDIS_URL is set but the redis package is not installed）")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "minsheng_cache",
        # Culling past MAX_ENTRIES drops live rows, rate-limit events among them: keep it far off.
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    }}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login lock-out (django-axes): after N failures for the same username, locked for a cool-off.
AXES_FAILURE_LIMIT = envint("MINSHENG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("MINSHENG_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (accounts/two_factor.py): required of accounts with personal-data rights or
# the back office. Unset, the command decides: `minsheng serve` requires it, `minsheng demo` (and
# the tests, runserver) offer it without requiring it; true or false decides for every command.
REQUIRE_2FA: bool | None = (envbool("MINSHENG_REQUIRE_2FA") if env("MINSHENG_REQUIRE_2FA")
                            else None)
# Wrong codes: this many per account within the lock-out time lock code entry (the password
# lock-out's numbers; counted in the shared cache, not reset by signing in again)
TWO_FACTOR_FAILURE_LIMIT = AXES_FAILURE_LIMIT
TWO_FACTOR_COOLOFF_SECONDS = int(AXES_COOLOFF_TIME * 3600)
OTP_TOTP_ISSUER = "Minsheng"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the back office never shows a device's key or QR code

# Sessions expire after this many minutes without a request (and never outlive the browser).
# The expiry is pushed forward at most once a minute (accounts.middleware.SessionRefreshMiddleware),
# so a session ends 119–120 minutes after its last request.
SESSION_COOKIE_AGE = envint("MINSHENG_SESSION_MINUTES", 120) * 60
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("MINSHENG_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = envpath("MINSHENG_STATIC_ROOT", VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = envpath("MINSHENG_MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "media/"
# Uploaded files on an S3-compatible object store (django-storages) when a bucket is named: every
# app server then sees the same files. They are never public: a view checks access, then
# redirects to a signed URL that expires after FILE_URL_SECONDS (lib.files.serve).
S3_BUCKET = env("MINSHENG_S3_BUCKET")
FILE_URL_SECONDS = envint("MINSHENG_FILE_URL_SECONDS", 60)
if S3_BUCKET:
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured(
            "已设置 MINSHENG_S3_BUCKET，但未安装 django-storages[s3]"
            "（MINSHENG_S3_BUCKET is set but django-storages[s3] is not installed）")
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env("MINSHENG_S3_ENDPOINT_URL") or None,
        "access_key": env("MINSHENG_S3_ACCESS_KEY") or None,
        "secret_key": env("MINSHENG_S3_SECRET_KEY") or None,
        "region_name": env("MINSHENG_S3_REGION") or None,
        "addressing_style": env("MINSHENG_S3_ADDRESSING_STYLE", "path"),
        "querystring_auth": True, "querystring_expire": FILE_URL_SECONDS,
        "default_acl": None, "file_overwrite": False, "signature_version": "s3v4",
    }}
# Local files behind nginx: the view checks access and answers with X-Accel-Redirect to this
# internal location (nginx serves MEDIA_ROOT there, see deploy/nginx-minsheng.conf); empty: the
# application sends the file itself.
X_ACCEL_PREFIX = env("MINSHENG_X_ACCEL_PREFIX")
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # HTTP Basic, refused to accounts that sign in with a second factor
        "minsheng.accounts.middleware.PasswordOnlyBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON without NaN or lone surrogates (a 400, never a 500 on the way out); forms as DRF's
    "DEFAULT_PARSER_CLASSES": ["minsheng.lib.http.StrictJSONParser",
                               "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Minsheng API",
    "DESCRIPTION": "民生 Minsheng places API: regions, grids, compounds, facilities, organisations.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # every operation documents its 400/403/404 answers (tested by schemathesis)
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "minsheng.places.api.document_errors"],
}

# Background work (django-q2 with the database as its broker: no Redis needed, works on SQLite and
# PostgreSQL; with MINSHENG_REDIS_URL, Redis is the broker). `minsheng demo` and `minsheng serve` start a worker cluster beside the web server.
Q_CLUSTER = {
    "name": "minsheng",
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
    "workers": envint("MINSHENG_WORKERS", 1),
    "timeout": 1800,
    "retry": 3600,
    "max_attempts": 1,
    "catch_up": False,
    "poll": 1,
    "sync": envbool("MINSHENG_TASKS_SYNC"),  # run tasks inline (tests)
    "label": "后台任务",
}

# Open311 GeoReport v2: POSTs a minute per API key (or per IP without a valid key); 0 = no limit.
OPEN311_POST_RATE = envint("MINSHENG_OPEN311_RATE_PER_MINUTE", 120)

# Case clocks count working time: the working periods of a working day (local time), and the
# clocks of the two higher priorities (accept within N working hours, resolve within M working
# days; a case type's own clocks apply when shorter). Holidays and 调休 days are data (cases.Holiday).
CASE_WORKING_HOURS = env("MINSHENG_CASE_WORKING_HOURS", "09:00-12:00,13:30-17:30")
CASE_CLOCKS = {
    "urgent": (envint("MINSHENG_CASE_URGENT_ACCEPT_HOURS", 1),
               envint("MINSHENG_CASE_URGENT_RESOLVE_DAYS", 1)),
    "high": (envint("MINSHENG_CASE_HIGH_ACCEPT_HOURS", 2),
             envint("MINSHENG_CASE_HIGH_RESOLVE_DAYS", 3)),
}

# Text messages (the rating link to residents who filed by phone): the sender class (dotted path;
# the console sender only logs, phone masked), and for minsheng.lib.sms.HttpGatewaySender the
# gateway's URL, bearer key and JSON body template with {phone} and {text}.
SMS_SENDER = env("MINSHENG_SMS_SENDER", "minsheng.lib.sms.ConsoleSender")
SMS_GATEWAY_URL = env("MINSHENG_SMS_GATEWAY_URL")
SMS_GATEWAY_KEY = env("MINSHENG_SMS_GATEWAY_KEY")
SMS_GATEWAY_TEMPLATE = env("MINSHENG_SMS_GATEWAY_TEMPLATE", '{"phone": "{phone}", "text": "{text}"}')
# The address residents reach the platform at (https://minsheng.example.gov.cn), for links sent
# outside a page (the rating link by SMS); empty: the address of the request that resolved the
# case, else the first allowed host.
PUBLIC_URL = env("MINSHENG_PUBLIC_URL")

# Map: boundaries, compounds and facilities are drawn as vectors; a tile layer is optional.
MAP_TILE_URL = env("MINSHENG_MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = env("MINSHENG_MAP_TILE_ATTRIBUTION")


def tile_source(url: str) -> str | None:
    """The CSP source that lets the map load tiles from `url` (a Leaflet URL template), or None
    when the tiles come from this site. `{s}` in the host becomes CSP's `*.` wildcard."""
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    host = re.sub(r"^\{[^}]*\}\.", "*.", parts.netloc)
    if parts.scheme not in ("http", "https", "") or "{" in host or "@" in host:
        raise ImproperlyConfigured(
            f"MINSHENG_MAP_TILE_URL={url!r}：瓦片地址须为 http(s)://主机/…，主机中只可在最左边使用 "
            "{s}（the tile URL must be http(s) with at most a leading {s} in the host）")
    return f"{parts.scheme}://{host}" if parts.scheme else host


# Security headers. Django's SecurityMiddleware sends nosniff, the referrer policy (a view's own
# wins: the case-tracking page keeps "same-origin", see cases.views.track), COOP and HSTS;
# XFrameOptionsMiddleware sends X-Frame-Options; web.middleware.ContentSecurityPolicyMiddleware
# sends CONTENT_SECURITY_POLICY on every response.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS only with HTTPS (secure cookies); Django sends it on HTTPS requests only. The demo on
# http://127.0.0.1 never gets it: a year of "https only" for localhost would break other apps.
HSTS_SECONDS = envint("MINSHENG_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_SECONDS = HSTS_SECONDS if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # other hosts of a government domain may still be http
# Scripts only from this site's files: no inline <script>, no on*= handlers, no eval (a test
# scans the templates; the browser test records violations). Styles stay 'unsafe-inline':
# templates carry <style> blocks and style attributes, and Leaflet and ECharts write style
# attributes (the choropleth legend, SVG labels); CSS cannot run script, and what it could
# leak through url() is held to this site by img-src and default-src.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", *filter(None, [tile_source(MAP_TILE_URL)])],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# One console handler on the root logger; every line carries the request id (X-Request-ID).
# A 500 is logged by django.request with the path and the traceback, never the query string or
# the body; Django's default would also e-mail ADMINS the whole request, POST data and all, so the
# "django" logger is configured here with no handler of its own (its records reach the root).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "minsheng.web.middleware.RequestIdFilter"}},
    "formatters": {
        "minsheng": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                    "formatter": "minsheng"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "minsheng": {"level": env("MINSHENG_LOG_LEVEL", "INFO")},
        "django": {"handlers": [], "level": "WARNING"},
    },
}
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # lock by username: an office shares one IP behind NAT

# Read by the apps through settings, never from the environment themselves:
# which functional classes of the budget count as livelihood spending (projects/budget.py),
LIVELIHOOD_CLASSES_FILE = envpath("MINSHENG_LIVELIHOOD_CLASSES")
# a folder of replacement annual-report templates (reports/document.py),
REPORT_TEMPLATES_DIR = envpath("MINSHENG_REPORT_TEMPLATES")
# extra fonts for the PDF report (reports/fonts.py) and the Chromium that prints it.
REPORT_FONT_DIR = envpath("MINSHENG_REPORT_FONT_DIR")
CHROMIUM = env("MINSHENG_CHROMIUM")

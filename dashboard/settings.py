"""Initscope settings. Every value comes from an environment variable; `.env.example` lists them all.

All-in-one (`make demo`): nothing set -> SQLite under var/, in-memory channel layer, in-process Celery.
Production: DATABASE_URL (PostgreSQL) and REDIS_URL (broker, channel layer, locks) set.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("INITSCOPE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG=1 (see .env.example)")
    SECRET_KEY = "insecure-dev-key-only-for-DEBUG"  # noqa: S105 - only when DEBUG is on
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files (never a CDN)
    "channels",
    "pods",
    "alerts",
    "accounts",  # API tokens, audit log, limits (docs/operations.md)
    "axes",  # sign-in lockout (accounts.limits)
    "access",  # grants and the scope every read goes through (docs/operations.md)
]

MIDDLEWARE = [
    "dashboard.logs.RequestIdMiddleware",  # X-Request-ID on every response and log record
    "dashboard.health.ProbeMiddleware",  # /healthz, /readyz: before the host check and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dashboard.errors.ErrorPagesMiddleware",  # the product's 404 page, with DEBUG on too
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.AuditContextMiddleware",  # who changed a grant (accounts.signals)
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into accounts.limits' 429
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dashboard" / "templates", BASE_DIR / "pods" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "libraries": {"initscope": "pods.web.templatetags.initscope"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'initscope.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # No JIT: the report queries over partitioned attempts (many expressions, repeated per partition) are
    # costed high enough to be compiled, and compiling took minutes where running takes milliseconds
    # (docs/performance.md, B4).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Ingest's lookups on the partitioned history tables run as prepared statements (pods/ingest/prepared.py;
    # Django's own queries bind on the client and are never prepared). Off behind a pooler that cannot keep
    # them (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pods:list"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy or Ingress (docs/operations.md): trust its X-Forwarded-Proto (and, when set,
# X-Forwarded-Host), redirect plain HTTP to HTTPS, and send HSTS. All off by default (local development).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # Prometheus scrapes the Service in the cluster (deploy/monitoring)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it; collectstatic fills it in images
STATICFILES_DIRS = [("app", BASE_DIR / "frontend")]
WHITENOISE_USE_FINDERS = True

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    # Found by `make soak`: the layer waits for messages with a blocking read of 5 s (BZPOPMIN), so the
    # socket's read timeout must be longer (redis-py 8's default, 5 s, failed every socket quiet for 5 s);
    # after a Redis restart the pooled connections are dead, so a command reconnects and runs again
    # (redis-py's asyncio default is no retry: new sockets failed to join their groups and hung). The
    # restart also loses the groups: open sockets notice it and close (pods/live/consumers.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=5),
                    }
                ]
            },
        }
    }
else:
    # In-process only; thread-safe so the embedded worker of `manage.py serve` can publish (see layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "dashboard.layers.ThreadSafeInMemoryChannelLayer"}}

# Celery: with REDIS_URL, a real broker shared by web, worker and beat; without it, the all-in-one mode
# runs tasks in-process (the memory transport only works inside one process).
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with the fix that keeps a worker alive through a Redis restart (broker.py).
CELERY_BROKER_TRANSPORT = "dashboard.broker:Transport" if REDIS_URL else None
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"pods.tasks.watch_cluster": {"queue": "watch"}}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a bad token a 401 rather than a 403.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.TokenIsReadOnly",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.UserThrottle", "accounts.throttling.TokenThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Initscope API",
    "DESCRIPTION": "Init-container timelines of Kubernetes Pods: attempts, pulls, status and diagnosis.",
    "VERSION": "1",
    # 3.1: a nullable object is `oneOf: [{$ref}, {type: "null"}]`, which validators read as meant.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI at /api/schema/ui/ from drf-spectacular-sidecar's copy, served as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Names for the choice sets of the reports (pods.api.reports), which share field names with others.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": ["init", "sidecar", "app"],
        "ReportRowKindEnum": ["init", "sidecar"],
        "ReportSourceEnum": ["raw", "rollup"],
    },
}

# Accounts (accounts/, docs/operations.md "API tokens", "Limits"). API rates `N/s|min|hour|day` per user
# (session or token) and per token; empty: no limit. The counts live in the `throttle` cache.
INITSCOPE_API_RATE_USER = env_str("INITSCOPE_API_RATE_USER", "1200/min")
INITSCOPE_API_RATE_TOKEN = env_str("INITSCOPE_API_RATE_TOKEN", "600/min")
for _rate in (INITSCOPE_API_RATE_USER, INITSCOPE_API_RATE_TOKEN):
    if _rate and not re.fullmatch(r"\d+/(s|sec|m|min|h|hour|d|day)", _rate):
        raise ImproperlyConfigured(f"API rate {_rate!r}: write N/s, N/min, N/hour or N/day")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "initscope-throttle"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}  # fmt: skip
INITSCOPE_TOKEN_MAX_DAYS = env_int("INITSCOPE_TOKEN_MAX_DAYS", 365, minimum=1)
# Sign-in lockout (django-axes): this many failures of one user name from one address lock that pair out
# for this many minutes (a 429 page with Retry-After, accounts.limits).
INITSCOPE_LOGIN_FAILURE_LIMIT = env_int("INITSCOPE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
INITSCOPE_LOGIN_COOLOFF_MINUTES = env_int("INITSCOPE_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
# Single sign-on (OpenID Connect, authorization code flow; accounts.oidc, docs/operations.md "Single
# sign-on"): on when INITSCOPE_OIDC_CLIENT_ID is set. Local passwords can be switched off.
INITSCOPE_LOCAL_PASSWORDS = env_bool("INITSCOPE_LOCAL_PASSWORDS", True)
INITSCOPE_OIDC_CLIENT_ID = env_str("INITSCOPE_OIDC_CLIENT_ID")
INITSCOPE_OIDC_USERNAME_CLAIM = env_str("INITSCOPE_OIDC_USERNAME_CLAIM", "preferred_username")
INITSCOPE_OIDC_GROUPS_CLAIM = env_str("INITSCOPE_OIDC_GROUPS_CLAIM", "groups")
AUTHENTICATION_BACKENDS = (
    ["accounts.backends.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
    if INITSCOPE_LOCAL_PASSWORDS
    else []
)
if INITSCOPE_OIDC_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.GroupsBackend")
    OIDC_RP_CLIENT_ID = INITSCOPE_OIDC_CLIENT_ID
    OIDC_RP_CLIENT_SECRET = env_str("INITSCOPE_OIDC_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("INITSCOPE_OIDC_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env_str("INITSCOPE_OIDC_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env_str("INITSCOPE_OIDC_USERINFO_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env_str("INITSCOPE_OIDC_JWKS_ENDPOINT")
    _missing = [
        name
        for name, value in (
            ("INITSCOPE_OIDC_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET),
            ("INITSCOPE_OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT),
            ("INITSCOPE_OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
            ("INITSCOPE_OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
            ("INITSCOPE_OIDC_JWKS_ENDPOINT", OIDC_OP_JWKS_ENDPOINT),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(f"INITSCOPE_OIDC_CLIENT_ID is set: set {', '.join(_missing)} too")
    OIDC_RP_SCOPES = env_str("INITSCOPE_OIDC_SCOPES", "openid email profile")
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_USE_PKCE = True
    OIDC_TOKEN_USE_BASIC_AUTH = True
    OIDC_TIMEOUT = 10
    LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
    OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
elif not INITSCOPE_LOCAL_PASSWORDS:
    raise ImproperlyConfigured(
        "INITSCOPE_LOCAL_PASSWORDS=0 needs single sign-on: set INITSCOPE_OIDC_CLIENT_ID"
    )
AXES_FAILURE_LIMIT = INITSCOPE_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=INITSCOPE_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.limits.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Live sockets (pods.live.consumers): a client message larger than this closes the socket with 4413, more
# messages than this in a minute with 4429.
INITSCOPE_WS_MAX_MESSAGE_BYTES = env_int("INITSCOPE_WS_MAX_MESSAGE_BYTES", 65536, minimum=256)
INITSCOPE_WS_MESSAGES_PER_MINUTE = env_int("INITSCOPE_WS_MESSAGES_PER_MINUTE", 120, minimum=1)

# Initscope itself.
INITSCOPE_STUCK_THRESHOLD = timedelta(seconds=env_int("INITSCOPE_STUCK_THRESHOLD_SECONDS", 300, minimum=1))
INITSCOPE_INGEST_BATCH_SIZE = env_int("INITSCOPE_INGEST_BATCH_SIZE", 2000, minimum=1)
# The longest line a recording (`import_watch`) or a watch stream may hold; a longer one is rejected at its
# position and read past without being held in memory (docs/watching.md "Hostile and odd input").
INITSCOPE_MAX_LINE_BYTES = env_int("INITSCOPE_MAX_LINE_BYTES", 64 * 1024 * 1024, minimum=1024)
# The all-in-one demo (`manage.py serve --demo`): the `demo` user's password and kubesim's clock speed.
INITSCOPE_DEMO_PASSWORD = env_str("INITSCOPE_DEMO_PASSWORD", "demo")
INITSCOPE_DEMO_SPEED = env_float("INITSCOPE_DEMO_SPEED", 1.0, minimum=0.01)

# Watchers (pods.watch, pods.tasks): clusters are kubeconfig contexts (KUBECONFIG) or `in-cluster`.
INITSCOPE_CLUSTERS = env_list("INITSCOPE_CLUSTERS", "")
INITSCOPE_CLUSTER_NAMESPACES = env_str("INITSCOPE_CLUSTER_NAMESPACES", "")  # "ctx-a=ns1,ns2;ctx-b=ns3"
# A large cluster split into namespace groups, each watched on its own (lock, runs, cursors, health), so
# several workers share it: "ctx-a=front:shop,payments|back:batch,infra" (pods.kube.config; checked at
# startup by PodsConfig.ready: a namespace in two groups is an error).
INITSCOPE_CLUSTER_NAMESPACE_GROUPS = env_str("INITSCOPE_CLUSTER_NAMESPACE_GROUPS", "")
# What `celery -A dashboard worker -Q watch,default` runs with (docs/watching.md): threads, since a watch
# window holds its thread for minutes; one per cluster (per namespace group: each "|" of the groups adds
# one) plus two for the short tasks (rollups, alerts).
CELERY_WORKER_POOL = "threads"
CELERY_WORKER_CONCURRENCY = env_int(
    "INITSCOPE_WORKER_THREADS",
    len(INITSCOPE_CLUSTERS) + INITSCOPE_CLUSTER_NAMESPACE_GROUPS.count("|") + 2,
    minimum=2,
)
INITSCOPE_WATCH_WINDOW_SECONDS = env_int("INITSCOPE_WATCH_WINDOW_SECONDS", 300, minimum=5)
INITSCOPE_WATCH_LOCK_SECONDS = env_int("INITSCOPE_WATCH_LOCK_SECONDS", 30, minimum=3)
INITSCOPE_WATCH_BACKOFF_MAX_SECONDS = env_int("INITSCOPE_WATCH_BACKOFF_MAX_SECONDS", 30, minimum=1)
INITSCOPE_LIST_PAGE_SIZE = env_int("INITSCOPE_LIST_PAGE_SIZE", 500, minimum=1)
INITSCOPE_FLUSH_EVENTS = env_int("INITSCOPE_FLUSH_EVENTS", 500, minimum=1)
INITSCOPE_FLUSH_MS = env_int("INITSCOPE_FLUSH_MS", 200, minimum=1)
# ...or as soon as the streams have been quiet this long (pods.watch.window: live latency when calm).
INITSCOPE_FLUSH_IDLE_MS = env_int("INITSCOPE_FLUSH_IDLE_MS", 10, minimum=0)
INITSCOPE_CAPTURE_LOGS = env_bool("INITSCOPE_CAPTURE_LOGS", True)
# Diagnosis only (dashboard/memory.py): a worker or beat traces its allocations with tracemalloc and writes
# snapshots to this directory every so many seconds (0: only on SIGUSR2). Empty (the default): off.
INITSCOPE_TRACEMALLOC_DIR = env_str("INITSCOPE_TRACEMALLOC_DIR", "")
INITSCOPE_TRACEMALLOC_FRAMES = env_int("INITSCOPE_TRACEMALLOC_FRAMES", 10, minimum=1)
INITSCOPE_TRACEMALLOC_EVERY_SECONDS = env_int("INITSCOPE_TRACEMALLOC_EVERY_SECONDS", 300, minimum=0)
INITSCOPE_ENSURE_WATCHERS_SECONDS = env_int("INITSCOPE_ENSURE_WATCHERS_SECONDS", 15, minimum=1)
# A watched cluster whose streams have not heard from the API server for this long shows as stale.
INITSCOPE_STALE_AFTER_SECONDS = env_int("INITSCOPE_STALE_AFTER_SECONDS", 120, minimum=5)
# History (pods.history): raw Events and captured log tails are kept this many days, attempts and the
# Pods that are gone this many (a Pod that still exists keeps its rows), hourly rollups this many.
INITSCOPE_RETAIN_EVENTS_DAYS = env_int("INITSCOPE_RETAIN_EVENTS_DAYS", 14, minimum=1)
INITSCOPE_RETAIN_ATTEMPTS_DAYS = env_int("INITSCOPE_RETAIN_ATTEMPTS_DAYS", 90, minimum=1)
INITSCOPE_RETAIN_ROLLUPS_DAYS = env_int("INITSCOPE_RETAIN_ROLLUPS_DAYS", 400, minimum=1)
if INITSCOPE_RETAIN_EVENTS_DAYS > INITSCOPE_RETAIN_ATTEMPTS_DAYS:
    raise ImproperlyConfigured(
        f"INITSCOPE_RETAIN_EVENTS_DAYS={INITSCOPE_RETAIN_EVENTS_DAYS} must not exceed "
        f"INITSCOPE_RETAIN_ATTEMPTS_DAYS={INITSCOPE_RETAIN_ATTEMPTS_DAYS} (Events explain attempts)"
    )
# How often beat creates partitions ahead and prunes what is past retention.
INITSCOPE_PRUNE_EVERY_SECONDS = env_int("INITSCOPE_PRUNE_EVERY_SECONDS", 3600, minimum=60)
# Pod startups as OpenTelemetry traces (pods.signals, docs/signals.md): off unless INITSCOPE_TRACES=1. Where
# to, by the standard OTLP/HTTP variables: the traces endpoint as given, else the base endpoint plus
# `/v1/traces` (the SDK's default base: http://localhost:4318); headers `key=value,...` (values URL-encoded).
INITSCOPE_TRACES = env_bool("INITSCOPE_TRACES", False)
OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT")
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
OTEL_EXPORTER_OTLP_HEADERS = env_str("OTEL_EXPORTER_OTLP_HEADERS")
OTEL_EXPORTER_OTLP_TRACES_HEADERS = env_str("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
INITSCOPE_TRACES_ENDPOINT = OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or (
    (OTEL_EXPORTER_OTLP_ENDPOINT or "http://localhost:4318").rstrip("/") + "/v1/traces"
)
# Prometheus metrics at GET /metrics (pods.signals.metrics, docs/signals.md): scrapes must send
# `Authorization: Bearer <token>`; empty (the default) turns the endpoint off (403).
INITSCOPE_METRICS_TOKEN = env_str("INITSCOPE_METRICS_TOKEN", "")
# Workloads per cluster with their own series; the rest count under workload="other".
INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER = env_int("INITSCOPE_METRICS_WORKLOADS_PER_CLUSTER", 100, minimum=1)
# How often beat recomputes the hourly rollups of the hours ingest marked (pods.reports.rollup_build).
INITSCOPE_ROLLUP_EVERY_SECONDS = env_int("INITSCOPE_ROLLUP_EVERY_SECONDS", 60, minimum=5)
# Alerts (alerts/, docs/signals.md "Alerts"): the default generic JSON webhook (empty: none; alerts still
# open on /alerts/), its optional HMAC-SHA256 key, the base URL of the links, how often beat evaluates
# the rules and sweeps the outbox, how long a sender holds a notification, the Pods a message lists.
INITSCOPE_ALERT_WEBHOOK_URL = env_str("INITSCOPE_ALERT_WEBHOOK_URL")
INITSCOPE_ALERT_WEBHOOK_SECRET = env_str("INITSCOPE_ALERT_WEBHOOK_SECRET")
INITSCOPE_PUBLIC_URL = env_str("INITSCOPE_PUBLIC_URL", "http://127.0.0.1:8000")
INITSCOPE_ALERT_EVALUATE_SECONDS = env_int("INITSCOPE_ALERT_EVALUATE_SECONDS", 30, minimum=1)
INITSCOPE_ALERT_SWEEP_SECONDS = env_int("INITSCOPE_ALERT_SWEEP_SECONDS", 30, minimum=1)
INITSCOPE_ALERT_CLAIM_SECONDS = env_int("INITSCOPE_ALERT_CLAIM_SECONDS", 60, minimum=2)
# An alert whose condition is no longer found resolves after this long (at once when its Pod is Ready,
# finished or gone): a crash-looping Pod is not stuck while its next attempt runs.
INITSCOPE_ALERT_RESOLVE_SECONDS = env_int("INITSCOPE_ALERT_RESOLVE_SECONDS", 300, minimum=0)
INITSCOPE_ALERT_LIST_PODS = env_int("INITSCOPE_ALERT_LIST_PODS", 10, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "ensure-watchers": {
        "task": "pods.tasks.ensure_watchers",
        "schedule": float(INITSCOPE_ENSURE_WATCHERS_SECONDS),
    },
    "maintain-history": {
        "task": "pods.tasks.maintain_history",
        "schedule": float(INITSCOPE_PRUNE_EVERY_SECONDS),
    },
    "rollup-hours": {
        "task": "pods.tasks.rollup_hours",
        "schedule": float(INITSCOPE_ROLLUP_EVERY_SECONDS),
    },
    # A run still queued when the next is due is dropped (`expires`): a busy worker never piles them up.
    "evaluate-alerts": {
        "task": "alerts.tasks.evaluate",
        "schedule": float(INITSCOPE_ALERT_EVALUATE_SECONDS),
        "options": {"expires": float(INITSCOPE_ALERT_EVALUATE_SECONDS)},
    },
    "sweep-alert-outbox": {
        "task": "alerts.tasks.sweep",
        "schedule": float(INITSCOPE_ALERT_SWEEP_SECONDS),
        "options": {"expires": float(INITSCOPE_ALERT_SWEEP_SECONDS)},
    },
}

# LOG_FORMAT=json: one JSON object per line with the request id (dashboard.logs); `plain` otherwise.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not plain or json")
# Celery's worker and beat replace the root logger's handlers unless told not to: keep ours in JSON.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dashboard.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s%(request_tag)s"},
        "json": {"()": "dashboard.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # django-axes logs four INFO lines per sign-in; its warnings (a failure, a lockout) are kept.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

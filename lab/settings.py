"""Archlab's one settings module, driven by environment variables.

With none set it runs as the embedded default: a SQLite file, the in-memory channel layer, and
simulation worker processes started by the server itself. `DATABASE_URL` (PostgreSQL) and
`REDIS_URL` switch to the scale-out mode described in docs/operations.md. The helpers raise
ImproperlyConfigured on a bad value instead of guessing.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


# The production switch (docs/operations.md, "Deployment"): HTTPS only (secure cookies, HSTS, a
# redirect), and the server refuses to start without a secret key, its host names and a mail server.
PRODUCTION = env_bool("ARCHLAB_PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("ARCHLAB_PRODUCTION=1 with DEBUG=1: debug pages show code and settings to anyone; "
                               "unset DEBUG")
if PRODUCTION and not env_str("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ARCHLAB_PRODUCTION=1 needs ALLOWED_HOSTS: the host names the lab is served at, "
                               "e.g. ALLOWED_HOSTS=lab.example.org")
ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
# HSTS covers the lab's own host and the hosts under it (not its parent domain).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# Preloading is a decision for a whole registrable domain, made by submitting it to the browsers'
# list, and hard to undo: off unless asked for, and check --deploy's reminder is silenced meanwhile.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Only when the reverse proxy in front sets this header to "https" (and drops it from clients):
# SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto. Otherwise a client could claim HTTPS.
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER")
if _proxy_header and not _proxy_header.replace("-", "").isalnum():
    raise ImproperlyConfigured(f"SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, "
                               f"not {_proxy_header!r}")
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https") if _proxy_header else None

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "lab.accounts",
    "lab.designs",
    "lab.runs",
    "lab.lessons",
    "lab.classroom",
    "lab.live",
    "lab.studies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lab.static_files.StaticFilesMiddleware",  # WhiteNoise
    # Pages and JSON compressed (the lab page is 90 kB of catalogue, 18 kB gzipped); Django's
    # gzip pads each response with random bytes against BREACH. Static files are already gzipped.
    "django.middleware.gzip.GZipMiddleware",
    "lab.middleware.InputLimitsMiddleware",  # 413/414 before a session or CSRF check reads anything
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lab.urls"
ASGI_APPLICATION = "lab.asgi.application"

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
            ],
        },
    },
]


def _database(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, not {parsed.scheme or url!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/") or "archlab",
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        # A pool per process (psycopg_pool), not a connection per request: under ASGI each request
        # and each websocket's database call may run on a thread of its own, so without it a class
        # connecting at once opened a PostgreSQL connection per call (a fork on the server, ~10 ms)
        # and a burst could pass max_connections (a 500). At most `max_size` per process; a request
        # past that waits up to `timeout` seconds for one (docs/operations.md, decision 40).
        "OPTIONS": {"pool": {"min_size": 2, "max_size": env_int("ARCHLAB_DB_POOL", 10), "timeout": 10}},
    }


SQLITE_FILE = Path(env_str("ARCHLAB_SQLITE", str(BASE_DIR / "archlab.sqlite3")))
if env_str("DATABASE_URL"):
    DATABASES = {"default": _database(env_str("DATABASE_URL"))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_FILE,
            # Several processes (the server and its simulation workers) share the file.
            # IMMEDIATE: a transaction takes the write lock when it begins, so a save racing a
            # simulation worker's writes waits for it instead of failing with "database is locked".
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                        "transaction_mode": "IMMEDIATE"},
            # A file (browser tests' servers read it too); ARCHLAB_TEST_SQLITE lets two test runs
            # on one checkout keep apart.
            "TEST": {"NAME": Path(env_str("ARCHLAB_TEST_SQLITE", str(BASE_DIR / "archlab-test.sqlite3")))},
        }
    }



def _secret_key() -> str:
    """SECRET_KEY from the environment, required in production. Otherwise a random key made on
    the first start and kept in a file next to the SQLite database (git-ignored), so sessions
    survive a restart and no two installations share a key."""
    if env_str("SECRET_KEY"):
        return env_str("SECRET_KEY")
    if PRODUCTION:
        raise ImproperlyConfigured("ARCHLAB_PRODUCTION=1 needs SECRET_KEY: set it to a long random value, e.g. "
                                   "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'")
    path = SQLITE_FILE.with_name(SQLITE_FILE.name + ".secret-key")
    if not path.exists():
        # Written whole under a temporary name, then linked into place: the server and its
        # simulation workers may start at the same moment, and exactly one key must win.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()

if env_str("REDIS_URL"):
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [env_str("REDIS_URL")]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Simulation workers the server starts itself (embedded mode); 0 when separate
# `manage.py runsimworker` processes do the work (scale-out mode).
ARCHLAB_EMBEDDED_WORKERS = env_int("ARCHLAB_EMBEDDED_WORKERS", 0 if env_str("DATABASE_URL") else 2)
# The lesson folders the lesson index is read from (docs/lessons.md), once per process.
ARCHLAB_LESSONS_DIR = Path(env_str("ARCHLAB_LESSONS_DIR", str(BASE_DIR / "lab" / "lessons" / "content")))
# Where each process writes teachers' own lessons' files once (docs/challenges.md); unset, a
# temporary directory of its own.
ARCHLAB_AUTHORED_CACHE_DIR: str | None = env_str("ARCHLAB_AUTHORED_CACHE_DIR") or None
# Runs on a shared server (docs/operations.md, "Limits"). The longest run in simulated seconds.
ARCHLAB_MAX_RUN_S = env_int("ARCHLAB_MAX_RUN_S", 3600, minimum=1)
# How many runs each kind of requester may have running at once, and waiting in the queue on top.
# A visitor's runs also count against their network (one IPv4 address or IPv6 /64), sized for a
# class of visitors behind one school address; signed-in users never count against it.
ARCHLAB_VISITOR_RUNNING = env_int("ARCHLAB_VISITOR_RUNNING", 1, minimum=1)
ARCHLAB_VISITOR_QUEUED = env_int("ARCHLAB_VISITOR_QUEUED", 2)
ARCHLAB_USER_RUNNING = env_int("ARCHLAB_USER_RUNNING", 2, minimum=1)
ARCHLAB_USER_QUEUED = env_int("ARCHLAB_USER_QUEUED", 4)
ARCHLAB_STAFF_RUNNING = env_int("ARCHLAB_STAFF_RUNNING", 8, minimum=1)
ARCHLAB_STAFF_QUEUED = env_int("ARCHLAB_STAFF_QUEUED", 16)
ARCHLAB_NETWORK_RUNNING = env_int("ARCHLAB_NETWORK_RUNNING", 30, minimum=1)
ARCHLAB_NETWORK_QUEUED = env_int("ARCHLAB_NETWORK_QUEUED", 30)
# Runs waiting in the whole server's queue, whoever started them.
ARCHLAB_MAX_QUEUED = env_int("ARCHLAB_MAX_QUEUED", 500, minimum=1)
# Behind a reverse proxy: how many proxies of yours append to X-Forwarded-For (0: use the peer).
ARCHLAB_PROXY_COUNT = env_int("ARCHLAB_PROXY_COUNT", 0)
# One run's budget (0 keeps the engine's default, lab/sim/budget.py): events, windows, stored
# megabytes, CPU seconds, events held in memory at once; and its wall-clock bounds.
ARCHLAB_RUN_MAX_EVENTS = env_int("ARCHLAB_RUN_MAX_EVENTS", 0)
ARCHLAB_RUN_MAX_WINDOWS = env_int("ARCHLAB_RUN_MAX_WINDOWS", 0)
ARCHLAB_RUN_MAX_STORED_MB = env_int("ARCHLAB_RUN_MAX_STORED_MB", 0)
ARCHLAB_RUN_MAX_CPU_S = env_int("ARCHLAB_RUN_MAX_CPU_S", 0)
ARCHLAB_RUN_MAX_HEAP = env_int("ARCHLAB_RUN_MAX_HEAP", 0)
ARCHLAB_RUN_WALL_SLACK_S = env_int("ARCHLAB_RUN_WALL_SLACK_S", 600)
ARCHLAB_RUN_MAX_WALL_S = env_int("ARCHLAB_RUN_MAX_WALL_S", 7200, minimum=1)
# A paced (live) run nobody watches is stopped after this many seconds (0: never).
ARCHLAB_IDLE_STOP_S = env_int("ARCHLAB_IDLE_STOP_S", 120)
# Runs one worker process hosts at once, and its memory limit (the biggest run is limited past it).
ARCHLAB_RUNS_PER_WORKER = env_int("ARCHLAB_RUNS_PER_WORKER", 60, minimum=1)
ARCHLAB_WORKER_MEMORY_MB = env_int("ARCHLAB_WORKER_MEMORY_MB", 2048, minimum=64)
# A worker renews its runs' leases every 2 s; a run whose lease expires is retried elsewhere.
ARCHLAB_LEASE_S = env_int("ARCHLAB_LEASE_S", 15, minimum=5)
# Studies: sweeps, replications and comparisons (docs/operations.md, "Studies"). How many a
# signed-in user (staff) may have queued or running at once; how many runs of one study are
# queued or running at once (never more than the owner's running allowance less one, so a study
# leaves its owner room for a live run); what one study may plan over all its runs (runs, CPU
# seconds and events by the per-run estimate); the largest document stored; and how many
# finished studies each user keeps per design (older ones are deleted when a new one starts).
ARCHLAB_USER_STUDIES = env_int("ARCHLAB_USER_STUDIES", 1, minimum=1)
ARCHLAB_STAFF_STUDIES = env_int("ARCHLAB_STAFF_STUDIES", 4, minimum=1)
ARCHLAB_STUDY_RUNS_AT_ONCE = env_int("ARCHLAB_STUDY_RUNS_AT_ONCE", 2, minimum=1)
ARCHLAB_STUDY_MAX_RUNS = env_int("ARCHLAB_STUDY_MAX_RUNS", 400, minimum=1)
ARCHLAB_STUDY_MAX_CPU_S = env_int("ARCHLAB_STUDY_MAX_CPU_S", 3600, minimum=1)
ARCHLAB_STUDY_MAX_EVENTS = env_int("ARCHLAB_STUDY_MAX_EVENTS", 1_000_000_000, minimum=1)
ARCHLAB_STUDY_MAX_DOCUMENT_KB = env_int("ARCHLAB_STUDY_MAX_DOCUMENT_KB", 4096, minimum=16)
ARCHLAB_STUDIES_PER_DESIGN = env_int("ARCHLAB_STUDIES_PER_DESIGN", 20, minimum=1)

# Login throttling (django-axes): after ARCHLAB_LOGIN_FAILURES wrong passwords for one username
# from one address, that username is locked from that address for ARCHLAB_LOGIN_COOLOFF_MIN
# minutes. By username and address together, never address alone: a class signs in from one
# school address, and one student's typos must not lock out the others.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("ARCHLAB_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ARCHLAB_LOGIN_COOLOFF_MIN", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
# The lock ends when announced: tries during it neither count nor extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "lab.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "lab.accounts.throttle.client_address"
# Failed attempts are kept (that is the throttle); successful logins are not logged.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Pupil accounts (docs/pupil-accounts.md): at most ARCHLAB_PUPIL_SIGNUPS pupil accounts made for
# one class from one network (an IPv4 address or IPv6 /64, as the run quotas count) within
# ARCHLAB_PUPIL_SIGNUP_WINDOW_MIN minutes, sized for a whole class signing up from one school
# address; and at most ARCHLAB_PUPILS_PER_CLASS pupil accounts that can sign in, per class.
ARCHLAB_PUPIL_SIGNUPS = env_int("ARCHLAB_PUPIL_SIGNUPS", 40, minimum=1)
ARCHLAB_PUPIL_SIGNUP_WINDOW_MIN = env_int("ARCHLAB_PUPIL_SIGNUP_WINDOW_MIN", 10, minimum=1)
ARCHLAB_PUPILS_PER_CLASS = env_int("ARCHLAB_PUPILS_PER_CLASS", 200, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` (scripts/start.sh, tests.livelab.start_lab) writes hashed, compressed
# copies here; WhiteNoise serves them with a year's cache (the name changes with the content).
STATIC_ROOT = Path(env_str("ARCHLAB_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "lab.static_files.LabStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Accounts' mail (password reset links, sign-up notices) goes to the SMTP server EMAIL_HOST. Without
# one it is printed to the console, links and all, which is for development only: production
# refuses to start without EMAIL_HOST or an explicit EMAIL_BACKEND that is not the console or a file.
EMAIL_HOST = env_str("EMAIL_HOST", "")
_console_mail = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else
                        ("" if PRODUCTION else _console_mail))
if PRODUCTION and EMAIL_BACKEND in ("", _console_mail, "django.core.mail.backends.filebased.EmailBackend"):
    raise ImproperlyConfigured("ARCHLAB_PRODUCTION=1 needs a mail server (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, "
                               "EMAIL_HOST_PASSWORD, EMAIL_USE_TLS): password-reset links must not go to the log. "
                               "To run without mail, set EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "archlab@localhost")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "lab"

# REST API v1 (docs/api.md): session authentication for the pages (with CSRF), API tokens for
# scripts, JSON only, paginated.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lab.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["lab.api.parsers.JsonBodyParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "lab.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Archlab API",
    "DESCRIPTION": "Designs with version history, runs and the component catalogue. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content Security Policy: scripts only from this site (page data travels in json_script
# blocks, which are not executed); Plotly and JointJS set inline styles; websockets to this host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}

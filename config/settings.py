"""Settings for Confiance, read from the environment. One file; see README.md for every variable."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import cache_settings, development_secret_key, email_settings, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

# CONFIANCE_ENV=production turns on the checks a real deployment needs.
PRODUCTION = os.environ.get("CONFIANCE_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Django's own deploy check (security.W009) wants 50+ characters with 5+ distinct ones.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("Production needs SECRET_KEY set to a random string of 50+ characters.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production.")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or development_secret_key(VAR_DIR)

# Mailbox passwords are encrypted with these Fernet keys (crm/capture/secrets.py; the first one encrypts).
# Development derives one from SECRET_KEY; production refuses to start without them.
MAILBOX_KEYS = env_list("MAILBOX_KEYS", [])
if PRODUCTION and not MAILBOX_KEYS:
    raise ImproperlyConfigured(
        "Production needs MAILBOX_KEYS set to one or more Fernet keys (docs/capture.md says how to make one)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Without it, development links follow the address requests come in on (config/site.py).
SITE_URL_FROM_ENVIRONMENT = bool(os.environ.get("SITE_URL"))

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
    "template_partials",
    "simple_history",
    "axes",
    # Two-factor authentication (clients/twofactor.py): authenticator-app codes and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_countries",  # country names in every language, for a client's country
    "django_ratelimit",  # for its system checks: the counts must live in a cache every process shares
    "ninja",  # the API docs' own copy of Swagger UI (static files), so the docs need no CDN
    "clients",
    "conflicts",
    "crm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Development only: links in emails follow the address the app is served on (config/site.py).
    "config.site.RememberRequestSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in freelancer on every history row a request writes (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "clients.middleware.ProfileLocaleMiddleware",
    # A password alone is half a login for an account with two factors (and for staff, who must have them):
    # every page but the second step's waits for it (clients/twofactor.py). Also keeps Settings → Sessions'
    # "last seen" (clients/devices.py).
    "clients.middleware.TwoFactorMiddleware",
    "clients.middleware.SessionSeenMiddleware",
    # Before any view reads a value (in the freelancer's language): a NUL byte gets a 400, never a 500.
    "clients.middleware.RejectNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so the view and its signals run inside the transaction (and a 500 rolls back what they wrote).
    "clients.middleware.AtomicWritesMiddleware",
    # After the authentication middleware: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Sets the known-device cookie on the answer to a successful login (clients/throttle.py).
    "clients.throttle.KnownDeviceMiddleware",
    # Turns a rate-limited view's refusal into RATELIMIT_VIEW's 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
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
                "django.template.context_processors.tz",
                "clients.context_processors.features",
                "crm.web.context_processors.chrome",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'confiance.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A persistent connection is checked (SELECT 1) before a request reuses it: a database or PgBouncer
        # restart costs one reconnect, not one error page.
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer; docs/scaling.md): each transaction may run on
# another server connection, so nothing may outlive one. No server-side cursors (`.iterator()` would keep a
# WITH HOLD cursor across transactions: it reads the rows in one go instead), no prepared statements
# (psycopg prepares a query run five times, on one server connection). The code keeps no other session
# state: no SET, no session advisory lock, no LISTEN (tests/test_pgbouncer.py runs real paths through one).
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "")
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server, the worker and beat read while one of them writes. Reads through a memory map
    # (up to SQLITE_MMAP_SIZE, 1 GiB): a connection reads pages from the shared OS cache instead of copying each
    # one into its own small cache (2 MB). The every-minute payment sweep's stop pass, which visits an invoice
    # and a client page per pending reminder, went from 24 to 14 ms on the bench database (docs/performance.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA mmap_size={int(os.environ.get('SQLITE_MMAP_SIZE', 2**30))};"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"
SIGNUP_ENABLED = env_bool("SIGNUP_ENABLED", default=True)
# Staff (who reach the admin and everyone's data) cannot use the app before they set up a second factor.
TWO_FACTOR_REQUIRED_FOR_STAFF = env_bool("TWO_FACTOR_REQUIRED_FOR_STAFF", default=True)
# The name authenticator apps show beside the account (django-otp's TOTP devices).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Confiance")
# How long a verification link (sign-up, a new email address) works.
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=int(os.environ.get("EMAIL_VERIFICATION_MAX_AGE_DAYS", "3")))

# Failed logins (clients/throttle.py): this many for one account from one address, or from one address for
# any accounts, within the window lock that address (for that account, or for all); never the account itself.
LOGIN_FAILURES_PER_ACCOUNT_AND_IP = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT_AND_IP", "5"))
LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", "20"))
LOGIN_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")))
# An account with this many failures from any addresses within the slowdown window is slowed down: each next
# try waits 1, 2, 4... seconds after the last failure, at most LOGIN_SLOWDOWN_MAX (refused, never slept).
LOGIN_SLOWDOWN_AFTER = int(os.environ.get("LOGIN_SLOWDOWN_AFTER", "5"))
LOGIN_SLOWDOWN_MAX = int(os.environ.get("LOGIN_SLOWDOWN_MAX_SECONDS", "300"))
LOGIN_SLOWDOWN_WINDOW = timedelta(hours=int(os.environ.get("LOGIN_SLOWDOWN_WINDOW_HOURS", "24")))
# A browser that logged in is a known device for a year (a signed cookie): the slowdown does not apply to it.
KNOWN_DEVICE_MAX_AGE = timedelta(days=int(os.environ.get("KNOWN_DEVICE_MAX_AGE_DAYS", "365")))
# The emailed unlock link works once, for this long.
LOGIN_UNLOCK_MAX_AGE = timedelta(minutes=int(os.environ.get("LOGIN_UNLOCK_MAX_AGE_MINUTES", "60")))

# django-axes counts failed logins in the database (every web process sees the same counts) for every form
# that calls authenticate(), the admin's included; clients/throttle.py applies the rules above.
AUTHENTICATION_BACKENDS = [
    "clients.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "clients.throttle.LoginThrottleHandler"
# One count per (account, address) and one per address: axes' own lockout parameters.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = max(LOGIN_FAILURES_PER_ACCOUNT_AND_IP, LOGIN_FAILURES_PER_IP)
AXES_COOLOFF_TIME = "clients.throttle.login_window"
AXES_RESET_ON_SUCCESS = True  # this address's failures for the account only (see LoginThrottleHandler)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused try is not a failure: no longer wait
AXES_CLIENT_IP_CALLABLE = "clients.throttle.axes_client_ip"
AXES_USERNAME_CALLABLE = "clients.throttle.attempted_username"
AXES_LOCKOUT_CALLABLE = "clients.throttle.lockout_response"
# Every failure with its time and address (the slowdown counts them; the owner is told of them at login),
# and every login (the previous one's time); both shown in the admin.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = False
AXES_VERBOSE = False
# The addresses of the reverse proxies in front of the app (IPs or networks, comma-separated): only from
# them is X-Forwarded-For believed, and then its right-most address that is not itself a proxy is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# Rate limits (django-ratelimit, counted in the default cache) on the pages anyone can reach without a
# password: "count/period" per client address.
RATELIMIT_VIEW = "clients.views.rate_limited"
RATE_LIMIT_SIGNUP = os.environ.get("RATE_LIMIT_SIGNUP", "10/h")
RATE_LIMIT_PASSWORD_RESET = os.environ.get("RATE_LIMIT_PASSWORD_RESET", "10/h")
RATE_LIMIT_TOKEN_PAGES = os.environ.get("RATE_LIMIT_TOKEN_PAGES", "60/m")
# The REST API (crm/api/auth.py): requests per access token.
RATE_LIMIT_API = os.environ.get("RATE_LIMIT_API", "600/m")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
# django-countries' own French misspells one name ("Îles Marshal"): ours, translated in our catalogue.
COUNTRIES_OVERRIDE = {"MH": _("Marshall Islands")}
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production serves what `collectstatic` gathered; development (and the benchmark's gunicorn) serves
# straight from the apps' and static/ folders through WhiteNoise's finders.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The largest upload of each kind, in MB (README.md, its settings): CSV books and histories, vCards and the JSON
# book are read into memory and parsed with every field bounded; mail (.mbox/.eml) is spooled to disk and read
# a message at a time. Past them an upload is refused before it is read, with the limit in the message.
UPLOAD_MAX_MB = {
    "clients": int(os.environ.get("UPLOAD_MAX_MB_CSV", "10")),
    "history": int(os.environ.get("UPLOAD_MAX_MB_CSV", "10")),
    "vcard": int(os.environ.get("UPLOAD_MAX_MB_VCARD", "10")),
    "book": int(os.environ.get("UPLOAD_MAX_MB_BOOK", "10")),
    "mail": int(os.environ.get("UPLOAD_MAX_MB_MAIL", "200")),
}
# A vCard or JSON book past this many MB is read by a Celery worker (no preview), not by the web process.
PARSE_IN_WORKER_MB = int(os.environ.get("PARSE_IN_WORKER_MB", "1"))

# Rendered journal items and client rows (crm/web/fragments.py); use Redis when several processes serve the app.
CACHES = {"default": cache_settings(os.environ.get("CACHE_URL") or "locmem://")}
# Django's own Redis cache increments atomically, which is all django-ratelimit needs (it only knows
# django-redis's by name). A per-process memory cache is refused in production (django_ratelimit.E003):
# each web process would count on its own.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not PRODUCTION:
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

globals().update(email_settings(os.environ.get("EMAIL_URL", "file://var/mail"), BASE_DIR))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Confiance <confiance@localhost>")
# How long the preferences link in an email works (each email carries a fresh one): 60 days by default.
EMAIL_LINK_MAX_AGE = timedelta(days=int(os.environ.get("EMAIL_LINK_MAX_AGE_DAYS", "60")))

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Browsers remember to use HTTPS only for this long (a year); start lower while trying HTTPS out.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content Security Policy (django-csp): scripts, styles and everything else from this site only; no inline
# script or style anywhere (htmx is told not to inject its indicator style: base.html's htmx-config meta).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Trust health bands (see docs/trust-model.md): score >= HEALTHY is healthy, >= WATCH is watch, else at risk.
TRUST_BAND_HEALTHY = int(os.environ.get("TRUST_BAND_HEALTHY", "70"))
TRUST_BAND_WATCH = int(os.environ.get("TRUST_BAND_WATCH", "45"))

# Celery. The database, not the broker, holds what is due (see docs/reminders.md).
CELERY_BROKER_URL = (
    os.environ.get("CELERY_BROKER_URL") or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# An email task is acknowledged after it ran, so a worker killed mid-send gets the message redelivered;
# the database claim makes the redelivery harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# SMTP servers can hang: stop a task that takes too long instead of blocking the worker forever.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# With acks_late, a task running when the broker connection drops would be redelivered while still running.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a message not acked within this time: longer than any task, so only dead workers' return.
# (Only Redis takes it; kombu's SQLAlchemy transport would pass it to create_engine and fail.)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 3600} if CELERY_BROKER_URL.startswith("redis") else {}
)
# Backups (crm/backup/dumps.py, docs/operations.md): the nightly copy goes to this folder, the newest
# BACKUP_KEEP kept. With workers on several machines, make it a shared mount (or copy it off the machine).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or VAR_DIR / "backups")
BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "14"))
# One beat, whatever the number of hosts (deploy/README.md): on Redis, RedBeat keeps the schedule's last runs in
# Redis and holds a lock there; a second beat waits for the lock and takes over when the first dies (its lock
# expires). The every-minute sweeps' period is SWEEP_EVERY_SECONDS (60; tests shorten it). A standby takes over
# within the lock's expiry (one period) plus its poll (a quarter period): under two periods
# (tests/test_one_beat.py). The running beat renews the lock at every tick, at most a quarter period apart.
# The embedded SQLite broker (make run without Redis) keeps Celery's own file-based scheduler: one machine.
SWEEP_EVERY_SECONDS = float(os.environ.get("SWEEP_EVERY_SECONDS", "60"))
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_REDIS_OPTIONS: dict[str, object] = {}
    CELERY_REDBEAT_LOCK_TIMEOUT = max(1, round(SWEEP_EVERY_SECONDS))
    CELERY_BEAT_MAX_LOOP_INTERVAL = SWEEP_EVERY_SECONDS / 4
# /health/ fails when the beat sweep (every minute) last ran longer ago than this many seconds.
HEALTH_BEAT_MAX_AGE = int(os.environ.get("HEALTH_BEAT_MAX_AGE", "180"))
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "snapshot-trust-health-nightly": {
        "task": "crm.snapshot_all_trust_health",
        "schedule": crontab(hour=2, minute=15),
    },
    # Reminders: the sweep finds due digests and nudges in the database, enqueues them, and re-enqueues
    # rows whose message was lost. It is idempotent, so a missed or doubled beat is harmless; a sweep
    # that waited more than 55 s in the queue is dropped (the next one does its work).
    "sweep-reminders-every-minute": {
        "task": "crm.sweep_dispatches",
        "schedule": SWEEP_EVERY_SECONDS,
        "options": {"expires": SWEEP_EVERY_SECONDS * 0.9},
    },
    # Mail capture: hand the mailboxes whose next sync has come (every 5 minutes, backoff after failures) to
    # the workers; each mailbox's lock keeps a sync to one worker (crm/capture/sync.py).
    "sweep-mailboxes-every-minute": {
        "task": "crm.sweep_mailboxes",
        "schedule": SWEEP_EVERY_SECONDS,
        "options": {"expires": SWEEP_EVERY_SECONDS * 0.9},
    },
    # The trash keeps deleted records 30 days; the purge removes older ones (and undos past their time).
    "purge-trash-nightly": {
        "task": "crm.purge_trash",
        "schedule": crontab(hour=3, minute=5),
    },
    # Before the nightly trust run writes its snapshots; a backup still queued an hour later is dropped (the
    # next night's does its work) rather than run at a busy hour.
    "backup-database-nightly": {
        "task": "crm.backup_database",
        "schedule": crontab(hour=1, minute=45),
        "options": {"expires": 3600},
    },
}
# Exchange reference rates (docs/trust-model.md, "Money in several currencies"): when set, the ECB's
# eurofxref-hist.csv kept at this path (refreshed by the host, e.g. a daily curl and unzip) is loaded every day
# at 16:30 UTC, after the ECB publishes its rates (around 16:00 CET).
EXCHANGE_RATES_FILE = os.environ.get("EXCHANGE_RATES_FILE", "")
if EXCHANGE_RATES_FILE:
    CELERY_BEAT_SCHEDULE["load-exchange-rates-daily"] = {
        "task": "crm.load_exchange_rates",
        "schedule": crontab(hour=16, minute=30),
        "options": {"expires": 3600},
    }
if CELERY_BROKER_URL.startswith("sqla+"):
    # kombu's SQLAlchemy transport keeps every delivered message; delete them so the file stays small.
    CELERY_BEAT_SCHEDULE["purge-embedded-broker-hourly"] = {
        "task": "crm.purge_broker_messages",
        "schedule": crontab(minute=41),
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each step and page it lays out (an evidence pack's hundreds): its warnings are enough.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

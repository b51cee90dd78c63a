"""One settings module; every difference between machines comes from environment variables.

Without any variable set, the platform runs in its embedded default: SQLite file, tasks run
in-process, files in ./media, mails printed to the console. Production sets DATABASE_URL,
CELERY_BROKER_URL, EMAIL_URL, the S3 variables, SECRET_KEY and DEBUG=false.

A malformed value stops start-up with a message naming the variable (see ``_env_or_die``).
"""

import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None


_BOOLEAN_STRINGS = {"true", "on", "ok", "y", "yes", "1", "false", "off", "n", "no", "0"}


def _malformed(kind: str, raw: str, value) -> str | None:
    """What django-environ accepted silently but is wrong (it reads "maybe" as False, "notaurl" as {})."""
    if kind == "bool" and raw.strip().lower() not in _BOOLEAN_STRINGS:
        return f"expected true/false, yes/no, on/off or 1/0, got {raw!r}"
    # URLs may carry passwords: never echo them.
    if kind == "db_url" and "." not in (value.get("ENGINE") or ""):
        return "not a database URL (e.g. postgres://user@host:5432/name or sqlite:////path/db.sqlite3)"
    if kind == "url" and not (value.scheme and value.netloc):
        return "not an absolute URL (e.g. https://sad.example.fr)"
    return None


def _env_or_die(getter, name, **kwargs):
    """Read one variable; turn django-environ's cryptic errors, or its silent guesses, into a clear
    start-up failure that names the variable."""
    try:
        value = getter(name, **kwargs)
    except (ValueError, KeyError, ImproperlyConfigured, environ.compat.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc
    raw = env.ENVIRON.get(name)
    problem = _malformed(getattr(getter, "__name__", ""), raw, value) if raw else None
    if problem:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {problem}")
    return value


DEBUG = _env_or_die(env.bool, "DEBUG", default=True)
SECRET_KEY = _env_or_die(env.str, "SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = _env_or_die(env.list, "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = _env_or_die(env.list, "CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = _env_or_die(env.url, "SITE_URL", default="http://127.0.0.1:8000").geturl().rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "procurement.accounts",
    "procurement",
    "suppliers",
    "tenders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (stylesheets, the API docs' assets) served by the application itself, DEBUG or not.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in a query parameter is a 400 before any view passes it to the database.
    "procurement.api_support.reject_nul_in_query",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "procurement.locale.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A supplier uses the portal once the terms of use in force are accepted (procurement.accounts.middleware).
    "procurement.accounts.middleware.terms_gate",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A service's NotFound (procurement.errors) is a 404 page.
    "procurement.web.NotFoundMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "procurement.urls"

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
                "procurement.context_processors.navigation",
            ],
            # Every page writes its numbers with the same filter (``{{ amount|number }}``).
            "builtins": ["procurement.templatetags.figures"],
        },
    },
]

WSGI_APPLICATION = "procurement.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": _env_or_die(env.db_url, "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: one connection per worker thread, reused across requests.
DATABASES["default"]["CONN_MAX_AGE"] = _env_or_die(env.int, "CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: let concurrent writers wait instead of failing at once; WAL for readers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No request waits long on an unreachable server: connecting gives up after DB_CONNECT_TIMEOUT seconds, and
    # TCP keepalives notice a server gone in the middle of a query. A connection broken by a restart is
    # replaced at the next request (CONN_HEALTH_CHECKS).
    # No JIT compilation: the lists' queries are short, and a cost estimate above the JIT threshold (a fresh
    # table, a few joins) made PostgreSQL spend a quarter of a second compiling a query that runs in 1 ms.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["OPTIONS"].update({
        "connect_timeout": _env_or_die(env.int, "DB_CONNECT_TIMEOUT", default=5),
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = _env_or_die(
    env.list,
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
# Lifetime of an API token (POST /api/v1/auth/token/), in hours; a new login gives a new one.
API_TOKEN_LIFETIME_HOURS = _env_or_die(env.int, "API_TOKEN_LIFETIME_HOURS", default=12)
if API_TOKEN_LIFETIME_HOURS < 1:
    raise ImproperlyConfigured("API_TOKEN_LIFETIME_HOURS must be at least 1.")
# Anonymous attempts (procurement.accounts.throttle), counted in the cache: after so many failed logins for one
# address (or from one network address) logging in is refused for LOGIN_LOCKOUT_MINUTES; mails sent on request
# (registration, verification link, password reset) are limited per address and per network address an hour.
LOGIN_FAILURES_PER_ADDRESS = _env_or_die(env.int, "LOGIN_FAILURES_PER_ADDRESS", default=10)
LOGIN_FAILURES_PER_IP = _env_or_die(env.int, "LOGIN_FAILURES_PER_IP", default=50)
LOGIN_LOCKOUT_MINUTES = _env_or_die(env.int, "LOGIN_LOCKOUT_MINUTES", default=15)
ACCOUNT_MAILS_PER_ADDRESS = _env_or_die(env.int, "ACCOUNT_MAILS_PER_ADDRESS", default=5)
ACCOUNT_MAILS_PER_IP = _env_or_die(env.int, "ACCOUNT_MAILS_PER_IP", default=30)
# Reverse proxies in front of the application: the caller's address is read that many places from the right of
# X-Forwarded-For (0: REMOTE_ADDR, no proxy).
TRUSTED_PROXIES = _env_or_die(env.int, "TRUSTED_PROXIES", default=0)
# Validity of the links in verification and password-reset mails (seconds).
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# --- Cache: the counters of procurement.accounts.throttle. Production shares them between workers in Redis
# (CACHE_URL=redis://host:6379/1); the embedded default keeps them in each process's memory.
CACHES = {"default": _env_or_die(env.cache_url, "CACHE_URL", default="locmemcache://")}
# Cached list pages and API lists (procurement.listcache): seconds an entry lives. Off (0) when the cache is
# each process's own memory, since a write served by one worker could not invalidate the others' copies.
_SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
LIST_CACHE_SECONDS = _env_or_die(env.int, "LIST_CACHE_SECONDS", default=60 if _SHARED_CACHE else 0)

# --- i18n: French first --------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise from STATIC_ROOT after `collectstatic`, and straight from the app folders
# otherwise, so that DEBUG=false never leaves the pages without their stylesheets.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at: ")  # WhiteNoise, before collectstatic
MEDIA_ROOT = Path(_env_or_die(env.str, "MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

AWS_STORAGE_BUCKET_NAME = _env_or_die(env.str, "AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = _env_or_die(env.str, "AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = _env_or_die(env.str, "AWS_S3_REGION_NAME", default="eu-west-3")
    AWS_ACCESS_KEY_ID = _env_or_die(env.str, "AWS_ACCESS_KEY_ID", default="") or None
    AWS_SECRET_ACCESS_KEY = _env_or_die(env.str, "AWS_SECRET_ACCESS_KEY", default="") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    AWS_LOCATION = _env_or_die(env.str, "AWS_LOCATION", default="")
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Evidence uploads: hard limit checked by the service (bytes).
EVIDENCE_MAX_UPLOAD_BYTES = _env_or_die(env.int, "EVIDENCE_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = _env_or_die(env.email_url, "EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = _env_or_die(env.int, "EMAIL_TIMEOUT", default=30)  # seconds; an SMTP server never hangs a worker
DEFAULT_FROM_EMAIL = _env_or_die(env.str, "DEFAULT_FROM_EMAIL", default="SAD Rénovation <noreply@sad-renovation.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A generated document larger than this is linked in its mail instead of attached (bytes).
MAIL_ATTACHMENT_MAX_BYTES = _env_or_die(env.int, "MAIL_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = _env_or_die(env.str, "CELERY_BROKER_URL", default="") or "memory://"
# Without a broker, tasks run in-process (still after commit: callers queue them with transaction.on_commit).
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = _env_or_die(env.str, "CELERY_RESULT_BACKEND", default="") or None
# A task is acknowledged once done (acks_late): a worker that dies before leaves it with the broker, which
# hands it to another worker after the visibility timeout (Redis' default, an hour, would strand a mail that
# long). Both the timeout and the mail sweep run every MAIL_SWEEP_SECONDS, so a mail whose worker was killed
# goes out within that period: redelivered, its batch takes back the mails still "sending" after
# MAIL_INTERRUPTED_AFTER (longer than one SMTP send may last, EMAIL_TIMEOUT) and sends the rest, each once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
MAIL_SWEEP_SECONDS = _env_or_die(env.int, "MAIL_SWEEP_SECONDS", default=300)
MAIL_INTERRUPTED_AFTER = _env_or_die(env.int, "MAIL_INTERRUPTED_AFTER", default=120)
CELERY_VISIBILITY_TIMEOUT = _env_or_die(env.int, "CELERY_VISIBILITY_TIMEOUT", default=MAIL_SWEEP_SECONDS)
# Redis looks for tasks past their visibility timeout every ``unacked_restore_interval`` seconds (kombu's default
# scans every 10 × 10 s): a tenth of the timeout at most, so a task is handed out again within 1.1 timeouts.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
if not EMAIL_TIMEOUT < MAIL_INTERRUPTED_AFTER <= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("EMAIL_TIMEOUT < MAIL_INTERRUPTED_AFTER <= CELERY_VISIBILITY_TIMEOUT is required: a send "
                               "in progress is never taken back, a redelivered batch takes back an interrupted one.")
CELERY_TIMEZONE = TIME_ZONE
# Deadline jobs are cheap indexed queries: run them every minute so that a deadline is acted upon
# within a minute of passing (and right after a clock change), not hours later.
SCHEDULE_SECONDS = _env_or_die(env.float, "SCHEDULE_SECONDS", default=60.0)
# Every job is a short interval, so beat keeps its schedule in memory: a schedule file written while the
# clock was ahead (libfaketime, a corrected system clock) would otherwise hold every job back until that
# future came again. After a restart each job first runs one interval later; --schedule is ignored.
# The scheduler also copes with the clock moving back while beat runs (procurement/beat.py).
CELERY_BEAT_SCHEDULER = "procurement.beat:ClockSafeScheduler"
CELERY_BEAT_SCHEDULE = {
    "retry-unsent-emails": {"task": "procurement.tasks.retry_unsent_emails", "schedule": float(MAIL_SWEEP_SECONDS)},
    "dps-close-expired": {"task": "procurement.tasks.dps_close_expired", "schedule": SCHEDULE_SECONDS},
    "evidence-expiry-reminders": {"task": "suppliers.tasks.evidence_expiry_reminders", "schedule": SCHEDULE_SECONDS},
    "declaration-renewals-suspend-overdue": {
        "task": "suppliers.tasks.declaration_renewals_suspend_overdue",
        "schedule": SCHEDULE_SECONDS,
    },
    # Bids are refused at the deadline whatever this job does; it only moves the tender to "closed".
    "tenders-close-expired": {"task": "tenders.tasks.tenders_close_expired", "schedule": SCHEDULE_SECONDS},
    "tender-invitation-mails-sweep": {"task": "tenders.tasks.invitation_mails_sweep", "schedule": 120.0},
    # R2152-2: a regularisation unanswered at its due date leaves the bid irregular.
    "bid-regularisations-expire": {"task": "tenders.tasks.regularisations_expire", "schedule": SCHEDULE_SECONDS},
    # The URSSAF vigilance certificate is asked again every 6 months of the works (once per period).
    "contracts-vigilance-reminders": {"task": "tenders.tasks.contracts_vigilance_reminders", "schedule": 3600.0},
}

# --- Domain settings -----------------------------------------------------------------------
# "ouvrables" (Monday-Saturday) or "ouvres" (Monday-Friday), minus French public holidays.
WORKING_DAYS_MODE = _env_or_die(env.str, "WORKING_DAYS_MODE", default="ouvrables")
if WORKING_DAYS_MODE not in {"ouvrables", "ouvres"}:
    raise ImproperlyConfigured("WORKING_DAYS_MODE must be 'ouvrables' or 'ouvres'.")
BUYER_NAME = _env_or_die(env.str, "BUYER_NAME", default="Habitat Hauts-de-France ESH")

# --- Sealed bids ----------------------------------------------------------------------------
# Master keys that wrap each tender's data key (tenders.sealing): base64 of 32 random bytes, comma-separated,
# the first one current, the others kept to unwrap the keys of older tenders after a rotation.
# Generate one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"
SEALING_MASTER_KEYS = _env_or_die(env.list, "SEALING_MASTER_KEYS", default=[])
if not SEALING_MASTER_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("SEALING_MASTER_KEYS must be set when DEBUG is false (sealed bids).")
    # Development only: a key derived from the development SECRET_KEY so that `make run` works as is.
    import base64 as _b64
    import hashlib as _hashlib

    SEALING_MASTER_KEYS = [_b64.b64encode(_hashlib.sha256(b"sealing:" + SECRET_KEY.encode()).digest()).decode()]
for _key in SEALING_MASTER_KEYS:
    try:
        if len(__import__("base64").b64decode(_key, validate=True)) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "SEALING_MASTER_KEYS: each key must be the base64 of exactly 32 random bytes."
        ) from None
TENDER_MAX_UPLOAD_BYTES = _env_or_die(env.int, "TENDER_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# A price schedule (DPGF) uploaded as XLSX, in the wizard or the bid form: at most this size (bytes).
DPGF_MAX_UPLOAD_BYTES = _env_or_die(env.int, "DPGF_MAX_UPLOAD_BYTES", default=2 * 1024 * 1024)

# --- Generated documents (procurement.documents) --------------------------------------------
# The VAT rate (%) the acte d'engagement applies to the contract's amount excluding VAT: 20 by default; 10 or
# 5.5 for the renovation of dwellings that qualify (CGI art. 278-0 bis A, 279-0 bis).
CONTRACT_VAT_RATE = _env_or_die(env.str, "CONTRACT_VAT_RATE", default="20")
try:
    if not 0 <= __import__("decimal").Decimal(CONTRACT_VAT_RATE) < 100:
        raise ValueError
except (ValueError, ArithmeticError):
    raise ImproperlyConfigured("CONTRACT_VAT_RATE must be a percentage such as 20, 10 or 5.5.") from None
# The buyer's legal nature, which decides before which judge its decisions are contested (procurement.remedies):
# "private" for an ESH (a société anonyme d'HLM: judicial courts), "public" for a public body such as an OPH
# (administrative courts).
BUYER_LEGAL_REGIME = _env_or_die(env.str, "BUYER_LEGAL_REGIME", default="private")
if BUYER_LEGAL_REGIME not in ("private", "public"):
    raise ImproperlyConfigured('BUYER_LEGAL_REGIME must be "private" (an ESH) or "public" (an OPH).')
# The letterhead of every generated PDF.
LANDLORD_NAME = _env_or_die(env.str, "LANDLORD_NAME", default=BUYER_NAME)
LANDLORD_ADDRESS = _env_or_die(env.str, "LANDLORD_ADDRESS",
                               default="12 rue Faidherbe\n59000 Lille")
# The footer's legal pages (procurement/site/legal.py): who publishes the platform and whom to write to.
LANDLORD_SIREN = _env_or_die(env.str, "LANDLORD_SIREN", default="")
LANDLORD_EMAIL = _env_or_die(env.str, "LANDLORD_EMAIL", default="achats@example.org")
LANDLORD_PHONE = _env_or_die(env.str, "LANDLORD_PHONE", default="")
LANDLORD_PUBLICATION_DIRECTOR = _env_or_die(env.str, "LANDLORD_PUBLICATION_DIRECTOR", default="")
LANDLORD_DPO_EMAIL = _env_or_die(env.str, "LANDLORD_DPO_EMAIL", default="dpo@example.org")
LANDLORD_HOST = _env_or_die(env.str, "LANDLORD_HOST", default="")
# The version of the terms of use and privacy notice in force: each registration records its acceptance of it
# (procurement.accounts.models.TermsAcceptance). Change it whenever templates/legal/cgu.html or
# donnees_personnelles.html change in substance.
TERMS_VERSION = _env_or_die(env.str, "TERMS_VERSION", default="2026-12")
LANDLORD_LOGO = Path(_env_or_die(env.str, "LANDLORD_LOGO", default=str(BASE_DIR / "static/documents/logo.svg")))
# The landlord's sealing certificate and key (PEM), for PAdES signatures. Without them, DEBUG uses a
# development certificate generated on first use under SIGNING_DEV_DIR; with DEBUG=false the system check
# sad.E010 stops start-up.
SIGNING_CERT_FILE = _env_or_die(env.str, "SIGNING_CERT_FILE", default="")
SIGNING_KEY_FILE = _env_or_die(env.str, "SIGNING_KEY_FILE", default="")
SIGNING_KEY_PASSWORD = _env_or_die(env.str, "SIGNING_KEY_PASSWORD", default="")
SIGNING_DEV_DIR = Path(_env_or_die(env.str, "SIGNING_DEV_DIR", default=str(BASE_DIR / "var" / "signing")))
# Whether that development certificate may be used (decided once, here: the test runner turns DEBUG off later).
SIGNING_DEVELOPMENT_CERTIFICATE = _env_or_die(env.bool, "SIGNING_DEVELOPMENT_CERTIFICATE", default=DEBUG)
# A RFC 3161 time-stamping authority: signatures become PAdES B-T instead of B-B.
SIGNING_TSA_URL = _env_or_die(env.str, "SIGNING_TSA_URL", default="")
if SIGNING_TSA_URL:
    _env_or_die(env.url, "SIGNING_TSA_URL")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "procurement.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "procurement.api_support.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "procurement.api_support.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["procurement.api_renderers.JSONRenderer"],
    # DRF's parsers with bounds: body size checked before parsing, nesting depth and NUL characters after.
    "DEFAULT_PARSER_CLASSES": [
        "procurement.api_parsers.JSONParser",
        "procurement.api_parsers.MultiPartParser",
        "procurement.api_parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SAD Rénovation API",
    "DESCRIPTION": "Dynamic purchasing system for renovation works: REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Errors in problem+json, documented on every operation (procurement.api_support.problem_responses).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "procurement.api_support.problem_responses"],
    # Choice sets used by several components get one name each (instead of a hash-suffixed one).
    "ENUM_NAME_OVERRIDES": {
        "TenderStatusEnum": "tenders.models.TenderStatus",
        "BidStatusEnum": "tenders.models.BidStatus",
        "CriterionKindEnum": "tenders.models.CriterionKind",
        "PriceMethodEnum": "tenders.models.PriceMethod",
        "EnergyLabelEnum": "tenders.models.EnergyLabel",
        "TenderDocumentKindEnum": "tenders.models.TenderDocumentKind",
        "BidDocumentKindEnum": "tenders.models.BidDocumentKind",
    },
}

# --- Security (production values come with DEBUG=false) ------------------------------------
# Cookies marked Secure are never sent back over plain HTTP: they follow the scheme of SITE_URL, so that a
# site served over http:// (SECURE_SSL_REDIRECT=false, loopback, a test bench) still has working logins.
SECURE_COOKIES = _env_or_die(env.bool, "SECURE_COOKIES", default=not DEBUG and SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = _env_or_die(env.bool, "SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = _env_or_die(env.int, "SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Pages may not be framed; the one evidence preview shown in the review page sets SAMEORIGIN itself.
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response: scripts, styles, images and fonts from this site only (page
# scripts are files under static/js, never inline; no style attribute either), nothing framed but this
# site's own document previews, forms posted to this site only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env_or_die(env.str, "LOG_LEVEL", default="INFO")},
    # In-process tasks still build a (never connected) producer: kombu's "no hostname" notice is noise.
    "loggers": {
        "kombu.connection": {"level": "ERROR" if CELERY_TASK_ALWAYS_EAGER else "WARNING"},
        # WeasyPrint reports each rendering step, fontTools each subset: noise at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # A tampered PDF submitted for verification is an answer ("not intact"), not an error to log.
        "pyhanko.sign.diff_analysis": {"level": "CRITICAL"},
    },
}

"""kyocho settings: one file, everything read from ``KYOCHO_*`` environment variables.

Development defaults make ``make run`` work on a fresh clone. With ``KYOCHO_ENV=production`` the
process refuses to start on an insecure configuration (see ``check_production``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from kyocho.core.env import (
    ConfigError,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("KYOCHO_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
# Created here so every entry point (server, CLI, tests) finds it on a fresh clone.
DATA_DIR.mkdir(parents=True, exist_ok=True)
ENVIRONMENT = env_str("KYOCHO_ENV", "development")
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ConfigError(f"KYOCHO_ENV={ENVIRONMENT!r}: use development, production or test")
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "kyocho-development-only-not-secret"  # noqa: S105 - refused in production below
SECRET_KEY = env_secret("KYOCHO_SECRET_KEY", None if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("KYOCHO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("KYOCHO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
SITE_URL = env_str("KYOCHO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("KYOCHO_CSRF_TRUSTED_ORIGINS", [SITE_URL])

DATABASES = {
    "default": database_from_url(env_str("KYOCHO_DATABASE_URL", f"sqlite:///{DATA_DIR / 'kyocho.sqlite3'}"), DATA_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its templates and static files: the API documentation page without a CDN
    "kyocho.core",
    "kyocho.audit",
    "kyocho.accounts",
    "kyocho.intake",
    "kyocho.cases",
    "kyocho.disclosure",
    "kyocho.advisories",
    "kyocho.vendors",
    "kyocho.messaging",
    "kyocho.staff",
    "kyocho.portal",
    "kyocho.public",
    "kyocho.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kyocho.accounts.middleware.RequireMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kyocho.urls"
WSGI_APPLICATION = "kyocho.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kyocho.core.context.site",
            ]
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "public:index"

# allauth: email login, no public sign-up for staff roles, throttled login, MFA.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("KYOCHO_EMAIL_VERIFICATION", "optional")
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_LOGOUT_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_TOTP_ISSUER = "kyocho"
MFA_ADAPTER = "kyocho.accounts.adapter.MfaAdapter"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("KYOCHO_TIME_ZONE", "Asia/Tokyo")
LANGUAGE_COOKIE_NAME = "kyocho_language"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # kyocho/static: the layout's own stylesheet and icon
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Mail: every message goes through the outbox; this is the SMTP relay the delivery task uses.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("KYOCHO_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("KYOCHO_SMTP_PORT", 1025, minimum=1)
EMAIL_HOST_USER = env_str("KYOCHO_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_secret("KYOCHO_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KYOCHO_SMTP_STARTTLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("KYOCHO_MAIL_FROM", "kyocho <cvd@localhost>")

# A shared cache makes rate limits hold across processes: KYOCHO_CACHE_URL=redis://127.0.0.1:6379/0.
_cache_url = env_str("KYOCHO_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kyocho"}
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KYOCHO_BEHIND_PROXY", False) else None

# Request size limits: form fields (the non-file part of a request) and the number of files per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KYOCHO_DATA_UPLOAD_MAX_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# The process's own rules (PRODUCT.md marks them configurable).
KYOCHO: dict[str, Any] = {
    "TRIAGE_BUSINESS_DAYS": env_int("KYOCHO_TRIAGE_BUSINESS_DAYS", 5, minimum=1),
    "NEEDS_INFO_EXPIRY_DAYS": env_int("KYOCHO_NEEDS_INFO_EXPIRY_DAYS", 30, minimum=1),
    "DEFAULT_DISCLOSURE_DAYS": env_int("KYOCHO_DEFAULT_DISCLOSURE_DAYS", 45, minimum=1),
    "REMINDER_DAYS": env_int("KYOCHO_REMINDER_DAYS", 7, minimum=1),
    "ESCALATION_DAYS": env_int("KYOCHO_ESCALATION_DAYS", 14, minimum=1),
    # The staff digest goes out once a day at this hour of KYOCHO_TIME_ZONE; it lists the target
    # disclosure dates of the next DIGEST_DISCLOSURE_DAYS days.
    "DIGEST_HOUR": env_int("KYOCHO_DIGEST_HOUR", 9, minimum=0, maximum=23),
    "DIGEST_DISCLOSURE_DAYS": env_int("KYOCHO_DIGEST_DISCLOSURE_DAYS", 7, minimum=1),
    "UNREACHABLE_MIN_ATTEMPTS": env_int("KYOCHO_UNREACHABLE_MIN_ATTEMPTS", 3, minimum=1),
    "UNREACHABLE_MIN_DAYS": env_int("KYOCHO_UNREACHABLE_MIN_DAYS", 30, minimum=1),
    "UNREACHABLE_MIN_CHANNELS": env_int("KYOCHO_UNREACHABLE_MIN_CHANNELS", 2, minimum=1),
    # Stage 2 of the unreachable listing (product added) comes about three months after stage 1.
    "UNREACHABLE_STAGE2_DAYS": env_int("KYOCHO_UNREACHABLE_STAGE2_DAYS", 90, minimum=1),
    "ADVISORY_ID_PATTERNS": {
        "jvn": env_str("KYOCHO_ID_PATTERN_JVN", "JVN#{digits8}"),
        "jvnvu": env_str("KYOCHO_ID_PATTERN_JVNVU", "JVNVU#{digits8}"),
        "jvnta": env_str("KYOCHO_ID_PATTERN_JVNTA", "JVNTA#{digits8}"),
    },
    "KEY_EXPIRY_WARNING_DAYS": env_int("KYOCHO_KEY_EXPIRY_WARNING_DAYS", 30, minimum=1),
    "MAIL_MAX_ATTEMPTS": env_int("KYOCHO_MAIL_MAX_ATTEMPTS", 8, minimum=1),
    # SMTP connections a batch of mail is sent over at once (one message per recipient either way).
    "SMTP_CONNECTIONS": env_int("KYOCHO_SMTP_CONNECTIONS", 2, minimum=1),
    # Helper processes a large batch (200 messages or more) is signed, encrypted and sent by; 1: none.
    "MAIL_PROCESSES": env_int("KYOCHO_MAIL_PROCESSES", 2, minimum=1),
    # Replies come to LOCAL+TOKEN@DOMAIN of this address (default: the From address).
    "REPLY_ADDRESS": env_str("KYOCHO_REPLY_ADDRESS", ""),
    "WORKER_HEARTBEAT_SECONDS": env_int("KYOCHO_WORKER_HEARTBEAT_SECONDS", 30, minimum=1),
    # Report forms: attachments and abuse limits (docs/reporting.md).
    "ATTACHMENT_MAX_BYTES": env_int("KYOCHO_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1),
    "ATTACHMENT_MAX_COUNT": env_int("KYOCHO_ATTACHMENT_MAX_COUNT", 5, minimum=0),
    # At most one content-free "new message" notice per party and thread in this many minutes (0: every message).
    "CONVERSATION_NOTICE_WINDOW_MINUTES": env_int("KYOCHO_CONVERSATION_NOTICE_WINDOW_MINUTES", 15, minimum=0),
    "REPORT_LIMIT_PER_IP": env_int("KYOCHO_REPORT_LIMIT_PER_IP", 10, minimum=1),
    "REPORT_LIMIT_PER_EMAIL": env_int("KYOCHO_REPORT_LIMIT_PER_EMAIL", 5, minimum=1),
    "REPORT_LIMIT_WINDOW_SECONDS": env_int("KYOCHO_REPORT_LIMIT_WINDOW_SECONDS", 3600, minimum=1),
    "SBOM_MAX_BYTES": env_int("KYOCHO_SBOM_MAX_BYTES", 20 * 1024 * 1024, minimum=1024),
    # Anonymous report submissions through the API, per client address and window.
    "API_REPORT_RATE_LIMIT": env_int("KYOCHO_API_REPORT_RATE_LIMIT", 10, minimum=1),
    "API_REPORT_RATE_WINDOW_SECONDS": env_int("KYOCHO_API_REPORT_RATE_WINDOW_SECONDS", 3600, minimum=1),
    # Inbound mail (docs/inbound-mail.md): the receiver's size limit, and the IMAP mailbox to poll instead.
    "INBOUND_MAX_BYTES": env_int("KYOCHO_INBOUND_MAX_BYTES", 25 * 1024 * 1024, minimum=1024),
    "IMAP": {
        "HOST": env_str("KYOCHO_IMAP_HOST", ""),  # empty: no polling
        "PORT": env_int("KYOCHO_IMAP_PORT", 0, minimum=0),  # 0: 993 with TLS "ssl", else 143
        "USER": env_str("KYOCHO_IMAP_USER", ""),
        "PASSWORD": env_secret("KYOCHO_IMAP_PASSWORD", ""),
        "MAILBOX": env_str("KYOCHO_IMAP_MAILBOX", "INBOX"),
        "TLS": env_choice("KYOCHO_IMAP_TLS", "ssl", ("ssl", "starttls", "none")),
        "CA_FILE": env_str("KYOCHO_IMAP_CA_FILE", ""),  # empty: the system's certificate authorities
        "AFTER": env_choice("KYOCHO_IMAP_AFTER", "seen", ("seen", "delete", "move")),  # once stored
        "MOVE_TO": env_str("KYOCHO_IMAP_MOVE_TO", ""),
    },
    "IMAP_POLL_SECONDS": env_int("KYOCHO_IMAP_POLL_SECONDS", 60, minimum=5),
    # CVE Services, when this installation is a CNA: enabled only when all four are set (docs/cve-services.md).
    "CVE_SERVICES": {
        "URL": env_str("KYOCHO_CVE_SERVICES_URL", ""),
        "ORG": env_str("KYOCHO_CVE_SERVICES_ORG", ""),
        "USER": env_str("KYOCHO_CVE_SERVICES_USER", ""),
        "API_KEY": env_secret("KYOCHO_CVE_SERVICES_API_KEY", ""),
    },
}
if KYOCHO["IMAP"]["CA_FILE"] and not Path(KYOCHO["IMAP"]["CA_FILE"]).is_file():
    raise ConfigError(f"KYOCHO_IMAP_CA_FILE={KYOCHO['IMAP']['CA_FILE']!r} is not a file")
if KYOCHO["IMAP"]["AFTER"] == "move" and not KYOCHO["IMAP"]["MOVE_TO"]:
    raise ConfigError("KYOCHO_IMAP_AFTER=move needs KYOCHO_IMAP_MOVE_TO (the mailbox to move mail to)")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KYOCHO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "waitress.queue": {"level": "ERROR"}},
}


def check_production() -> list[str]:
    """What makes this configuration unsafe to run in production; empty when it is fine."""
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("KYOCHO_SECRET_KEY must be a random value of at least 50 characters")
    if DEBUG:
        problems.append("KYOCHO_DEBUG must be off")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("KYOCHO_ALLOWED_HOSTS must list the host names kyocho is served under")
    if not SITE_URL.startswith("https://"):
        problems.append("KYOCHO_SITE_URL must be an https:// address")
    return problems


if PRODUCTION and (_problems := check_production()):
    raise ConfigError("refusing to start in production: " + "; ".join(_problems))

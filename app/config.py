"""Configuration read from the environment; SQLite by default so `make run` needs nothing else."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("UMIT_INSTANCE_DIR", BASE_DIR / "instance"))

LANGUAGES: dict[str, str] = {
    "kk": "Қазақша",
    "ru": "Русский",
    "en": "English",
    "fa_AF": "دری",
    "ps": "پښتو",
}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'umit.db'}")
    # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Settings for development and production; every secret comes from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    INSTANCE_DIR = INSTANCE_DIR
    UPLOAD_DIR = Path(os.environ.get("UMIT_UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("UMIT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
    MAX_DOCUMENT_BYTES = int(os.environ.get("UMIT_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024))

    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("UMIT_SECURE_COOKIES", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("UMIT_IDLE_MINUTES", 60)))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("UMIT_LOGIN_RATE_LIMIT", "10 per minute")
    MAX_FAILED_LOGINS = int(os.environ.get("UMIT_MAX_FAILED_LOGINS", 5))
    LOCKOUT_MINUTES = int(os.environ.get("UMIT_LOCKOUT_MINUTES", 15))
    # Staff (ministry, university, admin) confirm every sign-in with an authenticator code.
    STAFF_2FA_REQUIRED = _bool("UMIT_STAFF_2FA_REQUIRED", True)

    # Fernet keys, comma-separated: the first encrypts, every one decrypts (key rotation).
    UMIT_ENCRYPTION_KEYS = os.environ.get("UMIT_ENCRYPTION_KEYS", "")
    # Only development and tests may fall back to a key derived from SECRET_KEY.
    ENCRYPTION_DEV_KEY_ALLOWED = False

    # Retention (`flask umit purge`): unsent drafts this many days after the window closed;
    # applicant accounts with no application and no sign-in for this many months.
    RETENTION_DRAFT_DAYS = int(os.environ.get("UMIT_RETENTION_DRAFT_DAYS", 30))
    ACCOUNT_RETENTION_MONTHS = int(os.environ.get("UMIT_ACCOUNT_RETENTION_MONTHS", 24))

    MAIL_BACKEND = os.environ.get("UMIT_MAIL_BACKEND", "log")  # "log" or "smtp"
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Umit <no-reply@umit.example>")
    DEV_MAILBOX = _bool("UMIT_DEV_MAILBOX", False)

    # "sqlite" (a file beside the database, no server), "redis" (production), "memory" (tests).
    HUEY_BACKEND = os.environ.get("HUEY", os.environ.get("HUEY_BACKEND", "sqlite"))
    HUEY_SQLITE_PATH = os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE_DIR / "huey.db"))
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    HUEY_IMMEDIATE = _bool("HUEY_IMMEDIATE", False)

    BASE_URL = os.environ.get("UMIT_BASE_URL", "http://127.0.0.1:5000")

    TESTING = False


class DevelopmentConfig(Config):
    """Local `make run`: plain HTTP on 127.0.0.1, mail shown on the dev mailbox page."""

    SESSION_COOKIE_SECURE = _bool("UMIT_SECURE_COOKIES", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    DEV_MAILBOX = _bool("UMIT_DEV_MAILBOX", True)
    ENCRYPTION_DEV_KEY_ALLOWED = True
    # The demo staff accounts have no authenticator yet; set UMIT_STAFF_2FA_REQUIRED=1 to try
    # the second-factor flow locally. Production (Config) requires it.
    STAFF_2FA_REQUIRED = _bool("UMIT_STAFF_2FA_REQUIRED", False)


class TestConfig(Config):
    """The suite: inline jobs, fast hashes; the database URL comes from the test fixtures."""

    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105 - test-only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HUEY_BACKEND = "memory"
    HUEY_IMMEDIATE = True
    DEV_MAILBOX = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    ARGON2_FAST = True
    # Other tests sign staff in with a password only; tests of the second factor turn it on.
    STAFF_2FA_REQUIRED = False
    ENCRYPTION_DEV_KEY_ALLOWED = True

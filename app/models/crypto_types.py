"""Encryption at rest: the key ring from configuration and an encrypted string column type.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256) listed in UMIT_ENCRYPTION_KEYS, separated by
commas. The first key encrypts; every listed key decrypts, so a new key can be put first and
`flask umit rotate-keys` re-encrypts everything before the old key is removed. Development and
the test suite may run without keys on one derived from SECRET_KEY; production refuses to start.

Encrypted values are randomised: the same plaintext never gives the same ciphertext, so an
encrypted column cannot be searched or compared in SQL — load the rows and compare in Python.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.engine import Dialect

DEV_KEY_CONTEXT = b"umit development-only encryption key, derived from SECRET_KEY:"


class EncryptionKeyError(RuntimeError):
    """The configured keys are missing or malformed: the portal must not run without them."""


class DecryptionError(RuntimeError):
    """A stored value was not encrypted with any configured key (wrong keys, or tampering)."""


def dev_key(secret_key: str) -> str:
    """Return the development-only Fernet key derived from SECRET_KEY (never for production)."""
    digest = hashlib.sha256(DEV_KEY_CONTEXT + secret_key.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def configured_keys(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the encryption keys in force, first (encrypting) key first.

    Refuses to fall back to the derived development key unless ENCRYPTION_DEV_KEY_ALLOWED.
    """
    raw = str(config.get("UMIT_ENCRYPTION_KEYS") or "")
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not keys:
        if not config.get("ENCRYPTION_DEV_KEY_ALLOWED"):
            raise EncryptionKeyError(
                "UMIT_ENCRYPTION_KEYS is not set. Generate a key with "
                "`flask umit new-encryption-key` and set it before starting Umit."
            )
        return (dev_key(str(config["SECRET_KEY"])),)
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as err:
            raise EncryptionKeyError(
                f"UMIT_ENCRYPTION_KEYS: key {number} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from err
    return keys


def check_encryption_keys(config: Mapping[str, Any]) -> None:
    """Fail at start-up, not at the first upload, when the keys are missing or malformed."""
    configured_keys(config)


@lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def key_ring() -> MultiFernet:
    """Return the MultiFernet for the current app's keys."""
    return _ring(configured_keys(current_app.config))


def encrypt_text(value: str) -> str:
    """Encrypt a string with the first key; the result is ASCII (a Fernet token)."""
    return key_ring().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """Decrypt a string encrypted with any configured key."""
    try:
        return key_ring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as err:
        raise DecryptionError("a stored value could not be decrypted with any key") from err


def rotate_token(token: str) -> str:
    """Re-encrypt a Fernet token under the first key (decrypting with any configured key)."""
    try:
        return key_ring().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as err:
        raise DecryptionError("a stored value could not be decrypted with any key") from err


class EncryptedString(TypeDecorator[str]):
    """A text column stored encrypted; "" and NULL are stored as they are (nothing to hide).

    The database only ever sees Fernet tokens, so a dump, a backup or a stolen disk shows no
    plaintext. Queries cannot filter on the value (each encryption is randomised).
    """

    impl = Text
    cache_ok = True

    def __init__(self, sqlite_length: int | None = None) -> None:
        super().__init__()
        # SQLite never enforces VARCHAR lengths, so a column that began as String(n) keeps that
        # declaration there: no migration has to re-create tables other rows refer to.
        self.sqlite_length = sqlite_length

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite" and self.sqlite_length:
            return String(self.sqlite_length)
        return Text()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return encrypt_text(str(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)


def encrypted_columns() -> list[tuple[Any, Any]]:
    """Return (table, column) for every column of the model stored with EncryptedString."""
    from app.extensions import db

    return [
        (table, column)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedString)
    ]


def rotate_encrypted_columns() -> dict[str, int]:
    """Re-encrypt every stored value of every encrypted column with the first key.

    Works on the raw tokens (no plaintext leaves this function) and bypasses the ORM, so
    optimistic-lock versions do not move. Returns how many values each column had. Flushes
    nothing through the session: the caller commits the connection's transaction.
    """
    from sqlalchemy import literal, select

    from app.extensions import db

    counts: dict[str, int] = {}
    for table, column in encrypted_columns():
        primary = list(table.primary_key.columns)[0]
        rows = db.session.execute(
            select(primary, _raw(column)).where(column.is_not(None), _raw(column) != "")
        ).all()
        for row_id, token in rows:
            db.session.execute(
                table.update()
                .where(primary == row_id)
                .values({column.name: literal(rotate_token(token), Text())})
            )
        counts[f"{table.name}.{column.name}"] = len(rows)
    return counts


def _raw(column: Any) -> Any:
    """The column read as plain text, without decrypting (type_coerce skips the decorator)."""
    from sqlalchemy import type_coerce

    return type_coerce(column, Text())

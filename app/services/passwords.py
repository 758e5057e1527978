"""Argon2id password hashing; parameters come from argon2-cffi's RFC 9106 profile."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import current_app

_default = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
# The suite hashes hundreds of passwords; still argon2id, with cheap parameters.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("ARGON2_FAST") else _default


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password`."""
    return _hasher().hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """Say whether `password` matches; a malformed hash is a mismatch, never an error."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Say whether the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)

"""Argon2id password hashing with the OWASP Password Storage Cheat Sheet parameters.

m = 19 MiB, t = 2, p = 1 is OWASP's recommended argon2id setting. It costs about 22 ms of one
core per sign-in; the RFC 9106 low-memory profile used before (64 MiB, t = 3, 4 lanes) took
about 180 ms of CPU on both cores, so 50 people signing in at once starved every page on a
2-core server (bench/bench_load.py). Hashes made with the old profile still verify, and
`needs_rehash` re-hashes them with these parameters at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_default = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
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

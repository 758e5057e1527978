"""Password hashing: production parameters, and old hashes upgraded at sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.extensions import db
from app.models import User
from app.services import accounts
from app.services.passwords import check_password, hash_password, needs_rehash

PRODUCTION_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture()
def production_hashing(app, monkeypatch):
    """The suite hashes with cheap parameters; these tests need the real ones."""
    monkeypatch.setitem(app.config, "ARGON2_FAST", False)


def test_production_hashes_use_the_owasp_parameters(app_ctx, production_hashing):
    stored = hash_password("correct horse battery staple")
    assert stored.startswith(PRODUCTION_PREFIX)
    assert check_password(stored, "correct horse battery staple")
    assert not check_password(stored, "correct horse battery stapler")
    assert not needs_rehash(stored)


def test_a_malformed_hash_is_a_mismatch_not_an_error(app_ctx, production_hashing):
    assert not check_password("not a hash", "anything")


def test_an_old_profile_hash_still_signs_in_and_is_upgraded(app_ctx, make, production_hashing):
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash("an older passphrase")
    user = make.user("applicant")
    db.session.get(User, user.id).password_hash = old
    db.session.commit()

    signed_in = accounts.authenticate(user.email, "an older passphrase")

    assert signed_in.id == user.id
    assert signed_in.password_hash.startswith(PRODUCTION_PREFIX)
    assert check_password(signed_in.password_hash, "an older passphrase")

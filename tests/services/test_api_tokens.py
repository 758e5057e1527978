"""API tokens: shown once, stored as a sha256 hash, revocable only by their own university."""

from __future__ import annotations

import hashlib

import pytest

from app.models import ApiToken
from app.services import api_tokens
from app.services.errors import InvalidInput, NotFound, ServiceError


@pytest.fixture()
def officer(app_ctx, make):
    return make.user("university")


def test_create_stores_only_the_hash(officer):
    token, raw = api_tokens.create_token(officer.university_id, " SIS ", by=officer)
    assert raw.startswith(api_tokens.TOKEN_PREFIX) and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.prefix, token.token_hash, token.name)
    assert raw.startswith(token.prefix)
    assert token.name == "SIS"
    assert api_tokens.authenticate(raw) is token
    assert api_tokens.authenticate(raw + "x") is None


def test_the_api_module_keeps_hash_token():
    from app.api.views import hash_token

    assert hash_token("abc") == api_tokens.hash_token("abc")


def test_revoked_token_no_longer_authenticates(officer):
    token, raw = api_tokens.create_token(officer.university_id, "SIS", by=officer)
    api_tokens.revoke_token(token.id, by=officer)
    assert token.revoked_at is not None
    assert api_tokens.authenticate(raw) is None
    with pytest.raises(ServiceError):
        api_tokens.revoke_token(token.id, by=officer)


def test_another_universitys_token_is_not_found(officer, make):
    other = make.user("university")
    token, _raw = api_tokens.create_token(other.university_id, "Theirs", by=other)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(token.id, by=officer)
    with pytest.raises(NotFound):
        api_tokens.create_token(other.university_id, "Mine", by=officer)
    assert token.revoked_at is None


def test_empty_name_is_refused(officer):
    with pytest.raises(InvalidInput):
        api_tokens.create_token(officer.university_id, "   ", by=officer)


def test_at_most_ten_active_tokens(officer):
    for n in range(api_tokens.MAX_ACTIVE_TOKENS):
        api_tokens.create_token(officer.university_id, f"S{n}", by=officer)
    with pytest.raises(ServiceError):
        api_tokens.create_token(officer.university_id, "one too many", by=officer)
    first = api_tokens.tokens_of(officer.university_id)[-1]
    api_tokens.revoke_token(first.id, by=officer)
    api_tokens.create_token(officer.university_id, "room again", by=officer)
    assert ApiToken.query.count() == api_tokens.MAX_ACTIVE_TOKENS + 1

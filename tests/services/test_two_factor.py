"""The staff second factor as rules: right codes pass once, wrong ones count towards a lock,
recovery codes are stored hashed and used up."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import User, UserStatus, utcnow
from app.services import two_factor
from app.services.errors import InvalidInput, ServiceError


@pytest.fixture()
def staff(app_ctx, make, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "STAFF_2FA_REQUIRED", True)
    return make.user("ministry")


def _enrol(user: User) -> tuple[str, list[str]]:
    secret = two_factor.begin_enrolment(user)
    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
    db.session.commit()
    return secret, codes


def _wrong_code(secret: str) -> str:
    totp, now = pyotp.TOTP(secret), utcnow()
    near = {totp.at(now + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "000000") if c not in near)


def test_only_staff_need_a_second_factor_and_only_when_configured(app_ctx, make, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "STAFF_2FA_REQUIRED", True)
    for role in ("ministry", "university", "admin"):
        assert two_factor.required_for(make.user(role))
    assert not two_factor.required_for(make.user("applicant"))
    monkeypatch.setitem(app_ctx.config, "STAFF_2FA_REQUIRED", False)
    assert not two_factor.required_for(make.user("admin"))


def test_enrolment_keeps_the_same_secret_until_confirmed(staff):
    first = two_factor.begin_enrolment(staff)
    assert two_factor.begin_enrolment(staff) == first
    assert len(first) >= 32
    assert not two_factor.is_enrolled(staff)


def test_enrolment_needs_a_right_code_and_gives_ten_recovery_codes(staff):
    secret = two_factor.begin_enrolment(staff)
    with pytest.raises(two_factor.CodeRefused):
        two_factor.confirm_enrolment(staff, _wrong_code(secret))
    assert not two_factor.is_enrolled(staff)
    codes = two_factor.confirm_enrolment(staff, pyotp.TOTP(secret).now())
    assert two_factor.is_enrolled(staff)
    assert len(codes) == len(set(codes)) == 10
    with pytest.raises(ServiceError):
        two_factor.begin_enrolment(staff)


def test_recovery_codes_are_stored_only_as_argon2_hashes(staff):
    _secret, codes = _enrol(staff)
    raw = db.session.execute(
        text('SELECT totp_recovery_hashes FROM "user" WHERE id = :i'), {"i": staff.id}
    ).scalar_one()
    raw = str(raw)  # PostgreSQL hands back the parsed JSON list
    assert "$argon2id$" in raw
    for code in codes:
        assert code not in raw and code.replace("-", "") not in raw


def test_a_code_works_once(staff):
    secret, _codes = _enrol(staff)
    now = utcnow() + timedelta(seconds=60)  # a later step than the one used to enrol
    code = pyotp.TOTP(secret).at(now)
    assert two_factor.verify(staff, code, now=now) == "totp"
    with pytest.raises(two_factor.CodeRefused):
        two_factor.verify(staff, code, now=now)


def test_codes_from_the_neighbouring_steps_pass_older_ones_do_not(staff):
    secret, _codes = _enrol(staff)
    now = utcnow() + timedelta(minutes=5)
    totp = pyotp.TOTP(secret)
    with pytest.raises(two_factor.CodeRefused):
        two_factor.verify(staff, totp.at(now - timedelta(seconds=90)), now=now)
    assert two_factor.verify(staff, totp.at(now - timedelta(seconds=30)), now=now) == "totp"
    assert two_factor.verify(staff, totp.at(now + timedelta(seconds=30)), now=now) == "totp"


def test_a_recovery_code_is_used_up(staff):
    _secret, codes = _enrol(staff)
    assert two_factor.verify(staff, codes[3].upper()) == "recovery"
    assert len(staff.totp_recovery_hashes) == 9
    with pytest.raises(two_factor.CodeRefused):
        two_factor.verify(staff, codes[3])
    assert two_factor.verify(staff, codes[4].replace("-", " ")) == "recovery"


def test_wrong_codes_lock_the_account_like_wrong_passwords(app_ctx, staff):
    secret, _codes = _enrol(staff)
    limit = app_ctx.config["MAX_FAILED_LOGINS"]
    for _ in range(limit - 1):
        with pytest.raises(two_factor.CodeRefused):
            two_factor.verify(staff, "not-a-code")
    with pytest.raises(two_factor.TwoFactorLocked):
        two_factor.verify(staff, "not-a-code")
    assert staff.status == UserStatus.LOCKED
    later = utcnow() + timedelta(seconds=60)
    with pytest.raises(two_factor.TwoFactorLocked):
        two_factor.verify(staff, pyotp.TOTP(secret).at(later), now=later)


def test_the_secret_is_encrypted_in_the_table(staff):
    secret, _codes = _enrol(staff)
    raw = db.session.execute(
        text('SELECT totp_secret FROM "user" WHERE id = :i'), {"i": staff.id}
    ).scalar_one()
    assert secret not in raw and raw.startswith("gAAAAA")


def test_reset_removes_the_authenticator_and_ends_sessions(app_ctx, staff, make):
    _enrol(staff)
    admin = make.user("admin")
    token = staff.session_token
    with pytest.raises(InvalidInput):
        two_factor.reset(staff, by=staff)
    two_factor.reset(staff, by=admin)
    assert not two_factor.is_enrolled(staff)
    assert staff.totp_secret is None and staff.totp_recovery_hashes == []
    assert staff.session_token != token


def test_qr_code_is_an_svg_data_uri(staff):
    secret = two_factor.begin_enrolment(staff)
    uri = two_factor.provisioning_uri(staff, secret)
    assert uri.startswith("otpauth://totp/Umit:") and f"secret={secret}" in uri
    assert two_factor.qr_data_uri(uri).startswith("data:image/svg+xml")


def test_reset_command_for_a_lost_phone(app, make):
    user = make.user("ministry")
    with app.app_context():
        _enrol(db.session.get(User, user.id))
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["umit", "reset-2fa", user.email])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not two_factor.is_enrolled(db.session.get(User, user.id))
        db.session.remove()
    missing = app.test_cli_runner().invoke(args=["umit", "reset-2fa", "nobody@test.example"])
    assert missing.exit_code == 2


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_one_code_sent_twice_at_once_signs_in_once(app, make, monkeypatch, kind):
    """Eight requests carrying the same code at the same moment: exactly one passes."""
    import threading

    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite, for development, has none)")
    monkeypatch.setitem(app.config, "MAX_FAILED_LOGINS", 100)
    user = make.user("ministry")
    with app.app_context():
        secret, codes = _enrol(db.session.get(User, user.id))
        db.session.remove()
    later = utcnow() + timedelta(seconds=60)
    code = pyotp.TOTP(secret).at(later) if kind == "totp" else codes[0]
    n = 8
    barrier, lock, outcomes = threading.Barrier(n), threading.Lock(), []

    def attempt() -> None:
        with app.app_context():
            staff = db.session.get(User, user.id)
            barrier.wait()
            try:
                two_factor.verify(staff, code, now=later)
                db.session.commit()
                result = "ok"
            except two_factor.CodeRefused:
                db.session.commit()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        db.engine.dispose()
    assert sorted(outcomes) == ["ok"] + ["refused"] * (n - 1)

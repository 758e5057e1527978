"""Forms for signing in and managing one's own account; every message is translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

REQUIRED = _l("This field is required.")
EMAIL_INVALID = _l("Enter an e-mail address like name@example.com.")


def strip(value: str | None) -> str | None:
    """Drop spaces people paste around an e-mail address."""
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), Email(EMAIL_INVALID), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=200)])


class RegisterForm(FlaskForm):
    full_name = StringField(
        _l("Your name"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=_l("Too long."))],
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), Email(EMAIL_INVALID), Length(max=254)],
    )
    language = SelectField(_l("Language for messages"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
    )
    password_again = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    accept_privacy = BooleanField(
        _l("I have read how Umit uses and protects my data."),
        validators=[DataRequired(_l("Please confirm that you have read the privacy notice."))],
    )


class EmailOnlyForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), Email(EMAIL_INVALID), Length(max=254)],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
    )
    password_again = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )


class SignOutForm(FlaskForm):
    """Empty form: its only job is the CSRF token on the sign-out button."""

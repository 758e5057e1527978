"""Forms for managing staff accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from app.auth.forms import EMAIL_INVALID, REQUIRED


class StaffForm(FlaskForm):
    full_name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(REQUIRED), Email(EMAIL_INVALID), Length(max=254)],
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("ministry", _l("Ministry officer")),
            SelectChoice("university", _l("University officer")),
            SelectChoice("admin", _l("Administrator")),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    university_id = SelectField(
        _l("University (for university officers)"), coerce=int, validate_choice=False
    )
    language = SelectField(_l("Language"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        _l("First password"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
    )


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("active", _l("Active")),
            SelectChoice("deactivated", _l("Deactivated")),
        ],
        validators=[DataRequired(REQUIRED)],
    )

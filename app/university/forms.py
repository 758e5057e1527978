"""Forms of the admissions office."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Regexp

from app.services.enrolment import DECLINE_REASONS
from app.services.proposals import MAX_PLACES


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DeclineForm(FlaskForm):
    """Decline an accepted student with a coded reason the student will see."""

    reason = RadioField(
        _l("Reason (the student sees it)"),
        validators=[InputRequired(message=_l("Choose a reason."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [
            SelectChoice(code, str(label)) for code, label in DECLINE_REASONS.items()
        ]


class TokenForm(FlaskForm):
    """Name a new API token after the system that will use it."""

    name = StringField(
        _l("Name of the system using the token"),
        validators=[
            InputRequired(message=_l("Give the token a name.")),
            Length(max=80, message=_l("Use at most 80 characters.")),
        ],
        description=_l("For example: student information system."),
    )


class ProposalForm(FlaskForm):
    """Places the university proposes for a program in the next cycle."""

    places = StringField(
        _l("Proposed places"),
        validators=[
            InputRequired(message=_l("Enter a whole number of places.")),
            Regexp(
                r"^\s*\d{1,4}\s*$",
                message=_l("Enter a whole number from 0 to %(max)s.", max=MAX_PLACES),
            ),
        ],
    )

    def places_value(self) -> int:
        """Return the number typed (validated as digits)."""
        return int(self.places.data.strip())

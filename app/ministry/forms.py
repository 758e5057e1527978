"""Forms of the ministry console; every validator carries a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = _l("This field is required.")
WHOLE = _l("Enter a whole number.")
NUMBER = _l("Enter a number.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CycleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    application_opens_at = DateTimeLocalField(
        _l("Applications open (UTC)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Enter a date and time."))],
    )
    application_closes_at = DateTimeLocalField(
        _l("Applications close (UTC)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Enter a date and time."))],
    )
    max_choices = IntegerField(
        _l("Maximum number of choices"),
        default=4,
        validators=[
            InputRequired(WHOLE),
            NumberRange(1, 16, message=_l("Between 1 and 16.")),
        ],
    )
    score_formula = StringField(
        _l("Competitive score formula"),
        default="unt_total=1",
        description=_l(
            "A weighted sum of score components, written name=weight and separated by commas, "
            "e.g. unt_total=1, gpa=10."
        ),
        validators=[DataRequired(REQUIRED), Length(max=400)],
    )
    tiebreak_chain = StringField(
        _l("Tie-break chain"),
        description=_l(
            "Score components compared in order when scores tie, e.g. unt_math, unt_total. "
            "The lottery decides any tie that remains."
        ),
        validators=[Optional(), Length(max=400)],
    )
    protection_statuses = MultiCheckboxField(
        _l("Protection statuses that may apply"),
        choices=[
            SelectChoice("refugee", _l("Refugee")),
            SelectChoice("asylum_seeker", _l("Asylum seeker")),
        ],
        validators=[DataRequired(_l("Choose at least one."))],
    )
    require_secondary_school = BooleanField(_l("Completed secondary school is required"))
    appeal_window_days = IntegerField(
        _l("Appeal window (days)"),
        default=10,
        validators=[InputRequired(WHOLE), NumberRange(0, 90, message=_l("Between 0 and 90."))],
    )
    acceptance_window_days = IntegerField(
        _l("Days to accept an offer"),
        default=7,
        validators=[InputRequired(WHOLE), NumberRange(1, 60, message=_l("Between 1 and 60."))],
    )


class SeedForm(FlaskForm):
    seed = IntegerField(
        _l("Lottery seed"),
        description=_l("Leave empty to draw a random seed. It is published and cannot change."),
        validators=[Optional(), NumberRange(0, 2**62, message=_l("A whole number from 0."))],
    )


class CycleStatusForm(FlaskForm):
    status = SelectField(
        _l("Move the cycle to"),
        choices=[
            SelectChoice("open", _l("Open")),
            SelectChoice("closed", _l("Closed")),
            SelectChoice("allocating", _l("Allocating")),
            SelectChoice("finished", _l("Finished")),
        ],
        validators=[DataRequired(REQUIRED)],
    )


class QuotaForm(FlaskForm):
    places = IntegerField(
        _l("Places"),
        validators=[InputRequired(WHOLE), NumberRange(0, 10000, message=_l("0 to 10000."))],
    )
    min_score = DecimalField(
        _l("Minimum score"),
        places=2,
        validators=[Optional(), NumberRange(0, 1000, message=_l("0 to 1000."))],
    )
    cost = DecimalField(
        _l("Cost per place"),
        places=2,
        default=1,
        validators=[InputRequired(NUMBER), NumberRange(0, None, message=_l("Not negative."))],
    )
    reserved_women = IntegerField(
        _l("Places reserved for women"),
        default=0,
        validators=[InputRequired(WHOLE), NumberRange(0, 10000, message=_l("0 to 10000."))],
    )


class ApproveProposalForm(FlaskForm):
    """The ministry's answer to a university's proposal: the proposed places or its own figure."""

    places = IntegerField(
        _l("Places to approve"),
        validators=[InputRequired(WHOLE), NumberRange(0, 10000, message=_l("0 to 10000."))],
    )


class NewQuotaForm(QuotaForm):
    program_id = SelectField(
        _l("Program"), coerce=int, validators=[DataRequired(REQUIRED)], validate_choice=False
    )


class LimitsForm(FlaskForm):
    total_quota = IntegerField(
        _l("Total quota (places in all programs)"),
        validators=[Optional(), NumberRange(0, 1_000_000, message=_l("Not negative."))],
    )
    budget = DecimalField(
        _l("Budget"),
        places=2,
        validators=[Optional(), NumberRange(0, None, message=_l("Not negative."))],
    )
    university_caps = StringField(
        _l("Caps per university"),
        description=_l("University code=places, separated by commas, e.g. KAZNU=10, ENU=5."),
        validators=[Optional(), Length(max=2000)],
    )
    field_caps = StringField(
        _l("Caps per field group"),
        description=_l("Field code=places, e.g. ICT=15, MED=4."),
        validators=[Optional(), Length(max=2000)],
    )
    women_share = DecimalField(
        _l("Minimum share of women among those placed"),
        places=2,
        description=_l("A fraction such as 0.4; leave empty for none."),
        validators=[Optional(), NumberRange(0.01, 0.99, message=_l("Between 0.01 and 0.99."))],
    )
    women_rule = SelectField(
        _l("How the minimum share is met"),
        choices=[
            SelectChoice("bonus", _l("Smallest uniform priority bonus")),
            SelectChoice("reserve", _l("Reserved places sized to meet it")),
        ],
        validators=[DataRequired(REQUIRED)],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("Filled-in template (.xlsx or .csv)"),
        validators=[DataRequired(_l("Choose a file."))],
    )


class DocumentDecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("verify", _l("Verified")),
            SelectChoice("reject", _l("Rejected")),
            SelectChoice("provisional", _l("Accepted provisionally")),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    reason_code = SelectField(_l("Reason (when rejecting)"), validate_choice=False)
    note = TextAreaField(_l("Note the applicant sees"), validators=[Optional(), Length(max=2000)])


class EligibleForm(FlaskForm):
    # Both decision forms sit on one page and post a "note": their ids must differ.
    note = TextAreaField(
        _l("Note (optional)"), id="eligible-note", validators=[Optional(), Length(max=2000)]
    )


class IneligibleForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason the applicant will see"),
        validators=[DataRequired(_l("Give the reason.")), Length(max=2000)],
    )


class NeedsInfoForm(FlaskForm):
    sections = MultiCheckboxField(
        _l("Sections to complete"), validators=[DataRequired(_l("Choose at least one."))]
    )
    note = TextAreaField(
        _l("What is missing"),
        id="info-note",
        validators=[DataRequired(_l("Tell the applicant what is missing.")), Length(max=2000)],
    )


class StartRoundForm(FlaskForm):
    kind = SelectField(
        _l("Round"),
        choices=[
            SelectChoice("main", _l("Main round")),
            SelectChoice("supplementary", _l("Supplementary round (released places)")),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    mode = SelectField(
        _l("Run"),
        choices=[
            SelectChoice("dry", _l("Dry run (review only, never published)")),
            SelectChoice("official", _l("Official run (locks the cycle's rules)")),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    method = SelectField(
        _l("Method"),
        choices=[
            SelectChoice("auto", _l("Automatic (deferred acceptance where exact)")),
            SelectChoice("da", _l("Deferred acceptance only")),
            SelectChoice("cpsat", _l("CP-SAT model")),
        ],
        validators=[DataRequired(REQUIRED)],
    )
    ignore_minimums = BooleanField(_l("Ignore minimum shares (what-if)"))
    label = StringField(_l("Label for this run"), validators=[Optional(), Length(max=80)])


class PublishForm(FlaskForm):
    """Only the CSRF token: publishing takes no input."""


class CompareForm(FlaskForm):
    class Meta:
        csrf = False

    a = SelectField(_l("Round A"), coerce=int, validate_choice=False)
    b = SelectField(_l("Round B"), coerce=int, validate_choice=False)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = StringField(_l("Person (e-mail contains)"), validators=[Optional(), Length(max=254)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=40)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=40)])
    action = StringField(
        _l("Action (or its start, e.g. round.)"), validators=[Optional(), Length(max=64)]
    )

"""Applicant forms: every field says what it wants, every error is in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.labels import APPLICANT_DECLINE_TEXT, country_name
from app.services import dates
from app.services.errors import InvalidInput

REQUIRED = _l("Please fill this in.")
CHOOSE = _l("Please choose one.")
TOO_LONG = _l("This is too long.")

# Countries of origin most applicants come from; names are CLDR's, in the reader's language.
COUNTRY_CODES = (
    "AF",
    "SY",
    "YE",
    "IQ",
    "IR",
    "PK",
    "SO",
    "SD",
    "ER",
    "PS",
    "UA",
    "MM",
    "TJ",
    "UZ",
    "KG",
    "TM",
    "CN",
    "RU",
    "XX",
)
COUNTRIES = [(code, LazyString(country_name, code)) for code in COUNTRY_CODES]
SCHOOL_COUNTRIES = [("KZ", LazyString(country_name, "KZ")), *COUNTRIES]

SCORE_LABELS = {
    "unt_total": (_l("UNT total score"), _l("Unified National Testing, 0–140.")),
    "gpa": (_l("School grade average"), _l("As on your certificate, for example 4.5.")),
    "language_test": (_l("Language test score"), None),
}


def _choices(pairs: list[tuple[str, Any]], blank: Any = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


class DateText(StringField):
    """A date typed as people write it; `.data` stays the text, `.parsed` holds the date."""

    parsed: date | None = None

    def __init__(self, *args: Any, calendar_field: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calendar_field = calendar_field

    def pre_validate(self, form: Any) -> None:
        self.parsed = None
        text = (self.data or "").strip()
        if not text:
            return
        calendar = dates.AUTO
        if self.calendar_field:
            calendar = getattr(form, self.calendar_field).data or dates.AUTO
        try:
            self.parsed = dates.parse_date(text, calendar).value
        except InvalidInput as err:
            raise ValidationError(str(err)) from None


CALENDARS = [
    (dates.AUTO, _l("Find out from the year")),
    (dates.GREGORIAN, _l("Gregorian (2005-03-21)")),
    (dates.SOLAR_HIJRI, _l("Solar Hijri (1384/01/01)")),
]


class VersionedForm(FlaskForm):
    """A form over the saved application; `version` is what the page was opened with."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class PrecheckForm(FlaskForm):
    protection_status = RadioField(
        _l("Your protection status in Kazakhstan"),
        choices=_choices(
            [
                ("refugee", _l("Recognised refugee")),
                ("asylum_seeker", _l("Asylum seeker (my claim is being decided)")),
                ("none", _l("Neither")),
            ]
        ),
        validators=[InputRequired(CHOOSE)],
    )
    status_valid_until = DateText(
        _l("Your status document is valid until"),
        description=_l("For example 2027-06-30 or 30.06.2027 or 1406/04/09."),
        validators=[Optional(), Length(max=40, message=TOO_LONG)],
    )
    renewal_pending = BooleanField(
        _l("Renewal pending: I have asked for my status document to be renewed")
    )
    school = RadioField(
        _l("Secondary school"),
        choices=_choices(
            [
                ("finished", _l("I finished secondary school")),
                ("finished_no_documents", _l("I finished school but lost the documents")),
                ("not_yet", _l("I have not finished school yet")),
            ]
        ),
        validators=[InputRequired(CHOOSE)],
    )

    def answers(self) -> dict[str, Any]:
        return {
            "protection_status": self.protection_status.data,
            "status_valid_until": self.status_valid_until.parsed,
            "renewal_pending": bool(self.renewal_pending.data),
            "school": self.school.data,
        }


class PersonalForm(VersionedForm):
    name_native = StringField(
        _l("Full name in your own script"),
        description=_l("As you write it, for example فرشته احمدی."),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    name_latin = StringField(
        _l("Full name in Latin letters"),
        description=_l("As in your status document, for example Freshta Ahmadi."),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    name_cyrillic = StringField(
        _l("Full name in Cyrillic letters"),
        description=_l("If a Kazakh document spells it, for example Фрешта Ахмади."),
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
    )
    dob_calendar = RadioField(
        _l("Calendar of the date of birth"),
        choices=_choices(CALENDARS),
        default=dates.AUTO,
        validators=[Optional()],
    )
    date_of_birth = DateText(
        _l("Date of birth"),
        description=_l("For example 2005-03-21, 21.03.2005, or Solar Hijri 1384/01/01."),
        validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
        calendar_field="dob_calendar",
    )
    gender = RadioField(
        _l("Gender"),
        choices=_choices([("F", _l("Female")), ("M", _l("Male")), ("X", _l("Other"))]),
        validators=[InputRequired(CHOOSE)],
    )
    country_of_origin = SelectField(
        _l("Country of origin"),
        choices=_choices(COUNTRIES, blank=_l("Choose a country")),
        validators=[DataRequired(CHOOSE)],
    )
    phone = StringField(
        _l("Phone number"),
        description=_l("With the country code, for example +7 701 000 0000."),
        validators=[Optional(), Length(max=32, message=TOO_LONG)],
    )
    contact_email = EmailField(
        _l("E-mail address for contact"),
        validators=[
            Optional(),
            Email(message=_l("Enter an e-mail address like name@example.org.")),
            Length(max=254, message=TOO_LONG),
        ],
    )

    def validate_date_of_birth(self, field: Field) -> None:
        parsed = self.date_of_birth.parsed
        if parsed is not None and not date(1950, 1, 1) <= parsed <= date.today():
            raise ValidationError(_l("This date of birth is not possible. Check the year."))

    def data_for_service(self) -> dict[str, Any]:
        return {
            "name_native": self.name_native.data,
            "name_latin": self.name_latin.data,
            "name_cyrillic": self.name_cyrillic.data or "",
            "date_of_birth": self.date_of_birth.parsed,
            "gender": self.gender.data,
            "country_of_origin": self.country_of_origin.data,
            "phone": self.phone.data or "",
            "contact_email": self.contact_email.data or "",
        }


class ProtectionForm(VersionedForm):
    protection_status = RadioField(
        _l("Protection status"),
        choices=_choices(
            [("refugee", _l("Recognised refugee")), ("asylum_seeker", _l("Asylum seeker"))]
        ),
        validators=[InputRequired(CHOOSE)],
    )
    status_document_number = StringField(
        _l("Status document number"),
        validators=[DataRequired(REQUIRED), Length(max=60, message=TOO_LONG)],
    )
    status_document_issuer = StringField(
        _l("Issued by"),
        description=_l("For example: Migration Service, Almaty."),
        validators=[Optional(), Length(max=200, message=TOO_LONG)],
    )
    status_valid_until = DateText(
        _l("Valid until"),
        description=_l("For example 2027-06-30 or 30.06.2027 or 1406/04/09."),
        validators=[Optional(), Length(max=40, message=TOO_LONG)],
    )

    def data_for_service(self) -> dict[str, Any]:
        return {
            "protection_status": self.protection_status.data,
            "status_document_number": self.status_document_number.data,
            "status_document_issuer": self.status_document_issuer.data or "",
            "status_valid_until": self.status_valid_until.parsed,
        }


class EducationForm(VersionedForm):
    education_route = RadioField(
        _l("Where did you finish secondary school?"),
        choices=_choices(
            [
                ("kz_school", _l("At a school in Kazakhstan (with UNT results)")),
                ("foreign_school", _l("At a school abroad")),
            ]
        ),
        validators=[InputRequired(CHOOSE)],
    )
    school_name = StringField(
        _l("Name of the school"), validators=[Optional(), Length(max=200, message=TOO_LONG)]
    )
    school_country = SelectField(
        _l("Country of the school"),
        choices=_choices(SCHOOL_COUNTRIES, blank=_l("Choose a country")),
        validators=[Optional()],
    )
    graduation_year = IntegerField(
        _l("Year you finished school"),
        validators=[
            Optional(),
            NumberRange(min=1970, max=2100, message=_l("Enter a year like 2024.")),
        ],
    )

    def data_for_service(self) -> dict[str, Any]:
        return {
            "education_route": self.education_route.data,
            "school_name": self.school_name.data or "",
            "school_country": self.school_country.data or "",
            "graduation_year": self.graduation_year.data,
        }


def scores_form(components: list[str], formdata: Any = None, **kwargs: Any) -> VersionedForm:
    """Build the score form for a cycle's formula: one number field per component."""

    class ScoresForm(VersionedForm):
        pass

    for name in components:
        label, hint = SCORE_LABELS.get(name, (name.replace("_", " ").capitalize(), None))
        setattr(
            ScoresForm,
            f"c_{name}",
            DecimalField(
                label,
                description=hint,
                places=2,
                validators=[
                    InputRequired(REQUIRED),
                    NumberRange(min=0, max=99999, message=_l("Enter a number from 0.")),
                ],
            ),
        )
    form = ScoresForm(formdata=formdata, **kwargs) if formdata is not None else ScoresForm(**kwargs)
    return form


class ChoiceActionForm(VersionedForm):
    """Add, move or remove a program: the buttons carry what to do."""


class UploadForm(VersionedForm):
    kind = SelectField(
        _l("Which document is this?"),
        choices=_choices(
            [
                ("status_proof", _l("Proof of refugee or asylum-seeker status")),
                ("school_certificate", _l("Secondary school certificate")),
                ("test_certificate", _l("Test results")),
                ("alternative_evidence", _l("Alternative evidence")),
            ]
        ),
        validators=[DataRequired(CHOOSE)],
    )
    evidence_type = SelectField(
        _l("Kind of alternative evidence"),
        description=_l("Only for alternative evidence."),
        choices=_choices(
            [
                ("sworn_statement", _l("Sworn statement")),
                ("unhcr_attestation", _l("UNHCR or partner attestation")),
                ("qualifications_passport", _l("Qualifications passport assessment")),
                ("other", _l("Other evidence")),
            ],
            blank=_l("Not alternative evidence"),
        ),
        validators=[Optional()],
    )
    file = FileField(
        _l("File"),
        description=_l("A photo (JPEG, PNG, WebP) or a PDF, up to 8 MB."),
        validators=[FileRequired(message=_l("Choose a file to send."))],
    )
    replaces = HiddenField()


class SubmitForm(VersionedForm):
    declaration = BooleanField(
        _l(
            "I declare that what I wrote is true and complete, and that my documents are "
            "genuine. I understand that false information ends my application."
        ),
        validators=[DataRequired(message=_l("Please tick the declaration to send."))],
    )


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, withdraw my application. I understand this cannot be undone."),
        validators=[DataRequired(message=_l("Please tick to confirm."))],
    )
    reason = TextAreaField(
        _l("Why are you withdrawing?"),
        validators=[Optional(), Length(max=500, message=TOO_LONG)],
    )


class DeleteDraftForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete my draft and its documents."),
        validators=[DataRequired(message=_l("Please tick to confirm."))],
    )


class OfferForm(FlaskForm):
    """Accept or decline: only the CSRF token and, for declining, an optional reason."""

    reason = SelectField(
        _l("Why are you declining? (optional)"),
        choices=_choices(
            [(code, text) for code, text in APPLICANT_DECLINE_TEXT.items() if code != "withdrawn"],
            blank=_l("I prefer not to say"),
        ),
        validators=[Optional()],
    )

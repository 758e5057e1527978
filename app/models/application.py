"""An applicant's file in a cycle: profile, protection status, education, scores, choices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, json_default_list, utcnow
from app.models.crypto_types import EncryptedString

if TYPE_CHECKING:
    from app.models.cycle import Cycle
    from app.models.document import Document
    from app.models.university import Program
    from app.models.user import User


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    PLACED = "placed"
    NOT_PLACED = "not_placed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    ENROLLED = "enrolled"
    NO_SHOW = "no_show"
    WITHDRAWN = "withdrawn"


class ProtectionStatus(StrEnum):
    REFUGEE = "refugee"
    ASYLUM_SEEKER = "asylum_seeker"


class Gender(StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class EducationRoute(StrEnum):
    KAZAKH_SCHOOL = "kz_school"
    FOREIGN_SCHOOL = "foreign_school"


class Application(Model):
    __table_args__ = (
        UniqueConstraint("applicant_id", "cycle_id", name="uq_application_applicant_cycle"),
        CheckConstraint("competitive_score IS NULL OR competitive_score >= 0", name="score_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True
    )
    # Optimistic locking: two tabs saving the same draft cannot overwrite each other silently.
    version: Mapped[int] = mapped_column(default=1)
    # Pseudonymous code used in public results and anonymised snapshots, never the name.
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    current_step: Mapped[str] = mapped_column(String(32), default="eligibility")
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Eligibility pre-check answers and the flags staff must look at (e.g. renewal pending).
    precheck: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    flags: Mapped[list[str]] = mapped_column(JSON, default=json_default_list)

    # Personal details.
    name_native: Mapped[str] = mapped_column(String(200), default="")
    name_latin: Mapped[str] = mapped_column(String(200), default="")
    name_cyrillic: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, 4))
    country_of_origin: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")

    # Protection status. The document number and issuer identify a person to anyone holding
    # the registry: encrypted at rest (app/models/crypto_types.py), so never filter on them.
    protection_status: Mapped[ProtectionStatus | None] = mapped_column(enum_type(ProtectionStatus))
    status_document_number: Mapped[str] = mapped_column(
        EncryptedString(sqlite_length=255), default=""
    )
    status_document_issuer: Mapped[str] = mapped_column(
        EncryptedString(sqlite_length=255), default=""
    )
    status_valid_until: Mapped[date | None] = mapped_column(Date)

    # Education.
    education_route: Mapped[EducationRoute | None] = mapped_column(enum_type(EducationRoute))
    school_name: Mapped[str] = mapped_column(String(200), default="")
    school_country: Mapped[str] = mapped_column(String(2), default="")
    graduation_year: Mapped[int | None] = mapped_column()
    competitive_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))

    # Staff decisions the applicant sees.
    ineligible_reason: Mapped[str] = mapped_column(Text, default="")
    needs_info_sections: Mapped[list[str]] = mapped_column(JSON, default=json_default_list)
    needs_info_note: Mapped[str] = mapped_column(Text, default="")
    declaration_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    cycle: Mapped[Cycle] = relationship()
    choices: Mapped[list[Choice]] = relationship(
        back_populates="application", order_by="Choice.rank", cascade="all, delete-orphan"
    )
    score_components: Mapped[list[ScoreComponent]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="application",
        order_by="StatusChange.id",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    def component(self, name: str) -> Decimal | None:
        """Return one score component's value, or None when it was not given."""
        for item in self.score_components:
            if item.name == name:
                return item.value
        return None


class Choice(Model):
    """One ranked program on an application; rank 1 is the applicant's first choice."""

    __table_args__ = (
        UniqueConstraint("application_id", "rank", name="uq_choice_application_rank"),
        UniqueConstraint("application_id", "program_id", name="uq_choice_application_program"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    rank: Mapped[int] = mapped_column()
    # A program-specific score (e.g. a profile-subject weighting), when the program uses one.
    program_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))

    application: Mapped[Application] = relationship(back_populates="choices")
    program: Mapped[Program] = relationship()


class ScoreComponent(Model):
    """A named part of the competitive score (UNT total, subject scores, GPA, ...)."""

    __table_args__ = (
        UniqueConstraint("application_id", "name", name="uq_score_component_application_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Numeric(7, 2))

    application: Mapped[Application] = relationship(back_populates="score_components")


class StatusChange(Model):
    """One step on the applicant's timeline; `visible` is False for staff-internal moves."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    from_status: Mapped[ApplicationStatus | None] = mapped_column(
        enum_type(ApplicationStatus, name="from_status")
    )
    to_status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus, name="to_status")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    visible: Mapped[bool] = mapped_column(default=True)

    application: Mapped[Application] = relationship(back_populates="status_changes")

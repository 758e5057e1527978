"""Universities, their programs, and each program's quota places in a cycle."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import enum_type, json_default_dict

if TYPE_CHECKING:
    from app.models.cycle import Cycle
    from app.models.user import User


class FieldGroup(StrEnum):
    """Broad field groups of Kazakhstan's classifier of educational programs."""

    EDU = "EDU"
    ART = "ART"
    SOC = "SOC"
    BUS = "BUS"
    SCI = "SCI"
    ICT = "ICT"
    ENG = "ENG"
    AGR = "AGR"
    MED = "MED"
    SRV = "SRV"


class StudyLevel(StrEnum):
    BACHELOR = "bachelor"
    MASTER = "master"


class University(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80), index=True)
    website: Mapped[str] = mapped_column(String(200), default="")

    programs: Mapped[list[Program]] = relationship(
        back_populates="university", order_by="Program.code"
    )
    staff: Mapped[list[User]] = relationship(back_populates="university")

    def name(self, lang: str) -> str:
        """Return the name in the reader's language (Kazakh, Russian, else English)."""
        return {"kk": self.name_kk, "ru": self.name_ru}.get(lang, self.name_en)


class Program(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("university.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str] = mapped_column(String(200))
    field_group: Mapped[FieldGroup] = mapped_column(enum_type(FieldGroup, 8), index=True)
    language: Mapped[str] = mapped_column(String(8))
    level: Mapped[StudyLevel] = mapped_column(enum_type(StudyLevel, 16))

    university: Mapped[University] = relationship(back_populates="programs")
    quotas: Mapped[list[ProgramQuota]] = relationship(back_populates="program")

    def name(self, lang: str) -> str:
        """Return the name in the reader's language (Kazakh, Russian, else English)."""
        return {"kk": self.name_kk, "ru": self.name_ru}.get(lang, self.name_en)


class ProgramQuota(Model):
    """A program's places for the refugee quota in one cycle, with its own rules."""

    __table_args__ = (
        UniqueConstraint("cycle_id", "program_id", name="uq_program_quota_cycle_program"),
        CheckConstraint("places >= 0", name="places_not_negative"),
        CheckConstraint("proposed_places IS NULL OR proposed_places >= 0", name="proposal_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    places: Mapped[int] = mapped_column(default=0)
    min_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    cost: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(1))
    # {"gender=F": 1}: places kept for a group, reverting to open places when unused.
    reserved: Mapped[dict[str, Any]] = mapped_column(JSON, default=json_default_dict)
    # Places the university proposes for the next cycle; the ministry approves or edits them.
    proposed_places: Mapped[int | None] = mapped_column()

    cycle: Mapped[Cycle] = relationship(back_populates="quotas")
    program: Mapped[Program] = relationship(back_populates="quotas")
